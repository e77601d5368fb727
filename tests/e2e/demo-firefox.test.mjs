// The manual QA path through the demo shop and the console, automated in
// Firefox ESR against the real server and the push peer on loopback: log
// in as a demo user, view two products, the soft prompt appears, Allow
// (granted through the permission override), the status strip says
// subscribed with the uid; the console sends to that uid, the worker shows
// it and the console's counts reach "shown"; log out, and a uid send
// reaches nothing; the preference center turns a topic off and a topic
// send skips this browser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPeer, startHerald, createProject, tempDatabase, freePort, launchFirefox, eventually, sleep, part, shoot, axe } from './lib.mjs';

let peer, server, project, browser, shop, admin;

before(async () => {
  peer = await startPeer();
  const database = tempDatabase();
  project = createProject(database);
  server = await startHerald(database, await freePort(), { demo: project.id });
  browser = await launchFirefox(peer.ws, { ask: true });
  shop = await browser.newPage();
  admin = await browser.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  peer?.stop();
});

/** Opens a shop page and waits for the status strip. */
async function visit(path) {
  await shop.bringToFront();
  await shop.goto(server.url + path);
  await shop.waitForSelector('#herald-status [data-status=subscribed]');
}
const strip = () => shop.evaluate(() => Object.fromEntries([...document.querySelectorAll('#herald-status [data-status]')].map((d) => [d.dataset.status, d.textContent])));
const shown = (title) =>
  shop.evaluate(async (title) => {
    const registration = await navigator.serviceWorker.getRegistration('/herald-sw.js');
    return registration ? (await registration.getNotifications()).filter((n) => n.title == title).length : 0;
  }, title);

/** Sends from the console's form; answers what it says once accepted. */
async function sendFromConsole(title, target) {
  await admin.bringToFront();
  // A fresh load: going to the same URL with a hash would keep the old form.
  await admin.goto('about:blank');
  await admin.goto(`${server.url}/admin#/send`);
  await admin.waitForSelector('#title');
  await admin.type('#title', title);
  await admin.click(`input[name=target][value=${target.kind}]`);
  if (target.kind == 'uids') await admin.type('#uids', target.value);
  if (target.kind == 'topic') await admin.type('#target-topic', target.value);
  await admin.click('#submit');
  await admin.waitForFunction(() => document.querySelector('#sent')?.textContent || document.querySelector('#form-error')?.textContent);
  return admin.evaluate(() => document.querySelector('#sent').textContent);
}

test('log in, two product pages, the prompt, Allow: subscribed with the uid, as the status strip says', async () => {
  await visit('/');
  assert.equal((await strip()).subscribed, 'no');
  await shop.select('#as', 'alice');
  await shop.click('#login');
  await shop.waitForFunction(() => document.querySelector('.who')?.textContent.includes('Alice Martin'));
  await shop.waitForSelector('#herald-status [data-status=subscribed]');
  await visit('/product.html?id=mug');
  await visit('/product.html?id=lamp');
  assert.equal((await part(shop, 'prompt')).present, false, 'not before the alerts box is in view');
  await shop.evaluate(() => document.querySelector('#alerts').scrollIntoView());
  await eventually(async () => (await part(shop, 'prompt')).modal, 8000, 'the soft prompt');
  assert.match((await part(shop, 'prompt')).text, /Shipping updates and price drops/);
  await shop.browserContext().overridePermissions(server.url, ['notifications']);
  await shop.keyboard.press('Tab');
  await shop.keyboard.press('Enter');
  await eventually(async () => (await strip()).subscribed == 'yes', 15000, 'subscribed in the status strip');
  const now = await strip();
  assert.equal(now.uid, 'alice', JSON.stringify(now));
  assert.equal(now.permission, 'granted');
});

test('the console signs in with the token, sends to the uid, the worker shows it and the counts reach shown', async () => {
  await admin.bringToFront();
  await admin.goto(`${server.url}/admin`);
  await admin.waitForSelector('#token');
  await admin.type('#token', project.api_token);
  await admin.keyboard.press('Enter');
  await admin.waitForSelector('[data-total=active]');
  assert.equal(await admin.$eval('[data-total=active]', (e) => e.textContent), '1');
  const said = await sendFromConsole('Your order shipped', { kind: 'uids', value: 'alice' });
  assert.match(said, /Accepted for 1 subscription\b/);
  await admin.click('#sent a');
  await admin.waitForSelector('[data-count=delivered]');
  await eventually(async () => (await shown('Your order shipped')) == 1, 15000, 'the notification shown by the worker');
  await eventually(async () => (await admin.$eval('[data-count=delivered]', (e) => e.textContent)) == '1', 15000, 'the console to count it shown');
  assert.equal(await admin.$eval('[data-count=sent]', (e) => e.textContent), '1');
  assert.deepEqual(await axe(admin), []);
  await shoot(admin, 'admin-detail-sent');
  await admin.goto(`${server.url}/admin#/overview`);
  await admin.waitForSelector('[data-total=active]');
  await shoot(admin, 'admin-overview-live');
  // The shop's strip shows the last push the worker passed on.
  await visit('/');
  assert.match((await strip())['last-push'], /^Your order shipped/);
});

test('log out: the subscription stays, anonymous, and a send to the uid reaches nothing', async () => {
  await visit('/');
  await shop.click('#logout');
  await shop.waitForFunction(() => document.querySelector('#login'));
  await shop.waitForSelector('#herald-status [data-status=subscribed]');
  await eventually(async () => (await strip()).uid == 'anonymous', 5000, 'anonymous in the strip');
  assert.equal((await strip()).subscribed, 'yes');
  const said = await sendFromConsole('Private to Alice', { kind: 'uids', value: 'alice' });
  assert.match(said, /Accepted for 0 subscriptions/);
  await sleep(1000);
  assert.equal(await shown('Private to Alice'), 0);
});

test('the preference center: a topic turned off is skipped by a topic send; one left on is reached', async () => {
  await visit('/preferences.html');
  const switchOf = (id) => shop.evaluateHandle((id) => document.querySelector('[data-herald=preferences]')?.shadowRoot.querySelector(`[data-id=${id}]`), id);
  await eventually(async () => (await switchOf('news')).asElement(), 8000, 'the switches');
  const said = () => shop.evaluate(() => document.querySelector('[data-herald=preferences]').shadowRoot.querySelector('[role=status]').textContent);
  for (const id of ['news', 'orders']) {
    await (await switchOf(id)).asElement().click();
    await eventually(async () => (await said()) == 'Saved.', 5000, `${id} saved`);
  }
  await (await switchOf('news')).asElement().click();
  await eventually(async () => (await said()) == 'Saved.', 5000, 'news off');
  await shop.evaluate(() => document.querySelector('[data-herald=preferences]').shadowRoot.querySelector('[role=status]').textContent = '');
  assert.equal((await strip()).topics, 'orders');
  assert.deepEqual(await axe(shop), []);
  assert.match(await sendFromConsole('News for you', { kind: 'topic', value: 'news' }), /Accepted for 0 subscriptions/);
  assert.match(await sendFromConsole('Your order is out', { kind: 'topic', value: 'orders' }), /Accepted for 1 subscription\b/);
  await eventually(async () => (await shown('Your order is out')) == 1, 15000, 'the orders topic send shown');
  assert.equal(await shown('News for you'), 0);
});
