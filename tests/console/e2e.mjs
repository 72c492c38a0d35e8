// The operators' console, end to end, in headless Chromium: an `arcade
// serve` of its own on 127.0.0.1 (embedded SQLite in a temporary
// directory), a tenant and keys made through the API, then what an
// operator does: sign in (keyboard only), switch a group in the matrix,
// create a lucky draw from the generated form (checked live, simulated
// before saving), watch the dashboard's numbers and chart move as draws
// arrive through the API, edit and roll back the config, replay an
// outcome from "why did this user win?", ship a prize, export, switch to
// English, use it at 375 px, and the admin's plugins page. Every form
// control of every page must be labelled. Screenshots of each page go to
// SCREENSHOT_DIR (default docs/screenshots).
//
// Run by host/tests/console.rs with ARCADE_BIN set to the built binary.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launch, expectText, screenshot } from './lib.mjs';

const BIN = process.env.ARCADE_BIN;
if (!BIN) throw new Error('set ARCADE_BIN to the arcade binary (host/tests/console.rs does)');

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function startServer() {
  const dir = await mkdtemp(path.join(tmpdir(), 'arcade-console-'));
  const port = await freePort();
  const child = spawn(BIN, ['serve', '--data-dir', path.join(dir, 'data'), '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ARCADE_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`arcade serve exited: ${log}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  const admin = (await readFile(path.join(dir, 'data', 'admin-token'), 'utf8')).trim();
  return { base, admin, stop: async () => { child.kill('SIGTERM'); await rm(dir, { recursive: true, force: true }); } };
}

async function api(base, token, method, url, body) {
  const r = await fetch(base + url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// Every input, select and textarea has a label (or an aria-label).
async function allLabelled(page, where) {
  const bare = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((e) => {
      if (e.tagName === 'BUTTON') return !(e.textContent.trim() || e.getAttribute('aria-label'));
      return !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby');
    })
    .map((e) => e.outerHTML.slice(0, 120)));
  check(bare.length === 0, `${where}: controls without a label: ${bare.join(' | ')}`);
}

async function noHorizontalScroll(page, where) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  check(scroll <= width + 1, `${where}: the page is ${scroll}px wide in a ${width}px window`);
}

const steps = [];
function step(name) { steps.push(name); console.log(`- ${name}`); }

const server = await startServer();
const { base, admin } = server;
let browser;
try {
  // A tenant, its keys, two groups (the platform's side, through the API).
  const tenant = (await api(base, admin, 'POST', '/v1/tenants', { name: '咖啡社群' })).id;
  const operator = (await api(base, admin, 'POST', `/v1/tenants/${tenant}/keys`, { role: 'operator' })).key;
  const platform = (await api(base, admin, 'POST', `/v1/tenants/${tenant}/keys`, { role: 'platform' })).key;
  const analyst = (await api(base, admin, 'POST', `/v1/tenants/${tenant}/keys`, { role: 'analyst' })).key;
  const bj = (await api(base, operator, 'POST', '/v1/groups', { name: '北京老客', tier: '中级', tags: ['bj'] })).id;
  const sh = (await api(base, operator, 'POST', '/v1/groups', { name: '上海新客', tier: '初级', tags: ['sh'] })).id;

  browser = await launch({ baseURL: base });
  const page = browser.page;

  step('sign in with the keyboard only');
  await page.goto(`${base}/console`);
  await expectText(page, 'h1', '登录');
  await screenshot(page, 'login');
  await allLabelled(page, 'login');
  const focused = () => page.evaluate(() => document.activeElement.id);
  check(await focused() === 'key', 'the key field is not focused on arrival');
  await page.keyboard.press('Shift+Tab');
  check(await focused() === 'lang-switch', 'Shift+Tab does not reach the language switch');
  await page.keyboard.press('Tab');
  check(await focused() === 'key', 'Tab does not come back to the key field');
  await page.keyboard.type('ak_wrong');
  await page.keyboard.press('Enter');
  await expectText(page, '#login-error', '密钥无效');
  await page.fill('#key', operator);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/groups/);

  // A sign-in posted from elsewhere (no token from the page) is refused.
  const forged = await fetch(`${base}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `key=${operator}` });
  check(forged.status === 403, `a sign-in without the page's token answered ${forged.status}`);

  step('create a lucky draw from the generated form');
  await page.goto(`${base}/console/activities/new?plugin=lucky-draw`);
  await allLabelled(page, 'new activity');
  await page.selectOption('#group_id', bj);
  await page.getByRole('button', { name: '+ prizes' }).click();
  const prize = page.locator('#config-form .sf-array li').first();
  await prize.getByLabel('id *', { exact: true }).fill('mug');
  await prize.getByLabel('name *', { exact: true }).fill('马克杯');
  await prize.getByLabel('weight *', { exact: true }).fill('0');
  // A weight of nothing but misses is refused by the plugin, live.
  await page.getByLabel('miss_weight', { exact: true }).fill('0');
  await expectText(page, '#config-problems', 'weight', { timeout: 10_000 });
  await prize.getByLabel('weight *', { exact: true }).fill('50');
  await prize.getByLabel('stock', { exact: true }).fill('20');
  await page.getByLabel('miss_weight', { exact: true }).fill('50');
  await page.waitForSelector('#config-ok', { timeout: 10_000 });
  await page.fill('#costs', '{"mug": 1500}');
  await page.fill('#budget_yuan', '10');
  await page.click('#simulate');
  await page.waitForSelector('#cost-p95', { timeout: 60_000 });
  await expectText(page, '#budget-warning', '超出预算');
  await screenshot(page, 'create', { fullPage: true });
  // Over budget: saving is refused unless accepted, and nothing typed is lost.
  await page.click('#save');
  await expectText(page, '#form-error', 'budget', { timeout: 60_000 });
  check((await page.inputValue('#costs')) === '{"mug": 1500}', 'the refused form lost the costs');
  check((await page.inputValue('#config')).includes('马克杯'), 'the refused form lost the config');
  await page.check('#accept_over_budget');
  await page.click('#save');
  await page.waitForURL(/\/console\/activities\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  const activity = page.url().split('/').pop();

  step('the dashboard moves as draws arrive through the API');
  await allLabelled(page, 'dashboard');
  await expectText(page, '[data-kpi=kpi_uv] .value', '0');
  const before = await page.evaluate(() => Chart.getChart(document.querySelector('canvas')).data.datasets[0].data.reduce((a, b) => a + b, 0));
  for (const u of ['wx_1', 'wx_2', 'wx_3', 'wx_4', 'wx_5']) {
    await api(base, platform, 'POST', `/v1/activities/${activity}/actions`, { user_id: u, action: 'draw' });
  }
  for (const u of ['wx_1', 'wx_2', 'wx_3', 'wx_9']) {
    await api(base, platform, 'GET', `/v1/activities/${activity}/view?user_id=${u}`);
  }
  await expectText(page, '[data-kpi=kpi_uv] .value', '5', { timeout: 20_000 });
  await expectText(page, '[data-step=funnel_viewed] strong', '4', { timeout: 20_000 });
  await expectText(page, '[data-kpi=kpi_pv] .value', '5');
  const after = await page.evaluate(() => Chart.getChart(document.querySelector('canvas')).data.datasets[0].data.reduce((a, b) => a + b, 0));
  check(after === before + 5, `the trend chart shows ${after} users, not ${before + 5}`);
  await screenshot(page, 'dashboard', { fullPage: true });

  step('switch the second group on in the matrix, by keyboard');
  await page.goto(`${base}/console/groups`);
  await allLabelled(page, 'matrix');
  const cell = page.locator(`#cell-${activity}-${sh} button`);
  check((await cell.getAttribute('aria-pressed')) === 'false', 'the second group starts off');
  await cell.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`#cell-${activity}-${sh} button[aria-pressed=true]`);
  await screenshot(page, 'matrix');
  const groups = await api(base, operator, 'GET', `/v1/activities/${activity}/groups`);
  check(groups.groups.some((g) => g.group_id === sh && g.enabled), 'the API does not see the switch');

  step('edit the config, then roll it back');
  await page.goto(`${base}/console/activities/${activity}/edit`);
  await allLabelled(page, 'edit');
  await page.getByLabel('miss_weight', { exact: true }).fill('80');
  await page.waitForSelector('#config-ok', { timeout: 10_000 });
  await page.fill('#reason', '降低中奖率');
  await page.check('#accept_over_budget');
  await page.click('#save');
  await page.waitForURL(/\/revisions$/, { timeout: 60_000 });
  await expectText(page, '#revision-2 h2', '2');
  await expectText(page, '#revision-2 .changed', '80');
  await page.click('#rollback-1');
  await page.waitForSelector('#revision-3');
  await expectText(page, '#revision-3 .changed', '50');
  await allLabelled(page, 'revisions');
  await screenshot(page, 'revisions', { fullPage: true });
  const now = await api(base, operator, 'GET', `/v1/activities/${activity}`);
  check(now.revision === 3 && now.config.miss_weight === 50, `after the rollback: ${JSON.stringify(now.config)}`);

  step("why did this user win? replay the outcome");
  await page.goto(`${base}/console/activities/${activity}/outcomes`);
  await allLabelled(page, 'outcomes');
  await page.fill('#user', 'wx_3');
  await page.keyboard.press('Enter');
  await page.waitForURL(/user=wx_3/);
  await page.getByRole('link', { name: /为什么/ }).first().click();
  await expectText(page, '#revision', '1');
  const sha = await page.textContent('#plugin-sha');
  check(/^[0-9a-f]{64}$/.test(sha.trim()), `plugin sha256 shown: ${sha}`);
  await page.click('#replay');
  await expectText(page, '#replay-verdict', 'matches: true', { timeout: 30_000 });
  await allLabelled(page, 'outcome');
  await screenshot(page, 'outcome', { fullPage: true });

  step('ship a prize; export the outcomes');
  // Draw until someone wins a mug, so the queue has one.
  for (let i = 0; i < 40; i++) {
    await api(base, platform, 'POST', `/v1/activities/${activity}/actions`, { user_id: `fan_${i}`, action: 'draw' });
  }
  await page.goto(`${base}/console/fulfilment`);
  await allLabelled(page, 'fulfilment');
  const pick = page.locator('#queue input[type=checkbox]').first();
  await pick.check();
  const rewardId = await pick.getAttribute('value');
  await page.fill(`#tracking-${rewardId}`, 'SF1234567890');
  await page.fill('#carrier', '顺丰');
  await screenshot(page, 'fulfilment');
  await page.click('#ship');
  await page.waitForURL(/\/console\/fulfilment$/);
  const shipped = await api(base, operator, 'GET', '/v1/fulfilment?status=shipped');
  check(shipped.items.some((i) => i.reward_id === rewardId && i.tracking_no === 'SF1234567890'), 'the shipment is not recorded');
  await page.goto(`${base}/console/exports`);
  await page.click('#start-export');
  await page.waitForSelector('#export-list a.download', { timeout: 30_000 });
  await allLabelled(page, 'exports');
  await screenshot(page, 'exports');
  const href = await page.getAttribute('#export-list a.download', 'href');
  const csv = await page.evaluate(async (u) => (await fetch(u)).text(), href);
  check(csv.split('\n').length > 40, `the export has ${csv.split('\n').length} lines`);

  step('switch to English');
  await page.goto(`${base}/console/activities/${activity}`);
  await page.click('#lang-switch');
  await expectText(page, 'header', 'Sign out');
  await expectText(page, '[data-kpi=kpi_uv] .label', 'Users (UV)');
  check((await page.getAttribute('html', 'lang')) === 'en', 'html lang is not en');
  await screenshot(page, 'dashboard-en', { fullPage: true });
  await page.click('#lang-switch');
  await expectText(page, 'header', '退出');

  step('an analyst reads but cannot change');
  await page.context().clearCookies();
  await page.goto(`${base}/console/login`);
  await page.fill('#key', analyst);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/groups/);
  check(await page.locator(`#cell-${activity}-${sh} button`).count() === 0, 'an analyst sees switches');
  const refused = await page.evaluate(async ([a, g]) => {
    const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
    const r = await fetch('/console/groups/cell', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': csrf }, body: `activity=${a}&group=${g}&enabled=false` });
    return r.status;
  }, [activity, sh]);
  check(refused === 403, `an analyst's switch answered ${refused}`);

  step('the admin sees the plugins and what pins them');
  await page.context().clearCookies();
  await page.goto(`${base}/console/login`);
  await page.fill('#key', admin);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/console\/plugins/);
  await expectText(page, 'tr[data-plugin=lucky-draw] .pins', '1');
  await allLabelled(page, 'plugins');
  await screenshot(page, 'plugins', { fullPage: true });
  await browser.close();

  step('usable at 375 px');
  browser = await launch({ baseURL: base, mobile: true });
  const phone = browser.page;
  await phone.goto(`${base}/console/login`);
  await phone.fill('#key', operator);
  await phone.keyboard.press('Enter');
  await phone.waitForURL(/\/console\/groups/);
  for (const [url, name] of [[`/console/activities/${activity}`, 'dashboard-mobile'], ['/console/groups', 'matrix-mobile'], [`/console/activities/${activity}/outcomes`, 'outcomes-mobile']]) {
    await phone.goto(base + url);
    await noHorizontalScroll(phone, name);
    await screenshot(phone, name, { mobile: true });
  }
  console.log(`console e2e: ${steps.length} steps passed`);
} finally {
  if (browser) await browser.close().catch(() => {});
  await server.stop();
}
