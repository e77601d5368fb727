// Herald browser SDK: an ES module around the Rust/WebAssembly core.
//
// Loading it replays the commands queued by the loader snippet
// (window.herald.q), then replaces window.herald (and window.pushpad) with
// the real command function. Commands run one after another, in order.
// The .wasm file is loaded relative to this file's own URL, so dist/sdk/
// can be served from any path or origin.
import initWasm, * as wasm from './herald_sdk.js';

const ready = initWasm({ module_or_path: new URL('herald_sdk_bg.wasm', import.meta.url) });
ready.catch(() => {}); // reported by the commands that needed it

let chain = Promise.resolve();
let online = false;
function inOrder(name, args, strict) {
  // Once a site has called init: back online, replay the changes queued in
  // IndexedDB (in order, like any command).
  if (name === 'init' && !online && typeof window !== 'undefined') {
    online = true;
    window.addEventListener('online', () => herald('flush'));
  }
  const run = chain.then(() =>
    ready.then(
      () => wasm.command(name, args, strict),
      (cause) => {
        // The .wasm did not load (a 404, a CSP without 'wasm-unsafe-eval'):
        // like an unsupported browser, callbacks answer false.
        const error = Object.assign(new Error(`the Herald SDK could not load its WebAssembly: ${cause}`), { name: 'HeraldError', code: 'unsupported' });
        if (strict) throw error;
        console.warn(`herald('${name}'):`, error.message);
        for (const arg of args) if (typeof arg === 'function') arg(false, null);
        return error;
      },
    ),
  );
  chain = run.catch(() => {});
  return run;
}

/** Pushpad-style commands: herald('subscribe', cb, {uid, uidSignature}). */
export function herald(name, ...args) {
  return inOrder(String(name), args, false);
}

// Module API: the same operations as async methods; a failure rejects with
// an Error whose `code` says what happened ('needs-user-gesture', ...).
const strict = (name, ...args) => inOrder(name, args, true);
export const init = (options) => strict('init', options);
export const subscribe = (options = {}) => strict('subscribe', null, options);
export const setUid = (uid, uidSignature) => strict('uid', uid, uidSignature ?? undefined);
export const logOut = () => strict('unsubscribe', null, { uid: true });
export const unsubscribe = () => strict('unsubscribe', null);
export const status = () => strict('status', null);
export const setTags = (tags) => strict('tags', tags);
export const setPreferences = (preferences) => strict('preferences', preferences);
export const flush = () => strict('flush');
export const unsupportedReason = () => strict('unsupportedReason');

export default { herald, init, subscribe, setUid, logOut, unsubscribe, status, setTags, setPreferences, flush, unsupportedReason };

if (typeof window !== 'undefined') {
  const queued = [];
  for (const name of ['herald', 'pushpad']) {
    const loader = window[name];
    if (loader && Array.isArray(loader.q)) queued.push(...loader.q);
  }
  window.herald = herald;
  window.pushpad = herald;
  for (const args of queued) herald(...Array.from(args));
}
