// Opens an fcrscan review report in headless Chromium (the system browser, driven by
// playwright-core) and checks it against the hand-written expectations of its fixture.
//
//   node tests/browser/report.test.mjs REPORT.html EXPECTED.tsv SCREENSHOT.png [REPORT_NO_REDACT.html [REPORT_SEOUL.html]]
//
// REPORT.html is `fcrscan report` of tests/data/report/calls scanned with
// tests/data/report/phrases.tsv; EXPECTED.tsv is tests/data/report/EXPECTED.tsv. The optional
// fourth argument is the same report written with --no-redact, used to check that the redaction
// check would see PII if it were there. The optional fifth is the report of the fixture scanned
// with --timezone Asia/Seoul, whose dates and times must be Seoul's. CHROMIUM overrides the
// browser (default /usr/bin/chromium).
//
// Checks: the page loads with no console errors, no failed or network requests and no dialog;
// no payload from the hostile transcripts runs (each would set window.__pwned) and none becomes
// an element; filtering by category, language, queue and search gives exactly the expected
// calls; expanding a call shows its whole transcript; no PII of the fixture is anywhere in the
// DOM (text, attributes or the data block) while every expected cue is still highlighted.
// Exits 0 when every check passes, 1 otherwise; prints one line per check.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';

const [reportPath, expectedPath, screenshotPath, unredactedPath, seoulPath] = process.argv.slice(2);
if (!reportPath || !expectedPath || !screenshotPath) {
  console.error('usage: node report.test.mjs REPORT.html EXPECTED.tsv SCREENSHOT.png [REPORT_NO_REDACT.html]');
  process.exit(2);
}

/** EXPECTED.tsv: one object per call, lists split on `,` and `|`, `-` meaning none. */
function readExpected(path) {
  const [header, ...rows] = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const names = header.split('\t');
  return rows.map((row) => {
    const fields = Object.fromEntries(row.split('\t').map((value, i) => [names[i], value]));
    const list = (value, sep) => (value === '-' || value === undefined ? [] : value.split(sep));
    return {
      id: fields.call_id,
      flagged: fields.flagged === 'true',
      categories: list(fields.categories, ','),
      cues: list(fields.cues, '|'),
      pii: list(fields.pii, '|'),
    };
  });
}

const expected = readExpected(expectedPath);
const flagged = expected.filter((c) => c.flagged);
const sorted = (ids) => [...ids].sort();
const idsWith = (pred) => sorted(flagged.filter(pred).map((c) => c.id));

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}\n     ${String(err && err.message ? err.message : err).split('\n').join('\n     ')}`);
  }
}

const userDataDir = mkdtempSync(join(tmpdir(), 'fcrscan-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

/** Opens a report and records everything that must not happen. */
async function open(path) {
  const page = await context.newPage();
  const events = { console: [], pageErrors: [], dialogs: [], requests: [], failed: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') events.console.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => events.pageErrors.push(String(err)));
  page.on('dialog', (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('request', (req) => {
    if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) events.requests.push(req.url());
  });
  page.on('requestfailed', (req) => events.failed.push(req.url()));
  const started = Date.now();
  await page.goto(pathToFileURL(resolve(path)).href, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready="true"]', { timeout: 30000 });
  events.readyMs = Date.now() - started;
  return { page, events };
}

const listedIds = (page) => page.$$eval('#call-list > li.call', (items) => items.map((li) => li.getAttribute('data-call-id')).sort());

async function select(page, id, value) {
  await page.selectOption(`#${id}`, value);
}

async function resetFilters(page) {
  await page.click('#filter-reset');
}

async function expandAll(page) {
  await page.$$eval('#call-list details.transcript', (all) => all.forEach((d) => { d.open = true; }));
  // The transcript is built on the toggle event, which fires asynchronously.
  await page.waitForFunction(() => [...document.querySelectorAll('#call-list details.transcript')].every((d) => d.querySelector('ol.turns')));
}

try {
  const { page, events } = await open(reportPath);
  console.log(`     page ready in ${events.readyMs} ms`);

  await check('the page loads with no console errors or warnings', () => {
    assert.deepEqual(events.pageErrors, []);
    assert.deepEqual(events.console, []);
  });

  await check('the page makes no network request', () => {
    assert.deepEqual(events.requests, []);
    assert.deepEqual(events.failed, []);
  });

  await check('every flagged call is listed, most severe first', async () => {
    assert.deepEqual(await listedIds(page), sorted(flagged.map((c) => c.id)));
    const first = await page.$eval('#call-list > li.call', (li) => li.getAttribute('data-call-id'));
    const firstExpected = flagged.find((c) => c.id === first);
    assert.ok(firstExpected.categories.includes('escalation'), `first call ${first} has no escalation`);
  });

  for (const category of ['escalation', 'repeat_contact', 'sentiment_negative']) {
    await check(`filtering by category ${category} lists exactly its calls`, async () => {
      await select(page, 'filter-category', category);
      assert.deepEqual(await listedIds(page), idsWith((c) => c.categories.includes(category)));
      await resetFilters(page);
    });
  }

  await check('filtering by language, queue and search narrows the list', async () => {
    await select(page, 'filter-language', 'ja');
    assert.deepEqual(await listedIds(page), ['rep-ja-001']);
    await resetFilters(page);
    await select(page, 'filter-queue', 'retention');
    assert.deepEqual(await listedIds(page), ['rep-id-001']);
    await select(page, 'filter-category', 'repeat_contact');
    assert.deepEqual(await listedIds(page), []);
    assert.equal(await page.isVisible('#no-match'), true);
    await resetFilters(page);
    await page.fill('#filter-search', 'vergüenza');
    await page.waitForFunction(() => document.querySelectorAll('#call-list > li.call').length === 1);
    assert.deepEqual(await listedIds(page), ['rep-es-001']);
    await resetFilters(page);
    assert.equal((await listedIds(page)).length, flagged.length);
  });

  await check('expanding a call shows its whole transcript', async () => {
    const card = page.locator('#call-list > li.call[data-call-id="rep-en-hostile"]');
    assert.equal(await card.locator('ol.turns').count(), 0, 'the transcript is built only when expanded');
    await card.locator('details.transcript > summary').click();
    await card.locator('ol.turns').waitFor();
    assert.equal(await card.locator('ol.turns > li.turn').count(), 7);
    const text = await card.locator('ol.turns').innerText();
    assert.match(text, /nobody fixed it/);
    assert.match(text, /speak to your manager/);
  });

  await expandAll(page);

  await check('hostile transcripts and metadata render as text and run nothing', async () => {
    const pwned = await page.evaluate(() => typeof window.__pwned);
    assert.equal(pwned, 'undefined', 'a payload ran');
    assert.deepEqual(events.dialogs, []);
    const injected = await page.$$eval(
      '#call-list script, #call-list img, #call-list svg, #call-list a, #call-list b, #call-list i, #call-list textarea, #call-list iframe, select option b',
      (nodes) => nodes.map((n) => n.outerHTML),
    );
    assert.deepEqual(injected, []);
    const scripts = await page.$$eval('script', (nodes) => nodes.length);
    assert.equal(scripts, 2, 'only the data block and the report script');
    const text = await page.locator('#call-list').innerText();
    for (const payload of [
      '<script>window.__pwned=1;alert(1)</script>',
      '</textarea><img src=x onerror="window.__pwned=1">',
      '<a href="javascript:window.__pwned=1">here</a>',
      'agt-"><svg onload=window.__pwned=1>',
      '<b onmouseover=window.__pwned=1>retention</b>',
    ]) {
      assert.ok(text.includes(payload), `payload not shown as text: ${payload}`);
    }
    const links = await page.$$eval('a[href]', (nodes) => nodes.map((n) => n.getAttribute('href')));
    assert.deepEqual(links, []);
    // Hovering the payload that would fire on mouseover.
    await page.hover('#call-list > li.call[data-call-id="rep-en-hostile-meta"] .meta');
    assert.equal(await page.evaluate(() => typeof window.__pwned), 'undefined');
  });

  await check('no PII of the fixture appears anywhere in the DOM', async () => {
    const html = await page.evaluate(() => document.documentElement.outerHTML);
    const leaks = flagged.flatMap((c) => c.pii.filter((p) => html.includes(p)).map((p) => `${c.id}: ${p}`));
    assert.deepEqual(leaks, []);
    for (const kind of ['card', 'email', 'phone', 'number']) {
      assert.ok((await page.locator(`span.pii[title="redacted ${kind}"]`).count()) > 0, `no [${kind}] placeholder`);
    }
  });

  await check('every expected cue is still highlighted, in every script', async () => {
    const marks = await page.$$eval('#call-list > li.call', (items) =>
      Object.fromEntries(items.map((li) => [li.getAttribute('data-call-id'), [...li.querySelectorAll('mark.hit')].map((m) => m.textContent)])));
    const missing = flagged.flatMap((c) =>
      c.cues.filter((cue) => !(marks[c.id] || []).some((m) => m.includes(cue))).map((cue) => `${c.id}: ${cue}`));
    assert.deepEqual(missing, []);
    const masked = Object.values(marks).flat().filter((m) => m.includes('•'));
    assert.deepEqual(masked, [], 'no cue of the fixture overlaps PII');
  });

  await check('a cue next to PII keeps its exact text and the PII beside it is a placeholder', async () => {
    const card = page.locator('#call-list > li.call[data-call-id="rep-ko-001"] ol.turns > li.turn').nth(2);
    const parts = await card.locator('.turn-text').evaluate((p) => [...p.childNodes].map((n) => [n.nodeName, n.textContent]));
    const pii = parts.findIndex(([name, text]) => name === 'SPAN' && text === '[card]');
    const mark = parts.findIndex(([name, text]) => name === 'MARK' && text.startsWith('팀장님 바꿔'));
    assert.ok(pii >= 0 && mark > pii, JSON.stringify(parts));
    assert.equal(parts.map(([, t]) => t).join(''), '카드 번호는 [card] 이고요 팀장님 바꿔 주세요');
  });

  await check('the screenshot is saved', async () => {
    await resetFilters(page);
    await page.$$eval('#call-list details.transcript', (all) => all.forEach((d, i) => { d.open = i === 0; }));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: screenshotPath, fullPage: true });
  });

  await check('no console errors after every interaction', () => {
    assert.deepEqual(events.pageErrors, []);
    assert.deepEqual(events.console, []);
    assert.deepEqual(events.requests, []);
  });

  if (unredactedPath) {
    const other = await open(unredactedPath);
    await check('with --no-redact the same check finds the PII (the check can fail)', async () => {
      await expandAll(other.page);
      const html = await other.page.evaluate(() => document.documentElement.outerHTML);
      const shown = flagged.flatMap((c) => c.pii).filter((p) => html.includes(p));
      assert.ok(shown.length >= 15, `only ${shown.length} PII strings shown without redaction`);
      assert.equal(await other.page.evaluate(() => typeof window.__pwned), 'undefined');
      assert.deepEqual(other.events.console, []);
    });
  }

  if (seoulPath) {
    const seoul = await open(seoulPath);
    await check('a dataset dated in Asia/Seoul shows its dates and times in Seoul', async () => {
      const sub = await seoul.page.locator('header p.sub').innerText();
      assert.ok(sub.includes('dates and times in Asia/Seoul'), sub);
      // rep-es-001 started at 15:30 UTC on 2 November: 00:30 on the 3rd in Seoul.
      const meta = await seoul.page.locator('#call-list > li.call[data-call-id="rep-es-001"] .meta').innerText();
      assert.ok(meta.includes('2026-11-03 00:30 KST'), meta);
      assert.deepEqual(seoul.events.console, []);
    });
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

console.log(failures === 0 ? 'all browser checks passed' : `${failures} browser check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
