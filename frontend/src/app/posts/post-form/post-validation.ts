/**
 * Client-side checks mirroring API.md. They only spare the user a round trip: the server
 * re-checks everything and its answer wins.
 */

import { IMAGE_EXTENSIONS, IMAGE_TYPES, POST_LIMITS, formatMiB } from '../post-limits';

/**
 * Length in Unicode scalar values (code points), as the server counts: "😀" is 1, not 2.
 */
export function codePointLength(value: string): number {
  return Array.from(value).length;
}

export function validateTitle(value: string): string | null {
  const length = codePointLength(value.trim());
  if (length === 0) {
    return 'Title is required.';
  }
  if (length > POST_LIMITS.title) {
    return `Title must be at most ${POST_LIMITS.title} characters.`;
  }
  return null;
}

export function validateText(value: string): string | null {
  const length = codePointLength(value.trim());
  if (length === 0) {
    return 'Text is required.';
  }
  if (length > POST_LIMITS.text) {
    return `Text must be at most ${POST_LIMITS.text} characters.`;
  }
  return null;
}

export function validateUsername(value: string): string | null {
  if (codePointLength(value.trim()) > POST_LIMITS.username) {
    return `Username must be at most ${POST_LIMITS.username} characters.`;
  }
  return null;
}

/**
 * The type is judged by the browser's MIME type, or by the extension when the browser gives
 * none. The server decides by the bytes.
 */
export function validateImage(
  file: File | null,
  maxBytes: number = POST_LIMITS.imageBytes,
): string | null {
  if (!file) {
    return null;
  }
  const type = file.type.toLowerCase();
  const name = file.name.toLowerCase();
  const typeOk = type
    ? (IMAGE_TYPES as readonly string[]).includes(type)
    : IMAGE_EXTENSIONS.some((ext) => name.endsWith(ext));
  if (!typeOk) {
    return 'Choose a PNG, JPEG, GIF or WebP image.';
  }
  if (file.size > maxBytes) {
    return `Image must be at most ${formatMiB(maxBytes)} (this one is ${formatMiB(file.size)}).`;
  }
  return null;
}
