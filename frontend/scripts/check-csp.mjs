// Fails when the production index.html needs more than the app's Content-Security-Policy allows.
//
// The backend sends `script-src 'self'` (no 'unsafe-inline'): an inline <script>, an inline
// event handler (onload=..., as Angular's critical-CSS inlining adds to the stylesheet link)
// or a javascript: URL in index.html would be blocked in the browser. Runs as `postbuild`.
import { readFileSync } from 'node:fs';

const file = new URL('../dist/postboard/browser/index.html', import.meta.url).pathname;
const html = readFileSync(file, 'utf8');

const problems = [];
for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
  if (!/\bsrc\s*=/i.test(tag)) problems.push(`inline script: ${tag}`);
}
for (const [attr] of html.matchAll(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)) {
  problems.push(`inline event handler: ${attr.trim()}`);
}
for (const [url] of html.matchAll(/javascript:[^"'\s>]*/gi)) {
  problems.push(`javascript: URL: ${url}`);
}

if (problems.length) {
  console.error(`index.html breaks the Content-Security-Policy (script-src 'self'):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log(
  "index.html: no inline script, event handler or javascript: URL (CSP script-src 'self')",
);
