import {
  codePointLength,
  validateImage,
  validateText,
  validateTitle,
  validateUsername,
} from './post-validation';

const MiB = 1024 * 1024;

function fileOf(name: string, type: string, size = 10): File {
  const file = new File(['x'], name, { type });
  Object.defineProperty(file, 'size', { value: size });
  return file;
}

describe('post validation', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀')).toBe(1);
    expect('😀'.length).toBe(2);
    expect(codePointLength('é日本😀')).toBe(4);
  });

  it('checks the title after trimming, 1..=100 code points', () => {
    expect(validateTitle('')).toBe('Title is required.');
    expect(validateTitle('   ')).toBe('Title is required.');
    expect(validateTitle('a')).toBeNull();
    expect(validateTitle('a'.repeat(100))).toBeNull();
    expect(validateTitle(`  ${'a'.repeat(100)}  `)).toBeNull();
    expect(validateTitle('a'.repeat(101))).toBe('Title must be at most 100 characters.');
    // 100 emoji are 200 UTF-16 units but 100 characters for the server.
    expect(validateTitle('😀'.repeat(100))).toBeNull();
    expect(validateTitle('😀'.repeat(101))).toBe('Title must be at most 100 characters.');
    expect(validateTitle('日本'.repeat(50))).toBeNull();
  });

  it('refuses text direction controls in a title or a name, and a title that shows nothing', () => {
    const reversed = 'Invoice\u202Efdp.exe';
    expect(validateTitle(reversed)).toBe(
      'Title must not contain text direction controls (U+202A to U+202E, U+2066 to U+2069).',
    );
    expect(validateUsername('nimda\u2067')).toMatch(/^Username must not contain text direction/);
    expect(validateText(reversed)).toBeNull();
    for (const blank of ['\u200B', '\u3164', ' \uFEFF\u200D ', '\u2800']) {
      expect(validateTitle(blank)).toBe('Title is required.');
      expect(validateUsername(blank)).toBeNull();
    }
    expect(validateTitle('👩\u200D💻')).toBeNull();
  });

  it('checks the text, 1..=10000 code points', () => {
    expect(validateText(' \n ')).toBe('Text is required.');
    expect(validateText('🎉'.repeat(10000))).toBeNull();
    expect(validateText('a'.repeat(10001))).toBe('Text must be at most 10000 characters.');
  });

  it('allows an empty username and at most 50 code points', () => {
    expect(validateUsername('')).toBeNull();
    expect(validateUsername('ü'.repeat(50))).toBeNull();
    expect(validateUsername('a'.repeat(51))).toBe('Username must be at most 50 characters.');
  });

  it('accepts PNG, JPEG, GIF and WebP up to the limit', () => {
    expect(validateImage(null, 10 * MiB)).toBeNull();
    for (const [name, type] of [
      ['a.png', 'image/png'],
      ['a.jpg', 'image/jpeg'],
      ['a.gif', 'image/gif'],
      ['a.webp', 'image/webp'],
      ['no-type.JPEG', ''],
    ]) {
      expect(validateImage(fileOf(name, type), 10 * MiB)).toBeNull();
    }
    expect(validateImage(fileOf('big.png', 'image/png', 10 * MiB), 10 * MiB)).toBeNull();
  });

  it('refuses other types and files over 10 MiB', () => {
    const typeMessage = 'Choose a PNG, JPEG, GIF or WebP image.';
    expect(validateImage(fileOf('a.txt', 'text/plain'), 10 * MiB)).toBe(typeMessage);
    expect(validateImage(fileOf('a.svg', 'image/svg+xml'), 10 * MiB)).toBe(typeMessage);
    expect(validateImage(fileOf('a.bmp', ''), 10 * MiB)).toBe(typeMessage);
    expect(validateImage(fileOf('big.png', 'image/png', 10 * MiB + 1), 10 * MiB)).toBe(
      'Image must be at most 10 MiB (this one is 10.0 MiB).',
    );
    expect(validateImage(fileOf('big.png', 'image/png', 12 * MiB), 10 * MiB)).toContain(
      'this one is 12 MiB',
    );
  });
});
