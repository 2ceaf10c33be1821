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

/** Text direction controls, which a title or a name may not hold (they reorder what shows). */
const DIRECTION_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/**
 * The characters that draw nothing (the server's `INVISIBLE`, domain/text.rs): a title or a name
 * of only these and whitespace is blank. Code point ranges, not a regex class: some of them are
 * combining marks, which a character class would join with their neighbours.
 */
const INVISIBLE: readonly (readonly [number, number])[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x2060, 0x2064],
  [0x206a, 0x206f],
  [0x2800, 0x2800],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff9, 0xfffb],
];

function showsNothing(value: string): boolean {
  return Array.from(value).every((c) => {
    const code = c.codePointAt(0)!;
    return /\s/.test(c) || INVISIBLE.some(([first, last]) => code >= first && code <= last);
  });
}

function directionControlIn(label: string, value: string): string | null {
  return DIRECTION_CONTROL.test(value)
    ? `${label} must not contain text direction controls (U+202A to U+202E, U+2066 to U+2069).`
    : null;
}

export function validateTitle(value: string): string | null {
  const length = codePointLength(value.trim());
  if (length === 0 || showsNothing(value)) {
    return 'Title is required.';
  }
  const control = directionControlIn('Title', value);
  if (control) {
    return control;
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
  const control = directionControlIn('Username', value);
  if (control) {
    return control;
  }
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
