// Helpers for the Arcade web console browser tests.
//
// Drives Debian's Chromium (the `chromium` package) through playwright-core;
// no Playwright-managed browser download is needed.
//
// Launch mode: `chromium.launchPersistentContext(userDataDir, ...)`.
// It is the only Playwright entry point that takes an explicit user-data dir
// (`chromium.launch` refuses a `--user-data-dir` argument and picks its own),
// so we create a fresh directory with mkdtemp for every launch and delete it
// in close(). It also takes the viewport / mobile emulation options at launch,
// because a persistent context is the browser's one and only context.
//
// Environment:
//   CHROMIUM        browser executable (default /usr/bin/chromium)
//   SCREENSHOT_DIR  where screenshot() writes PNGs; a relative path is taken
//                   from the current directory (default <repo>/docs/screenshots)

import { chromium } from 'playwright-core';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');

export const DESKTOP_VIEWPORT = Object.freeze({ width: 1280, height: 800 });
export const MOBILE_VIEWPORT = Object.freeze({ width: 375, height: 740 });

export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/**
 * Start a headless Chromium with a fresh temporary profile.
 *
 * @param {object} [opts]
 * @param {boolean} [opts.mobile=false]  375x740 viewport with touch/mobile emulation
 *                                       instead of the 1280x800 desktop viewport.
 * @param {string}  [opts.baseURL]       resolves relative URLs in page.goto().
 * @param {number}  [opts.timeout=10000] default timeout for page actions (ms).
 * @returns {Promise<{browser: import('playwright-core').Browser | null,
 *                    context: import('playwright-core').BrowserContext,
 *                    page: import('playwright-core').Page,
 *                    userDataDir: string,
 *                    close: () => Promise<void>}>}
 */
export async function launch(opts = {}) {
  const { mobile = false, baseURL, timeout = 10_000 } = opts;
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'arcade-console-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: mobile ? { ...MOBILE_VIEWPORT } : { ...DESKTOP_VIEWPORT },
      ...(mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}),
      ...(baseURL ? { baseURL } : {}),
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  context.setDefaultTimeout(timeout);
  // A persistent context opens with one blank tab; reuse it.
  const page = context.pages()[0] ?? (await context.newPage());

  let closed = false;
  async function close() {
    if (closed) return;
    closed = true;
    try {
      await context.close();
    } finally {
      await rm(userDataDir, { recursive: true, force: true });
    }
  }

  return { browser: context.browser(), context, page, userDataDir, close };
}

/**
 * Wait until the first element matching `selector` contains `text`
 * (a substring, or a RegExp tested against innerText). Throws an Error naming
 * the selector, the expectation, what was actually found, and the page URL.
 */
export async function expectText(page, selector, text, { timeout = 5_000 } = {}) {
  const matches = (s) => (text instanceof RegExp ? text.test(s) : s.includes(String(text)));
  const locator = page.locator(selector).first();
  const deadline = Date.now() + timeout;
  let actual = null;
  for (;;) {
    if ((await locator.count()) > 0) {
      actual = await locator.innerText().catch(() => null);
      if (actual !== null && matches(actual)) return actual;
    }
    if (Date.now() >= deadline) break;
    await page.waitForTimeout(100);
  }
  const want = text instanceof RegExp ? String(text) : JSON.stringify(String(text));
  const got = actual === null ? 'no element matched' : `found ${JSON.stringify(actual)}`;
  throw new Error(
    `expectText: ${JSON.stringify(selector)} should contain ${want} within ${timeout} ms, ` +
      `but ${got} (page ${page.url()})`,
  );
}

/** Directory screenshot() writes into. */
export function screenshotDir() {
  const dir = process.env.SCREENSHOT_DIR;
  return dir ? path.resolve(dir) : path.join(REPO_ROOT, 'docs', 'screenshots');
}

/**
 * Save a PNG of the page as `<SCREENSHOT_DIR>/<name>.png` and return its path.
 *
 * @param {object}  [opts]
 * @param {boolean} [opts.mobile]     shoot at 375x740 (true) or 1280x800 (false);
 *                                    the previous viewport is restored afterwards.
 *                                    Omitted: keep the current viewport (1280x800
 *                                    unless launched with {mobile: true}).
 * @param {boolean} [opts.fullPage=false]
 */
export async function screenshot(page, name, { mobile, fullPage = false } = {}) {
  const file = path.join(screenshotDir(), name.endsWith('.png') ? name : `${name}.png`);
  await mkdir(path.dirname(file), { recursive: true });
  const previous = page.viewportSize();
  const wanted = mobile === undefined ? null : mobile ? MOBILE_VIEWPORT : DESKTOP_VIEWPORT;
  const resize =
    wanted && (!previous || previous.width !== wanted.width || previous.height !== wanted.height);
  if (resize) await page.setViewportSize({ ...wanted });
  try {
    await page.screenshot({ path: file, fullPage, animations: 'disabled' });
  } finally {
    if (resize && previous) await page.setViewportSize(previous);
  }
  return file;
}
