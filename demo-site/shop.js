// The demo shop's own script: what a site around Herald does. It reads the
// demo backend (herald serve --demo: the project, the logged-in user and
// the session's CSRF token), starts the SDK with the site's authEndpoint,
// binds the user on every page while logged in, shows the bell, draws the
// header, the cart and the status strip (what the SDK knows, and the last
// push the service worker received).

export const PRODUCTS = [
  { id: 'mug', name: 'Enamel trail mug', price: 18, colour: '#2f6f5e', text: 'Steel with a glass-hard enamel coat. Survives campfires and dishwashers.', icon: '<path d="M5 8h11v7a4 4 0 0 1-4 4H9a4 4 0 0 1-4-4z"/><path d="M16 10h2a2 2 0 0 1 0 4h-2"/><path d="M8 3v2M11 3v2M14 3v2"/>' },
  { id: 'beanie', name: 'Merino beanie', price: 32, colour: '#8a4b2d', text: 'Fine merino, warm when wet, soft enough to sleep in.', icon: '<path d="M4 17a8 8 0 0 1 16 0z"/><path d="M3 17h18v3H3z"/><circle cx="12" cy="6" r="2"/>' },
  { id: 'tote', name: 'Waxed canvas tote', price: 45, colour: '#52606d', text: 'Heavy canvas, waxed by hand, leather handles that age well.', icon: '<path d="M5 8h14l-1 12H6z"/><path d="M9 8a3 3 0 0 1 6 0"/>' },
  { id: 'lamp', name: 'Rechargeable headlamp', price: 39, colour: '#b7791f', text: '400 lumens, red night mode, charges over USB-C in two hours.', icon: '<circle cx="12" cy="12" r="4"/><path d="M3 12h2M19 12h2M12 3v2M12 19v2"/>' },
  { id: 'notebook', name: 'Waterproof field notebook', price: 12, colour: '#3b5b92', text: 'Stone paper that shrugs off rain. Pencil and ballpoint friendly.', icon: '<path d="M6 3h11a1 1 0 0 1 1 1v16a1 1 0 0 1-1 1H6z"/><path d="M9 3v18M12 8h3M12 12h3"/>' },
  { id: 'bottle', name: 'Insulated bottle', price: 29, colour: '#6b4c9a', text: 'Cold for a day, hot for twelve hours, one hand to open.', icon: '<path d="M9 3h6v3l1 2v12a1 1 0 0 1-1 1H9a1 1 0 0 1-1-1V8l1-2z"/><path d="M8 12h8"/>' },
];

/** The topics the preference center and the bell offer. */
export const TOPICS = [
  { id: 'orders', label: 'Orders', description: 'Shipping and delivery of your orders' },
  { id: 'offers', label: 'Offers', description: 'Sales and discount codes' },
  { id: 'news', label: 'News', description: 'New products, once a week at most' },
];

export const product = (id) => PRODUCTS.find((p) => p.id == id);
export const art = (p, size = 96) =>
  `<svg class="art" style="--tone:${p.colour}" width="${size}" height="${size}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${p.icon}</svg>`;
export const money = (n) => `€${n.toFixed(2)}`;
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt()};`);

// The cart lives in this browser only.
export const cart = {
  read: () => JSON.parse(localStorage.getItem('shop:cart') || '[]'),
  write: (items) => (localStorage.setItem('shop:cart', JSON.stringify(items)), drawHeader()),
  add(id) {
    const items = cart.read();
    const line = items.find((i) => i.id == id);
    line ? line.qty++ : items.push({ id, qty: 1 });
    cart.write(items);
  },
};

const call = (path, body) =>
  fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${path}: ${r.status}`))));

let session = { user: null, csrf: null };
let users = [];

/** The demo backend, then the SDK: what every page does first. */
export const ready = (async () => {
  let config;
  try {
    [config, session] = await Promise.all([call('/demo/config'), call('/demo/session')]);
  } catch (e) {
    document.getElementById('main').insertAdjacentHTML('afterbegin',
      '<p class="notice" role="alert">The demo backend is off: start Herald with <code>scripts/start.sh</code> (it passes <code>--demo</code>).</p>');
    throw e;
  }
  users = config.users;
  herald('init', {
    server: location.origin,
    project: config.project,
    authEndpoint: '/demo/auth',
    authHeaders: session.csrf ? { 'X-CSRF-Token': session.csrf } : undefined,
    disclosureVersion: 'demo-2026-12',
    // The soft prompt shows itself from the second page view on, once the
    // product page's alerts box is in view.
    triggers: { pageViews: 2, visible: '#alerts' },
    prompt: {
      title: 'Shipping updates and price drops?',
      text: 'We notify you when an order ships, and about offers you pick. Turn it off any time on the Notifications page.',
      allow: 'Turn on notifications',
      later: 'Not now',
    },
  });
  // Logged in: this browser's subscription is bound to the user on every
  // page (the signature comes from /demo/auth).
  if (session.user) herald('uid', session.user.id);
  herald('bell', { position: 'bottom-right', topics: TOPICS });
  drawHeader();
  drawStatus();
  return config;
})();

function drawHeader() {
  const top = document.getElementById('top');
  if (!top) return;
  const count = cart.read().reduce((n, i) => n + i.qty, 0);
  const here = document.body.dataset.page;
  const link = (href, page, label) => `<a href="${href}"${here == page ? ' aria-current="page"' : ''}>${label}</a>`;
  const account = session.user
    ? `<span class="who">Logged in as <strong>${esc(session.user.name)}</strong></span> <button type="button" id="logout">Log out</button>`
    : `<label for="as">Log in as</label> <select id="as">${users.map((u) => `<option value="${esc(u.id)}">${esc(u.name)}</option>`).join('')}</select> <button type="button" id="login">Log in</button>`;
  top.innerHTML = `<div class="bar"><a class="brand" href="/">Northwind Supply</a>
    <nav aria-label="Shop">${link('/', 'home', 'Shop')}${link('/cart.html', 'cart', `Cart <span class="count">${count}</span>`)}${link('/preferences.html', 'preferences', 'Notifications')}</nav>
    <div class="account">${account}</div></div>`;
  top.querySelector('#login')?.addEventListener('click', async () => {
    await call('/demo/login', { user: top.querySelector('#as').value });
    location.reload();
  });
  top.querySelector('#logout')?.addEventListener('click', async (e) => {
    e.target.disabled = true;
    // Log out: the subscription stays, anonymous (no more user-targeted pushes).
    await new Promise((resolve) => herald('unsubscribe', resolve, { uid: true }));
    await call('/demo/logout', {});
    location.reload();
  });
}

// The status strip: what the SDK knows now, and the last push received.
async function drawStatus() {
  let strip = document.getElementById('herald-status');
  if (!strip) {
    strip = document.body.appendChild(document.createElement('aside'));
    strip.id = 'herald-status';
    strip.setAttribute('aria-labelledby', 'status-title');
  }
  const [reason, [subscribed, details]] = await Promise.all([
    // herald() answers with a promise too: the reason, or null when supported.
    herald('unsupportedReason'),
    new Promise((resolve) => herald('status', (s, d) => resolve([s, d]))),
  ]);
  const last = JSON.parse(sessionStorage.getItem('shop:last-push') || 'null');
  const row = (name, value, key) => `<div><dt>${name}</dt><dd data-status="${key}">${esc(value)}</dd></div>`;
  const list = (a) => (a?.length ? a.join(', ') : 'none');
  strip.innerHTML = `<h2 id="status-title">What Herald knows</h2><dl>
    ${row('Supported', reason && typeof reason == 'string' ? `no: ${reason}` : 'yes', 'supported')}
    ${row('Permission', details?.permission ?? 'unknown', 'permission')}
    ${row('Subscribed', subscribed ? 'yes' : 'no', 'subscribed')}
    ${row('User id', details?.uid ?? 'anonymous', 'uid')}
    ${row('Tags', list(details?.tags), 'tags')}
    ${row('Topics', list(details?.topics), 'topics')}
    ${row('Last push', last ? `${last.title}${last.body ? ' – ' + last.body : ''}` : 'none yet', 'last-push')}
  </dl>`;
}

for (const name of ['subscribed', 'unsubscribed', 'preferences-changed', 'permission-denied']) {
  addEventListener('herald:' + name, () => drawStatus());
}
addEventListener('focus', () => drawStatus());
navigator.serviceWorker?.addEventListener('message', (e) => {
  if (e.data?.type != 'herald:push') return;
  sessionStorage.setItem('shop:last-push', JSON.stringify(e.data.payload));
  drawStatus();
});
