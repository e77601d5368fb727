// Chromium cannot subscribe here (its push service is Google's), so this
// drives the worker's handlers through DevTools' deliverPushMessage, checks
// that the SDK's subscribe time-out answers instead of hanging, and that
// Herald's worker works inside a site's own worker via importScripts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { startHerald, createProject, tempDatabase, freePort, launchChromium, eventually, sleep, root } from './lib.mjs';

let server, project, browser;

before(async () => {
  const database = tempDatabase();
  project = createProject(database);
  server = await startHerald(database, await freePort());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the test page, grants notifications, registers `worker`, returns the page and a DevTools session. */
async function setUp(worker) {
  const context = await browser.createBrowserContext();
  await context.overridePermissions(server.url, ['notifications']);
  const page = await context.newPage();
  await page.goto(`${server.url}/index.html?project=${project.id}&timeout=1500`);
  const cdp = await page.createCDPSession();
  await cdp.send('ServiceWorker.enable');
  const registrationId = new Promise((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const found = registrations.find((r) => r.scopeURL.startsWith(server.url) && !r.isDeleted);
      if (found) resolve(found.registrationId);
    });
  });
  await page.evaluate((url) => navigator.serviceWorker.register(url).then(() => navigator.serviceWorker.ready), worker);
  const id = await registrationId;
  const push = (data) => cdp.send('ServiceWorker.deliverPushMessage', { origin: server.url, registrationId: id, data: JSON.stringify(data) });
  const shown = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data }));
    });
  return { context, page, push, shown };
}

const heraldPayload = (title, delivery) => ({
  id: 7, delivery, title, body: 'from the test', url: '/orders/7', icon: null, image: null, badge: null,
  actions: [{ action: 'track', title: 'Track', url: '/track/7' }], tag: `t${delivery}`, require_interaction: false, data: { k: 1 },
});

test('subscribe answers false instead of hanging when Chromium cannot reach its push service', async () => {
  const { context, page } = await setUp('/herald-sw.js');
  const started = Date.now();
  const result = await page.evaluate(() => window.cmd('subscribe'));
  assert.equal(result, false);
  assert.ok(Date.now() - started < 10000);
  assert.equal((await page.evaluate(() => window.cmd('status'))).subscribed, false);
  await context.close();
});

test('a push service that never answers subscribe() is cut off after subscribeTimeoutMs', async () => {
  const { context, page } = await setUp('/herald-sw.js');
  // What Chromium does without Google's push service on some set-ups: the
  // promise never settles. The SDK must not wait for ever.
  await page.evaluate(() => {
    PushManager.prototype.subscribe = () => new Promise(() => {});
  });
  const started = Date.now();
  const error = await page.evaluate(() => import('/sdk/herald.js').then((m) => m.subscribe()).then(() => null, (e) => e.code));
  const took = Date.now() - started;
  assert.equal(error, 'timeout');
  assert.ok(took >= 1400 && took < 8000, `answered after ${took} ms`);
  assert.equal(await page.evaluate(() => window.cmd('subscribe')), false);
  await context.close();
});

test('outside a user gesture subscribe opens the soft prompt instead of the browser\'s dialog; status never prompts', async () => {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/index.html?project=${project.id}`);
  const before = await page.evaluate(() => Notification.permission);
  if (before === 'default') {
    // DevTools runs evaluate() as a user gesture; wait until its transient
    // activation has expired (about 5 s in Chromium) before subscribing.
    await page.evaluate(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5500));
      window.answer = import('/sdk/herald.js').then((m) => m.subscribe()).then((ok) => ok, (e) => e.code);
    });
    await eventually(() => page.evaluate(() => !!document.querySelector('[data-herald=prompt]')?.shadowRoot.querySelector('dialog:modal')), 5000, 'the soft prompt');
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => window.answer), false, 'not subscribed: the user said not now');
  } else {
    // Headless builds that deny notifications outright: subscribe reports it.
    const code = await page.evaluate(() => import('/sdk/herald.js').then((m) => m.subscribe()).then(() => null, (e) => e.code));
    assert.equal(code, 'permission-denied');
  }
  const status = await page.evaluate(() => window.cmd('status'));
  assert.equal(status.subscribed, false);
  assert.equal(await page.evaluate(() => Notification.permission), before, 'nothing was asked');
  await context.close();
});

test('the worker shows a Herald push with its content and posts it to the page', async () => {
  const { context, page, push, shown } = await setUp('/herald-sw.js');
  await push(heraldPayload('Shipped', 1));
  const list = await eventually(async () => (await shown()).length === 1 && shown(), 15000, 'the notification');
  assert.equal(list[0].title, 'Shipped');
  assert.equal(list[0].body, 'from the test');
  assert.equal(list[0].tag, 't1');
  assert.equal(list[0].data.url, '/orders/7');
  assert.deepEqual(list[0].data.herald, { id: 7, delivery: 1 });
  const received = await eventually(() => page.evaluate(() => window.received.length && window.received), 5000, 'the page message');
  assert.equal(received[0].title, 'Shipped');
  await context.close();
});

test("inside a site's worker via importScripts, Herald's pushes are Herald's and the site's stay the site's", async () => {
  const { context, push, shown } = await setUp('/site-sw.js');
  const target = await context.waitForTarget((t) => t.type() === 'service_worker' && t.url().endsWith('/site-sw.js'));
  const worker = await target.worker();
  await push({ site: 'hello' });
  await push(heraldPayload('From Herald', 2));
  // Each push shown once, by its own handler (the worker's record of the
  // showNotification() calls that resolved).
  const log = await eventually(async () => {
    const entries = await worker.evaluate(() => self.shownLog);
    return entries.length >= 2 && entries;
  }, 15000, 'both notifications shown by the worker');
  const byTitle = Object.fromEntries(log.map((n) => [n.title, n]));
  assert.deepEqual(Object.keys(byTitle).sort(), ['From Herald', 'site: hello']);
  assert.equal(byTitle['site: hello'].data, null, 'Herald did not touch the site notification');
  assert.deepEqual(byTitle['From Herald'].data.herald, { id: 7, delivery: 2 });
  await sleep(200);
  assert.equal((await worker.evaluate(() => self.shownLog)).length, 2, 'no extra notification for the site push');
  // And what the browser lists is among them (never a third).
  for (const n of await shown()) assert.ok(['From Herald', 'site: hello'].includes(n.title), n.title);
  await context.close();
});

test('when the .wasm cannot load, callbacks answer false and the module API rejects with unsupported', async () => {
  // herald.js served on its own, without its .wasm next to it (a 404).
  const sdk = readFileSync(join(root, 'dist', 'sdk', 'herald.js'));
  const page = `<!doctype html><script>
    window.herald = window.herald || function () { (herald.q = herald.q || []).push(arguments); };
    window.answers = [];
    herald('init', { server: location.origin, project: 'p' });
    herald('subscribe', (ok) => answers.push(['subscribe', ok]));
    herald('status', (ok, details) => answers.push(['status', ok, details]));
  </script><script type="module" src="/sdk/herald.js"></script>`;
  const site = createServer((req, res) => {
    if (req.url === '/sdk/herald.js') {
      res.setHeader('content-type', 'text/javascript');
      return res.end(sdk);
    }
    if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      return res.end(page);
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const context = await browser.createBrowserContext();
  try {
    const tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${site.address().port}/`);
    await eventually(async () => (await tab.evaluate(() => window.answers.length)) === 2, 10000, 'both callbacks');
    assert.deepEqual(await tab.evaluate(() => window.answers), [['subscribe', false], ['status', false, null]]);
    const code = await tab.evaluate(() => import('/sdk/herald.js').then((m) => m.subscribe()).then(() => 'resolved', (e) => e.code));
    assert.equal(code, 'unsupported');
  } finally {
    await context.close();
    site.close();
  }
});
