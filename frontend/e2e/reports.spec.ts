import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

import { card, openBoard, reportAs, seedPost, toasts, unique } from './support';

// The e2e server hides a post at its second client's report (REPORTS_TO_HIDE=2, scripts/e2e.sh).
test.describe('reporting a post', () => {
  test('from the keyboard: the dialog, the thanks, and the post leaves another page live', async ({
    page,
    browser,
  }) => {
    const title = unique('Report me');
    const staying = unique('Stay');
    const reported = await seedPost(page.request, { title });
    await seedPost(page.request, { title: staying });
    const other = await browser.newPage();
    await openBoard(other, 'new');
    await expect(card(other, title)).toBeVisible();
    await expect(other.getByTestId('live-status')).toHaveText(/Live/);

    await openBoard(page, 'new');
    const report = card(page, title).getByRole('button', { name: `Report ${title}` });
    await report.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Report this post' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(title);

    // Sending without a reason asks for one.
    await dialog.getByRole('button', { name: 'Send report' }).click();
    await expect(dialog.getByRole('alert')).toHaveText('Choose a reason.');

    const { violations } = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
      .include('dialog')
      .analyze();
    expect(violations.map((v) => v.id)).toEqual([]);

    await dialog.getByRole('radio', { name: 'Spam or advertising' }).check();
    await dialog.getByLabel('Anything to add? (optional)').fill('Sells watches.');
    await dialog.getByRole('button', { name: 'Send report' }).press('Enter');
    await expect(
      toasts(page).filter({ hasText: 'Thank you. A moderator will look at this post.' }),
    ).toBeVisible();
    await expect(dialog).toBeHidden();
    // One client's report does not hide a post; a second client's does.
    await expect(card(page, title)).toBeVisible();
    await reportAs(page.request, reported.id, '203.0.113.21');

    // Hidden by the reports: gone from both boards without a reload, the rest stays.
    await expect(card(other, title)).toHaveCount(0);
    await expect(card(page, title)).toHaveCount(0);
    await expect(card(other, staying)).toBeVisible();
    await other.close();
  });

  test('Escape closes the dialog without reporting, and the focus goes back', async ({ page }) => {
    const title = unique('Not reported');
    await seedPost(page.request, { title });
    await openBoard(page, 'new');
    const report = card(page, title).getByRole('button', { name: `Report ${title}` });
    await report.click();
    const dialog = page.getByRole('dialog', { name: 'Report this post' });
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(report).toBeFocused();
    await page.reload();
    await expect(card(page, title)).toBeVisible();
  });
});
