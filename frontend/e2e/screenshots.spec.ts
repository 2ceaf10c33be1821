import { expect, test } from '@playwright/test';

import { card, form, makePng, openForm, seedPost, toasts, unique } from './support';

/**
 * Not a check but a look: saves the board on a desktop and a phone viewport, light and dark,
 * with posts with and without images and an error toast, into frontend/screenshots/.
 */
const viewports = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const schemes = ['light', 'dark'] as const;

/** A pleasant landscape picture (sky, sun, hills) so screenshots look like real content. */
function landscapePng(): Buffer {
  const w = 320;
  const h = 200;
  return makePng(w, h, (x, y) => {
    const hill = h * 0.68 + Math.sin(x / 28) * 14 + Math.sin(x / 9) * 3;
    if (y > hill) {
      return [40 + (y - hill) * 0.4, 120 - (y - hill) * 0.3, 70];
    }
    const d = Math.hypot(x - 230, y - 70);
    if (d < 26) {
      return [255, 214, 120];
    }
    const t = y / hill;
    return [Math.round(90 + 140 * t), Math.round(140 + 60 * t), Math.round(230 - 40 * t)];
  });
}

test.describe('screenshots', () => {
  test.beforeAll(async ({ request }) => {
    await seedPost(request, {
      title: 'Welcome to Postboard',
      post: 'Share a thought, an image, a vote. Posts show up live; Hot mixes votes and age, New is newest first, Top is what people liked.',
      username: 'team',
    });
    await seedPost(request, {
      title: 'Evening walk in the hills',
      post: 'The light was perfect tonight.',
      username: 'mira',
      image: { name: 'hills.png', mimeType: 'image/png', buffer: landscapePng() },
    });
    await seedPost(request, {
      title: 'Does anyone know a good bakery near the station?',
      post: 'Looking for sourdough, ideally open early on weekdays.',
    });
  });

  for (const viewport of viewports) {
    for (const colorScheme of schemes) {
      test(`${viewport.name} ${colorScheme}`, async ({ browser }) => {
        const context = await browser.newContext({
          viewport: { width: viewport.width, height: viewport.height },
          colorScheme,
          deviceScaleFactor: 1,
        });
        const page = await context.newPage();
        await page.goto('/');
        const walk = card(page, 'Evening walk in the hills').first();
        await expect(walk).toBeVisible();
        const image = walk.getByRole('img');
        await image.scrollIntoViewIfNeeded();
        await expect
          .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
          .toBeGreaterThan(0);
        await page.evaluate(() => window.scrollTo(0, 0));

        // An error the server answers: bytes that are not an image. (On a phone the form
        // opens behind "New post" first.)
        await openForm(page);
        const f = form(page);
        await f.title.fill(unique('Screenshot'));
        await f.text.fill('Trying to attach a file that is not an image.');
        await f.file.setInputFiles({
          name: 'photo.png',
          mimeType: 'image/png',
          buffer: Buffer.from('not really a png'),
        });
        await f.submit.click();
        await expect(toasts(page).first()).toBeVisible();

        await page.screenshot({
          path: `screenshots/${viewport.name}-${colorScheme}.png`,
          fullPage: false,
          animations: 'disabled', // the toast's fade-in must not be caught half-way
        });
        await page.screenshot({
          path: `screenshots/${viewport.name}-${colorScheme}-full.png`,
          fullPage: true,
          animations: 'disabled',
        });
        await context.close();
      });

      test(`${viewport.name} ${colorScheme}: search results and a post's page`, async ({
        browser,
      }) => {
        const context = await browser.newContext({
          viewport: { width: viewport.width, height: viewport.height },
          colorScheme,
          deviceScaleFactor: 1,
        });
        const page = await context.newPage();
        await page.goto('/?q=walk');
        const walk = card(page, 'Evening walk in the hills').first();
        await expect(walk.locator('mark')).toHaveText('walk');
        await page.screenshot({
          path: `screenshots/${viewport.name}-${colorScheme}-search.png`,
          animations: 'disabled',
        });
        await walk.getByRole('link', { name: 'Evening walk in the hills', exact: true }).click();
        const image = page.getByTestId('post').getByRole('img');
        await expect
          .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
          .toBeGreaterThan(0);
        await page.screenshot({
          path: `screenshots/${viewport.name}-${colorScheme}-post.png`,
          animations: 'disabled',
        });
        // The report dialog, closed without sending (a report counts against the post in e2e).
        await page.getByRole('button', { name: 'Report Evening walk in the hills' }).click();
        const dialog = page.getByRole('dialog', { name: 'Report this post' });
        await dialog.getByRole('radio', { name: 'Spam or advertising' }).check();
        await page.screenshot({
          path: `screenshots/${viewport.name}-${colorScheme}-report.png`,
          animations: 'disabled',
        });
        await page.keyboard.press('Escape');
        await expect(dialog).toBeHidden();
        await context.close();
      });
    }
  }
});
