import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../src/shared/package-files.js';

/**
 * Debian's chromium, installed by ensure_chromium in .ci/lib/host.sh: Playwright's own browser
 * download (`npx playwright install`) is not reachable from the machines these tests run on.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where saveScreenshot writes; test-results/ is git-ignored. */
export const SCREENSHOT_DIR = join(packageRoot, 'test-results', 'screenshots');

// --no-sandbox: the tests run as root in containers, where chromium's sandbox cannot start.
// The rest keep a test run quiet and offline: no GPU, no background fetches, updates or sync.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless chromium for one test file; close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Viewports that catch layout breaking on a phone and on a desktop screen. */
export const VIEWPORTS = {
  narrow: { width: 390, height: 844 },
  wide: { width: 1440, height: 900 },
} as const;

export type ViewportName = keyof typeof VIEWPORTS;

/**
 * A page in its own context (no cookies or storage shared between tests), so that relative
 * `page.goto('/path')` resolves against baseURL. Wide unless told otherwise.
 */
export async function newPage(browser: Browser, baseURL: string, viewport: ViewportName = 'wide'): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport: VIEWPORTS[viewport] });
  return context.newPage();
}

/**
 * Saves a full-page PNG as test-results/screenshots/<name>.png under the package root, for a
 * person to look at after the run; returns the file's path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}
