import { expect, test } from '@playwright/test';

import { card, form, openBoard, seedPost, unique } from './support';

test.describe('phone layout', () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true });

  test('the board comes first; the form opens behind "New post"', async ({ page, request }) => {
    const existing = unique('Read on a phone');
    await seedPost(request, { title: existing });
    await openBoard(page, 'new');
    const toggle = page.getByRole('button', { name: 'New post' });
    const f = form(page);

    await expect(toggle).toBeVisible();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(f.title).toBeHidden();
    // The first post is on the first screen.
    const first = page.getByTestId('post').first();
    await expect(first).toBeInViewport();

    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await expect(f.title).toBeVisible();
    await expect(f.title).toBeFocused();

    const title = unique('Posted from a phone');
    await f.title.fill(title);
    await f.text.fill('Thumbs only.');
    await f.submit.click();
    await expect(card(page, title)).toBeVisible();
    await expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await expect(f.title).toBeHidden();
    await expect(toggle).toBeFocused();
  });

  test('desktop keeps the form in the side column, without the button', async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await openBoard(page);
    await expect(form(page).title).toBeVisible();
    await expect(page.getByRole('button', { name: 'New post' })).toBeHidden();
    await context.close();
  });
});
