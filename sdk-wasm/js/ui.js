// Herald's UI chunk: the soft prompt, the recovery and iOS guides, the bell
// and the preference center. Built into dist/sdk/herald-ui.js and loaded by
// herald.js the first time a part shows, so a page that never shows one
// never loads it. Each part lives in an open shadow root on a host element
// marked data-herald="prompt" | "recovery" | "ios-guide" | "bell" |
// "preferences": the site's CSS cannot reach in, and nothing leaks out.
//
// The decisions are the Rust core's (`eligible`: may this browser be
// asked; `backoff`; the subscription and every preference change); this
// file draws, listens and hands the user's choices to those commands.
// docs/decisions.md ("The soft prompt and its parts") says why the parts
// are drawn here rather than from Rust: the size budget, measured.
//
// Written for size (the whole UI has about 4 KB gzip): short names for the
// markup's classes, one template string per part, `$1`…`$9` slots.

const css = `:host{all:initial;color-scheme:light dark;font:15px/1.45 var(--herald-font,system-ui,sans-serif);color:var(--fg);--bg:var(--herald-bg,light-dark(#fff,#1b1f24));--fg:var(--herald-fg,light-dark(#1f2328,#e6edf3));--mu:var(--herald-muted,light-dark(#58616b,#a9b3be));--ln:var(--herald-border,light-dark(#c9d1d9,#3d444d));--ac:var(--herald-accent,light-dark(#1d4ed8,#8ab4f8));--on:var(--herald-on-accent,light-dark(#fff,#0b1b3a));--bad:var(--herald-danger,light-dark(#b42318,#ff9d94))}
dialog,section{background:var(--bg);color:var(--fg);border:1px solid var(--ln);border-radius:12px;padding:20px;max-width:560px}
dialog{box-sizing:border-box;width:min(420px,calc(100vw - 24px));max-width:none;box-shadow:0 12px 32px #0004}::backdrop{background:#0f172a73}.top{margin-top:24px}.bottom{margin-bottom:24px}dialog section{border:0;padding:0}
h2{font-size:1.15rem;margin:0 0 6px}p,ol,ul{margin:0 0 12px}li{margin:4px 0}.m{color:var(--mu);font-size:.9rem;display:block}img{width:40px;height:40px;border-radius:10px;float:left;margin-right:14px}
.r{display:flex;gap:8px;justify-content:end;flex-wrap:wrap;clear:both;margin-top:16px}
button,select{font:inherit;color:inherit;cursor:pointer;background:0;border:1px solid var(--ln);border-radius:8px;min-height:40px;padding:6px 14px;font-weight:600}
.p{background:var(--ac);border-color:var(--ac);color:var(--on)}.d{color:var(--bad);border-color:currentColor}
.x{position:absolute;top:8px;right:8px;min-height:0;width:32px;height:32px;padding:0;border:0;color:var(--mu);font-size:22px}
:focus-visible{outline:3px solid var(--ac);outline-offset:2px}
.bell{position:fixed;bottom:20px;right:20px;width:52px;height:52px;border:0;border-radius:50%;padding:0;background:var(--ac);color:var(--on);display:grid;place-items:center;box-shadow:0 6px 18px #0005;z-index:2147483000}
.left{right:auto;left:20px}[data-state=blocked]{background:var(--mu);color:var(--bg)}.sl{display:none}[data-state=blocked] .sl{display:inline}
ul{list-style:none;padding:0}li.t{display:flex;gap:16px;align-items:center;justify-content:space-between;padding:10px 0;margin:0;border-bottom:1px solid var(--ln)}
[role=switch]{flex:none;width:48px;height:28px;min-height:0;border:2px solid var(--mu);border-radius:14px;padding:0;position:relative}
[role=switch]:after{content:"";position:absolute;top:3px;left:3px;width:18px;height:18px;border-radius:50%;background:var(--mu)}
[aria-checked=true]{background:var(--ac);border-color:var(--ac)}[aria-checked=true]:after{left:23px;background:var(--on)}
@media(prefers-reduced-motion:no-preference){[role=switch]:after{transition:left .15s}}
label{display:block;margin:8px 0 4px}select{display:block;width:100%;max-width:280px;margin-bottom:20px;background:var(--bg);font-weight:400}.s{margin:12px 0 0}.s:empty{margin:0}.e{color:var(--bad)}`;

const icon = (d, style = '') =>
  `<svg width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"${style}>${d}</svg>`;
const share = icon('<path d="M12 3v12M8 7l4-4 4 4M20 14v5a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-5"/>', ' style="vertical-align:-5px"');

// Markup. The dialogs' × comes last: Tab starts on their first button.
const dialog = (body, close, cls = '') => `<dialog class="${cls}" aria-labelledby="h" aria-describedby="d">${body}<button class="x" data-act="close" aria-label="${close}">×</button></dialog>`;
const html = {
  prompt: '$1<h2 id="h">$2</h2><p id="d">$3</p><div class="r"><button data-act="close">$4</button><button class="p" data-act="allow">$5</button></div>',
  guide: '<h2 id="h">$1</h2><p id="d">$2</p><ol>$3</ol><div class="r"><button class="p" data-act="close">$4</button></div>',
  bell: `<button class="bell $1" aria-label="$2" aria-haspopup="dialog">${icon('<path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.94 1.94 0 0 0 3.4 0"/><path class="sl" d="M3 3l18 18"/>')}</button>`,
  prefs: '<section aria-labelledby="h"><h2 id="h">$1</h2><p class="m" id="d">$2</p>$3<p class="m">$4</p><p class="s" role="status"></p><p class="s e" role="alert"></p></section>',
  topic: '<li class="t"><span><span id="l$1">$2</span><span class="m" id="s$1">$3</span></span><button role="switch" aria-checked="$4" aria-labelledby="l$1" aria-describedby="s$1" data-act="topic" data-id="$1"></button></li>',
};

// Every visible string, in English; init's `texts` replace any of them,
// and `prompt: {title, text, icon, allow, later, position}` the prompt's.
const text = {
  title: 'Get notified?',
  text: 'Get a notification when something you follow changes. You can turn this off at any time.',
  allow: 'Turn on notifications',
  later: 'Not now',
  close: 'Close',
  bell: 'Notifications',
  on: 'on',
  off: 'off',
  blocked: 'blocked',
  recoveryTitle: 'Notifications are blocked',
  recoveryText: 'You blocked notifications for this site. To turn them back on:',
  done: 'Got it',
  iosTitle: 'Add this site to your Home Screen',
  iosText: 'On iPhone and iPad, notifications need the site on your Home Screen:',
  ios: ['Tap $1 Share.', 'Choose “Add to Home Screen”, then “Add”.', 'Open the site from your Home Screen and turn on notifications.'],
  chrome: ['Click the icon left of the address bar.', 'Open “Site settings” and set Notifications to “Allow”.', 'Reload this page.'],
  firefox: ['Click the permissions icon left of the address bar.', 'Clear “Blocked” next to “Send notifications”.', 'Reload this page and allow notifications.'],
  safari: ['Open Safari › Settings › Websites › Notifications.', 'Set this site to “Allow”.', 'Reload this page.'],
  iosSettings: ['Open Settings › Notifications.', 'Turn on “Allow Notifications” for this app.', 'Open the app again.'],
  prefsTitle: 'Notification preferences',
  prefsText: 'Choose what this browser is notified about.',
  frequency: 'How often',
  immediate: 'As it happens',
  daily_digest: 'Once a day, in one digest',
  weekly_digest: 'Once a week, in one digest',
  disclosure: 'Each change you make here is recorded.',
  turnOff: 'Turn off all notifications',
  turnOn: 'Turn on notifications',
  isOff: 'Notifications are off in this browser.',
  isBlocked: 'Notifications are blocked in this browser’s settings.',
  howTo: 'How to turn them on',
  unsupported: 'This browser cannot show notifications.',
  saving: 'Saving…',
  saved: 'Saved.',
  retrying: 'Not saved yet: the server cannot be reached. Trying again…',
  queued: 'Offline: your choice is kept and will be saved once the connection is back.',
  failed: 'Not saved: ',
};

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt()};`);
const fill = (template, ...slots) => template.replace(/\$(\d)/g, (_, n) => slots[n - 1]);
const emit = (name) => dispatchEvent(new CustomEvent('herald:' + name, { detail: {} }));
const status = (sdk) => sdk.command('status').catch(() => ({}));
const ios = /iP(hone|ad|od)/.test(navigator.userAgent);

/** The part `kind`'s shadow root (its host made in `parent` if missing), showing `markup`. */
function mount(kind, markup, parent = document.body) {
  let host = [...parent.children].find((e) => e.dataset.herald == kind);
  if (!host) {
    host = parent.appendChild(document.createElement('div'));
    host.dataset.herald = kind;
    host.attachShadow({ mode: 'open' });
  }
  host.shadowRoot.innerHTML = `<style>${css}</style>` + markup;
  return host.shadowRoot;
}

/**
 * Opens a part as a modal dialog: focus moves in and stays in (Tab and
 * Shift+Tab wrap), Escape is `close`, and focus goes back to where it was.
 * Resolves with the action that ends it: any `pick(act, event)` does not
 * answer `false` to.
 */
function modal(kind, body, t, pick = () => {}, cls) {
  const root = mount(kind, dialog(body, esc(t.close), cls));
  const box = root.firstElementChild.nextElementSibling;
  let before = document.activeElement;
  while (before?.shadowRoot?.activeElement) before = before.shadowRoot.activeElement;
  const controls = () => [...box.querySelectorAll('button,select')];
  box.showModal();
  controls()[0].focus();
  return new Promise((resolve) => {
    let open = 1;
    const done = (act) => open && ((open = 0), box.close(), root.host.remove(), before?.focus?.(), resolve(act));
    // Escape is ours (Chromium may close a modal without a cancel event);
    // a dialog the browser closes some other way answers the same.
    box.oncancel = (e) => (e.preventDefault(), done('close'));
    box.onclose = () => done('close');
    box.onkeydown = (e) => {
      const [first, ...rest] = controls();
      const last = rest.pop() || first;
      if (e.key == 'Escape') e.preventDefault(), done('close');
      if (e.key == 'Tab' && root.activeElement == (e.shiftKey ? first : last)) e.preventDefault(), (e.shiftKey ? last : first).focus();
    };
    box.onclick = (e) => {
      const act = e.target.closest('[data-act]')?.dataset.act;
      if (act && pick(act, e) !== false) done(act);
    };
    box.onchange = (e) => pick('frequency', e);
  });
}

/** The recovery panel (notifications blocked) or the iOS Home Screen guide, until closed. */
function guide(sdk, kind) {
  const t = { ...text, ...sdk.options.texts };
  const ua = navigator.userAgent;
  const browser = ios || (/Mac/.test(ua) && navigator.maxTouchPoints > 1) ? 'iosSettings' : /Firefox/.test(ua) ? 'firefox' : /Chrom/.test(ua) ? 'chrome' : /Safari/.test(ua) ? 'safari' : 'chrome';
  const [title, lead, steps] = kind == 'recovery' ? [t.recoveryTitle, t.recoveryText, t[browser]] : [t.iosTitle, t.iosText, t.ios];
  return modal(kind, fill(html.guide, esc(title), esc(lead), steps.map((s) => `<li>${fill(esc(s), share)}</li>`).join(''), esc(t.done)), t);
}

/** A step of the prompt funnel, counted by the server (nothing personal). */
const report = (sdk, event) =>
  fetch(sdk.url + '/prompt-events', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ event }) }).catch(() => {});

/**
 * The soft prompt, if this browser may be asked (from the bell: the
 * back-off does not apply). Only its Allow click calls the browser's
 * `Notification.requestPermission()`, synchronously inside that trusted
 * click's handler. Answers 'granted', 'denied', 'dismissed' or 'ineligible'.
 */
export async function prompt(sdk, fromBell) {
  const why = await sdk.command('eligible', fromBell);
  if (why == 'ios' || (why == 'denied' && fromBell)) return guide(sdk, why == 'ios' ? 'ios-guide' : 'recovery').then(() => 'ineligible');
  // Allowed but not subscribed (turned off here before): only the user's own
  // click on the bell subscribes again; a site's prompt() never does.
  if (why == 'granted') return fromBell && !(await status(sdk)).subscribed && (await sdk.command('subscribe')) ? 'granted' : 'ineligible';
  if (why != 'ok') return 'ineligible';
  const t = { ...text, ...sdk.options.texts, ...sdk.options.prompt };
  const body = fill(html.prompt, t.icon ? `<img alt="" src="${esc(t.icon)}">` : '', esc(t.title), esc(t.text), esc(t.later), esc(t.allow));
  let asked;
  const position = { top: 'top', bottom: 'bottom' }[t.position];
  const chosen = modal('prompt', body, t, (act, e) => act != 'allow' || (e.isTrusted ? void (asked = Notification.requestPermission()) : false), position);
  const step = (event) => (report(sdk, event), emit('prompt-' + event));
  step('shown');
  let outcome = 'dismissed';
  if ((await chosen) == 'allow') {
    step('accepted');
    outcome = await asked;
    // A failed subscribe is the subscribe's to report; the answer is still the user's.
    if (outcome == 'granted') return report(sdk, outcome), await sdk.command('subscribe').catch((e) => console.warn('herald:', e.message)), outcome;
    if (outcome == 'denied') return report(sdk, outcome), emit('permission-denied'), guide(sdk, 'recovery'), outcome;
    outcome = 'dismissed';
  }
  await sdk.command('backoff', sdk.options.backoffDays);
  report(sdk, outcome);
  emit('prompt-dismissed');
  return outcome;
}

/**
 * The bell: a floating button whose name says the state; it opens the
 * prompt (not asked yet: no back-off, the user asked), the preference
 * center (subscribed) or the recovery panel (blocked). It stays as the way
 * back after a dismissal.
 */
export async function bell(sdk, options = {}) {
  const t = { ...text, ...sdk.options.texts };
  const name = options.label || t.bell;
  const button = mount('bell', fill(html.bell, options.position == 'bottom-left' ? 'left' : '', esc(name))).firstElementChild.nextElementSibling;
  let state;
  let busy;
  const refresh = async () => {
    const s = await status(sdk);
    state = s.permission == 'denied' ? 'blocked' : s.subscribed ? 'on' : 'off';
    button.dataset.state = state;
    button.setAttribute('aria-label', `${name}: ${t[state]}`);
  };
  for (const e of ['subscribed', 'unsubscribed', 'permission-denied', 'preferences-changed']) addEventListener('herald:' + e, refresh);
  button.onclick = async () => {
    if (busy) return;
    busy = 1;
    await (state == 'blocked' ? guide(sdk, 'recovery') : state == 'on' ? center(sdk, 0, options) : prompt(sdk, 1)).catch(() => {});
    busy = 0;
    refresh();
  };
  await refresh();
  return true;
}

/** The preference center in `element` (or a selector's). */
export function preferenceCenter(sdk, element, options = {}) {
  const el = element?.appendChild ? element : document.querySelector(element);
  if (!el) throw Object.assign(new Error('preferenceCenter needs an element, or a selector that matches one'), { name: 'HeraldError', code: 'invalid' });
  return center(sdk, el, options);
}

/**
 * The preference center, inline in `el` or (no `el`: from the bell) in a
 * dialog. One switch per topic, the frequency, one "Turn off all
 * notifications", or "Turn on" when off. It shows what the server says
 * (`status`: the mirror only when the server cannot be reached); every change is one preferences change with
 * the SDK's retries; a failure is said (role=alert) and the control keeps
 * the user's choice; a change queued while the server is away is said to
 * be saved once the queue has gone through.
 */
async function center(sdk, el, options) {
  const t = { ...text, ...sdk.options.texts };
  const topics = options.topics || [];
  let root;
  let now;
  const button = (cls, act, label) => `<p><button class="${cls}" data-act="${act}">${esc(t[label])}</button></p>`;
  const body = (s) =>
    s.permission == 'unsupported' ? `<p>${esc(t.unsupported)}</p>` + (ios ? button('p', 'ios', 'iosTitle') : '')
    : s.permission == 'denied' ? `<p>${esc(t.isBlocked)}</p>` + button('', 'how', 'howTo')
    : !s.subscribed ? `<p>${esc(t.isOff)}</p>` + button('p', 'on', 'turnOn')
    : `<ul>${topics.map((p) => fill(html.topic, esc(p.id), esc(p.label ?? p.id), esc(p.description), s.topics?.includes(p.id))).join('')}</ul>`
      + `<label for="f">${esc(t.frequency)}</label><select id="f">`
      + (options.frequencies || ['immediate', 'daily_digest', 'weekly_digest']).map((f) => `<option value="${esc(f)}"${f == s.frequency ? ' selected' : ''}>${esc(t[f] ?? f)}`).join('')
      + '</select>' + button('d', 'off', 'turnOff');
  const draw = (s) => {
    const markup = fill(html.prefs, esc(t.prefsTitle), esc(t.prefsText), body((now = s)), esc(t.disclosure));
    if (!root) return markup;
    const focused = root.activeElement;
    root.querySelector('section').outerHTML = markup;
    // Focus was on a control that is gone: it goes to the new first one.
    if (focused && !focused.isConnected) root.querySelector('button,select').focus();
  };
  const say = (words, alert = '') => {
    root.querySelector('[role=status]').textContent = words;
    root.querySelector('[role=alert]').textContent = alert;
  };
  const save = async (change, redraw) => {
    say(t.saving);
    // The SDK keeps retrying (1, 2, 5, 10 s) before it queues: say so at once.
    const slow = setTimeout(() => say('', t.retrying), 2500);
    const answer = await change.catch((e) => e);
    clearTimeout(slow);
    if (redraw) draw(await status(sdk));
    if (answer == true || answer == false) return say(answer ? t.saved : '');
    if (answer.code != 'queued') return say('', t.failed + answer.message);
    say('', t.queued);
    while (!(await new Promise((r) => setTimeout(r, 5000)).then(() => !root.host.isConnected || sdk.command('flush'))));
    say(t.saved);
  };
  const act = (act, e) => {
    const target = e.target;
    if (act == 'topic') {
      target.setAttribute('aria-checked', target.getAttribute('aria-checked') != 'true');
      const on = [...root.querySelectorAll('[aria-checked=true]')].map((s) => s.dataset.id);
      save(sdk.command('preferences', { topics: (now.topics || []).filter((id) => !topics.some((p) => p.id == id)).concat(on) }));
    } else if (act == 'frequency') {
      if (e.type == 'change') save(sdk.command('preferences', { frequency: target.value }));
    } else if (act == 'off') save(sdk.command('unsubscribe'), 1);
    else if (act == 'on') {
      // Asked here, synchronously in the trusted click, like the prompt's Allow.
      const asked = Notification.permission == 'default' && e.isTrusted ? Notification.requestPermission() : Notification.permission;
      save(Promise.resolve(asked).then((p) => (p == 'granted' ? sdk.command('subscribe') : p == 'denied' && guide(sdk, 'recovery').then(() => false))), 1);
    } else if (act != 'close') guide(sdk, act == 'how' ? 'recovery' : 'ios-guide');
    return act == 'close';
  };
  const first = draw(await status(sdk));
  if (!el) {
    const closed = modal('preferences', first, t, act);
    root = document.querySelector('[data-herald=preferences]').shadowRoot;
    return closed;
  }
  root = mount('preferences', first, el);
  // Subscribed or not from elsewhere on the page (the prompt, the bell).
  for (const e of ['subscribed', 'unsubscribed', 'permission-denied']) addEventListener('herald:' + e, async () => draw(await status(sdk)));
  const listen = (e) => {
    const name = e.target.closest('[data-act],select');
    if (name) act(name.dataset.act || 'frequency', e);
  };
  root.addEventListener('click', listen);
  root.addEventListener('change', listen);
  return true;
}
