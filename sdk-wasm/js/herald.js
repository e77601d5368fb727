// Herald browser SDK: an ES module around the Rust/WebAssembly core.
//
// Loading it replays the commands queued by the loader snippet
// (window.herald.q), then replaces window.herald (and window.pushpad) with
// the real command function. Commands run one after another, in order.
// The .wasm file is loaded relative to this file's own URL, so dist/sdk/
// can be served from any path or origin.
//
// This file is the command layer over the core: it gives callbacks their
// Pushpad-style answers and reports failures on the console (once, here),
// remembers the last subscribe/uid options (the soft prompt subscribes
// with them; a uid given before the browser is subscribed is bound when it
// is), announces herald:subscribed / unsubscribed / preferences-changed,
// runs init's triggers, and hands the UI parts to the lazily loaded chunk.
import initWasm, * as wasm from './herald_sdk.js';

const ready = initWasm({ module_or_path: new URL('herald_sdk_bg.wasm', import.meta.url) });
ready.catch(() => {}); // reported by the commands that needed it

let chain = Promise.resolve();
let options = {};
let last = {};
let online;

/** Runs a core command after the ones before it; rejects with a coded Error. */
function core(name, args) {
  const run = chain.then(() =>
    ready.then(
      () => wasm.command(name, args),
      // The .wasm did not load (a 404, a CSP without 'wasm-unsafe-eval'):
      // like an unsupported browser.
      (cause) => {
        throw Object.assign(new Error(`the Herald SDK could not load its WebAssembly: ${cause}`), { name: 'HeraldError', code: 'unsupported' });
      },
    ),
  );
  chain = run.catch(() => {});
  return run;
}

// The UI (soft prompt, guides, bell, preference center) is drawn by
// herald-ui.js, loaded beside this file the first time a part shows. It
// runs beside the command queue (a prompt waits for the user) and works
// through these commands; the core decides (`eligible`, `backoff`).
const sdk = {
  command: (name, ...args) => command(name, args, true),
  get options() { return options; },
  get url() { return `${(options.server || location.origin).replace(/\/+$/, '')}/api/v1/projects/${options.project}`; },
};
const ui = (part, args) => chain.then(() => import(new URL('herald-ui.js', import.meta.url).href)).then((m) => m[part](sdk, ...args));
const askable = () => core('eligible', []).then((why) => why == 'ok', () => false);

// init's triggers: every condition given must hold (page views counted per
// origin in this browser, seconds on the page, an element 60% in view);
// then the prompt shows, if the browser may be asked.
async function watch({ pageViews = 0, seconds = 0, visible }) {
  let views = 1;
  try {
    localStorage['herald:views'] = views += +localStorage['herald:views'] || 0;
  } catch (e) {}
  if (views < pageViews) return;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  if (visible) await new Promise(function look(resolve) {
    const element = document.querySelector(visible);
    if (!element) return setTimeout(look, 1000, resolve);
    new IntersectionObserver((entries, seen) => entries.some((e) => e.intersectionRatio >= 0.6) && resolve(seen.disconnect()), { threshold: 0.6 }).observe(element);
  });
  if (await askable()) ui('prompt', []);
}

// Where each command's callback is, and what it announces when it is done.
const CALLBACK = { subscribe: 0, unsubscribe: 0, status: 0, prompt: 0, uid: 2, tags: 1, preferences: 1 };
const EVENT = { subscribe: 'subscribed', unsubscribe: 'unsubscribed', tags: 'preferences-changed', preferences: 'preferences-changed' };

/** Pushpad-style commands: herald('subscribe', cb, {uid, uidSignature}). */
export function herald(name, ...args) {
  return command(String(name), args, false);
}

function command(name, args, strict) {
  const cb = args[CALLBACK[name]];
  let run;
  if (name == 'init') {
    options = Object(args[0]);
    run = core(name, args);
    if (options.triggers) run.then(() => watch(options.triggers));
    // Back online: the changes queued in IndexedDB are replayed.
    if (typeof window == 'object' && !online) online = addEventListener('online', () => herald('flush')) || 1;
  } else if (name == 'prompt' || name == 'bell' || name == 'preferenceCenter') {
    run = ui(name, name == 'prompt' ? [] : args);
  } else if (name == 'subscribe') {
    last = { ...last, ...args[1] };
    // Outside a user gesture the soft prompt asks instead of the browser's
    // dialog (only its Allow click may open that); the answer comes once
    // the user has chosen.
    run = core(name, [null, last]).catch(async (e) => {
      if (e.code != 'needs-user-gesture' || !(await askable())) throw e;
      return (await ui('prompt', [])) == 'granted' && (await core('status', [])).subscribed;
    });
  } else if (name == 'uid') {
    last = { ...last, uid: args[0], uidSignature: args[1] };
    // Not subscribed yet: kept, and bound when the subscription is made.
    run = core(name, args).catch((e) => e.code == 'not-subscribed' || Promise.reject(e));
  } else {
    if (name == 'unsubscribe' && args[1]?.uid) last = { ...last, uid: undefined, uidSignature: undefined };
    run = core(name, args);
  }
  return run.then(
    (value) => {
      if (value === true && EVENT[name] && !(name == 'unsubscribe' && args[1]?.uid)) dispatchEvent(new CustomEvent('herald:' + EVENT[name], { detail: {} }));
      if (typeof cb == 'function') name == 'status' ? cb(value.subscribed, value) : cb(value);
      return value;
    },
    (error) => {
      if (strict) throw error;
      console[/unsupported|queued/.test(error.code) ? 'info' : 'warn'](`herald('${name}'):`, error.message, `[${error.code}]`);
      if (typeof cb == 'function') cb(false, null);
      return error;
    },
  );
}

// Module API: the same operations as async methods; a failure rejects with
// an Error whose `code` says what happened ('needs-user-gesture', ...).
const strict = (name, ...args) => command(name, args, true);
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
/** The soft prompt now, if this browser may be asked: 'granted' | 'denied' | 'dismissed' | 'ineligible'. */
export const prompt = () => strict('prompt');
export const bell = (options = {}) => strict('bell', options);
export const preferenceCenter = (element, options = {}) => strict('preferenceCenter', element, options);

export default { herald, init, subscribe, setUid, logOut, unsubscribe, status, setTags, setPreferences, flush, unsupportedReason, prompt, bell, preferenceCenter };

if (typeof window == 'object') {
  const queued = [];
  for (const name of ['herald', 'pushpad']) {
    const loader = window[name];
    if (loader && Array.isArray(loader.q)) queued.push(...loader.q);
  }
  window.herald = herald;
  window.pushpad = herald;
  for (const args of queued) herald(...Array.from(args));
}
