import { expect, test } from '@playwright/test';

import { card, fetchPost, form, openBoard, seedPost, unique } from './support';

/** What this browser remembers: its own posts (delete tokens) and its votes. */
test.describe('own posts and votes, kept in this browser', () => {
  test('a post created here can be deleted from the page after a confirmation', async ({
    page,
    request,
  }) => {
    const title = unique('Delete me');
    const other = unique('Not mine');
    await seedPost(request, { title: other });
    await openBoard(page, 'new');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('Posted, then deleted.');
    const created = page.waitForResponse(
      (r) => r.url().endsWith('/post') && r.request().method() === 'POST',
    );
    await f.submit.click();
    const { id } = (await (await created).json()) as { id: number };
    const post = card(page, title);
    await expect(post).toBeVisible();

    // Posts from elsewhere have no Delete button: this browser has no token for them.
    await expect(card(page, other)).toBeVisible();
    await expect(card(page, other).getByRole('button', { name: /^Delete/ })).toHaveCount(0);

    // The token survives a reload (localStorage), and so does the button.
    await page.reload();
    const deleteButton = card(page, title).getByRole('button', { name: `Delete ${title}` });
    await deleteButton.click();

    // An in-page confirmation (no window.confirm): Cancel has the focus; Escape closes it.
    const confirm = card(page, title).getByRole('group', { name: /Delete this post/ });
    await expect(confirm).toBeVisible();
    await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(confirm).toHaveCount(0);
    await expect(deleteButton).toBeFocused();

    await deleteButton.click();
    const deleted = page.waitForResponse(
      (r) => r.url().endsWith(`/post/${id}`) && r.request().method() === 'DELETE',
    );
    await confirm.getByRole('button', { name: 'Yes, delete' }).click();
    const response = await deleted;
    expect(response.status()).toBe(204);
    expect(response.request().headers()['authorization']).toMatch(/^Bearer [A-Za-z0-9_-]{43}$/);
    await expect(card(page, title)).toHaveCount(0);
    await expect(
      page.getByTestId('toast').filter({ hasText: 'Your post was deleted.' }),
    ).toBeVisible();

    await page.reload();
    await expect(card(page, other)).toBeVisible();
    await expect(card(page, title)).toHaveCount(0);
    expect(await fetchPost(request, id)).toBeUndefined();
    // Forgotten: nothing about it is left in this browser.
    const stored = await page.evaluate(() => localStorage.getItem('postboard.deleteTokens.v1'));
    expect(stored ?? '{}').not.toContain(`"${id}"`);
  });

  test('a vote shows as given after a reload; the same arrow takes it back', async ({
    page,
    request,
  }) => {
    const title = unique('Vote on me');
    const seeded = await seedPost(request, { title });
    await openBoard(page, 'new');
    const post = card(page, title);
    const up = post.getByRole('button', { name: `Upvote ${title}` });
    const down = post.getByRole('button', { name: `Downvote ${title}` });
    const score = post.getByTestId('score');
    await expect(score).toHaveText('0');
    await expect(up).toHaveAttribute('aria-pressed', 'false');
    await expect(down).toHaveAttribute('aria-pressed', 'false');

    await up.click();
    await expect(up).toHaveAttribute('aria-pressed', 'true');
    await expect(score).toHaveText('1');
    await expect.poll(async () => (await fetchPost(request, seeded.id))?.score).toBe(1);

    await page.reload();
    await expect(up).toHaveAttribute('aria-pressed', 'true');
    await expect(down).toHaveAttribute('aria-pressed', 'false');
    await expect(score).toHaveText('1');

    // Pressing it again takes the vote back: one call with -1.
    const takeBack = page.waitForRequest((r) => r.url().endsWith('/update-post-score'));
    await up.click();
    expect((await takeBack).postDataJSON()).toEqual({ post_id: seeded.id, score_increase: -1 });
    await expect(up).toHaveAttribute('aria-pressed', 'false');
    await expect(score).toHaveText('0');
    await expect.poll(async () => (await fetchPost(request, seeded.id))?.score).toBe(0);

    // Down, then switching to up: the board and the server end at +1, one vote.
    await down.click();
    await expect(down).toHaveAttribute('aria-pressed', 'true');
    await expect(score).toHaveText('-1');
    await up.click();
    await expect(up).toHaveAttribute('aria-pressed', 'true');
    await expect(down).toHaveAttribute('aria-pressed', 'false');
    await expect(score).toHaveText('1');
    await expect.poll(async () => (await fetchPost(request, seeded.id))?.score).toBe(1);
    await page.reload();
    await expect(up).toHaveAttribute('aria-pressed', 'true');
    await expect(score).toHaveText('1');
  });
});
