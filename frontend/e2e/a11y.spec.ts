import AxeBuilder from '@axe-core/playwright';
import { Page, expect, test } from '@playwright/test';

import {
  card,
  form,
  gradientPng,
  newPostsButton,
  openBoard,
  openForm,
  seedPost,
  toasts,
  unique,
} from './support';

/** WCAG 2.2 A/AA rules of axe-core; a result lists every violation with its nodes. */
async function expectNoViolations(page: Page, include?: string): Promise<void> {
  let builder = new AxeBuilder({ page }).withTags([
    'wcag2a',
    'wcag2aa',
    'wcag21a',
    'wcag21aa',
    'wcag22aa',
  ]);
  if (include) {
    builder = builder.include(include);
  }
  const { violations } = await builder.analyze();
  const summary = violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(' ')),
  }));
  expect(summary).toEqual([]);
}

test.describe('accessibility (axe-core)', () => {
  test.beforeEach(async ({ page }) => {
    // Toasts fade in: check colours at rest, not half-way through an animation.
    await page.emulateMedia({ reducedMotion: 'reduce' });
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`the board and the form, ${colorScheme}`, async ({ page, request }) => {
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      const mine = unique('Axe mine');
      await seedPost(request, {
        title: unique('Axe picture'),
        image: { name: 'a.png', mimeType: 'image/png', buffer: gradientPng(11) },
      });
      await openBoard(page, 'new');
      // An own post (Delete button) and a pressed vote, too.
      const f = form(page);
      await f.title.fill(mine);
      await f.text.fill('Checked by axe.');
      await f.submit.click();
      await expect(card(page, mine)).toBeVisible();
      await card(page, mine)
        .getByRole('button', { name: `Upvote ${mine}` })
        .click();
      await expect(page.getByTestId('live-status')).toHaveText(/Live/);
      await expectNoViolations(page);

      // The in-page delete confirmation.
      await card(page, mine)
        .getByRole('button', { name: `Delete ${mine}` })
        .click();
      await expect(card(page, mine).getByRole('group', { name: /Delete this post/ })).toBeVisible();
      await expectNoViolations(page);

      // The form with its errors shown.
      await f.title.fill('');
      await f.text.fill('');
      await f.submit.click();
      await expect(page.getByText('Title is required.')).toBeVisible();
      await expectNoViolations(page, 'form');
    });
  }

  test('the error toast', async ({ page }) => {
    await openBoard(page);
    const f = form(page);
    await f.title.fill(unique('Axe toast'));
    await f.text.fill('Bytes that are not an image.');
    await f.file.setInputFiles({
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not a png at all'),
    });
    await f.submit.click();
    await expect(toasts(page).first()).toBeVisible();
    await expectNoViolations(page);
  });

  test('the "new posts" button', async ({ page, request }) => {
    await seedPost(request, { title: unique('Axe before') });
    await openBoard(page, 'new');
    await expect(page.getByTestId('live-status')).toHaveText(/Live/);
    // Created elsewhere (through the API), announced here.
    await seedPost(request, { title: unique('Axe after') });
    await expect(newPostsButton(page)).toBeVisible();
    await expectNoViolations(page);
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    test(`a post's own page and search results, ${colorScheme}`, async ({ page, request }) => {
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      const word = `axe${Date.now().toString(36)}`;
      const seeded = await seedPost(request, {
        title: unique(`Axe page ${word}`),
        image: { name: 'p.png', mimeType: 'image/png', buffer: gradientPng(13) },
      });
      await page.goto(`/p/${seeded.id}`);
      await expect(card(page, seeded.title)).toBeVisible();
      await expectNoViolations(page);

      await page.goto(`/?q=${word}`);
      await expect(card(page, seeded.title).locator('h2 mark')).toBeVisible();
      await expect(page.getByTestId('live-status')).toHaveText(/Live/);
      await page.getByRole('button', { name: 'Pause live updates' }).click();
      await expectNoViolations(page);
      await page.getByRole('button', { name: 'Pause live updates' }).click();

      await page.goto(`/?q=nothing${word}`);
      await expect(page.getByTestId('no-match')).toBeVisible();
      await expectNoViolations(page);
    });
  }

  test('the phone layout with the form open', async ({ browser }) => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      reducedMotion: 'reduce',
    });
    const page = await context.newPage();
    await openBoard(page);
    await expectNoViolations(page);
    await openForm(page);
    await expectNoViolations(page);
    await context.close();
  });
});
