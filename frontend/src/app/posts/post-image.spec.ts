import { cardImage, imageSrcset, imageUrl, imageVariants } from './post-image';
import { makePost } from './testing';

const hash = 'ab'.repeat(32);

describe('imageUrl', () => {
  it('points at the original or a variant', () => {
    expect(imageUrl(hash)).toBe(`/image/${hash}`);
    expect(imageUrl(hash, 640)).toBe(`/image/${hash}?width=640`);
  });
});

describe('imageSrcset', () => {
  it('lists every variant for an image wider than the widest', () => {
    expect(imageSrcset(hash, 4000)).toBe(
      `/image/${hash}?width=320 320w, /image/${hash}?width=640 640w, ` +
        `/image/${hash}?width=1280 1280w`,
    );
    expect(imageSrcset(hash, 1280)).toBe(
      `/image/${hash}?width=320 320w, /image/${hash}?width=640 640w, ` +
        `/image/${hash}?width=1280 1280w`,
    );
  });

  it('stops at the first variant that covers the image, with its real width', () => {
    expect(imageVariants(1000)).toEqual([
      { width: 320, actual: 320 },
      { width: 640, actual: 640 },
      { width: 1280, actual: 1000 },
    ]);
    expect(imageSrcset(hash, 500)).toBe(
      `/image/${hash}?width=320 320w, /image/${hash}?width=640 500w`,
    );
    expect(imageSrcset(hash, 640)).toBe(
      `/image/${hash}?width=320 320w, /image/${hash}?width=640 640w`,
    );
    expect(imageSrcset(hash, 320)).toBe(`/image/${hash}?width=320 320w`);
  });

  it('lists one variant for a small image (never upscaled)', () => {
    expect(imageSrcset(hash, 64)).toBe(`/image/${hash}?width=320 64w`);
  });
});

describe('cardImage', () => {
  it('is null without an image', () => {
    expect(cardImage(makePost())).toBeNull();
  });

  it('uses variants and the size when the size is known', () => {
    const image = cardImage(makePost({ image_hash: hash, image_width: 2000, image_height: 1500 }));
    expect(image).toEqual({
      src: `/image/${hash}?width=640`,
      srcset: imageSrcset(hash, 2000),
      width: 2000,
      height: 1500,
      original: `/image/${hash}`,
    });
    expect(
      cardImage(makePost({ image_hash: hash, image_width: 200, image_height: 100 }))?.src,
    ).toBe(`/image/${hash}?width=320`);
  });

  it('falls back to the original without a known size (older posts)', () => {
    for (const size of [
      { image_width: null, image_height: null },
      { image_width: 100, image_height: null },
      {},
    ]) {
      const post = { ...makePost({ image_hash: hash }), ...size };
      if (!('image_width' in size)) {
        delete (post as Partial<typeof post>).image_width;
        delete (post as Partial<typeof post>).image_height;
      }
      expect(cardImage(post)).toEqual({
        src: `/image/${hash}`,
        srcset: null,
        width: null,
        height: null,
        original: `/image/${hash}`,
      });
    }
  });
});
