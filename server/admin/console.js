// Herald's console: the operator's view of one project, built only on the
// backend API (Bearer token, kept in sessionStorage; no cookies). Views:
// overview (subscribers, prompt funnel), send (with a live payload size and
// a preview), notifications (paged list) and one notification (live chart,
// cancel). Charts are small hand-written SVG, each with a table beside it.

const $ = (selector, root = document) => root.querySelector(selector);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt()};`);
const fmt = (n) => Number(n || 0).toLocaleString('en');
const main = $('#main');
const TOKEN = 'herald:console-token';

let project = null;
let poll = null;

// The API, with the token; a 401 goes back to the sign-in form.
async function api(method, path, body) {
  const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['idempotency-key'] = crypto.randomUUID();
  }
  const response = await fetch(path.startsWith('/api/') ? path : `/api/v1/projects/${project.id}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (response.status == 401) {
    signOut('The token was refused: sign in again.');
    throw new Error('unauthorized');
  }
  if (!response.ok) throw Object.assign(new Error(answer.error?.message || `HTTP ${response.status}`), { field: answer.error?.field, status: response.status });
  return answer;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN);
  project = null;
  signIn(message);
}

function signIn(message = '') {
  $('#nav').hidden = $('#who').hidden = true;
  document.title = 'Sign in · Herald console';
  main.innerHTML = `<section class="card signin" aria-labelledby="signin-title">
    <h1 id="signin-title">Open the console</h1>
    <form id="signin" novalidate>
      <div class="field"><label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-hint${message ? ' token-error' : ''}">
        <p class="hint" id="token-hint"><code>herald token create --project ID</code> prints one. It stays in this tab only.</p>
        ${message ? `<p class="error" id="token-error" role="alert">${esc(message)}</p>` : ''}</div>
      <button class="primary">Open</button>
    </form></section>`;
  $('#signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('#token').value.trim();
    if (!token) return signIn('Paste an API token first.');
    sessionStorage.setItem(TOKEN, token);
    await start().catch(() => {});
  });
  $('#token').focus();
}

async function start() {
  const me = await api('GET', '/api/v1/me');
  project = me.project;
  $('#project-name').textContent = project.name;
  $('#nav').hidden = $('#who').hidden = false;
  route();
}

// Views by location hash: #/overview, #/send, #/notifications[?cursor], #/notifications/ID.
function route() {
  // Only the views' own hashes (#/...): the skip link's #main is not one.
  if (!project || (location.hash && !location.hash.startsWith('#/'))) return;
  clearInterval(poll);
  const [, view = 'overview', id] = location.hash.split('/');
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view == view.split('?')[0]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const views = { overview, send, notifications: id ? () => detail(id) : () => list(view) };
  (views[view.split('?')[0]] || overview)().catch((e) => e.message != 'unauthorized' && failed(e));
}

function failed(e) {
  main.innerHTML = `<p class="card error" role="alert">Could not load this view: ${esc(e.message)}</p>`;
}

function titled(text) {
  document.title = `${text} · Herald console`;
}

// ---------- charts ----------

/**
 * A chart of each series `{key, label, colour}` over `rows`: lines
 * (cumulative counts) or bars (daily counts), x labels from `xLabel`.
 * Returns a placeholder the SVG is drawn into at its own width (and again
 * when the window is resized), with the same numbers in a table beside it.
 */
const plots = new Map();
function chart(options) {
  const { id, title, rows, series, xLabel, kind = 'line' } = options;
  plots.set(id, options);
  const legend = series.map((s) => `<li style="--swatch: var(${s.colour})">${esc(s.label)}</li>`).join('');
  const head = `<tr><th scope="col">${kind == 'line' ? 'Time' : 'Day'}</th>${series.map((s) => `<th scope="col" class="num">${esc(s.label)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr><th scope="row">${esc(xLabel(r, true))}</th>${series.map((s) => `<td class="num">${fmt(r[s.key])}</td>`).join('')}</tr>`).join('');
  return `<div class="plot" data-plot="${id}"></div><ul class="legend">${legend}</ul>
    <details><summary>Show the numbers</summary><div class="scroll"><table><caption class="skip">${esc(title)}</caption><thead>${head}</thead><tbody>${body}</tbody></table></div></details>`;
}

function drawPlots() {
  for (const box of document.querySelectorAll('[data-plot]')) {
    const options = plots.get(box.dataset.plot);
    if (options) box.innerHTML = svg(options, Math.max(280, box.clientWidth));
  }
}
let resized;
addEventListener('resize', () => {
  clearTimeout(resized);
  resized = setTimeout(drawPlots, 100);
});

function svg({ id, title, rows, series, xLabel, kind = 'line' }, W) {
  const H = W < 500 ? 200 : 240, L = 44, R = 14, T = 12, B = 28;
  const max = Math.max(1, ...rows.flatMap((r) => series.map((s) => r[s.key] || 0)));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const slot = (W - L - R) / Math.max(1, rows.length);
  // Bars sit in slots; line points run edge to edge.
  const x = (i) => (kind == 'bar' ? L + (i + 0.5) * slot : L + (rows.length < 2 ? (W - L - R) / 2 : (i * (W - L - R)) / (rows.length - 1)));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  let grid = '';
  for (let v = 0; v <= top; v += step) grid += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`;
  // As many x labels as fit, about 70 px apart.
  const every = Math.max(1, Math.ceil(rows.length / Math.max(2, Math.floor((W - L - R) / 70))));
  // Line charts run edge to edge: their first and last labels stay inside.
  const anchor = (i) => (kind == 'line' && rows.length > 1 && i == 0 ? 'start' : kind == 'line' && i == rows.length - 1 ? 'end' : 'middle');
  const ticks = rows.map((r, i) => (i % every == 0 || (kind == 'line' && i == rows.length - 1 && i % every > every / 2)
    ? `<text x="${x(i)}" y="${H - 8}" text-anchor="${anchor(i)}">${esc(xLabel(r))}</text>` : '')).join('');
  let marks = '';
  if (kind == 'line') {
    for (const s of series) {
      const points = rows.map((r, i) => `${x(i).toFixed(1)},${y(r[s.key] || 0).toFixed(1)}`).join(' ');
      marks += `<polyline fill="none" stroke="var(${s.colour})" stroke-width="2.2" stroke-linejoin="round" points="${points}"/>`;
    }
  } else {
    const bar = Math.max(1, (slot * 0.8) / series.length);
    rows.forEach((r, i) => series.forEach((s, k) => {
      const v = r[s.key] || 0;
      if (v) marks += `<rect x="${(x(i) - slot * 0.4 + k * bar).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="var(${s.colour})" rx="1"/>`;
    }));
  }
  return `<svg class="chart" id="${id}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t"><title id="${id}-t">${esc(title)} (the numbers are in the table below)</title>${grid}${marks}${ticks}</svg>`;
}

function niceStep(max) {
  const raw = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
}

// ---------- overview ----------

async function overview() {
  titled('Overview');
  const days = Number(new URLSearchParams(location.hash.split('?')[1]).get('days')) || 30;
  const [subs, prompt] = await Promise.all([api('GET', `/stats/subscriptions?days=${days}`), api('GET', `/stats/prompt?days=${days}`)]);
  const t = subs.totals;
  const p = prompt.totals;
  const pct = (a, b) => (b ? `${Math.round((100 * a) / b)}%` : '–');
  const steps = [
    ['Shown', p.shown, '--c1', ''],
    ['Accepted', p.accepted, '--c7', `${pct(p.accepted, p.shown)} of shown`],
    ['Granted', p.granted, '--c2', `${pct(p.granted, p.accepted)} of accepted`],
    ['Dismissed', p.dismissed, '--c3', `${pct(p.dismissed, p.shown)} of shown`],
    ['Denied', p.denied, '--c5', `${pct(p.denied, p.accepted)} of accepted`],
  ];
  const widest = Math.max(1, p.shown, ...steps.map((s) => s[1]));
  const short = (d) => d.date.slice(5);
  main.innerHTML = `<div class="head"><h1>Overview</h1>
      <label class="choice">Days <select id="days">${[7, 30, 90].map((d) => `<option${d == days ? ' selected' : ''}>${d}</option>`).join('')}</select></label></div>
    <section aria-labelledby="subs-title"><h2 id="subs-title" class="skip">Subscribers now</h2><div class="cards">
      <div class="stat"><span class="n" data-total="active">${fmt(t.active)}</span><span class="k">active subscribers</span></div>
      <div class="stat"><span class="n" data-total="opted_out">${fmt(t.opted_out)}</span><span class="k">opted out</span></div>
      <div class="stat"><span class="n" data-total="expired">${fmt(t.expired)}</span><span class="k">expired</span></div></div></section>
    <section class="card" aria-labelledby="daily-title"><h2 id="daily-title">Subscriptions per day, last ${days} days</h2>
      ${chart({ id: 'daily', title: `Subscriptions per day, last ${days} days`, rows: subs.daily, kind: 'bar', xLabel: (d, long) => (long ? d.date : short(d)), series: [
        { key: 'new', label: 'New', colour: '--c1' },
        { key: 'opted_out', label: 'Opted out', colour: '--c3' },
        { key: 'expired', label: 'Expired', colour: '--c6' },
      ] })}</section>
    <section class="card" aria-labelledby="funnel-title"><h2 id="funnel-title">Soft prompt, last ${days} days</h2>
      <ul class="funnel">${steps.map(([label, n, colour, note]) => `<li><span>${label}</span><span class="track" aria-hidden="true"><span class="fill" style="--swatch: var(${colour}); width: ${(100 * n) / widest}%; display: block"></span></span><span class="num"><strong>${fmt(n)}</strong> <span class="muted">${note}</span></span></li>`).join('')}</ul></section>`;
  drawPlots();
  $('#days').addEventListener('change', (e) => (location.hash = `#/overview?days=${e.target.value}`));
}

// ---------- send ----------

const MAX_BODY = 4096;
// What an encrypted push adds to its plaintext (RFC 8291 header and tag).
const OVERHEAD = 103;

async function send() {
  titled('Send');
  main.innerHTML = `<h1>Send a notification</h1><div class="send"><form id="send" novalidate>
    <fieldset><legend>What it says</legend>
      ${field('title', 'Title', '<input id="title" required maxlength="200">')}
      ${field('body', 'Text', '<textarea id="body"></textarea>')}
      ${field('url', 'Opens', '<input id="url" type="url" placeholder="https://shop.example/orders/42">', 'Where a click goes.')}
      <div class="row">${field('icon', 'Icon URL', '<input id="icon" type="url">')}${field('image', 'Image URL', '<input id="image" type="url">')}</div>
    </fieldset>
    <fieldset><legend>Buttons (optional)</legend>
      <div class="row">${field('a1', 'First button', '<input id="a1" placeholder="Track order">')}${field('a1url', 'It opens', '<input id="a1url" type="url">')}</div>
      <div class="row">${field('a2', 'Second button', '<input id="a2">')}${field('a2url', 'It opens', '<input id="a2url" type="url">')}</div>
    </fieldset>
    <fieldset><legend>Who gets it</legend>
      <div role="radiogroup" aria-label="Target">
        ${['all:Everyone', 'uids:These users', 'tags:Subscriptions whose tags match', 'topic:Subscribers of a topic'].map((c, i) => {
          const [value, label] = c.split(':');
          return `<label class="choice"><input type="radio" name="target" value="${value}"${i == 0 ? ' checked' : ''}> ${label}</label>`;
        }).join('')}
      </div>
      <div data-for="uids" hidden>${field('uids', 'User ids', '<textarea id="uids" placeholder="user-42, user-43"></textarea>', 'Separated by commas, spaces or lines; at most 10,000.')}</div>
      <div data-for="tags" hidden>${field('tags', 'Tag expression', '<input id="tags" placeholder="vip && !churned">', 'Tags joined with &&, ||, ! and parentheses.', 'target.tags')}</div>
      <div data-for="topic" hidden>${field('target-topic', 'Topic', '<input id="target-topic" placeholder="news">', '', 'target.topic')}</div>
    </fieldset>
    <fieldset><legend>Delivery</legend>
      <div class="row">
        ${field('ttl', 'Keep trying for (seconds)', '<input id="ttl" type="number" min="0" max="2419200" placeholder="2419200">', 'Up to 4 weeks.')}
        ${field('urgency', 'Urgency', '<select id="urgency"><option value="">Normal</option><option value="high">High</option><option value="low">Low</option><option value="very-low">Very low</option></select>')}
      </div>
      <div class="row">
        ${field('topic', 'Replaces (collapse key)', '<input id="topic" maxlength="32" placeholder="order-42">', 'A newer push with the same key replaces one not yet delivered.')}
        ${field('send_at', 'Send at (your time)', '<input id="send_at" type="datetime-local">', 'Empty: now.')}
      </div>
    </fieldset>
    <p class="error" id="form-error" role="alert"></p>
    <button class="primary" id="submit">Send</button> <span id="sent" role="status"></span>
  </form>
  <aside class="preview card" aria-labelledby="preview-title"><h2 id="preview-title">Preview</h2>
    <div class="toast" id="toast"></div>
    <h3 style="margin-top:16px">Size</h3>
    <meter id="size-meter" min="0" max="${MAX_BODY}" low="${MAX_BODY * 0.75}" high="${MAX_BODY * 0.95}" optimum="0" aria-labelledby="size"></meter>
    <p id="size" class="hint"></p>
  </aside></div>`;
  const form = $('#send');
  const update = () => {
    const target = form.target.value;
    for (const box of form.querySelectorAll('[data-for]')) box.hidden = box.dataset.for != target;
    const content = contentOf();
    const bytes = new TextEncoder().encode(JSON.stringify({ id: 9223372036854775807, delivery: 9223372036854775807, ...content })).length + OVERHEAD;
    $('#size-meter').value = Math.min(bytes, MAX_BODY);
    $('#size').textContent = `${fmt(bytes)} of ${fmt(MAX_BODY)} bytes once encrypted${bytes > MAX_BODY ? `: ${fmt(bytes - MAX_BODY)} too many, shorten the text` : ''}.`;
    $('#size').className = bytes > MAX_BODY ? 'error' : 'hint';
    const img = (src, cls) => (src ? `<img class="${cls}" src="${esc(src)}" alt="">` : cls == 'big' ? '' : '<span class="blank" aria-hidden="true"></span>');
    $('#toast').innerHTML = `${img(content.icon, '')}<div><strong>${esc(content.title || 'Title')}</strong><p>${esc(content.body || '')}</p><p>${esc(location.host)}</p></div>
      ${img(content.image, 'big')}${content.actions.length ? `<div class="acts">${content.actions.map((a) => `<span class="button">${esc(a.title)}</span>`).join('')}</div>` : ''}`;
  };
  form.addEventListener('input', update);
  form.addEventListener('change', update);
  form.addEventListener('submit', submit);
  update();
  $('#title').focus();
}

function field(id, label, control, hint = '', apiField = id) {
  const described = [hint && `${id}-hint`, `${id}-error`].filter(Boolean).join(' ');
  return `<div class="field" data-field="${apiField}"><label for="${id}">${label}</label>${control.replace(/^<(\w+) /, `<$1 aria-describedby="${described}" `)}
    ${hint ? `<p class="hint" id="${id}-hint">${hint}</p>` : ''}<p class="error" id="${id}-error"></p></div>`;
}

const value = (id) => $(`#${id}`).value.trim();
const optional = (id) => value(id) || undefined;

/** The notification's content as the server stores it (every member, null when unset). */
function contentOf() {
  const actions = [1, 2].filter((n) => value(`a${n}`)).map((n) => ({ action: `a${n}`, title: value(`a${n}`), url: optional(`a${n}url`) ?? null }));
  return { title: value('title') || null, body: value('body') || null, url: value('url') || null, icon: value('icon') || null, image: value('image') || null, badge: null, actions, tag: null, require_interaction: false, data: null };
}

async function submit(e) {
  e.preventDefault();
  const form = e.target;
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  $('#sent').textContent = '';
  const content = contentOf();
  const body = { title: content.title, body: optional('body'), url: optional('url'), icon: optional('icon'), image: optional('image') };
  if (content.actions.length) body.actions = content.actions.map((a) => ({ action: a.action, title: a.title, ...(a.url ? { url: a.url } : {}) }));
  if (value('ttl')) body.ttl = Number(value('ttl'));
  if (value('urgency')) body.urgency = value('urgency');
  if (value('topic')) body.topic = value('topic');
  if (value('send_at')) body.send_at = new Date(value('send_at')).toISOString();
  const target = form.target.value;
  body.target = target == 'all' ? { all: true }
    : target == 'uids' ? { uids: value('uids').split(/[\s,]+/).filter(Boolean) }
    : target == 'tags' ? { tags: value('tags') } : { topic: value('target-topic') };
  const button = $('#submit');
  button.disabled = true;
  try {
    const accepted = await api('POST', '/notifications', body);
    $('#sent').innerHTML = `<span class="ok">Accepted for ${fmt(accepted.queued)} subscription${accepted.queued == 1 ? '' : 's'}.</span> <a href="#/notifications/${accepted.id}">Follow it</a>`;
  } catch (error) {
    if (error.message == 'unauthorized') return;
    showError(form, error);
  } finally {
    button.disabled = false;
  }
}

function showError(form, error) {
  // The server names the field; say it there, else above the button.
  const name = error.field || '';
  const box = form.querySelector(`[data-field="${CSS.escape(name)}"]`) || form.querySelector(`[data-field="${CSS.escape(name.split('.')[0])}"]`)
    || (name.startsWith('target') ? form.querySelector(`[data-for="${form.target.value}"] [data-field]`) : null);
  const visible = box && !box.closest('[hidden]');
  if (visible) {
    const control = box.querySelector('input, textarea, select');
    control.setAttribute('aria-invalid', 'true');
    // The field is named by where it is said: "target.tags: expected …" → "Expected …".
    const said = error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message;
    box.querySelector('.error').textContent = said.charAt(0).toUpperCase() + said.slice(1);
    control.focus();
  }
  $('#form-error').textContent = visible ? `Not sent: see ${box.querySelector('label').textContent}.` : `Not sent: ${error.message}`;
}

// ---------- notifications ----------

const STATES = [
  { key: 'queued', label: 'Queued', colour: '--c6' },
  { key: 'sent', label: 'Sent', colour: '--c1' },
  { key: 'delivered', label: 'Shown', colour: '--c2' },
  { key: 'clicked', label: 'Clicked', colour: '--c4' },
  { key: 'failed', label: 'Failed', colour: '--c5' },
  { key: 'expired', label: 'Expired', colour: '--c3' },
];

const badge = (status) => `<span class="badge ${esc(status)}">${esc(status)}</span>`;
const when = (iso) => new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });

function targetText(t) {
  if (!t) return '–';
  if (t.all) return 'everyone';
  if (t.uids) return `${t.uids.length} user${t.uids.length == 1 ? '' : 's'}`;
  if (t.tags) return `tags: ${t.tags}`;
  if (t.topic) return `topic: ${t.topic}`;
  return JSON.stringify(t);
}

async function list(view) {
  titled('Notifications');
  const params = new URLSearchParams(view.split('?')[1]);
  const cursor = params.get('cursor');
  const back = params.get('back');
  const page = await api('GET', `/notifications?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  // data-label: on a phone each row is a small card that names its cells.
  const rows = page.notifications.map((n) => `<tr>
      <td class="title"><a href="#/notifications/${n.id}">${esc(n.title || '(no title)')}</a></td>
      <td data-label="Target">${esc(targetText(n.target))}</td><td data-label="Status">${badge(n.status)}</td>
      <td class="num" data-label="Targeted">${fmt(n.total)}</td><td class="num" data-label="Sent">${fmt(n.counts.sent)}</td><td class="num" data-label="Shown">${fmt(n.counts.delivered)}</td><td class="num" data-label="Clicked">${fmt(n.counts.clicked)}</td>
      <td data-label="Accepted">${esc(when(n.created_at))}</td></tr>`).join('');
  main.innerHTML = `<div class="head"><h1>Notifications</h1><a class="button primary" href="#/send">Send one</a></div>
    <div class="card scroll">${page.notifications.length ? `<table class="list"><caption class="skip">Notifications, newest first</caption><thead><tr>
      <th scope="col">Title</th><th scope="col">Target</th><th scope="col">Status</th><th scope="col" class="num">Targeted</th><th scope="col" class="num">Sent</th><th scope="col" class="num">Shown</th><th scope="col" class="num">Clicked</th><th scope="col">Accepted</th>
      </tr></thead><tbody>${rows}</tbody></table>` : '<p>Nothing sent yet.</p>'}
      <div class="pager">${cursor ? `<a class="button" href="#/notifications${back ? `?cursor=${esc(back.split(',').pop())}&back=${esc(back.split(',').slice(0, -1).join(','))}` : ''}">Newer</a>` : ''}
      ${page.next_cursor ? `<a class="button" href="#/notifications?cursor=${esc(page.next_cursor)}&back=${esc([back, cursor].filter(Boolean).join(','))}">Older</a>` : ''}</div></div>`;
}

async function detail(id) {
  const draw = async (first) => {
    const [t, n] = await Promise.all([api('GET', `/notifications/${id}/timeline`), first ? found(id) : null]);
    if (first) {
      titled(n?.title || `Notification ${id}`);
      main.innerHTML = `<p><a href="#/notifications">← All notifications</a></p><div class="head"><h1>${esc(n?.title || `Notification ${id}`)}</h1><span id="status"></span></div>
        <div class="card"><dl class="kv">${n?.body ? `<dt>Text</dt><dd>${esc(n.body)}</dd>` : ''}${n?.url ? `<dt>Opens</dt><dd>${esc(n.url)}</dd>` : ''}
          <dt>Target</dt><dd>${esc(targetText(n?.target))}</dd><dt>Accepted</dt><dd>${n ? esc(when(n.created_at)) : '–'}</dd><dt>Due</dt><dd>${n ? esc(when(n.send_at)) : '–'}</dd></dl>
          <p id="cancel-box" hidden><button type="button" class="danger" id="cancel">Cancel it</button> <span id="cancelled" role="status" tabindex="-1"></span></p></div>
        <div class="cards small" id="counts"></div>
        <section class="card" aria-labelledby="timeline-title"><h2 id="timeline-title">Over time</h2><div id="timeline"></div></section>`;
      $('#cancel').addEventListener('click', cancel);
    }
    const last = t.points[t.points.length - 1] || {};
    $('#status').innerHTML = badge(t.status);
    $('#counts').innerHTML = STATES.concat([{ key: 'cancelled', label: 'Cancelled' }]).map((s) => `<div class="stat"><span class="n" data-count="${s.key}">${fmt(last[s.key])}</span><span class="k">${s.label}</span></div>`).join('');
    const open = $('#timeline details')?.open;
    // Seconds on the axis while the whole run is shorter than ten minutes.
    const span = t.points.length > 1 ? new Date(last.t) - new Date(t.points[0].t) : 0;
    const time = (p, long) => new Date(p.t).toLocaleTimeString('en', long || span < 600_000 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
    $('#timeline').innerHTML = chart({ id: 'progress', title: `Deliveries of notification ${id} over time`, rows: t.points, series: STATES, xLabel: time });
    drawPlots();
    if (open) $('#timeline details').open = true;
    // The button while it can still be cancelled; what cancelling said stays.
    const cancellable = ['scheduled', 'queued'].includes(t.status);
    $('#cancel').hidden = !cancellable;
    $('#cancel-box').hidden = !cancellable && !$('#cancelled').textContent;
    return t.status;
  };
  // Live: every 1.5 s while it is going, then every 5 s (receipts of
  // shown and clicked notifications keep coming).
  const going = (status) => ['scheduled', 'queued', 'sending'].includes(status);
  const every = (status) => {
    clearInterval(poll);
    poll = setInterval(async () => {
      const now = await draw(false).catch(() => status);
      if (going(now) != going(status)) every(now);
    }, going(status) ? 1500 : 5000);
  };
  every(await draw(true));
  async function cancel() {
    const out = $('#cancelled');
    try {
      await api('DELETE', `/notifications/${id}`);
      out.textContent = 'Cancelled: nothing more goes out.';
      await draw(false);
      out.focus();
    } catch (e) {
      out.textContent = e.status == 409 ? 'Too late: sending has started.' : e.message;
    }
  }
}

/** The listed notification `id` (content and target), from the list pages. */
async function found(id) {
  let cursor = String(Number(id) + 1);
  const page = await api('GET', `/notifications?limit=1&cursor=${cursor}`);
  return page.notifications.find((n) => String(n.id) == String(id)) || null;
}

$('#sign-out').addEventListener('click', () => signOut());
// The skip link moves focus without touching the hash the views live in.
$('.skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
addEventListener('hashchange', route);
if (sessionStorage.getItem(TOKEN)) start().catch(() => {});
else signIn();
