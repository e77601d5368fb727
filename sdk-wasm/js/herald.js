// Herald browser SDK: an ES module around the Rust/WebAssembly core.
//
// Loading it replays the commands queued by the loader snippet
// (window.herald.q), then replaces window.herald (and window.pushpad) with
// the real command function. Commands run one after another, in order.
// The .wasm file is loaded relative to this file's own URL, so dist/sdk/
// can be served from any path or origin.
import initWasm, * as wasm from './herald_sdk.js';

const ready = initWasm({ module_or_path: new URL('herald_sdk_bg.wasm', import.meta.url) });

let chain = Promise.resolve();
function inOrder(task) {
  const run = chain.then(async () => {
    await ready;
    return task();
  });
  chain = run.catch(() => {});
  return run;
}

/** Pushpad-style commands: herald('subscribe', cb, {uid, uidSignature}). */
export function herald(name, ...args) {
  return inOrder(() => wasm.command(String(name), args));
}

/** Module API: the same operations as async methods; failures reject with an Error carrying `code`. */
export const init = (options) => inOrder(() => wasm.init(options));
export const subscribe = (options = {}) => inOrder(() => wasm.subscribe(options));
export const setUid = (uid, uidSignature) => inOrder(() => wasm.setUid(uid, uidSignature ?? undefined));
export const logOut = () => inOrder(() => wasm.logOut());
export const unsubscribe = () => inOrder(() => wasm.unsubscribe());
export const status = () => inOrder(() => wasm.status());
export const setTags = (tags) => inOrder(() => wasm.setTags(tags));
export const setPreferences = (preferences) => inOrder(() => wasm.setPreferences(preferences));
export const flush = () => inOrder(() => wasm.flush());
export const unsupportedReason = async () => {
  await ready;
  return wasm.unsupportedReason() ?? null;
};

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
