import { Request, expect, test } from '@playwright/test';

import { card, gradientPng, openBoard, seedPost, unique } from './support';

test('an image is sized before it loads and comes as a variant, linked to the original', async ({
  page,
  request,
}) => {
  const title = unique('Wide picture');
  // Wider than the widest variant, so every variant exists and none is the original.
  const seeded = await seedPost(request, {
    title,
    image: { name: 'wide.png', mimeType: 'image/png', buffer: gradientPng(7, 1600, 1000) },
  });
  expect([seeded.image_width, seeded.image_height]).toEqual([1600, 1000]);
  const hash = seeded.image_hash!;

  // Hold every image request: what the page shows before a byte arrives is what we check.
  const imageRequests: Request[] = [];
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/image/**', async (route) => {
    imageRequests.push(route.request());
    await released;
    await route.continue();
  });

  await openBoard(page, 'new');
  const image = card(page, title).getByRole('img', { name: title });
  await image.scrollIntoViewIfNeeded();
  await expect(image).toHaveAttribute('width', '1600');
  await expect(image).toHaveAttribute('height', '1000');
  await expect(image).toHaveAttribute('loading', 'lazy');
  await expect(image).toHaveAttribute('decoding', 'async');
  await expect(image).toHaveAttribute('srcset', new RegExp(`/image/${hash}\\?width=1280 1280w`));
  await expect.poll(() => imageRequests.some((r) => r.url().includes(hash))).toBe(true);
  expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(0);
  // Not loaded yet, and already in the proportions of the image: nothing will jump.
  const box = (await image.boundingBox())!;
  expect(box.width).toBeGreaterThan(100);
  expect(box.height / box.width).toBeCloseTo(1000 / 1600, 1);

  release();
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBeGreaterThan(0);
  expect((await image.boundingBox())!.height).toBeCloseTo(box.height, 0);

  // The board asked for a variant, never for the original.
  const ours = imageRequests.map((r) => new URL(r.url())).filter((u) => u.pathname.endsWith(hash));
  expect(ours.length).toBeGreaterThan(0);
  for (const url of ours) {
    expect(['320', '640', '1280']).toContain(url.searchParams.get('width'));
  }

  // A click on the image opens the original.
  const link = card(page, title).getByRole('link', { name: /Full-size image/ });
  await expect(link).toHaveAttribute('href', `/image/${hash}`);
  await expect(link).toHaveAttribute('target', '_blank');
  const [tab] = await Promise.all([page.context().waitForEvent('page'), image.click()]);
  await tab.waitForLoadState();
  expect(new URL(tab.url()).pathname).toBe(`/image/${hash}`);
  expect(new URL(tab.url()).search).toBe('');
  await tab.close();
});
