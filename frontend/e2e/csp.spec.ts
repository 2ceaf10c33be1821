import { expect, test } from '@playwright/test';

import { card, form, gradientPng, unique } from './support';

test('the app runs under the Content-Security-Policy the backend sends, without violations', async ({
  page,
}) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const response = await page.goto('/?sort=new');
  const csp = response?.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  await expect(page.getByTestId('live-status')).toHaveText(/Live/);

  // Post with an image: the preview is a blob: URL, the card loads a variant.
  const title = unique('Under CSP');
  const f = form(page);
  await f.title.fill(title);
  await f.text.fill('No inline script needed.');
  await f.file.setInputFiles({ name: 'c.png', mimeType: 'image/png', buffer: gradientPng(5) });
  await expect(page.getByAltText('Preview of the chosen image')).toBeVisible();
  await f.submit.click();
  const image = card(page, title).getByRole('img', { name: title });
  await expect
    .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
    .toBeGreaterThan(0);
  // Another view, same page: the sort switch and a reload of the list.
  await page.getByRole('button', { name: 'Top', exact: true }).click();
  await expect(page.getByTestId('post').first()).toBeVisible();

  expect(
    await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations),
  ).toEqual([]);
});
