import { Browser, Page, expect, test } from '@playwright/test';

import { card, form, newPostsButton, openBoard, seedPost, unique } from './support';

/** A second, separate browser (own storage, own EventSource) looking at the board. */
async function otherBrowser(browser: Browser, sort: 'hot' | 'new' | 'top'): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await openBoard(page, sort);
  await expect(page.getByTestId('live-status')).toHaveText(/Live/);
  return page;
}

test.describe('live board (GET /events) across two browsers', () => {
  test('a post and a vote made in one show in the other without a reload', async ({
    page,
    browser,
    request,
  }) => {
    const tag = unique('Live');
    // Enough posts below the top for the reader to scroll.
    for (let i = 0; i < 8; i++) {
      await seedPost(request, { title: `${tag} filler ${i}`, post: 'Lorem ipsum. '.repeat(40) });
    }
    const voted = `${tag} voted`;
    const seeded = await seedPost(request, { title: voted });

    const reader = await otherBrowser(browser, 'new');
    await openBoard(page, 'new');
    await expect(page.getByTestId('live-status')).toHaveText(/Live/);

    // A vote here moves the score there.
    await card(page, voted)
      .getByRole('button', { name: `Upvote ${voted}` })
      .click();
    await expect(card(page, voted).getByTestId('score')).toHaveText('1');
    await expect(card(reader, voted).getByTestId('score')).toHaveText('1');

    // The reader scrolls down to a post and reads.
    const anchor = card(reader, `${tag} filler 3`);
    await anchor.scrollIntoViewIfNeeded();
    await reader.evaluate(() => window.scrollBy(0, 200));
    const scrollBefore = await reader.evaluate(() => window.scrollY);
    expect(scrollBefore).toBeGreaterThan(0);
    const anchorBefore = (await anchor.boundingBox())!.y;

    // A post made here...
    const title = unique('Fresh from the other browser');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('Sent live.');
    await f.submit.click();
    await expect(card(page, title)).toBeVisible();

    // ...waits above the reader's board: announced, not inserted, nothing moves.
    const button = newPostsButton(reader);
    await expect(button).toHaveText(/1 new post/);
    await expect(reader.locator('[aria-live="polite"]').filter({ has: button })).toHaveCount(1);
    await expect(card(reader, title)).toHaveCount(0);
    expect(await reader.evaluate(() => window.scrollY)).toBe(scrollBefore);
    expect((await anchor.boundingBox())!.y).toBeCloseTo(anchorBefore, 0);

    // Showing it puts it on top and takes the focus there.
    await button.click();
    await expect(card(reader, title)).toBeVisible();
    await expect(card(reader, title)).toBeFocused();
    await expect(reader.getByTestId('post').first()).toContainText(title);
    await expect(button).toHaveCount(0);

    // A deletion there disappears here... (the API deletes with the token of the seeded post)
    const gone = await request.delete(`/post/${seeded.id}`, {
      headers: { Authorization: `Bearer ${seeded.delete_token}` },
    });
    expect(gone.status()).toBe(204);
    await expect(card(reader, voted)).toHaveCount(0);
    await expect(card(page, voted)).toHaveCount(0);
    await reader.context().close();
  });

  test('in the top view, a new post is announced and loads the ranked first page', async ({
    browser,
    request,
  }) => {
    // A post at the top of "Top", whose score changes show that events arrive.
    const leader = await seedPost(request, { title: unique('Leader') });
    const best = (await (await request.get('/post?sort=top&limit=1')).json()) as {
      score: number;
    }[];
    const vote = () =>
      request.post('/update-post-score', { data: { post_id: leader.id, score_increase: 1 } });
    const target = Math.max(0, best[0]?.score ?? 0) + 1;
    for (let i = 0; i < target; i++) {
      expect((await vote()).status()).toBe(200);
    }
    const reader = await otherBrowser(browser, 'top');
    await expect(reader.getByTestId('post').first()).toContainText(leader.title);

    const title = unique('Not yet in top');
    await seedPost(request, { title });
    // Events come in order: once this vote shows, the post event has been handled.
    expect((await vote()).status()).toBe(200);
    await expect(card(reader, leader.title).getByTestId('score')).toHaveText(String(target + 1));
    // Announced, not inserted: only the server knows where it ranks.
    await expect(newPostsButton(reader)).toHaveText(/1 new post/);
    await expect(card(reader, title)).toHaveCount(0);
    await newPostsButton(reader).click();
    await expect(newPostsButton(reader)).toHaveCount(0);
    await expect(reader.getByTestId('post').first()).toContainText(leader.title);
    await expect(reader.getByRole('heading', { name: 'Board', level: 2 })).toBeFocused();
    await reader.context().close();
  });

  test('in the default hot view, a post made on another page shows "1 new post"', async ({
    page,
    browser,
    request,
  }) => {
    await seedPost(request, { title: unique('Already there') });
    const reader = await otherBrowser(browser, 'hot');
    await openBoard(page);
    await expect(page.getByTestId('live-status')).toHaveText(/Live/);

    const title = unique('Hot off the press');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('Made on the other page.');
    await f.submit.click();
    await expect(card(page, title)).toBeVisible();

    await expect(newPostsButton(reader)).toHaveText(/(^|\s)1 new post\s*$/);
    await expect(card(reader, title)).toHaveCount(0);
    await newPostsButton(reader).click();
    await expect(card(reader, title)).toBeVisible();
    await expect(newPostsButton(reader)).toHaveCount(0);
    await reader.context().close();
  });

  test('"Pause live updates" stops a score from changing, remembers it, and resumes', async ({
    page,
    request,
  }) => {
    const seeded = await seedPost(request, { title: unique('Paused') });
    await openBoard(page, 'new');
    await expect(page.getByTestId('live-status')).toHaveText(/Live/);
    const toggle = page.getByRole('button', { name: 'Pause live updates' });
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');

    const vote = await request.post('/update-post-score', {
      data: { post_id: seeded.id, score_increase: 1 },
    });
    expect(vote.status()).toBe(200);
    await expect(page.getByTestId('live-status')).toContainText('paused, 1 change waiting');
    await expect(card(page, seeded.title).getByTestId('score')).toHaveText('0');

    await toggle.click();
    await expect(card(page, seeded.title).getByTestId('score')).toHaveText('1');
    await expect(page.getByTestId('live-status')).not.toContainText('paused');

    // The choice outlives a reload.
    await toggle.click();
    await page.reload();
    await expect(page.getByRole('button', { name: 'Pause live updates' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
  });
});
