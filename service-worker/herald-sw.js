/*! Herald service worker glue.
 *
 * Register it on its own (`/herald-sw.js`) or load it into a site's existing
 * worker with importScripts('/herald-sw.js'). It only handles Herald's own
 * pushes (payloads carrying Herald's `id` and `delivery`) and notifications
 * it showed; everything else is left to the site's other handlers.
 *
 * State and the queue of unacknowledged changes come from the SDK's
 * IndexedDB database, through the sync protocol the page SDK uses too
 * (sdk-wasm/js/sync.js, bundled in by `npm run build`: the built file is a
 * classic script, so importScripts keeps working).
 */
import { flush, loadMirror, newKey, retrying, saveMirror, send } from '../sdk-wasm/js/sync.js';

(function () {
  'use strict';
  const mirror = () => loadMirror().catch(() => undefined);

  const api = (m, path) => `${m.server}/api/v1/projects/${m.project}${path}`;

  async function receipt(delivery, kind) {
    const m = await mirror();
    if (!m || delivery === undefined) return;
    // Retried like a change, with one idempotency key; the server keeps
    // one receipt of each kind per delivery. One still failing after the
    // retries is not queued: it only feeds the statistics.
    await retrying({ key: newKey(), method: 'POST', url: api(m, '/receipts'), body: JSON.stringify({ delivery, kind }) });
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
        const body = JSON.stringify({ old_endpoint: m.endpoint, old_auth: m.auth, endpoint: json.endpoint, keys: json.keys });
        let answer = await send('POST', api(m, '/subscriptions/rotate'), body);
        if (!answer.queued && (answer.status === 404 || answer.status === 403)) {
          // The server no longer knows the old subscription: register the new one.
          answer = await send('POST', api(m, '/subscriptions'), body);
        }
        if (!answer.queued && !answer.ok) return; // the page's next load repairs it
        // Done, or queued: then the queued change moves uid and preferences
        // when it lands, and the mirror already shows them.
        const done = !answer.queued;
        const state = done ? answer.body || {} : m;
        await saveMirror({
          ...m,
          endpoint: json.endpoint,
          p256dh: json.keys.p256dh,
          auth: json.keys.auth,
          uid: state.uid ?? null,
          tags: state.tags ?? m.tags,
          topics: state.topics ?? m.topics,
          frequency: state.frequency ?? m.frequency,
          acked_at: done ? Date.now() : m.acked_at,
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
