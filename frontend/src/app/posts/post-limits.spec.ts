import { IMAGE_HINT, POST_LIMITS, formatMiB } from './post-limits';
import {
  validateImage,
  validateText,
  validateTitle,
  validateUsername,
} from './post-form/post-validation';

describe('POST_LIMITS', () => {
  it('holds the limits of API.md', () => {
    expect(POST_LIMITS).toEqual({
      title: 100,
      text: 10000,
      username: 50,
      imageBytes: 10 * 1024 * 1024,
    });
  });

  it('is what validation enforces, right at each limit', () => {
    expect(validateTitle('t'.repeat(POST_LIMITS.title))).toBeNull();
    expect(validateTitle('t'.repeat(POST_LIMITS.title + 1))).toBe(
      `Title must be at most ${POST_LIMITS.title} characters.`,
    );
    expect(validateText('t'.repeat(POST_LIMITS.text))).toBeNull();
    expect(validateText('t'.repeat(POST_LIMITS.text + 1))).toBe(
      `Text must be at most ${POST_LIMITS.text} characters.`,
    );
    expect(validateUsername('u'.repeat(POST_LIMITS.username))).toBeNull();
    expect(validateUsername('u'.repeat(POST_LIMITS.username + 1))).toBe(
      `Username must be at most ${POST_LIMITS.username} characters.`,
    );
    const file = (size: number) => {
      const f = new File(['x'], 'a.png', { type: 'image/png' });
      Object.defineProperty(f, 'size', { value: size });
      return f;
    };
    expect(validateImage(file(POST_LIMITS.imageBytes))).toBeNull();
    expect(validateImage(file(POST_LIMITS.imageBytes + 1))).toContain(
      `at most ${formatMiB(POST_LIMITS.imageBytes)}`,
    );
  });

  it('formats sizes in MiB for the hint and the messages', () => {
    expect(formatMiB(10 * 1024 * 1024)).toBe('10 MiB');
    expect(formatMiB(2.5 * 1024 * 1024)).toBe('2.5 MiB');
    expect(IMAGE_HINT).toBe('PNG, JPEG, GIF or WebP, up to 10 MiB.');
  });
});
