// The web page end to end in Debian's chromium, driven by playwright-core.
// Run by tests/ui/ui_browser_test.cpp against a real server that has a token
// and a small upload cap:
//   PLAYWRIGHT_CORE=DIR node browser_check.js BASE_URL TOKEN FILES_DIR SHOTS_DIR
// FILES_DIR holds ramp.png, small.png, slow.png (slow at tile size 32) and
// huge.png (over the cap); the server's max_queue is 2. Exits 0 when every check holds.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

const [base, token, filesDir, shotsDir] = process.argv.slice(2);
const file = (name) => path.join(filesDir, name);

function step(name) {
  console.log(`== ${name}`);
}

// The API as a client other than the page sees it.
async function apiGet(route) {
  const response = await fetch(base + route, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200, `GET ${route}`);
  return response;
}

async function taskOf(page, name) {
  const item = page.locator('.task').filter({ hasText: name });
  await item.waitFor();
  return item;
}

async function enterTokens(page) {
  step('the token is asked for, a wrong one is refused in words, the right one kept');
  const dialog = page.locator('#token-dialog');
  await dialog.waitFor({ state: 'visible' });
  await page.locator('#token-reason').filter({ hasText: 'needs an API token' }).waitFor();
  await page.fill('#token-input', 'not-the-token');
  await page.press('#token-input', 'Enter');
  await page.locator('#token-reason').filter({ hasText: 'refused this token' }).waitFor();
  assert.ok(await dialog.isVisible());
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('#server-info').filter({ hasText: 'Model ' }).waitFor();
  const kept = await page.evaluate(() => ({
    session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie,
  }));
  assert.deepEqual(kept, { session: [token], local: 0, cookie: '' });
}

// Drops `names` on the drop zone, each with the bytes of small.png.
async function dropFiles(page, names) {
  const bytes = [...fs.readFileSync(file('small.png'))];
  const dataTransfer = await page.evaluateHandle(([names, bytes]) => {
    const transfer = new DataTransfer();
    for (const name of names) {
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }));
    }
    return transfer;
  }, [names, bytes]);
  await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer });
}

async function cancelSlowTask(page) {
  step('live progress of a slow task; three dropped behind it fill the queue; Cancel');
  await page.selectOption('#tile-size', '32');
  await page.setInputFiles('#file-input', file('slow.png'));
  const slow = await taskOf(page, 'slow.png');
  await slow.locator('.task-state').filter({ hasText: /Upscaling, [1-9]\d*%/ }).waitFor();
  assert.ok(Number(await slow.locator('progress').getAttribute('value')) > 0);
  await dropFiles(page, ['q1.png', 'q2.png', 'q3.png']);  // the server's max_queue is 2
  const full = await taskOf(page, 'q3.png');
  await full.locator('.task-state').filter({ hasText: 'Not accepted' }).waitFor();
  await full.locator('.task-error').filter({ hasText: 'The server is busy: its queue is full' }).waitFor();
  for (const name of ['q1.png', 'q2.png']) {
    const queued = await taskOf(page, name);
    await queued.locator('.task-state').filter({ hasText: 'Waiting in the queue' }).waitFor();
    await queued.getByRole('button', { name: `Cancel ${name}` }).click();
    await queued.locator('.task-state').filter({ hasText: 'Canceled' }).waitFor();
  }
  await slow.getByRole('button', { name: 'Cancel slow.png' }).click();
  await slow.locator('.task-state').filter({ hasText: 'Canceled' }).waitFor();
  const id = await slow.getAttribute('data-task-id');
  assert.equal((await (await apiGet(`/result/${id}`)).json()).status, 'canceled');
  step('the task refused for a full queue goes through on Try again');
  await full.getByRole('button', { name: 'Try again q3.png' }).click();
  await full.locator('.task-state').filter({ hasText: 'Done' }).waitFor();
  assert.ok(await full.locator('.task-error').isHidden());
  await page.selectOption('#tile-size', '');
}

async function uploadByKeyboard(page) {
  step('two images chosen with the keyboard only, both finish');
  await page.click('h1');
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement.id)) !== 'file-input'; ++i) {
    await page.keyboard.press('Tab');
  }
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
  await chooser.setFiles([file('ramp.png'), file('small.png')]);
  for (const name of ['ramp.png', 'small.png']) {
    const task = await taskOf(page, name);
    await task.locator('.task-state').filter({ hasText: 'Done' }).waitFor();
  }
  await page.locator('#compare[data-ready="true"]').waitFor();
}

async function checkComparison(page) {
  step('Compare shows both images at their real sizes, at 100%');
  await page.getByRole('button', { name: 'Compare ramp.png' }).click();
  await page.locator('#compare-caption').filter({ hasText: 'ramp.png: 96 × 64' }).waitFor();
  const id = await page.locator('#compare').getAttribute('data-task-id');
  const status = await (await apiGet(`/result/${id}`)).json();
  assert.equal(status.input.name, 'ramp.png');
  const shown = await page.evaluate(() => {
    const size = (image) => {
      const box = image.getBoundingClientRect();
      return { natural: [image.naturalWidth, image.naturalHeight], shown: [box.width, box.height] };
    };
    return { before: size(document.getElementById('before-image')),
             after: size(document.getElementById('after-image')) };
  });
  const input = [status.input.width, status.input.height];
  const output = [status.output.width, status.output.height];
  assert.deepEqual(input, [96, 64]);
  assert.deepEqual(shown.before.natural, input);
  assert.deepEqual(shown.after.natural, output);
  assert.deepEqual(shown.after.shown, output, 'the result at 100% zoom');
  assert.deepEqual(shown.before.shown, output, 'the original over the same area');
  return id;
}

async function checkDownloads(page, id) {
  step('Download gives the bytes of /result/{id}/download; Download all gives each result');
  const task = page.locator(`.task[data-task-id="${id}"]`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    task.getByRole('button', { name: 'Download ramp.png' }).click(),
  ]);
  const saved = fs.readFileSync(await download.path());
  const served = Buffer.from(await (await apiGet(`/result/${id}/download`)).arrayBuffer());
  assert.ok(saved.length > 0 && saved.equals(served), 'downloaded bytes differ from the API\'s');
  assert.equal(download.suggestedFilename(), 'ramp-upscaled.png');
  const names = [];
  const collect = (d) => names.push(d.suggestedFilename());
  page.on('download', collect);
  await page.click('#download-all');
  for (let i = 0; i < 50 && names.length < 3; ++i) await page.waitForTimeout(100);
  page.off('download', collect);
  assert.deepEqual(names.sort(), ['q3-upscaled.png', 'ramp-upscaled.png', 'small-upscaled.png']);
}

async function checkDivider(page) {
  step('the divider moves with the arrow keys');
  await page.focus('#divider');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  const state = await page.evaluate(() => ({
    value: document.getElementById('divider').getAttribute('aria-valuenow'),
    clip: document.getElementById('before-clip').getBoundingClientRect().width,
    view: document.getElementById('compare-viewport').clientWidth,
  }));
  assert.equal(state.value, '40');
  assert.ok(Math.abs(state.clip - 0.4 * state.view) < 1, JSON.stringify(state));
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('#divider', 'aria-valuenow'), '100');
  await page.keyboard.press('Home');
  await page.keyboard.press('PageUp');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#divider', 'aria-valuenow'), '35');
}

// Tab from the top reaches every visible, enabled control, in page order.
async function checkTabOrder(page) {
  step('Tab reaches every control in page order');
  const expected = await page.evaluate(() => {
    const selector = 'a[href], button, input, select, textarea, [tabindex]';
    return [...document.querySelectorAll(selector)]
      .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 &&
                     !e.closest('dialog'))
      .map((e) => e.id || e.getAttribute('aria-label'));
  });
  assert.ok(expected.length >= 14, JSON.stringify(expected));
  // Clicking the heading starts the focus order at the top, as a fresh load does.
  await page.click('h1');
  const reached = [];
  for (let i = 0; i < expected.length; ++i) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => {
      const e = document.activeElement;
      return e.id || e.getAttribute('aria-label');
    }));
  }
  assert.deepEqual(reached, expected);
  for (const control of ['file-input', 'url-input', 'url-submit', 'model', 'scale', 'format',
                         'tile-size', 'download-all', 'compare-viewport', 'divider',
                         'Compare ramp.png', 'Download ramp.png']) {
    assert.ok(reached.includes(control), `Tab does not reach ${control}`);
  }
}

async function checkPhone(page) {
  step('phone width: no sideways scrolling of the page; the comparison pans');
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(200);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375),
            'the page is wider than 375 px');
  await page.focus('#compare-viewport');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(500);  // keyboard scrolling is animated
  const view = await page.evaluate(() => {
    const viewport = document.getElementById('compare-viewport');
    return { left: viewport.scrollLeft, width: viewport.clientWidth,
             clip: document.getElementById('before-clip').getBoundingClientRect().width };
  });
  assert.ok(view.left > 0, 'the arrow keys did not pan the view');
  assert.ok(Math.abs(view.clip - (view.left + 0.35 * view.width)) < 1, JSON.stringify(view));
  await page.screenshot({ path: path.join(shotsDir, 'phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function checkRefusals(page) {
  step('a URL the server refuses (loopback) is shown in words');
  await page.fill('#url-input', 'http://127.0.0.1:9/photo.png');
  await page.press('#url-input', 'Enter');
  const refusedUrl = await taskOf(page, '127.0.0.1:9');
  await refusedUrl.locator('.task-state').filter({ hasText: 'Not accepted' }).waitFor();
  await refusedUrl.locator('.task-error').filter({ hasText: 'The server did not accept this request.' }).waitFor();
  await refusedUrl.locator('.task-error small').filter({ hasText: 'loopback' }).waitFor();

  step('an oversized upload is refused in words');
  await page.setInputFiles('#file-input', file('huge.png'));
  const huge = await taskOf(page, 'huge.png');
  await huge.locator('.task-state').filter({ hasText: 'Not accepted' }).waitFor();
  await huge.locator('.task-error').filter({ hasText: 'too large for the server' }).waitFor();
  for (const refused of [huge, refusedUrl]) {
    assert.ok(await refused.locator('[data-action="retry"]').isHidden(), 'Try again cannot help');
  }
  await page.screenshot({ path: path.join(shotsDir, 'errors.png'), fullPage: true });
}

async function checkOptions(page) {
  step('the chosen scale, format and tile size are what the server runs');
  await page.fill('#scale', '2');
  await page.selectOption('#format', 'webp');
  await page.selectOption('#tile-size', '64');
  await dropFiles(page, ['options.png']);
  const task = await taskOf(page, 'options.png');
  await task.locator('.task-state').filter({ hasText: 'Done: 24 × 16 WEBP' }).waitFor();
  const id = await task.getAttribute('data-task-id');
  const status = await (await apiGet(`/result/${id}`)).json();
  assert.equal(status.params.scale, 2);
  assert.equal(status.params.format, 'webp');
  assert.equal(status.params.tile_size, 64);
  assert.deepEqual([status.output.width, status.output.height, status.output.format], [24, 16, 'webp']);
  await page.fill('#scale', '');
  await page.selectOption('#format', '');
  await page.selectOption('#tile-size', '');
}

async function run(browser) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const urls = [];
  const errors = [];
  page.on('request', (request) => urls.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) errors.push(message.text());
  });

  step('GET / in a browser is the page');
  await page.goto(`${base}/`);
  assert.equal(await page.title(), 'real-esrgan-serve');
  await enterTokens(page);
  await cancelSlowTask(page);
  await uploadByKeyboard(page);
  const id = await checkComparison(page);
  await checkDownloads(page, id);
  await checkDivider(page);
  await checkTabOrder(page);
  await page.screenshot({ path: path.join(shotsDir, 'desktop.png'), fullPage: true });
  await checkPhone(page);
  await checkRefusals(page);
  await checkOptions(page);

  step('nothing from another origin, the token in no URL, no script error');
  const foreign = urls.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('blob:'));
  assert.deepEqual(foreign, []);
  assert.deepEqual(urls.filter((u) => u.includes(token)), []);
  assert.deepEqual(errors, []);
  await context.close();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
           '--disable-sync', '--disable-default-apps', '--no-first-run'],
  });
  try {
    await run(browser);
  } finally {
    await browser.close();
  }
  console.log('every check passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
