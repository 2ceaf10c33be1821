// Writes Brotli (`.br`) and gzip (`.gz`) copies next to the production build's text files, so
// the server sends a browser that accepts them the copy compressed once, at the highest level,
// instead of compressing on every response (backend/src/http/spa.rs). Runs as `postbuild`.
//
// Only files above MIN_BYTES, and only copies that come out smaller than the original.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const MIN_BYTES = 1024;
const TEXT = new Set(['.js', '.mjs', '.css', '.html', '.svg', '.txt', '.json']);
const dir = new URL('../dist/postboard/browser/', import.meta.url).pathname;

const compressors = {
  br: (bytes) =>
    brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  gz: (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }),
};

let written = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !TEXT.has(extname(entry.name))) continue;
  const file = join(entry.parentPath, entry.name);
  const bytes = readFileSync(file);
  if (bytes.length <= MIN_BYTES) continue;
  const sizes = [];
  for (const [suffix, compress] of Object.entries(compressors)) {
    const compressed = compress(bytes);
    if (compressed.length >= bytes.length) continue;
    writeFileSync(`${file}.${suffix}`, compressed);
    sizes.push(`${suffix} ${compressed.length}`);
    written += 1;
  }
  console.log(`${file.slice(dir.length)}: ${bytes.length} bytes → ${sizes.join(', ')}`);
}
console.log(`precompress: ${written} copies written`);
