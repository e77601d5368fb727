// Herald's sync protocol, written once: the page SDK (through wasm-bindgen)
// and the service worker (bundled into herald-sw.js) both import this file.
//
// IndexedDB database `herald`, version 1:
//   store `state`: the mirror, one record under the key `current`
//   store `queue`: changes not yet acknowledged, auto-increment keys keep
//                  their order; a record is {key, method, url, body}, `key`
//                  being its Idempotency-Key (made once, reused on retry)
//
// A change is tried now and after 1, 2, 5 and 10 s; if the server stays
// unreachable it joins the queue, which is replayed (in order, each change
// read by its key just before it is sent, since the page and the worker may
// replay at once) on the next page load, on `online`, and by the worker.
// A change the server refuses (4xx) leaves the queue: retrying cannot help.

const DB = 'herald';
const VERSION = 1;
const STATE = 'state';
const QUEUE = 'queue';

/** Delays between attempts, in ms. */
export const RETRIES = [1000, 2000, 5000, 10000];

/** Opens (creating on first use) the database. */
export function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, VERSION);
    // The stores must be made inside `upgradeneeded` itself.
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STATE)) db.createObjectStore(STATE);
      if (!db.objectStoreNames.contains(QUEUE)) db.createObjectStore(QUEUE, { autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** One request on one store, in its own transaction: its result. */
async function run(name, mode, op) {
  const db = await openDatabase();
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

/** The mirror, or undefined (none, or one without an endpoint). */
export async function loadMirror() {
  const m = await run(STATE, 'readonly', (s) => s.get('current'));
  return m && typeof m.endpoint === 'string' ? m : undefined;
}

/** Replaces the mirror. */
export const saveMirror = (m) => run(STATE, 'readwrite', (s) => s.put(m, 'current'));

/** Forgets the mirror (after an opt-out). */
export const clearMirror = () => run(STATE, 'readwrite', (s) => s.delete('current'));

/** A new idempotency key (randomUUID arrived in Chrome 92 and Safari 15.4). */
export function newKey() {
  const c = self.crypto;
  return c.randomUUID ? c.randomUUID() : Array.from(c.getRandomValues(new Uint32Array(4)), (n) => n.toString(36)).join('-');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One try of `change` ({method, url, body?, key?}): the answer
 * {ok, status, body, text} (body parsed as JSON, else null), or null when
 * it is worth trying again (no answer, 429, 5xx).
 */
export async function attempt(change) {
  const headers = {};
  if (change.key) headers['Idempotency-Key'] = change.key;
  if (change.body !== undefined) headers['Content-Type'] = 'application/json';
  let response, text;
  try {
    response = await fetch(change.url, { method: change.method, headers, body: change.body });
    text = await response.text();
  } catch (e) {
    return null;
  }
  if (response.status === 429 || response.status >= 500) return null;
  let body = null;
  try {
    body = JSON.parse(text);
  } catch (e) {
    // not JSON: keep the text for the message
  }
  return { ok: response.ok, status: response.status, body, text };
}

/** Tries now and after each of `delays`; null if every try said "again". */
export async function retrying(change, delays = RETRIES) {
  for (const delay of [0, ...delays]) {
    if (delay) await sleep(delay);
    const answer = await attempt(change);
    if (answer) return answer;
  }
  return null;
}

/** Replays the queue in order, once each; true when it is empty after. */
export async function flush() {
  let keys;
  try {
    keys = await run(QUEUE, 'readonly', (s) => s.getAllKeys());
  } catch (e) {
    return true;
  }
  for (const key of keys) {
    const change = await run(QUEUE, 'readonly', (s) => s.get(key)).catch(() => undefined);
    if (change === undefined) continue; // the other side replayed it
    if (!(await attempt(change))) return false;
    await run(QUEUE, 'readwrite', (s) => s.delete(key));
  }
  return true;
}

/** A change to send: the one shape of a queue record. */
export const change = (method, url, body) => ({ key: newKey(), method, url, body });

/** Appends a change to the queue. */
export const enqueue = (c) => run(QUEUE, 'readwrite', (s) => s.add(c));

/**
 * Sends a change (body: JSON text) after the queued ones, retrying; the
 * server's answer, or {queued: true} once it waits in the queue.
 */
export async function send(method, url, body) {
  const c = change(method, url, body);
  if (await flush()) {
    const answer = await retrying(c);
    if (answer) return answer;
  }
  await enqueue(c);
  return { queued: true };
}

/** A read: no key, never queued; tried now and once more after 1 s. */
export function read(method, url, body) {
  return retrying({ method, url, body }, RETRIES.slice(0, 1));
}
