// Lighthouse against the production build as the backend serves it; fails below the thresholds.
//
//   npm run lighthouse -- <url> [--preset=mobile|desktop] [--runs=N]
//                               [--performance=95] [--accessibility=95]
//
// <url> defaults to $LIGHTHOUSE_URL, then http://localhost:8000/. Chromium comes from
// $CHROME_PATH (default /usr/bin/chromium) with the flags the Playwright specs use
// (e2e/chromium-args.json). `mobile` (the default) is Lighthouse's own default: a mid-range
// phone on a slow 4G connection, simulated. With --runs=N the median score of each category
// counts. Reports (HTML and JSON) of the last run go to lighthouse-report/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse, { desktopConfig } from 'lighthouse';

const args = process.argv.slice(2);
const option = (name, fallback) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const url =
  args.find((a) => !a.startsWith('--')) ?? process.env.LIGHTHOUSE_URL ?? 'http://localhost:8000/';
const preset = option('preset', 'mobile');
const runs = Math.max(1, Number(option('runs', '1')));
const thresholds = {
  performance: Number(option('performance', '95')),
  accessibility: Number(option('accessibility', '95')),
};
if (!['mobile', 'desktop'].includes(preset)) {
  console.error(`Unknown --preset=${preset} (mobile or desktop).`);
  process.exit(2);
}

const chromePath = process.env.CHROME_PATH || '/usr/bin/chromium';
const chromeFlags = JSON.parse(
  readFileSync(new URL('../e2e/chromium-args.json', import.meta.url), 'utf8'),
);
const outDir = new URL('../lighthouse-report/', import.meta.url).pathname;

const scores = { performance: [], accessibility: [], 'best-practices': [], seo: [] };
let last;
const chrome = await chromeLauncher.launch({ chromePath, chromeFlags });
try {
  for (let run = 1; run <= runs; run++) {
    const result = await lighthouse(
      url,
      { port: chrome.port, output: ['html', 'json'], logLevel: 'error' },
      preset === 'desktop' ? desktopConfig : undefined,
    );
    if (!result) {
      throw new Error('Lighthouse returned no result');
    }
    if (result.lhr.runtimeError) {
      throw new Error(`Lighthouse could not audit ${url}: ${result.lhr.runtimeError.message}`);
    }
    for (const [id, list] of Object.entries(scores)) {
      list.push(Math.round((result.lhr.categories[id]?.score ?? 0) * 100));
    }
    console.log(
      `run ${run}/${runs}: ` +
        Object.entries(scores)
          .map(([id, list]) => `${id} ${list.at(-1)}`)
          .join(', '),
    );
    last = result;
  }
} finally {
  await chrome.kill();
}

mkdirSync(outDir, { recursive: true });
const [html, json] = last.report;
writeFileSync(`${outDir}report.html`, html);
writeFileSync(`${outDir}report.json`, json);

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)];
const metrics = last.lhr.audits;
console.log(
  `\n${url} (${preset}, Lighthouse ${last.lhr.lighthouseVersion}, ${runs} run${runs > 1 ? 's' : ''})`,
);
for (const id of [
  'first-contentful-paint',
  'largest-contentful-paint',
  'total-blocking-time',
  'cumulative-layout-shift',
  'speed-index',
]) {
  console.log(`  ${metrics[id].title.padEnd(26)} ${metrics[id].displayValue}`);
}
let failed = false;
for (const [id, list] of Object.entries(scores)) {
  const score = median(list);
  const min = thresholds[id];
  const verdict = min === undefined ? '' : score >= min ? `  ok (>= ${min})` : `  FAIL (< ${min})`;
  failed ||= min !== undefined && score < min;
  console.log(`  ${id.padEnd(26)} ${String(score).padStart(3)}${verdict}`);
}
if (failed) {
  console.log('\nAudits that cost points:');
  for (const category of ['performance', 'accessibility']) {
    for (const ref of last.lhr.categories[category].auditRefs) {
      const audit = metrics[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 0.9) {
        console.log(`  [${category}] ${audit.title}: ${audit.displayValue ?? audit.score}`);
      }
    }
  }
}
console.log(`\nReport: ${outDir}report.html`);
process.exit(failed ? 1 : 0);
