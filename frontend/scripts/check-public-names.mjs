// Fails when a file of public/ (copied into the build under its own name) is named like a
// bundle whose name holds a hash of its content (`name-ABCDEFGH.ext`). The server caches such
// files for a year without revalidating (backend/src/http/spa.rs, `is_content_hashed`), so a
// later edit of that file would never reach returning visitors. Runs as `postbuild`.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const HASHED = /-[A-Z0-9]{8,}\.[^./]+$/;
const dir = new URL('../public/', import.meta.url).pathname;

const clashes = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && HASHED.test(entry.name))
  .map((entry) => join(entry.parentPath, entry.name).slice(dir.length));
if (clashes.length > 0) {
  console.error(
    `public/ files named like content-hashed bundles (cached for a year by the server): ${clashes.join(', ')}. Rename them.`,
  );
  process.exit(1);
}
