/**
 * Client-side checks mirroring API.md. They only spare the user a round trip: the server
 * re-checks everything and its answer wins.
 */

export const TITLE_MAX = 100;
export const TEXT_MAX = 10000;
export const USERNAME_MAX = 50;
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.webp'] as const;

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
  if (length > TITLE_MAX) {
    return `Title must be at most ${TITLE_MAX} characters.`;
  }
  return null;
}

export function validateText(value: string): string | null {
  const length = codePointLength(value.trim());
  if (length === 0) {
    return 'Text is required.';
  }
  if (length > TEXT_MAX) {
    return `Text must be at most ${TEXT_MAX} characters.`;
  }
  return null;
}

export function validateUsername(value: string): string | null {
  if (codePointLength(value.trim()) > USERNAME_MAX) {
    return `Username must be at most ${USERNAME_MAX} characters.`;
  }
  return null;
}

function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/**
 * The type is judged by the browser's MIME type, or by the extension when the browser gives
 * none. The server decides by the bytes.
 */
export function validateImage(file: File | null, maxBytes: number): string | null {
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
