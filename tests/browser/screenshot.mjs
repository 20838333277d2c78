// Saves a screenshot of a review report for the documentation (docs/report.png): the page as a
// reviewer first sees it, with the first flagged call's transcript expanded.
//
//   node tests/browser/screenshot.mjs REPORT.html OUT.png [HEIGHT=2000] [WIDTH=1280]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

const [report, out, heightArg, widthArg] = process.argv.slice(2);
if (!report || !out) {
  console.error('usage: node screenshot.mjs REPORT.html OUT.png [HEIGHT] [WIDTH]');
  process.exit(2);
}
const width = Number(widthArg || 1280);
const userDataDir = mkdtempSync(join(tmpdir(), 'fcrscan-shot-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width, height: 900 },
  deviceScaleFactor: 1,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  await page.goto(pathToFileURL(resolve(report)).href);
  await page.waitForSelector('html[data-ready="true"]');
  await page.click('#call-list details.transcript > summary');
  await page.waitForSelector('#call-list ol.turns');
  const full = await page.evaluate(() => document.documentElement.scrollHeight);
  const height = Math.min(full, Number(heightArg || 2000));
  await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width, height } });
  console.log(`saved ${out} (${width}x${height})`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
