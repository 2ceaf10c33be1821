import { defineConfig, devices } from '@playwright/test';

// The Chromium flags, shared with scripts/lighthouse.mjs.
import chromiumArgs from './e2e/chromium-args.json';

/**
 * End-to-end tests against the REAL backend, which serves the production build at `/` and the
 * API on the same origin. Start it first (see the repository README), then:
 *   E2E_BASE_URL=http://127.0.0.1:8000 npm run e2e
 * Playwright cannot download browsers here; Debian's chromium is used instead.
 */
export const CHROMIUM_ARGS: string[] = chromiumArgs;

export default defineConfig({
  testDir: './e2e',
  // One worker: the tests share one backend and the machine has few cores.
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env['CI'],
  retries: process.env['CI'] ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env['CI'] ? [['list'], ['html', { open: 'never' }]] : 'list',
  use: {
    baseURL: process.env['E2E_BASE_URL'] || 'http://localhost:8000',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    {
      name: 'chromium',
      use: { ...devices['Desktop Chrome'], channel: undefined },
    },
  ],
});
