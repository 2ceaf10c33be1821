import { deflateSync } from 'node:zlib';

import { APIRequestContext, Locator, Page, expect } from '@playwright/test';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Encodes a valid RGB PNG whose pixels come from `color(x, y)`. */
export function makePng(
  width: number,
  height: number,
  color: (x: number, y: number) => [number, number, number],
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, default compression/filter/interlace
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) {
      raw.set(color(x, y), row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small gradient PNG; `seed` varies the colours so each test uploads distinct bytes. */
export function gradientPng(seed = 0, width = 64, height = 40): Buffer {
  return makePng(width, height, (x, y) => [
    (x * 4 + seed * 37) % 256,
    (y * 6 + seed * 11) % 256,
    (160 + seed * 53) % 256,
  ]);
}

/** Unique text per run so tests never depend on what else is on the board. */
export function unique(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export interface SeedPost {
  title: string;
  post?: string;
  username?: string;
  image?: { name: string; mimeType: string; buffer: Buffer };
}

/** A post as the API answers `POST /post` (the delete token only there). */
export interface SeededPost {
  id: number;
  title: string;
  score: number;
  image_hash: string | null;
  image_width: number | null;
  image_height: number | null;
  delete_token: string;
}

/** Creates a post through the real API (multipart, like the form) and returns its JSON. */
export async function seedPost(request: APIRequestContext, seed: SeedPost): Promise<SeededPost> {
  const multipart: Record<string, string | { name: string; mimeType: string; buffer: Buffer }> = {
    title: seed.title,
    post: seed.post ?? `Body of ${seed.title}`,
    username: seed.username ?? '',
  };
  if (seed.image) {
    multipart['file'] = seed.image;
  }
  const response = await request.post('/post', { multipart });
  expect(response.status(), await response.text()).toBe(201);
  return (await response.json()) as SeededPost;
}

/**
 * Reports post `id` as another client: the e2e server trusts loopback's X-Forwarded-For
 * (scripts/e2e.sh), and a post is hidden by two different clients' reports.
 */
export async function reportAs(
  request: APIRequestContext,
  id: number,
  client: string,
  reason = 'spam',
): Promise<void> {
  const response = await request.post(`/post/${id}/report`, {
    headers: { 'X-Forwarded-For': client },
    data: { reason },
  });
  expect(response.status(), await response.text()).toBe(202);
}

/** The post with this id as `GET /post` lists it (newest first), or undefined. */
export async function fetchPost(request: APIRequestContext, id: number) {
  const response = await request.get('/post?sort=new&limit=200');
  expect(response.status()).toBe(200);
  const posts = (await response.json()) as { id: number; title: string; score: number }[];
  return posts.find((p) => p.id === id);
}

/** Opens the board, in the given order (`?sort=`) or the default (hot). */
export async function openBoard(page: Page, sort?: 'hot' | 'new' | 'top'): Promise<void> {
  await page.goto(sort ? `/?sort=${sort}` : '/');
  await expect(page.getByRole('heading', { name: 'Board', level: 2, exact: true })).toBeVisible();
}

/** On a narrow screen the form waits behind "New post": open it when it is closed. */
export async function openForm(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: 'New post' });
  if ((await toggle.isVisible()) && (await toggle.getAttribute('aria-expanded')) === 'false') {
    await toggle.click();
  }
  await expect(form(page).title).toBeVisible();
}

/** The "N new posts" button above the board. */
export function newPostsButton(page: Page): Locator {
  return page.getByRole('button', { name: /^\d+ new posts?$/ });
}

/** The card of the post with this exact title. */
export function card(page: Page, title: string): Locator {
  return page
    .getByTestId('post')
    .filter({ has: page.getByRole('heading', { name: title, exact: true }) });
}

/** Clicks "Load more" until the post with this title shows (or no more pages exist). */
export async function loadUntilVisible(page: Page, title: string, maxPages = 50): Promise<void> {
  const target = card(page, title);
  const more = page.getByRole('button', { name: 'Load more' });
  for (let i = 0; i < maxPages; i++) {
    if (await target.count()) {
      return;
    }
    await expect(more.or(target).first()).toBeVisible();
    if (await target.count()) {
      return;
    }
    const before = await page.getByTestId('post').count();
    await more.click();
    await expect
      .poll(() => page.getByTestId('post').count(), { timeout: 10_000 })
      .toBeGreaterThan(before);
  }
  await expect(target).toBeVisible();
}

/** Fills the create form by mouse-free means and returns its locators. */
export function form(page: Page) {
  return {
    title: page.getByLabel('Title'),
    text: page.getByLabel('Text'),
    username: page.getByLabel('Name (optional)'),
    file: page.getByLabel('Image (optional)'),
    submit: page.getByRole('button', { name: 'Post', exact: true }),
  };
}

/** The toast region announcing messages. */
export function toasts(page: Page): Locator {
  return page.getByTestId('toast');
}
