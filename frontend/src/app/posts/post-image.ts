import { environment } from '../../environments/environment';
import { Post } from './post.model';

/** The widths the server offers as variants (`GET /image/{hash}?width=W`). */
export const IMAGE_VARIANT_WIDTHS = [320, 640, 1280] as const;

/**
 * The card's `sizes`: how wide an image is drawn. It matches the layout in styles.css and
 * post-card.css: an image is at most 40rem wide; below that it fills the card's body, which is
 * the viewport less 31rem (side column, gaps, card padding, vote column) from 56rem up, and the
 * viewport less 7rem on narrow screens.
 */
export const CARD_IMAGE_SIZES =
  '(min-width: 71rem) 40rem, (min-width: 56rem) calc(100vw - 31rem), ' +
  '(min-width: 47rem) 40rem, calc(100vw - 7rem)';

/** URL of a stored image: the original, or the variant `width` pixels wide. */
export function imageUrl(hash: string, width?: number): string {
  const url = `${environment.apiBaseUrl}/image/${encodeURIComponent(hash)}`;
  return width === undefined ? url : `${url}?width=${width}`;
}

/**
 * The variants worth listing for an image `imageWidth` pixels wide, each with the width it
 * really has. Variants are never upscaled: past the first variant at least as wide as the
 * image, every other one would be the same picture again, so the list stops there. A variant
 * wider than the image comes back at the image's own width, and its descriptor says so.
 */
export function imageVariants(imageWidth: number): { width: number; actual: number }[] {
  const variants: { width: number; actual: number }[] = [];
  for (const width of IMAGE_VARIANT_WIDTHS) {
    variants.push({ width, actual: Math.min(width, imageWidth) });
    if (width >= imageWidth) {
      break;
    }
  }
  return variants;
}

/** The `srcset` of an image of known width: `/image/h?width=320 320w, ...`. */
export function imageSrcset(hash: string, imageWidth: number): string {
  return imageVariants(imageWidth)
    .map((v) => `${imageUrl(hash, v.width)} ${v.actual}w`)
    .join(', ');
}

/** What a card needs to draw a post's image. */
export interface CardImage {
  /** `src`: a variant when the size is known, else the original. */
  src: string;
  /** `srcset` over the variants, or null when the image's size is unknown. */
  srcset: string | null;
  /** Pixel size as displayed (orientation applied), or null for posts from before sizes. */
  width: number | null;
  height: number | null;
  /** The original image, for the link around it. */
  original: string;
}

function isSize(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * The image of a post for its card, or null without one. Without a known size (posts stored
 * before sizes were recorded) the card shows the original in a fixed frame, as it always did.
 */
export function cardImage(post: Post): CardImage | null {
  const hash = post.image_hash;
  if (!hash) {
    return null;
  }
  const original = imageUrl(hash);
  const { image_width: width, image_height: height } = post;
  if (!isSize(width) || !isSize(height)) {
    return { src: original, srcset: null, width: null, height: null, original };
  }
  const variants = imageVariants(width);
  // The fallback `src` (only for browsers that ignore srcset): the 640 variant or the widest
  // listed one below it.
  const fallback = variants.find((v) => v.width === 640) ?? variants[variants.length - 1];
  return {
    src: imageUrl(hash, fallback.width),
    srcset: imageSrcset(hash, width),
    width,
    height,
    original,
  };
}
