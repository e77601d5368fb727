// The whole round trip in a real Firefox ESR against the real server and a
// push service on loopback that speaks Mozilla's WebPush protocol:
// subscribe with a uid -> send to the uid -> the worker shows it -> log out
// -> a uid send reaches nothing, a broadcast still arrives -> the push
// service resets the browser (pushsubscriptionchange) -> the worker rotates
// -> a uid send arrives -> the server goes down, changes queue in IndexedDB
// and land once it is back -> opt-out -> nothing arrives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startPeer, startHerald, createProject, tempDatabase, freePort, launchFirefox, backend, sign, eventually, sleep, root } from './lib.mjs';

let peer, server, project, browser, page, api, database, port;

before(async () => {
  peer = await startPeer();
  database = tempDatabase();
  project = createProject(database);
  port = await freePort();
  server = await startHerald(database, port);
  api = backend(server, project);
  browser = await launchFirefox(peer.ws);
  page = await browser.newPage();
  await page.goto(`${server.url}/index.html?project=${project.id}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  peer?.stop();
});

const notifications = () =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/herald-sw.js');
    const shown = registration ? await registration.getNotifications() : [];
    return shown.map((n) => ({ title: n.title, body: n.body, delivery: n.data?.herald?.delivery }));
  });

const countTitled = async (title) => (await notifications()).filter((n) => n.title === title).length;

test('subscribing with a uid, a send to the uid is shown by the worker and reaches the page', async () => {
  const subscribed = await page.evaluate((uid, sig) => window.cmd('subscribe', { uid, uidSignature: sig }), 'alice', sign(project.secret, 'alice'));
  assert.equal(subscribed, true);
  const status = await page.evaluate(() => window.cmd('status'));
  assert.equal(status.subscribed, true);
  assert.equal(status.details.uid, 'alice');
  assert.equal(status.details.permission, 'granted');

  const started = Date.now();
  const { id } = await api.send({ title: 'Order shipped', body: 'Your parcel is on its way', url: '/orders/1', target: { uids: ['alice'] } });
  await eventually(async () => (await countTitled('Order shipped')) === 1, 10000, 'the notification to be shown');
  const shownAfterMs = Date.now() - started;
  const received = await page.evaluate(() => window.received);
  assert.equal(received.length, 1);
  assert.equal(received[0].body, 'Your parcel is on its way');
  assert.equal(received[0].id, id);
  const progress = await api.waitDone(id);
  assert.equal(progress.counts.sent, 1);
  await eventually(async () => (await api.call('GET', `/notifications/${id}`)).body.counts.delivered === 1, 5000, 'the delivered receipt');
  console.log(`push -> shown in ${shownAfterMs} ms`);
});

test('after log out a uid send reaches nothing and a broadcast still arrives', async () => {
  const done = await page.evaluate(() => window.cmd('unsubscribe', { uid: true }));
  assert.equal(done, true);
  const status = await page.evaluate(() => window.cmd('status'));
  assert.equal(status.subscribed, true);
  assert.equal(status.details.uid, null);

  const toUid = await api.send({ title: 'Private', target: { uids: ['alice'] } });
  assert.equal(toUid.queued, 0);
  const broadcast = await api.send({ title: 'Sale', target: { all: true } });
  await eventually(async () => (await countTitled('Sale')) === 1, 10000, 'the broadcast');
  assert.equal((await api.waitDone(broadcast.id)).counts.sent, 1);
  assert.equal(await countTitled('Private'), 0);
});

test('when the push service resets the browser, the worker rotates and uid sends arrive again', async () => {
  await page.evaluate((uid, sig) => window.cmd('uid', uid, sig), 'bob', sign(project.secret, 'bob'));
  const before = (await api.call('GET', '/users/bob/subscriptions')).body.subscriptions;
  assert.equal(before.length, 1);
  await peer.control('reset-uaid', {});
  // Firefox reconnects, gets a new uaid, drops its subscriptions and fires
  // pushsubscriptionchange; the worker subscribes again and calls rotate.
  const after = await eventually(async () => {
    const subs = (await api.call('GET', '/users/bob/subscriptions')).body.subscriptions;
    return subs.length === 1 && subs[0].endpoint_hash !== before[0].endpoint_hash && subs;
  }, 20000, 'the rotation');
  assert.equal(after[0].status, 'active');
  const { id } = await api.send({ title: 'After rotation', target: { uids: ['bob'] } });
  await eventually(async () => (await countTitled('After rotation')) === 1, 10000, 'the push after rotation');
  assert.equal((await api.waitDone(id)).counts.sent, 1);
});

test("without a uidSignature the SDK asks the site's authEndpoint; a 403 there changes nothing", async () => {
  // The site's backend: signs the logged-in user, refuses anyone else, wants its CSRF header.
  const asked = [];
  const site = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', server.url);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-allow-headers', 'x-csrf-token');
    if (req.method === 'OPTIONS') return res.end();
    const uid = new URL(req.url, 'http://x').searchParams.get('uid');
    asked.push({ uid, csrf: req.headers['x-csrf-token'] });
    if (uid !== 'carol' || req.headers['x-csrf-token'] !== 'csrf-123') {
      res.statusCode = 403;
      return res.end('{}');
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ signature: sign(project.secret, uid) }));
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  const authEndpoint = `http://127.0.0.1:${site.address().port}/auth`;
  try {
    await page.evaluate((server, project, authEndpoint) => window.cmd('init', { server, project, authEndpoint, authHeaders: { 'X-CSRF-Token': 'csrf-123' } }), server.url, project.id, authEndpoint);
    assert.equal(await page.evaluate(() => window.cmd('uid', 'carol')), true);
    assert.equal((await api.call('GET', '/users/carol/subscriptions')).body.subscriptions.length, 1);
    const code = await page.evaluate(() => import('/sdk/herald.js').then((m) => m.setUid('mallory')).then(() => null, (e) => e.code));
    assert.equal(code, 'forbidden');
    assert.equal((await api.call('GET', '/users/mallory/subscriptions')).body.subscriptions.length, 0);
    assert.equal((await page.evaluate(() => window.cmd('status'))).details.uid, 'carol');
    assert.deepEqual(asked.map((a) => [a.uid, a.csrf]), [['carol', 'csrf-123'], ['mallory', 'csrf-123']]);
  } finally {
    site.close();
  }
});

test('after the project rotates its VAPID key, the next page load resubscribes with it and keeps the user', async () => {
  const before = (await api.call('GET', '/users/carol/subscriptions')).body.subscriptions;
  const herald = join(root, 'target', process.env.HERALD_PROFILE || 'debug', 'herald');
  const rotated = JSON.parse(String(execFileSync(herald, ['--database-url', database, 'vapid', 'rotate', '--project', project.id])));
  // The server trusts its cached copy of the project for up to 10 s.
  await eventually(async () => (await fetch(`${server.url}/api/v1/projects/${project.id}/vapid-public-key`).then((r) => r.json())).key === rotated.vapid_public_key, 15000, 'the new key');
  await page.reload();
  const after = await eventually(async () => {
    const subs = (await api.call('GET', '/users/carol/subscriptions')).body.subscriptions;
    return subs.length === 1 && subs[0].endpoint_hash !== before[0].endpoint_hash && subs;
  }, 20000, 'the resubscription');
  assert.equal(after[0].status, 'active');
  const { id } = await api.send({ title: 'New key', target: { uids: ['carol'] } });
  await eventually(async () => (await countTitled('New key')) === 1, 10000, 'the push signed with the new key').catch(async (e) => {
    // Say where it stopped: Herald's counts, what the peer forwarded, what is shown.
    const progress = (await api.call('GET', `/notifications/${id}`)).body;
    const forwarded = JSON.stringify(await peer.control('forwarded')).slice(-1500);
    throw new Error(`${e.message}; notification: ${JSON.stringify(progress)}; shown: ${JSON.stringify(await notifications())}; forwarded: ${forwarded}`);
  });
  assert.equal((await api.waitDone(id)).counts.sent, 1);
});

/** How many changes the SDK's IndexedDB queue holds in the page. */
const queueLength = () =>
  page.evaluate(
    () => new Promise((resolve, reject) => {
      const open = indexedDB.open('herald', 1);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const request = open.result.transaction('queue').objectStore('queue').count();
        request.onsuccess = () => {
          open.result.close();
          resolve(request.result);
        };
      };
    }),
  );

test('changes made while the server is down are queued in IndexedDB and land once, when it is back', async () => {
  await server.stop();
  const result = await page.evaluate(() => window.cmd('tags', ['vip']));
  // The SDK tried with back-off, then kept the change for later.
  assert.equal(await queueLength(), 1, `queued after ${JSON.stringify(result)}`);
  // Offline, status answers from the mirror, which already shows the change.
  const started = Date.now();
  const offline = await page.evaluate(() => window.cmd('status'));
  console.log(`offline status answered in ${Date.now() - started} ms`);
  assert.equal(offline.subscribed, true);
  assert.deepEqual(offline.details.tags, ['vip']);
  server = await startHerald(database, port);
  api = backend(server, project);
  // The next load replays the queue.
  await page.reload();
  await eventually(async () => (await page.evaluate(() => window.cmd('status'))).details?.tags?.includes('vip'), 15000, 'the queued change');
  const vip = await api.send({ title: 'VIP', target: { tags: 'vip' } });
  assert.equal(vip.queued, 1);
  // Once: every attempt and replay carried the same Idempotency-Key, so the
  // server applied (and stored an answer for) exactly one such change, and
  // nothing is left queued in the browser.
  const file = database.replace('sqlite://', '');
  const rows = execFileSync('python3', ['-c',
    "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"select count(*) from idempotency_keys where response_body like '%\\\"vip\\\"%'\").fetchone()[0])",
    file]);
  assert.equal(String(rows).trim(), '1');
  assert.equal(await queueLength(), 0);
});

test('back online, the SDK replays its IndexedDB queue without a reload', async () => {
  // A change left in the queue (as a failed send leaves it), for the
  // subscription the mirror holds; then the browser says it is online again.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('herald', 1);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const read = db.transaction('state').objectStore('state').get('current');
      read.onsuccess = () => {
        const m = read.result;
        const change = {
          key: crypto.randomUUID(),
          method: 'PUT',
          url: `${m.server}/api/v1/projects/${m.project}/subscriptions/preferences`,
          body: JSON.stringify({ endpoint: m.endpoint, auth: m.auth, tags: ['back-online'] }),
        };
        const add = db.transaction('queue', 'readwrite').objectStore('queue').add(change);
        add.onsuccess = () => { db.close(); resolve(); };
        add.onerror = () => reject(add.error);
      };
    };
  }));
  await page.evaluate(() => window.dispatchEvent(new Event('online')));
  await eventually(async () => (await api.send({ title: 'Online', target: { tags: 'back-online' } })).queued === 1, 10000, 'the replayed change on the server');
  assert.equal(await queueLength(), 0);
});

test('after opting out nothing arrives and status says not subscribed', async () => {
  const done = await page.evaluate(() => window.cmd('unsubscribe'));
  assert.equal(done, true);
  const status = await page.evaluate(() => window.cmd('status'));
  assert.equal(status.subscribed, false);
  const broadcast = await api.send({ title: 'Nobody', target: { all: true } });
  assert.equal(broadcast.queued, 0);
  await sleep(1000);
  assert.equal(await countTitled('Nobody'), 0);
});
