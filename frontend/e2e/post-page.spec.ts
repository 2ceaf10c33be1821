import { expect, test } from '@playwright/test';

import { card, gradientPng, openBoard, seedPost, toasts, unique } from './support';

test.describe("a post's own page (/p/{id})", () => {
  test('opens from its link in a fresh page, with its preview tags, and copies its link', async ({
    browser,
    request,
  }) => {
    const title = unique('Harbour <at> "dawn"');
    const seeded = await seedPost(request, {
      title,
      post: 'Fog over the water,\nand gulls.',
      image: { name: 'h.png', mimeType: 'image/png', buffer: gradientPng(21) },
    });
    const context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    const response = await page.goto(`/p/${seeded.id}`);
    expect(response?.status()).toBe(200);

    // The tags the server wrote, as the browser parsed them (what a link preview reads).
    const meta = (key: string) =>
      page.locator(`meta[property="${key}"], meta[name="${key}"]`).getAttribute('content');
    expect(await meta('og:title')).toBe(title);
    expect(await meta('og:description')).toBe('Fog over the water, and gulls.');
    expect(await meta('og:url')).toMatch(new RegExp(`/p/${seeded.id}$`));
    expect(await meta('og:image')).toMatch(new RegExp(`/image/${seeded.image_hash}\\?width=1280$`));
    expect(await meta('twitter:card')).toBe('summary_large_image');

    // The app shows the post, under its own title.
    await expect(card(page, title)).toBeVisible();
    await expect(page).toHaveTitle(`${title} · Postboard`);
    await expect(page.getByTestId('post')).toHaveCount(1);

    await page.getByRole('button', { name: 'Copy link' }).click();
    await expect(toasts(page).filter({ hasText: 'Link copied.' })).toBeVisible();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(new URL(`/p/${seeded.id}`, page.url()).href);

    // Votes work here as on the board.
    await card(page, title)
      .getByRole('button', { name: `Upvote ${title}` })
      .click();
    await expect(card(page, title).getByTestId('score')).toHaveText('1');
    await context.close();
  });

  test('an unknown post is the app saying so, with status 404', async ({ page }) => {
    const response = await page.goto('/p/999999999');
    expect(response?.status()).toBe(404);
    await expect(page.getByTestId('post-not-found')).toContainText(
      'This post does not exist, or it was deleted.',
    );
    await page.getByRole('link', { name: 'Go to the board' }).click();
    await expect(page.getByRole('heading', { name: 'Board', level: 2, exact: true })).toBeVisible();
  });

  test("a post's title on the board links to its page, and back returns to the board", async ({
    page,
    request,
  }) => {
    const title = unique('Linked from the board');
    const seeded = await seedPost(request, { title });
    await openBoard(page, 'new');
    await card(page, title).getByRole('link', { name: title }).click();
    await expect(page).toHaveURL(new RegExp(`/p/${seeded.id}$`));
    await expect(page.getByTestId('post')).toHaveCount(1);
    await page.goBack();
    await expect(page).toHaveURL(/\/\?sort=new$/);
    await expect(card(page, title)).toBeVisible();
  });
});
