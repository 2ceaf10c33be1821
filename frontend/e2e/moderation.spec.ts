import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

import { card, openBoard, seedPost, toasts, unique } from './support';

/** Made by scripts/e2e.sh with `postboard moderator add`. */
const TOKEN = process.env['E2E_MODERATOR_TOKEN'] ?? '';
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

test.describe('moderating', () => {
  test.skip(!TOKEN, 'needs E2E_MODERATOR_TOKEN (scripts/e2e.sh makes one)');

  test('a report reaches the queue in a second browser; the removal leaves the first page live', async ({
    page,
    browser,
  }) => {
    const title = unique('Moderate me');
    const staying = unique('Stays');
    await seedPost(page.request, { title });
    await seedPost(page.request, { title: staying });
    await openBoard(page, 'new');
    await expect(page.getByTestId('live-status')).toHaveText(/Live/);

    await card(page, title)
      .getByRole('button', { name: `Report ${title}` })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Report this post' });
    await dialog.getByRole('radio', { name: 'Spam or advertising' }).check();
    await dialog.getByLabel('Anything to add? (optional)').fill('Sells watches.');
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await expect(dialog).toBeHidden();
    await expect(card(page, title)).toBeVisible();

    // A second browser: the token once, from the keyboard, then the queue.
    const context = await browser.newContext();
    const moderator = await context.newPage();
    await moderator.goto('/mod');
    await moderator.getByLabel('Moderator token').fill(TOKEN);
    await moderator.keyboard.press('Enter');
    const queued = moderator.getByTestId('queued-post').filter({ hasText: title });
    await expect(queued).toBeVisible();
    await expect(queued).toContainText('Spam or advertising: 1');
    await expect(queued).toContainText('Sells watches.');
    const { violations } = await new AxeBuilder({ page: moderator }).withTags(WCAG).analyze();
    expect(violations.map((v) => v.id)).toEqual([]);

    await queued.getByRole('button', { name: 'Remove', exact: true }).focus();
    await moderator.keyboard.press('Enter');
    await expect(toasts(moderator).filter({ hasText: 'Removed.' })).toBeVisible();
    await expect(queued).toHaveCount(0);

    // Gone from the first page without a reload; the rest stays.
    await expect(card(page, title)).toHaveCount(0);
    await expect(card(page, staying)).toBeVisible();

    // The public log says what happened, and its page passes axe too.
    await moderator.goto('/modlog');
    await expect(moderator.getByTestId('mod-log')).toContainText('Removed');
    await expect(moderator.getByTestId('mod-log')).toContainText('e2e-moderator');
    const log = await new AxeBuilder({ page: moderator }).withTags(WCAG).analyze();
    expect(log.violations.map((v) => v.id)).toEqual([]);
    await context.close();
  });

  test('a wrong token is refused with a toast and asked for again', async ({ page }) => {
    await page.goto('/mod');
    await page.getByLabel('Moderator token').fill('not-a-token');
    await page.getByRole('button', { name: 'Open the queue' }).click();
    await expect(
      toasts(page).filter({ hasText: 'This moderator token is not valid' }),
    ).toBeVisible();
    await expect(page.getByLabel('Moderator token')).toBeVisible();
  });

  test('the footer links to the public moderation log', async ({ page }) => {
    await openBoard(page);
    await page.getByRole('contentinfo').getByRole('link', { name: 'Moderation log' }).click();
    await expect(page).toHaveURL(/\/modlog$/);
    await expect(page.getByRole('heading', { name: 'Moderation log' })).toBeVisible();
  });
});
