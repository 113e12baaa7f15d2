import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchBrowser, newPage, saveScreenshot, type ViewportName } from '../support/browser.js';
import { freePort } from '../../src/testing/free-port.js';

// Proves the browser set-up end to end: Debian's chromium starts under playwright-core, runs a
// page's script, takes clicks and writes screenshots. If this fails, the other browser tests will.

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Gyre browser smoke</title></head>
<body>
  <p id="status">waiting</p>
  <button id="go" type="button">Go</button>
  <script>
    document.getElementById('go').addEventListener('click', () => {
      document.getElementById('status').textContent = 'clicked';
    });
  </script>
</body>
</html>`;

let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(PAGE);
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${port}`;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('chromium through playwright-core', () => {
  it.each<ViewportName>(['narrow', 'wide'])(
    'runs the page script, clicks and saves a %s screenshot',
    async (viewport) => {
      const page = await newPage(browser, base, viewport);
      try {
        await page.goto('/');
        const status = page.locator('#status');
        expect(await status.textContent()).toBe('waiting');

        await page.locator('#go').click();
        // Waits on the locator rather than a DOM callback: tsconfig has no DOM lib.
        await status.filter({ hasText: /^clicked$/ }).waitFor({ timeout: 5_000 });
        expect(await status.textContent()).toBe('clicked');

        const file = await saveScreenshot(page, `browser-smoke-${viewport}`);
        expect((await stat(file)).size).toBeGreaterThan(0);
      } finally {
        await page.context().close();
      }
    },
    30_000,
  );
});
