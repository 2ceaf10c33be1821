/**
 * The limits of a post (API.md, "Creating"), in ONE place. Validation, the form's counters and
 * hints, and every message take them from here. The server checks them again and its answer
 * wins (its image limit is configurable; this is its default).
 */
export const POST_LIMITS = {
  /** Title: 1..=100 characters (code points) after trimming. */
  title: 100,
  /** Text: 1..=10000 characters (code points) after trimming. */
  text: 10_000,
  /** Username: at most 50 characters (code points) after trimming. */
  username: 50,
  /** Image: at most 10 MiB. */
  imageBytes: 10 * 1024 * 1024,
} as const;

/** Image types the server accepts (it decides by the bytes; this is for the picker). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
/** File name endings accepted when the browser reports no MIME type. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.gif', '.webp'] as const;

/** "10 MiB", "2.5 MiB": sizes as the messages show them. */
export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** The hint under the image picker. */
export const IMAGE_HINT = `PNG, JPEG, GIF or WebP, up to ${formatMiB(POST_LIMITS.imageBytes)}.`;
