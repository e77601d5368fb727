// Helpers for the end-to-end tests: the real Herald binary, the push-service
// peer binary (Mozilla's WebPush WebSocket protocol + RFC 8030), and a real
// headless browser driven by puppeteer-core.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = (name) => join(root, 'target', process.env.HERALD_PROFILE || 'debug', name);

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts a process and resolves with the first stdout/stderr line matching `pattern`. */
function startProcess(file, args, { stream = 'stderr', pattern, env = {} }) {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const log = [];
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child[stream] });
    const other = stream === 'stderr' ? child.stdout : child.stderr;
    other.on('data', (d) => log.push(String(d)));
    lines.on('line', (line) => {
      log.push(line);
      const match = line.match(pattern);
      if (match) resolve({ child, match, log });
    });
    child.on('exit', (code) => reject(new Error(`${file} exited (${code}):\n${log.join('\n')}`)));
  });
}

export async function startPeer() {
  const { child, match } = await startProcess(bin('push-peer'), [], { stream: 'stdout', pattern: /^\{.*"ws".*\}$/ });
  const info = JSON.parse(match[0]);
  return {
    ...info,
    control: (path, body) =>
      fetch(`${info.origin}/_control/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json()),
    stop: () => child.kill('SIGTERM'),
  };
}

export function createProject(databaseUrl) {
  const out = execFileSync(bin('herald'), ['--database-url', databaseUrl, 'project', 'create', '--name', 'E2E shop']);
  return JSON.parse(String(out));
}

/**
 * A Herald server on `port` (fixed, so a restart keeps the page's server
 * URL), serving the test pages; with `demo: projectId`, the demo shop
 * (demo-site/) and its backend instead.
 */
export async function startHerald(databaseUrl, port, { demo } = {}) {
  const site = demo ? ['--site-dir', join(root, 'demo-site'), '--demo', demo] : ['--site-dir', join(root, 'tests', 'e2e', 'site')];
  const { child, log } = await startProcess(
    bin('herald'),
    ['--database-url', databaseUrl, 'serve', '--listen', `127.0.0.1:${port}`, '--allow-origin', '*', ...site,
      '--dist-dir', join(root, 'dist'),
      '--retry-base-ms', '200', '--vapid-subject', 'mailto:e2e@herald.example', '--push-service', '127.0.0.1'],
    { pattern: /listening on/, env: { RUST_LOG: 'info' } },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function tempDatabase() {
  return `sqlite://${join(mkdtempSync(join(tmpdir(), 'herald-e2e-')), 'herald.db')}`;
}

export const sign = (secret, uid) => createHmac('sha256', secret).update(uid).digest('hex');

/**
 * Firefox ESR against the push peer at `wsUrl`. Notifications are allowed
 * up front unless `ask` is set: then permission starts at "default", as
 * for a first-time visitor (a test grants it with overridePermissions).
 */
export async function launchFirefox(wsUrl, { ask = false } = {}) {
  return puppeteer.launch({
    browser: 'firefox',
    protocolTimeout: 60000,
    executablePath: process.env.FIREFOX || '/usr/lib/firefox-esr/firefox-esr',
    headless: true,
    extraPrefsFirefox: {
      'dom.push.serverURL': wsUrl,
      'dom.push.connection.enabled': true,
      'dom.push.testing.allowInsecureServerURL': true,
      'dom.push.retryBaseInterval': 500,
      'permissions.default.desktop-notification': ask ? 0 : 1,
      'alerts.useSystemBackend': false,
      'dom.serviceWorkers.testing.enabled': true,
    },
  });
}

export async function launchChromium() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** The backend side: send and read notifications with the API token. */
export function backend(server, project) {
  const call = async (method, path, body) => {
    const response = await fetch(`${server.url}/api/v1/projects/${project.id}${path}`, {
      method,
      headers: { authorization: `Bearer ${project.api_token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  return {
    call,
    send: async (body) => {
      const answer = await call('POST', '/notifications', body);
      if (answer.status !== 202) throw new Error(`send refused: ${JSON.stringify(answer)}`);
      return answer.body;
    },
    waitDone: async (id, timeoutMs = 15000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const answer = await call('GET', `/notifications/${id}`);
        if (answer.body.status === 'done' || Date.now() > deadline) return answer.body;
        await sleep(100);
      }
    },
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually(check, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Where screenshots go on every run (looked at by people, not compared). */
export const output = join(root, 'test-output');

/**
 * Screenshots of the page as it is now, light and dark, 375 and 1280 px
 * wide: test-output/<name>-<light|dark>-<width>.png.
 */
export async function shoot(page, name) {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(output, { recursive: true });
  const size = page.viewport() || { width: 1280, height: 800 };
  for (const scheme of ['light', 'dark']) {
    await theme(page, scheme);
    for (const width of [375, 1280]) {
      await page.setViewport({ width, height: width < 500 ? 740 : 800 });
      await sleep(150);
      await page.screenshot({ path: join(output, `${name}-${scheme}-${width}.png`) });
    }
  }
  await theme(page, 'light');
  await page.setViewport(size);
}

/**
 * Light or dark: Chromium emulates prefers-color-scheme; Firefox (no such
 * emulation over WebDriver BiDi) gets the page and Herald's parts forced
 * through `color-scheme`, the way a site with its own theme switch does.
 */
export async function theme(page, scheme) {
  if (page.browser().protocol != 'webDriverBiDi') return page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  await page.evaluate((scheme) => {
    const style = document.getElementById('test-theme') || document.head.appendChild(Object.assign(document.createElement('style'), { id: 'test-theme' }));
    style.textContent = `:root, [data-herald] { color-scheme: ${scheme} }`;
  }, scheme);
}

/** axe-core's WCAG 2.2 A/AA violations on the page, light and dark (open shadow roots included). */
export async function axe(page) {
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const found = [];
  for (const scheme of ['light', 'dark']) {
    await theme(page, scheme);
    await page.evaluate(source);
    const violations = await page.evaluate(async () => {
      const result = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
      });
      return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
    });
    found.push(...violations.map((v) => `${scheme}: ${v}`));
  }
  await theme(page, 'light');
  return found;
}

/** The element with focus, through open shadow roots: `part:tag:text`. */
export const focused = (page) =>
  page.evaluate(() => {
    let el = document.activeElement;
    let part = '';
    while (el && el.shadowRoot && el.shadowRoot.activeElement) {
      part = el.dataset.herald || part;
      el = el.shadowRoot.activeElement;
    }
    const label = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label') || (label && el.getRootNode().getElementById(label)?.textContent) || el.textContent || el.id;
    return `${part}:${el.tagName.toLowerCase()}:${name.trim()}`;
  });

/** A Herald part's state: whether its host is there, and its dialog open as a modal. */
export const part = (page, name) =>
  page.evaluate((name) => {
    const host = document.querySelector(`[data-herald="${name}"]`);
    const dialog = host?.shadowRoot?.querySelector('dialog');
    const text = [...(host?.shadowRoot?.children ?? [])].filter((e) => e.localName != 'style').map((e) => e.textContent).join('');
    return { present: !!host, modal: !!dialog?.matches(':modal'), text };
  }, name);

/** Clicks the element of a part matching `selector` (a real, trusted click). */
export async function clickIn(page, name, selector) {
  const handle = await page.evaluateHandle((name, selector) => document.querySelector(`[data-herald="${name}"]`).shadowRoot.querySelector(selector), name, selector);
  await handle.asElement().click();
}
