// Every page of the demo shop and of the admin console in headless
// Chromium, as a person sees them: axe-core WCAG 2.2 A/AA (0 violations),
// the keyboard alone where it matters (skip links, logging in, signing in,
// the send form's inline error), and screenshots light and dark at 375 and
// 1280 px in test-output/. The console reads a project with subscribers,
// prompt events and notifications made through the real API; its sends
// reach subscriptions on the push peer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPeer, startHerald, createProject, tempDatabase, freePort, launchChromium, backend, eventually, shoot, axe, focused, part, sign } from './lib.mjs';

let peer, server, project, api, browser, page;

before(async () => {
  peer = await startPeer();
  const database = tempDatabase();
  project = createProject(database);
  server = await startHerald(database, await freePort(), { demo: project.id });
  api = backend(server, project);
  browser = await launchChromium();
  page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1280, height: 800 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  peer?.stop();
});

/** A browser-side API call (no token), as the SDK makes it. */
const browserCall = (path, body) =>
  fetch(`${server.url}/api/v1/projects/${project.id}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** `n` subscriptions on the push peer; every third one a logged-in user, tags and topics varied. */
async function subscribe(n) {
  const made = [];
  for (let i = 0; i < n; i++) {
    const { endpoint, keys } = await peer.control('subscriptions', {});
    const body = {
      endpoint,
      keys,
      tags: i % 2 ? ['vip'] : ['newsletter'],
      topics: i % 3 ? ['orders', 'news'] : ['orders'],
    };
    if (i % 3 == 0) Object.assign(body, { uid: `user-${i}`, uid_signature: sign(project.secret, `user-${i}`) });
    const response = await browserCall('/subscriptions', body);
    assert.equal(response.status, 201, await response.text());
    made.push(body);
  }
  return made;
}

async function look(name) {
  assert.deepEqual(await axe(page), [], `${name}: axe`);
  await shoot(page, name);
}

/** The shop page at `path`, once the status strip is drawn. */
async function shop(path) {
  await page.goto(server.url + path);
  await page.waitForSelector('#herald-status [data-status=subscribed]');
}

/** A console view, freshly loaded (a hash change alone would keep the old one on screen a moment). */
async function admin(view) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/admin${view}`);
}

/** The soft prompt, where a trigger opened it, answered "Not now" with Escape. */
async function notNow() {
  if ((await part(page, 'prompt')).modal) await page.keyboard.press('Escape');
}

/** Tabs until `selector` has the focus (at most `limit` presses). */
async function tabTo(selector, limit = 15) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
  }
  assert.fail(`${selector} never got the focus`);
}

test('the shop: home, product, cart, order placed and preferences, logged out and in, by keyboard', async () => {
  await shop('/');
  assert.equal((await page.$$('#products li')).length, 6);
  await look('shop-home');
  // The skip link is the first stop and moves focus to the products.
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), ':a:Skip to the products');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id || document.activeElement.closest('main')?.id), 'main');
  // Log in with the keyboard alone: the user menu, then the button.
  await tabTo('#as');
  await page.keyboard.press('ArrowDown');
  const chosen = await page.$eval('#as', (s) => s.options[s.selectedIndex].text);
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), ':button:Log in');
  await page.keyboard.press('Enter');
  await page.waitForFunction((name) => document.querySelector('.who')?.textContent.includes(name), {}, chosen);
  await page.waitForSelector('#herald-status [data-status=subscribed]');
  await look('shop-home-logged-in');

  await shop('/product.html?id=mug');
  await look('shop-product');
  await notNow();
  await page.click('#add');
  await page.waitForFunction(() => document.querySelector('#added').textContent.length > 0);
  await shop('/product.html?id=lamp');
  await page.evaluate(() => document.querySelector('#alerts').scrollIntoView());
  await eventually(async () => (await part(page, 'prompt')).modal, 8000, 'the soft prompt on the second product');
  await look('shop-product-prompt');
  await notNow();
  await page.click('#add');
  await page.waitForFunction(() => document.querySelector('.count').textContent == '2');

  await shop('/cart.html');
  assert.equal((await page.$$('#lines tbody tr')).length, 2);
  await look('shop-cart');
  await page.click('#checkout');
  await page.waitForSelector('#thanks');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'thanks', 'focus moves to the confirmation');
  await notNow();
  await look('shop-order-placed');

  await shop('/preferences.html');
  await look('shop-preferences');
  await page.click('#logout');
  await page.waitForSelector('#login');
  await look('shop-preferences-logged-out');
});

test('the order is the value moment: placing one opens the soft prompt where no trigger has', async () => {
  const fresh = await (await browser.createBrowserContext()).newPage();
  await fresh.setViewport({ width: 1280, height: 800 });
  await fresh.evaluateOnNewDocument(() => localStorage.getItem('shop:cart') || localStorage.setItem('shop:cart', '[{"id":"tote","qty":1}]'));
  await fresh.goto(`${server.url}/cart.html`);
  await fresh.waitForSelector('#checkout');
  assert.equal((await part(fresh, 'prompt')).present, false, 'no prompt on the first page view');
  await fresh.click('#checkout');
  await eventually(async () => (await part(fresh, 'prompt')).modal, 8000, 'the soft prompt after the order');
  assert.deepEqual(await axe(fresh), []);
  await shoot(fresh, 'shop-order-prompt');
  await fresh.keyboard.press('Escape');
  await fresh.waitForFunction(() => document.body.dataset.prompt !== undefined);
  assert.equal(await fresh.evaluate(() => document.body.dataset.prompt), 'dismissed');
  await fresh.browserContext().close();
});

test('the console: sign in by keyboard, a refused token said at the field', async () => {
  await page.goto(`${server.url}/admin`);
  await page.waitForSelector('#token');
  await look('admin-signin');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'token', 'the token field has the focus');
  await page.keyboard.type('hrld_not-a-token');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#token-error');
  assert.match(await page.$eval('#token-error', (e) => e.textContent), /refused/);
  assert.equal(await page.$eval('#token', (e) => e.getAttribute('aria-describedby')), 'token-hint token-error');
  await look('admin-signin-refused');
  await page.keyboard.type(project.api_token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-total=active]');
  assert.equal(await page.$eval('#project-name', (e) => e.textContent), 'E2E shop');
});

test('the console overview: totals by status, the daily chart with its table, the prompt funnel', async () => {
  const made = await subscribe(12);
  for (const gone of made.slice(0, 2)) {
    assert.equal((await browserCall('/subscriptions/opt-out', { endpoint: gone.endpoint, auth: gone.keys.auth })).status, 200);
  }
  for (const [event, times] of [['shown', 6], ['accepted', 4], ['granted', 3], ['dismissed', 2], ['denied', 1]]) {
    for (let i = 0; i < times; i++) {
      const response = await browserCall('/prompt-events', { event });
      assert.ok(response.status < 300, `${event}: ${response.status} ${await response.text()}`);
    }
  }
  await admin('#/overview');
  await page.waitForSelector('[data-plot] svg');
  const total = (key) => page.$eval(`[data-total=${key}]`, (e) => e.textContent);
  assert.equal(await total('active'), '10');
  assert.equal(await total('opted_out'), '2');
  assert.equal(await total('expired'), '0');
  // Each chart has its numbers in a table too.
  const tables = await page.$$eval('details table', (ts) => ts.length);
  assert.ok(tables >= 1, 'a table beside the chart');
  await look('admin-overview');
  await page.select('#days', '7');
  await page.waitForFunction(() => location.hash == '#/overview?days=7' && document.querySelector('#daily-title')?.textContent.includes('7 days'));
});

test('the console send form: a bad tags expression said inline at its field, by keyboard; a good send accepted', async () => {
  await admin('#/send');
  await page.waitForSelector('#title');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'title');
  await page.keyboard.type('Spring sale');
  await page.keyboard.press('Tab');
  await page.keyboard.type('20% off everything waxed, this weekend only.');
  await page.click('input[name=target][value=tags]');
  await page.type('#tags', 'vip && (');
  await look('admin-send');
  await page.click('#submit');
  await page.waitForFunction(() => document.querySelector('#tags-error').textContent.length > 0);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'tags', 'focus goes to the field at fault');
  assert.equal(await page.$eval('#tags', (e) => e.getAttribute('aria-invalid')), 'true');
  assert.match(await page.$eval('#form-error', (e) => e.textContent), /Not sent: see Tag expression/);
  assert.match(await page.$eval('#tags-error', (e) => e.textContent), /^Expected a tag name/);
  await look('admin-send-error');
  // The size indicator counts what the text adds.
  const before = await page.$eval('#size-meter', (m) => m.value);
  await page.type('#body', ' More words.');
  assert.ok((await page.$eval('#size-meter', (m) => m.value)) > before);
  await page.$eval('#tags', (e) => (e.value = ''));
  await page.type('#tags', 'vip');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#sent').textContent.length > 0);
  assert.match(await page.$eval('#sent', (e) => e.textContent), /Accepted for 5 subscriptions/);
});

test('the console list and detail: counts reach sent on the peer; a scheduled one cancelled', async () => {
  const everyone = await api.send({ title: 'New arrivals', body: 'Six things for the cold months.', target: { all: true } });
  await api.waitDone(everyone.id);
  const later = await api.send({ title: 'Tomorrow: the winter sale', target: { topic: 'orders' }, send_at: new Date(Date.now() + 86_400_000).toISOString() });
  await admin('#/notifications');
  await page.waitForSelector('tbody tr');
  const titles = await page.$$eval('tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(titles, ['Tomorrow: the winter sale', 'New arrivals', 'Spring sale'], 'newest first');
  await look('admin-notifications');

  await admin(`#/notifications/${everyone.id}`);
  await page.waitForSelector('[data-count=sent]');
  await eventually(async () => (await page.$eval('[data-count=sent]', (e) => e.textContent)) == '10', 10000, 'ten sent');
  assert.ok(await page.$('#progress'), 'the chart');
  await look('admin-detail');

  await admin(`#/notifications/${later.id}`);
  await page.waitForSelector('#cancel:not([hidden])');
  await look('admin-detail-scheduled');
  await page.focus('#cancel');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement.id == 'cancelled', { timeout: 5000 });
  assert.match(await page.$eval('#cancelled', (e) => e.textContent), /^Cancelled/);
  assert.equal(await page.$eval('#cancel', (b) => b.hidden), true);
  assert.equal(await page.$eval('[data-count=cancelled]', (e) => e.textContent), '10');
  assert.equal(await page.$eval('[data-count=queued]', (e) => e.textContent), '0');
  assert.equal((await api.call('GET', `/notifications/${later.id}`)).body.status, 'cancelled');
  // The skip link moves focus to the content and keeps the view.
  await page.keyboard.down('Shift');
  for (let i = 0; i < 40 && !(await page.evaluate(() => document.activeElement?.classList.contains('skip'))); i++) await page.keyboard.press('Tab');
  await page.keyboard.up('Shift');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  assert.equal(await page.evaluate(() => location.hash), `#/notifications/${later.id}`);
  await look('admin-detail-cancelled');
});
