import { expect, test } from '@playwright/test';

import { card, openBoard, seedPost, unique } from './support';

test.describe('search (GET /post?q=)', () => {
  test('finds posts by a word, marks it, opens a result; back and forward work', async ({
    page,
    request,
  }) => {
    // One word no other test writes, in two posts (with and without an accent) and not a third.
    const word = `kai${Date.now().toString(36)}`;
    const first = unique(`Quay ${word}`);
    const second = unique('Lighthouse');
    await seedPost(request, { title: first });
    await seedPost(request, { title: second, post: `The ${word.replace('a', 'á')} at night.` });
    const other = unique('Unrelated');
    await seedPost(request, { title: other });

    await openBoard(page);
    const field = page.getByRole('search').getByRole('searchbox', { name: 'Search posts' });
    await field.fill(word);
    await field.press('Enter');

    await expect(page).toHaveURL(new RegExp(`\\?q=${word}$`));
    await expect(page.getByRole('heading', { name: `Results for “${word}”` })).toBeVisible();
    await expect(page.getByTestId('post')).toHaveCount(2);
    await expect(card(page, first)).toBeVisible();
    await expect(card(page, second)).toBeVisible();
    await expect(card(page, other)).toHaveCount(0);
    // The title match ranks first; the word is marked, whatever its accent.
    await expect(page.getByTestId('post').first()).toContainText(first);
    await expect(card(page, first).locator('mark')).toHaveText([word, word]); // title and text
    await expect(card(page, second).locator('mark')).toHaveText(word.replace('a', 'á'));

    // A result opens its page; back returns to the results, then to the board.
    await card(page, second).getByRole('link', { name: second }).click();
    await expect(page.getByTestId('post')).toHaveCount(1);
    await page.goBack();
    await expect(page.getByRole('heading', { name: `Results for “${word}”` })).toBeVisible();
    await expect(field).toHaveValue(word);
    await page.goBack();
    await expect(page.getByRole('heading', { name: 'Board', level: 2, exact: true })).toBeVisible();
    await expect(field).toHaveValue('');
    await page.goForward();
    await expect(page.getByTestId('post')).toHaveCount(2);
  });

  test('says when nothing matches, and clearing goes back to the board', async ({ page }) => {
    await page.goto(`/?q=${unique('nomatch').replace(' ', '')}`);
    await expect(page.getByTestId('no-match')).toContainText('No posts match');
    await page.getByRole('button', { name: 'Clear search' }).click();
    await expect(page.getByRole('heading', { name: 'Board', level: 2, exact: true })).toBeVisible();
    await expect(page).toHaveURL(/\/$/);
  });
});
