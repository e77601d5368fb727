// The SDK's UI where a subscription can really be made: Firefox ESR against
// the real server and the push peer on loopback. The soft prompt's Allow,
// pressed with the keyboard, is granted through the browser's permission
// override and subscribes with the options of the last uid call; a trigger
// never fires once subscribed; the preference center shows what the
// server says, saves each change, says when a save fails and applies it
// once the server is back; "Turn off all notifications" opts out for good.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPeer, startHerald, createProject, tempDatabase, freePort, launchFirefox, backend, sign, eventually, sleep, shoot, axe, focused, part, clickIn } from './lib.mjs';

let peer, server, project, browser, page, api, database, port;

before(async () => {
  peer = await startPeer();
  database = tempDatabase();
  project = createProject(database);
  port = await freePort();
  server = await startHerald(database, port);
  api = backend(server, project);
  browser = await launchFirefox(peer.ws, { ask: true });
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  peer?.stop();
});

const TOPICS = ['orders', 'offers', 'news'];
const open = async (query = '') => {
  await page.goto(`${server.url}/ui.html?project=${project.id}${query}`);
  // A shown notification's alert window takes the focus; keys need it back.
  await page.bringToFront();
  await page.evaluate(() => new Promise((resolve) => herald('status', resolve)));
};

/** What the server holds for this browser's subscription (the browser API's status, called from here). */
async function serverState() {
  const { endpoint, auth } = await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/herald-sw.js');
    const json = (await registration.pushManager.getSubscription()).toJSON();
    return { endpoint: json.endpoint, auth: json.keys.auth };
  });
  const response = await fetch(`${server.url}/api/v1/projects/${project.id}/subscriptions/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ endpoint, auth }),
  });
  return { ...(await response.json()), endpoint, auth };
}

/** The preference center's switches: {topic: checked}. */
const switches = () =>
  page.evaluate(() =>
    Object.fromEntries([...(document.querySelector('[data-herald=preferences]')?.shadowRoot.querySelectorAll('[role=switch]') ?? [])]
      .map((s) => [s.dataset.id, s.getAttribute('aria-checked') == 'true'])));
const said = () =>
  page.evaluate(() => {
    const root = document.querySelector('[data-herald=preferences]').shadowRoot;
    return { status: root.querySelector('[role=status]').textContent, alert: root.querySelector('[role=alert]').textContent };
  });
const shown = (title) =>
  page.evaluate(async (title) => {
    const registration = await navigator.serviceWorker.getRegistration('/herald-sw.js');
    return (await registration.getNotifications()).filter((n) => n.title == title).length;
  }, title);

test('the prompt with the keyboard alone: Tab to Allow, Enter; granted through the override, subscribed with the uid given before', async () => {
  await open('&prefs=1');
  assert.equal(await page.evaluate(() => Notification.permission), 'default');
  // A logged-in page: the uid comes before any subscription, and is kept.
  const kept = await page.evaluate((sig) => new Promise((resolve) => herald('uid', 'alice', sig, resolve)), sign(project.secret, 'alice'));
  assert.equal(kept, true);
  await page.evaluate(() => { window.outcome = undefined; herald('prompt').then((o) => (window.outcome = o)); });
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt');
  assert.equal(await focused(page), 'prompt:button:Not now');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'prompt:button:Turn on notifications');
  await page.browserContext().overridePermissions(server.url, ['notifications']);
  await page.keyboard.press('Enter');
  assert.equal(await eventually(() => page.evaluate(() => window.outcome), 10000, 'the outcome'), 'granted');
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.slice(0, 2), ['prompt-shown', 'prompt-accepted']);
  assert.ok(events.includes('subscribed'), `events ${events}`);
  const state = await serverState();
  assert.equal(state.status, 'active');
  assert.equal(state.uid, 'alice', 'the uid given before the subscription');
  // The inline preference center on the same page now shows the switches.
  await eventually(async () => Object.keys(await switches()).length == 3, 5000, 'the switches');
  const { id } = await api.send({ title: 'For Alice', target: { uids: ['alice'] } });
  await eventually(async () => (await shown('For Alice')) == 1, 10000, 'the notification');
  assert.equal((await api.waitDone(id)).counts.sent, 1);
});

test('a trigger never fires once the browser is subscribed', async () => {
  await open(`&triggers=${encodeURIComponent(JSON.stringify({ pageViews: 1, seconds: 1 }))}`);
  await sleep(2000);
  assert.equal((await part(page, 'prompt')).present, false);
  assert.equal(await page.evaluate(() => herald('prompt')), 'ineligible', 'nor the explicit prompt');
});

test('the preference center, subscribed: switches and frequency from the server, each change saved, keyboard alone, survives a reload', async () => {
  await open('&prefs=1');
  await eventually(async () => Object.keys(await switches()).length == 3, 5000, 'the switches');
  assert.deepEqual(await switches(), { orders: false, offers: false, news: false });
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'preferences');
  // Keyboard: Tab into the center (past the page's own button), Space toggles.
  await page.focus('#focus-me');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'preferences:button:Orders');
  await page.keyboard.press(' ');
  await eventually(async () => (await said()).status == 'Saved.', 5000, '"Saved."');
  assert.deepEqual(await switches(), { orders: true, offers: false, news: false });
  assert.deepEqual((await serverState()).topics, ['orders']);
  // The frequency select: a real choice, saved.
  await page.evaluate(() => {
    const select = document.querySelector('[data-herald=preferences]').shadowRoot.querySelector('select');
    select.focus();
  });
  await page.keyboard.press('ArrowDown');
  await eventually(async () => (await serverState()).frequency == 'daily_digest', 5000, 'the frequency saved');
  // From the server, not the mirror: a change made outside this page shows after a reload.
  const { endpoint, auth } = await serverState();
  const put = await fetch(`${server.url}/api/v1/projects/${project.id}/subscriptions/preferences`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ endpoint, auth, topics: ['news', 'orders'] }),
  });
  assert.equal(put.status, 200);
  await open('&prefs=1');
  await eventually(async () => (await switches()).news, 5000, 'the server\'s topics');
  assert.deepEqual(await switches(), { orders: true, offers: false, news: true });
  assert.equal(await page.evaluate(() => document.querySelector('[data-herald=preferences]').shadowRoot.querySelector('select').value), 'daily_digest');
  // Topic sends reach it; the others do not.
  const news = await api.send({ title: 'News for you', target: { topic: 'news' } });
  const offers = await api.send({ title: 'An offer', target: { topic: 'offers' } });
  assert.equal(news.queued, 1);
  assert.equal(offers.queued, 0);
});

test('a save while the server is down is said, kept, and applied once it is back; the switch never reverts', async () => {
  await open('&prefs=1');
  await eventually(async () => Object.keys(await switches()).length == 3, 5000, 'the switches');
  await server.stop();
  await clickIn(page, 'preferences', '[data-id=offers]');
  await eventually(async () => (await said()).alert != '', 5000, 'the alert');
  assert.match((await said()).alert, /Not saved yet/);
  assert.deepEqual(await switches(), { orders: true, offers: true, news: true }, 'the choice stays on screen');
  await shoot(page, 'preferences-offline');
  server = await startHerald(database, port);
  await eventually(async () => (await said()).status == 'Saved.', 20000, '"Saved." once the server is back');
  assert.equal((await said()).alert, '');
  assert.deepEqual((await serverState()).topics.sort(), ['news', 'offers', 'orders']);
});

test('the bell, subscribed: says "on" and opens the preference center as a dialog; logged out, the center still works', async () => {
  await open('&bell=bottom-right');
  const name = () => page.evaluate(() => document.querySelector('[data-herald=bell]')?.shadowRoot.querySelector('button').getAttribute('aria-label'));
  await eventually(async () => (await name()) == 'Notifications: on', 5000, 'the bell to say on');
  // Log out: the subscription stays, anonymous, and keeps its preferences.
  assert.equal(await page.evaluate(() => new Promise((resolve) => herald('unsubscribe', resolve, { uid: true }))), true);
  assert.equal((await serverState()).uid, null);
  await page.focus('#focus-me');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'bell:button:Notifications: on');
  await page.keyboard.press('Enter');
  await eventually(async () => (await part(page, 'preferences')).modal, 5000, 'the preference center dialog');
  assert.deepEqual(await switches(), { orders: true, offers: true, news: true });
  assert.equal(await focused(page), 'preferences:button:Orders');
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'bell-preferences');
  await page.keyboard.press(' ');
  await eventually(async () => (await said()).status == 'Saved.', 5000, '"Saved."');
  assert.deepEqual((await serverState()).topics.sort(), ['news', 'offers']);
  await page.keyboard.press('Escape');
  await eventually(async () => !(await part(page, 'preferences')).present, 3000, 'the dialog to close');
  assert.equal(await focused(page), 'bell:button:Notifications: on', 'focus back on the bell');
});

test('"Turn off all notifications": the server says opted out, nothing is delivered, and the center offers Turn on', async () => {
  await open('&prefs=1');
  await eventually(async () => Object.keys(await switches()).length == 3, 5000, 'the switches');
  const { endpoint, auth } = await serverState();
  await clickIn(page, 'preferences', '[data-act=off]');
  await eventually(async () => (await part(page, 'preferences')).text.includes('Notifications are off'), 5000, 'the off state');
  assert.match((await part(page, 'preferences')).text, /Turn on notifications/);
  assert.equal(await focused(page), 'preferences:button:Turn on notifications', 'focus lands on the new first control');
  const response = await fetch(`${server.url}/api/v1/projects/${project.id}/subscriptions/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify({ endpoint, auth }),
  });
  const state = await response.json();
  assert.notEqual(state.status, 'active', `server state ${JSON.stringify(state)}`);
  const all = await api.send({ title: 'After opt-out', target: { all: true } });
  const alice = await api.send({ title: 'After opt-out', target: { uids: ['alice'] } });
  assert.equal(all.queued + alice.queued, 0);
  await sleep(1000);
  assert.equal(await shown('After opt-out'), 0);
  assert.deepEqual(await axe(page), []);
  // Turned off stays off: the site's prompt() and a trigger do not undo it.
  assert.equal(await page.evaluate(() => herald('prompt')), 'ineligible');
  assert.equal((await page.evaluate(() => new Promise((resolve) => herald('status', (subscribed) => resolve(subscribed))))), false);
  // The user's own "Turn on" does.
  await clickIn(page, 'preferences', '[data-act=on]');
  await eventually(async () => Object.keys(await switches()).length == 3, 10000, 'the switches again');
  assert.equal((await serverState()).status, 'active');
});
