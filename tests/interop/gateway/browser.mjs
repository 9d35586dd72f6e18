// Drives Debian's Chromium (headless, through playwright-core) over the web page of
// `ipfs-kit serve`, as a person would: the bucket list, a bucket, a file through its link, the
// CID search (a good CID and a bad one), the versions and a diff, and the pages of a long
// listing. It saves a screenshot of each step and prints one JSON line of what it saw; the
// Rust test (tests/serve_web.rs) compares that with what the CLI says.
//
// Usage: node browser.mjs '{"url":…,"out":…,"bucket":…,"open":[paths],"cid":…,"hidden":…}'

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const spec = JSON.parse(process.argv[2]);
const result = { steps: [], console: [], dialogs: [] };

const profile = mkdtempSync(join(tmpdir(), 'ipfs-kit-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1280, height: 800 },
});

try {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: spec.url });
  const page = context.pages()[0] ?? (await context.newPage());
  // Script errors, CSP refusals (Chromium logs them as console errors) and any alert() a
  // hostile name managed to run are all failures the Rust side checks for.
  // An error status is logged as "Failed to load resource"; statuses are checked step by
  // step instead, and the only request besides the pages must be Chromium's favicon.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) result.console.push(m.text());
  });
  result.subresources = [];
  page.on('request', (r) => {
    if (!r.isNavigationRequest()) result.subresources.push(new URL(r.url()).pathname);
  });
  page.on('pageerror', (e) => result.console.push(`pageerror: ${e.message}`));
  page.on('dialog', async (d) => { result.dialogs.push(d.message()); await d.dismiss(); });

  let n = 0;
  const shot = async (name) => {
    n += 1;
    const file = join(spec.out, `${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    result.steps.push(name);
    return file;
  };
  // Each row's cells as the reader sees them, without the copy buttons' labels.
  const cells = (selector) => page.$$eval(selector, (rows) => rows.map((r) => [...r.cells].map((c) => {
    const buttons = [...c.querySelectorAll('button.copy')];
    buttons.forEach((b) => { b.hidden = true; });
    const text = c.innerText.trim();
    buttons.forEach((b) => { b.hidden = false; });
    return text;
  })));
  const follow = async (locator) => {
    const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
    return response;
  };

  // 1. The bucket list.
  let response = await page.goto(`${spec.url}/`);
  result.home = {
    status: response.status(),
    headers: response.headers(),
    rows: await cells('main table tbody tr'),
  };
  await shot('buckets');

  // 2. A bucket, through its link.
  response = await follow(page.locator('main table a', { hasText: spec.bucket }).first());
  result.bucket = {
    status: response.status(),
    url: page.url(),
    title: await page.locator('h1').innerText(),
    rows: await cells('main table tbody tr'),
    hrefs: await page.$$eval('main table tbody tr td.path a', (as) => as.map((a) => a.getAttribute('href'))),
    scripts: await page.$$eval('script', (s) => s.length),
  };
  // The copy button beside the first file's CID puts it on the clipboard.
  const firstCid = page.locator('main table tbody tr').first().locator('button.copy');
  await firstCid.click();
  await page.waitForFunction((b) => b.textContent !== 'copy', await firstCid.elementHandle());
  result.bucket.copyLabel = await firstCid.innerText();
  result.bucket.copied = await page.evaluate(() => navigator.clipboard.readText());
  await shot('bucket');

  // 3. Files through their links (the path gateway), then back.
  result.opened = [];
  for (const path of spec.open) {
    const link = page.locator('main table td.path a').filter({ hasText: path }).first();
    const got = await follow(link);
    result.opened.push({
      path,
      status: got.status(),
      url: page.url(),
      contentType: got.headers()['content-type'],
      text: await page.evaluate(() => document.body.innerText),
      bytes: (await got.body()).toString('base64'),
    });
    await shot(`file-${result.opened.length}`);
    await page.goBack();
  }

  // 4. The CID search, from the box in the header: a CID, then a text that is not one.
  await page.fill('header input[name=cid]', spec.cid);
  response = await Promise.all([page.waitForNavigation(), page.press('header input[name=cid]', 'Enter')]).then((r) => r[0]);
  result.find = { status: response.status(), url: page.url(), rows: await cells('main table tbody tr') };
  await shot('find');
  await page.fill('header input[name=cid]', 'not-a-cid');
  response = await Promise.all([page.waitForNavigation(), page.press('header input[name=cid]', 'Enter')]).then((r) => r[0]);
  result.findBad = { status: response.status(), message: await page.locator('main .message').innerText() };
  await shot('find-bad');

  // 5. The versions, from the bucket page, then the diff the form picks by default.
  await page.goto(result.bucket.url);
  response = await follow(page.getByRole('link', { name: 'Versions and diffs' }));
  result.versions = {
    status: response.status(),
    rows: await cells('main table tbody tr.version'),
    pulls: await page.$$eval('tr.pull button.copy', (bs) => bs.map((b) => b.getAttribute('data-copy'))),
  };
  await shot('versions');
  response = await follow(page.getByRole('button', { name: 'Show diff' }));
  result.diff = {
    status: response.status(),
    url: page.url(),
    rows: await cells('main table tbody tr'),
    summary: await page.locator('main p').first().innerText(),
  };
  await shot('diff');

  // 6. A long listing, two files a page, following "Next" to the end.
  await page.goto(`${spec.url}/ui/bucket/${encodeURIComponent(spec.bucket)}?limit=2`);
  const paged = [];
  for (let guard = 0; guard < 100; guard += 1) {
    paged.push(...(await cells('main table tbody tr')).map((r) => r[0]));
    const next = page.locator('a[rel=next]');
    if ((await next.count()) === 0) break;
    if (guard === 0) await shot('page-1');
    await follow(next);
  }
  result.paged = paged;
  await shot('page-last');

  // 7. A bucket that is not served, and one that does not exist.
  result.hidden = [];
  for (const name of [spec.hidden, 'no-such-bucket']) {
    response = await page.goto(`${spec.url}/ui/bucket/${encodeURIComponent(name)}`);
    result.hidden.push({ name, status: response.status(), title: await page.locator('h1').innerText() });
  }
  await shot('not-found');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(JSON.stringify(result));
