import { expect, test } from '@playwright/test';

import { card, form, gradientPng, loadUntilVisible, openBoard, seedPost, unique } from './support';

test.describe('Postboard against the real backend', () => {
  test('creates a post with a PNG and shows it with its image loaded', async ({ page }) => {
    const title = unique('Sunset');
    await openBoard(page, 'new');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('A picture from the e2e test.');
    await f.username.fill('e2e-bot');
    await f.file.setInputFiles({
      name: 'sunset.png',
      mimeType: 'image/png',
      buffer: gradientPng(1),
    });
    await expect(page.getByAltText('Preview of the chosen image')).toBeVisible();
    await f.submit.click();

    const post = card(page, title);
    await expect(post).toBeVisible();
    await expect(post).toContainText('e2e-bot');
    await expect(post).toContainText('A picture from the e2e test.');
    await expect(post.getByTestId('score')).toHaveText('0');
    await expect(f.title).toHaveValue('');

    const image = post.getByRole('img', { name: title });
    await image.scrollIntoViewIfNeeded();
    // A 64 px wide image: the smallest variant is the only one listed, and it is not upscaled.
    await expect(image).toHaveAttribute('src', /^\/image\/[0-9a-f]{64}\?width=320$/);
    await expect(image).toHaveAttribute('width', '64');
    await expect(image).toHaveAttribute('height', '40');
    await expect
      .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    // Drawn at its own 64 px (srcset descriptors make naturalWidth density-corrected).
    expect((await image.boundingBox())?.width).toBeCloseTo(64, 0);

    // The new post is the newest: it is first on a fresh load of the "new" view too.
    await page.reload();
    await expect(page.getByTestId('post').first()).toContainText(title);
  });

  test('removing the chosen image posts without one', async ({ page }) => {
    const title = unique('No picture after all');
    await page.goto('/');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('Changed my mind.');
    await f.file.setInputFiles({ name: 'a.png', mimeType: 'image/png', buffer: gradientPng(2) });
    await page.getByRole('button', { name: 'Remove image' }).click();
    await expect(page.getByAltText('Preview of the chosen image')).toHaveCount(0);
    await f.submit.click();
    const post = card(page, title);
    await expect(post).toBeVisible();
    await expect(post).toContainText('anonymous');
    await expect(post.getByRole('img')).toHaveCount(0);
  });

  test('a 101-character title is refused: next to the field and by the server', async ({
    page,
    request,
  }) => {
    const title = 'x'.repeat(101);
    // The server is the authority: it refuses the title with this user_message.
    const response = await request.post('/post', {
      multipart: { title, post: 'too long a title', username: '' },
    });
    expect(response.status()).toBe(422);
    const serverMessage = ((await response.json()) as { detail: { user_message: string } }).detail
      .user_message;
    expect(serverMessage).toMatch(/100/);

    // The form says the same thing next to the field before sending anything.
    await page.goto('/');
    const f = form(page);
    await f.title.fill(title);
    await f.text.fill('too long a title');
    await f.submit.click();
    await expect(page.getByText('Title must be at most 100 characters.')).toBeVisible();
    await expect(f.title).toHaveAttribute('aria-invalid', 'true');
    await expect(f.title).toBeFocused();

    // 100 characters counted as code points (emoji are 2 UTF-16 units) are fine.
    const emojiTitle = '😀'.repeat(60) + unique('').replace(/\s/g, '').slice(0, 40).padEnd(40, 'y');
    await f.title.fill(emojiTitle);
    await expect(page.getByText('Title must be at most 100 characters.')).toHaveCount(0);
    await f.submit.click();
    await expect(card(page, emojiTitle)).toBeVisible();
  });

  test('a file that is not an image is refused with a message', async ({ page }) => {
    await page.goto('/');
    const f = form(page);
    await f.title.fill(unique('Not an image'));
    await f.text.fill('This should not be posted.');

    // Obviously not an image: the form says so next to the picker.
    await f.file.setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('just some text'),
    });
    await expect(page.getByText('Choose a PNG, JPEG, GIF or WebP image.')).toBeVisible();
    await f.submit.click();
    await expect(f.file).toBeFocused();

    // Named and typed like a PNG but its bytes are not: only the server can tell, and the
    // toast shows its user_message.
    const title = unique('Fake PNG');
    await f.title.fill(title);
    await f.file.setInputFiles({
      name: 'fake.png',
      mimeType: 'image/png',
      buffer: Buffer.from('definitely not a PNG file'),
    });
    await expect(page.getByText('Choose a PNG, JPEG, GIF or WebP image.')).toHaveCount(0);
    const responsePromise = page.waitForResponse(
      (r) => r.url().endsWith('/post') && r.request().method() === 'POST',
    );
    await f.submit.click();
    const response = await responsePromise;
    expect(response.status()).toBe(415);
    const { detail } = (await response.json()) as { detail: { user_message: string } };
    // Shown in the polite live region.
    await expect(
      page
        .locator('[aria-live="polite"]')
        .getByTestId('toast')
        .filter({ hasText: detail.user_message }),
    ).toBeVisible();
    // Nothing was posted and the form keeps what the user typed.
    await expect(card(page, title)).toHaveCount(0);
    await expect(f.title).toHaveValue(title);
  });

  test('reload keeps posts, images and scores', async ({ page, request }) => {
    const withImage = unique('Kept with image');
    const plain = unique('Kept plain');
    const seeded = await seedPost(request, {
      title: withImage,
      image: { name: 'k.png', mimeType: 'image/png', buffer: gradientPng(3) },
    });
    await seedPost(request, { title: plain, username: 'keeper' });
    const vote = await request.post('/update-post-score', {
      data: { post_id: seeded.id, score_increase: 1 },
    });
    expect(vote.status()).toBe(200);

    for (let i = 0; i < 2; i++) {
      await openBoard(page, 'new');
      await expect(card(page, plain)).toContainText('keeper');
      const post = card(page, withImage);
      await expect(post.getByTestId('score')).toHaveText('1');
      const image = post.getByRole('img', { name: withImage });
      await image.scrollIntoViewIfNeeded();
      await expect
        .poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth))
        .toBeGreaterThan(0);
      await page.reload();
    }
  });

  test('"load more" reaches old posts', async ({ page, request }) => {
    test.setTimeout(120_000);
    const tag = unique('Old');
    const oldest = `${tag} #00`;
    for (let i = 0; i < 56; i++) {
      await seedPost(request, { title: `${tag} #${String(i).padStart(2, '0')}` });
    }
    await openBoard(page, 'new');
    await expect(card(page, `${tag} #55`)).toBeVisible();
    await expect(card(page, oldest)).toHaveCount(0);
    await loadUntilVisible(page, oldest);
    await expect(card(page, oldest)).toBeVisible();
    // Every seeded post shows exactly once, newest first.
    const titles = await page.getByTestId('post').getByRole('heading').allTextContents();
    const ours = titles.filter((t) => t.startsWith(tag));
    expect(ours).toHaveLength(56);
    expect(ours[0]).toBe(`${tag} #55`);
    expect(ours.at(-1)).toBe(oldest);
  });

  test('"Top" orders by score', async ({ page, request }) => {
    const title = unique('Best post');
    const best = await seedPost(request, { title });
    // Lift it above everything else on the board.
    const all = (await (await request.get('/post?sort=top&limit=1')).json()) as { score: number }[];
    const target = Math.max(0, all[0]?.score ?? 0) + 1;
    for (let i = 0; i < target; i++) {
      await request.post('/update-post-score', { data: { post_id: best.id, score_increase: 1 } });
    }
    await page.goto('/');
    const top = page.getByRole('button', { name: 'Top', exact: true });
    await top.click();
    await expect(top).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('post').first()).toContainText(title);
  });

  test('keyboard-only posting works', async ({ page }) => {
    const title = unique('Typed without a mouse');
    await page.goto('/');
    const f = form(page);

    // Tab from the top of the page to the title field.
    for (
      let i = 0;
      i < 10 && !(await f.title.evaluate((el) => el === document.activeElement));
      i++
    ) {
      await page.keyboard.press('Tab');
    }
    await expect(f.title).toBeFocused();
    await page.keyboard.type(title);
    await page.keyboard.press('Tab');
    await expect(f.text).toBeFocused();
    await page.keyboard.type('Only the keyboard was used.');
    await page.keyboard.press('Tab');
    await expect(f.username).toBeFocused();
    await page.keyboard.type('keys');
    // Past the image picker to the submit button.
    for (
      let i = 0;
      i < 5 && !(await f.submit.evaluate((el) => el === document.activeElement));
      i++
    ) {
      await page.keyboard.press('Tab');
    }
    await expect(f.submit).toBeFocused();
    await page.keyboard.press('Enter');

    const post = card(page, title);
    await expect(post).toBeVisible();
    await expect(post).toContainText('keys');

    // Vote with the keyboard too.
    const up = post.getByRole('button', { name: `Upvote ${title}` });
    await up.focus();
    await page.keyboard.press('Enter');
    await expect(post.getByTestId('score')).toHaveText('1');
  });
});
