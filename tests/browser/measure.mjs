// Measures the review report in headless Chromium: file size, time until the page is ready
// (the flagged-call list rendered), and the time of the interactions a reviewer makes. Prints
// one JSON object. Used for the numbers in docs/REPORT.md, "Size and speed"; not a test.
//
//   node tests/browser/measure.mjs REPORT.html [RUNS=3]

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

const [report, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = [];
for (let run = 0; run < runs; run++) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'fcrscan-measure-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-precise-memory-info'],
  });
  const page = await context.newPage();
  const timed = async (fn, until) => {
    const start = Date.now();
    await fn();
    await page.waitForFunction(until);
    return Date.now() - start;
  };
  const start = Date.now();
  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { timeout: 120000 });
  const readyMs = Date.now() - start;
  const count = await page.evaluate(() => document.getElementById('match-count').textContent);
  const category = await page.evaluate(() => document.querySelector('#filter-category option:nth-child(2)').value);
  const filterMs = await timed(() => page.selectOption('#filter-category', category), () => !document.getElementById('match-count').textContent.endsWith('flagged calls'));
  await page.click('#filter-reset');
  const searchMs = await timed(() => page.fill('#filter-search', 'manager'), () => document.getElementById('match-count').textContent.includes(' of '));
  await page.click('#filter-reset');
  const nextPageMs = await timed(() => page.click('#next-page'), () => document.getElementById('page-label').textContent.includes('page 2'));
  const expandMs = await timed(
    () => page.$eval('#call-list details.transcript', (d) => { d.open = true; }),
    () => document.querySelector('#call-list details.transcript ol.turns') !== null,
  );
  const heapMB = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null));
  results.push({ readyMs, filterMs, searchMs, nextPageMs, expandMs, heapMB, count });
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
const keys = ['readyMs', 'filterMs', 'searchMs', 'nextPageMs', 'expandMs', 'heapMB'];
console.log(JSON.stringify({
  file: report,
  sizeBytes: statSync(report).size,
  runs,
  listed: results[0].count,
  median: Object.fromEntries(keys.map((k) => [k, median(results.map((r) => r[k]))])),
  all: results,
}, null, 2));
