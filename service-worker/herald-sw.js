/* Herald service worker glue.
 *
 * Register it on its own (`/herald-sw.js`) or load it into a site's existing
 * worker with importScripts('/herald-sw.js'). It only handles Herald's own
 * pushes (payloads carrying Herald's `id` and `delivery`) and notifications
 * it showed; everything else is left to the site's other handlers.
 *
 * State comes from the SDK's IndexedDB database `herald`: store `state`
 * (key `current`: server, project, endpoint, auth, vapid_key, ...) and store
 * `queue` (changes not yet acknowledged by the server, replayed here too).
 */
(function () {
  'use strict';
  const DB = 'herald';
  const RETRIES = [1000, 2000, 5000, 10000];

  function idb() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(DB, 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('state')) db.createObjectStore('state');
        if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { autoIncrement: true });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }

  async function store(name, mode, op) {
    const db = await idb();
    try {
      return await new Promise((resolve, reject) => {
        const request = op(db.transaction(name, mode).objectStore(name));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    } finally {
      db.close();
    }
  }

  const mirror = () => store('state', 'readonly', (s) => s.get('current')).catch(() => undefined);
  const saveMirror = (m) => store('state', 'readwrite', (s) => s.put(m, 'current'));

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Idempotency keys (randomUUID arrived in Chrome 92 and Safari 15.4).
  const newKey = () =>
    self.crypto.randomUUID ? self.crypto.randomUUID() : Array.from(self.crypto.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join('-');

  // One attempt: ['done', answer], ['refused', status] (4xx: retrying
  // cannot help) or ['again'].
  async function attempt(change) {
    try {
      const response = await fetch(change.url, {
        method: change.method,
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': change.key },
        body: change.body,
      });
      if (response.ok) return ['done', await response.json().catch(() => null)];
      if (response.status === 429 || response.status >= 500) return ['again'];
      return ['refused', response.status];
    } catch (e) {
      return ['again'];
    }
  }

  // Replays the SDK's queue in order; true when it is empty afterwards.
  // Each change is read by its key just before it is sent: the page may be
  // replaying the same queue, and a change it already removed is skipped.
  async function flush() {
    let keys;
    try {
      keys = await store('queue', 'readonly', (s) => s.getAllKeys());
    } catch (e) {
      return true;
    }
    for (const key of keys) {
      const change = await store('queue', 'readonly', (s) => s.get(key)).catch(() => undefined);
      if (change === undefined) continue;
      const [outcome] = await attempt(change);
      if (outcome === 'again') return false;
      await store('queue', 'readwrite', (s) => s.delete(key));
    }
    return true;
  }

  // Sends a change with the SDK's retry schedule; queues it if the server
  // stays away. Answers like attempt(), or ['queued'].
  async function send(method, url, body) {
    const change = { key: newKey(), method, url, body: JSON.stringify(body) };
    if (await flush()) {
      for (const delay of [0, ...RETRIES]) {
        if (delay) await sleep(delay);
        const result = await attempt(change);
        if (result[0] !== 'again') return result;
      }
    }
    await store('queue', 'readwrite', (s) => s.add(change));
    return ['queued'];
  }

  const api = (m, path) => `${m.server}/api/v1/projects/${m.project}${path}`;

  async function receipt(delivery, kind) {
    const m = await mirror();
    if (!m || delivery === undefined) return;
    // Retried like a change, with one idempotency key; the server keeps
    // one receipt of each kind per delivery. One still failing after the
    // retries is not queued: it only feeds the statistics.
    const change = { key: newKey(), method: 'POST', url: api(m, '/receipts'), body: JSON.stringify({ delivery, kind }) };
    for (const delay of [0, ...RETRIES]) {
      if (delay) await sleep(delay);
      const [outcome] = await attempt(change);
      if (outcome !== 'again') return;
    }
  }

  function heraldPayload(event) {
    if (!event.data) return null;
    let data;
    try {
      data = event.data.json();
    } catch (e) {
      return null;
    }
    return data && typeof data === 'object' && 'delivery' in data && 'id' in data && 'title' in data ? data : null;
  }

  self.addEventListener('push', (event) => {
    const p = heraldPayload(event);
    if (!p) return; // not Herald's: the site's own handlers deal with it
    const options = {
      body: p.body || '',
      tag: p.tag || undefined,
      requireInteraction: !!p.require_interaction,
      data: { herald: { id: p.id, delivery: p.delivery }, url: p.url || null, actions: p.actions || [], data: p.data ?? null },
    };
    if (p.icon) options.icon = p.icon;
    if (p.image) options.image = p.image;
    if (p.badge) options.badge = p.badge;
    if (Array.isArray(p.actions) && p.actions.length) options.actions = p.actions.map((a) => ({ action: a.action, title: a.title }));
    event.waitUntil(
      Promise.all([
        // Always shown, even with a focused tab: browsers (Safari/iOS above
        // all) revoke subscriptions that receive silent pushes.
        self.registration.showNotification(p.title || '', options),
        self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((clients) => {
          for (const client of clients) client.postMessage({ type: 'herald:push', payload: p });
        }),
      ])
        .then(() => receipt(p.delivery, 'delivered'))
        .then(flush),
    );
  });

  self.addEventListener('notificationclick', (event) => {
    const data = event.notification.data;
    if (!data || !data.herald) return;
    event.notification.close();
    const action = (data.actions || []).find((a) => a.action === event.action);
    const target = new URL((action && action.url) || data.url || '/', self.location.origin).href;
    event.waitUntil(
      (async () => {
        const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
        const open = clients.find((c) => c.url === target);
        if (open && 'focus' in open) await open.focus();
        else if (self.clients.openWindow) await self.clients.openWindow(target);
        await receipt(data.herald.delivery, 'clicked');
      })(),
    );
  });

  function b64urlToBytes(s) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  // The browser replaced or dropped the subscription: subscribe again with
  // the project's key and move uid, tags and topics to the new endpoint.
  self.addEventListener('pushsubscriptionchange', (event) => {
    event.waitUntil(
      (async () => {
        const m = await mirror();
        if (!m) return;
        let fresh = event.newSubscription;
        if (!fresh) {
          const key = m.vapid_key ? b64urlToBytes(m.vapid_key) : event.oldSubscription && event.oldSubscription.options.applicationServerKey;
          fresh = await self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        }
        const json = fresh.toJSON();
        const body = { old_endpoint: m.endpoint, old_auth: m.auth, endpoint: json.endpoint, keys: json.keys };
        let [outcome, answer] = await send('POST', api(m, '/subscriptions/rotate'), body);
        if (outcome === 'refused' && (answer === 404 || answer === 403)) {
          // The server no longer knows the old subscription: register the new one.
          [outcome, answer] = await send('POST', api(m, '/subscriptions'), body);
        }
        if (outcome === 'refused') return; // the page's next load repairs it
        // Done, or queued: then the queued change moves uid and preferences
        // when it lands, and the mirror already shows them.
        const state = outcome === 'done' ? answer : m;
        await saveMirror({
          ...m,
          endpoint: json.endpoint,
          p256dh: json.keys.p256dh,
          auth: json.keys.auth,
          uid: state.uid ?? null,
          tags: state.tags ?? m.tags,
          topics: state.topics ?? m.topics,
          frequency: state.frequency ?? m.frequency,
          acked_at: outcome === 'done' ? Date.now() : m.acked_at,
        });
      })(),
    );
  });

  // Registered on its own, a new version takes over at once. Loaded into a
  // site's worker (importScripts), the site's own update flow is left alone.
  const own = /\/herald-sw\.js$/.test(self.location.pathname);
  if (own) self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', (event) => event.waitUntil((own ? self.clients.claim() : Promise.resolve()).then(flush)));
})();
