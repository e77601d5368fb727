// How fast the admin console answers and draws for a big project: 100,000
// subscriptions over 90 days, 1,000 notifications (999 of 100 deliveries,
// one broadcast to every active subscription, sent over a minute), prompt
// events every day. Seeds a SQLite database with SQL (the rows Herald
// itself writes), starts the real server, times each console endpoint from
// here and each view in headless Chromium (navigation to drawn), and
// prints one table.
//
//   cargo build --release --bin herald
//   node tests/bench/console-bench.mjs [--subscriptions 100000] [--notifications 1000] [--runs 7]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import puppeteer from 'puppeteer-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SUBSCRIPTIONS = option('subscriptions', 100_000);
const NOTIFICATIONS = option('notifications', 1_000);
const RUNS = option('runs', 7);
const profile = process.env.HERALD_PROFILE || 'release';
const herald = join(root, 'target', profile, 'herald');
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'herald-console-bench-'));
const file = join(dir, 'herald.db');
const url = `sqlite://${file}`;
const project = JSON.parse(execFileSync(herald, ['--database-url', url, 'project', 'create', '--name', 'Bench shop']));
const now = Date.now();
const content = (title) => JSON.stringify({ title, body: 'Twenty percent off the waxed canvas range until Sunday.', url: null, icon: null, image: null, badge: null, actions: [], tag: null, require_interaction: false, data: null }).replaceAll("'", "''");

// One SQL script: recursive CTEs make the rows inside SQLite in seconds.
const broadcast = NOTIFICATIONS;
const sentFrom = now - 3_600_000;
const sql = `
pragma journal_mode = wal;
begin;
with recursive n(i) as (select 1 union all select i + 1 from n where i < ${SUBSCRIPTIONS})
insert into subscriptions (project_id, endpoint, endpoint_hash, p256dh, auth, uid, tags, topics, status, created_at, updated_at, opted_out_at, expired_at)
select '${project.id}', 'https://fcm.googleapis.com/fcm/send/bench-' || i, printf('%064x', i), 'BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM', 'tBHItJI5svbpez7KI4CCXg',
  case when i % 3 = 0 then 'user-' || i end, case when i % 2 = 0 then '["vip"]' else '[]' end, '["news","orders"]',
  case when i % 14 = 0 then 'opted_out' when i % 33 = 0 then 'expired' else 'active' end,
  ${now} - (i % 90) * ${DAY} - (i * 7919) % ${DAY}, ${now},
  case when i % 14 = 0 then ${now} - (i % 60) * ${DAY} end, case when i % 14 <> 0 and i % 33 = 0 then ${now} - (i % 45) * ${DAY} end
from n;
with recursive n(i) as (select 1 union all select i + 1 from n where i < ${NOTIFICATIONS - 1})
insert into notifications (project_id, payload, target, ttl, send_at, expires_at, total, fanout_done, created_at)
select '${project.id}', '${content('Weekend offer')}', '{"tags":"vip"}', 2419200, ${now} - (${NOTIFICATIONS} - i) * 2400000 - 7200000,
  ${now} + ${DAY}, 100, 1, ${now} - (${NOTIFICATIONS} - i) * 2400000 - 7200000 from n;
insert into notifications (project_id, payload, target, ttl, send_at, expires_at, total, fanout_done, created_at)
select '${project.id}', '${content('Winter sale starts now')}', '{"all":true}', 2419200, ${sentFrom}, ${now} + ${DAY},
  (select count(*) from subscriptions where status = 'active'), 1, ${sentFrom};
with recursive d(i) as (select 1 union all select i + 1 from d where i < 100)
insert into deliveries (notification_id, subscription_id, state, attempts, next_attempt_at, expires_at, sent_at, finished_at, delivered_at, clicked_at)
select notifications.id, d.i, 'sent', 1, send_at, expires_at, send_at + d.i * 50, send_at + d.i * 50,
  case when d.i % 10 < 7 then send_at + d.i * 50 + 2000 end, case when d.i % 20 = 0 then send_at + d.i * 50 + 60000 end
from notifications, d where notifications.total = 100;
insert into deliveries (notification_id, subscription_id, state, attempts, next_attempt_at, expires_at, sent_at, finished_at, delivered_at, clicked_at, last_status)
select ${broadcast}, s.id, case when s.id % 97 = 0 then 'expired' when s.id % 101 = 0 then 'failed' else 'sent' end, 1, ${sentFrom}, ${now} + ${DAY},
  case when s.id % 97 <> 0 and s.id % 101 <> 0 then ${sentFrom} + s.id * 60000 / ${SUBSCRIPTIONS} end, ${sentFrom} + s.id * 60000 / ${SUBSCRIPTIONS},
  case when s.id % 97 <> 0 and s.id % 101 <> 0 and s.id % 10 < 7 then ${sentFrom} + s.id * 60000 / ${SUBSCRIPTIONS} + 3000 end,
  case when s.id % 97 <> 0 and s.id % 101 <> 0 and s.id % 25 = 0 then ${sentFrom} + s.id * 60000 / ${SUBSCRIPTIONS} + 90000 end,
  case when s.id % 97 = 0 then 410 when s.id % 101 = 0 then 400 else 201 end
from subscriptions s where s.status = 'active';
with recursive n(i) as (select 0 union all select i + 1 from n where i < 89)
insert into prompt_events (project_id, day, event, count)
select '${project.id}', ${Math.floor(now / DAY)} - i, e.event, e.c + i % 7 from n,
  (select 'shown' as event, 400 as c union all select 'accepted', 120 union all select 'granted', 90 union all select 'dismissed', 200 union all select 'denied', 20) e;
commit;
analyze;
`;
writeFileSync(join(dir, 'seed.sql'), sql);
let t0 = performance.now();
execFileSync('sqlite3', [file], { input: sql });
const seeded = performance.now() - t0;
const count = (q) => Number(String(execFileSync('sqlite3', [file, q])).trim());
const rows = { subscriptions: count('select count(*) from subscriptions'), notifications: count('select count(*) from notifications'), deliveries: count('select count(*) from deliveries') };

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const server = spawn(herald, ['--database-url', url, 'serve', '--listen', `127.0.0.1:${port}`, '--site-dir', join(root, 'demo-site'), '--dist-dir', join(root, 'dist')], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve, reject) => {
  createInterface({ input: server.stderr }).on('line', (line) => line.includes('listening on') && resolve());
  server.on('exit', (code) => reject(new Error(`herald exited ${code}`)));
});
const base = `http://127.0.0.1:${port}`;

const stats = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
};
const ms = (v) => `${v.toFixed(1)} ms`;

// The endpoints, from here (one warm-up call, then RUNS).
const endpoints = [
  ['GET /api/v1/me', '/api/v1/me'],
  ['GET …/stats/subscriptions?days=30', `/api/v1/projects/${project.id}/stats/subscriptions?days=30`],
  ['GET …/stats/subscriptions?days=90', `/api/v1/projects/${project.id}/stats/subscriptions?days=90`],
  ['GET …/stats/prompt?days=30', `/api/v1/projects/${project.id}/stats/prompt?days=30`],
  ['GET …/notifications?limit=25', `/api/v1/projects/${project.id}/notifications?limit=25`],
  ['GET …/notifications?limit=25&cursor=500', `/api/v1/projects/${project.id}/notifications?limit=25&cursor=500`],
  [`GET …/notifications/${broadcast}/timeline`, `/api/v1/projects/${project.id}/notifications/${broadcast}/timeline`],
  [`GET …/notifications/${broadcast}`, `/api/v1/projects/${project.id}/notifications/${broadcast}`],
];
const table = [];
for (const [name, path] of endpoints) {
  const samples = [];
  for (let i = 0; i <= RUNS; i++) {
    t0 = performance.now();
    const r = await fetch(base + path, { headers: { authorization: `Bearer ${project.api_token}` } });
    if (!r.ok) throw new Error(`${name}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    if (i) samples.push(performance.now() - t0);
  }
  table.push([name, stats(samples)]);
}

// The views in Chromium: from navigation start to the view drawn.
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 800 });
await page.goto(`${base}/admin`);
await page.evaluate((token) => sessionStorage.setItem('herald:console-token', token), project.api_token);
const views = [
  ['view overview (30 days)', '#/overview', '[data-plot] svg'],
  ['view overview (90 days)', '#/overview?days=90', '[data-plot] svg'],
  ['view notifications, first page', '#/notifications', 'tbody tr'],
  [`view notification ${broadcast} (live chart)`, `#/notifications/${broadcast}`, '#progress'],
];
for (const [name, hash, drawn] of views) {
  const samples = [];
  for (let i = 0; i <= RUNS; i++) {
    await page.goto('about:blank');
    await page.goto(`${base}/admin${hash}`);
    await page.waitForSelector(drawn, { timeout: 30000 });
    const took = await page.evaluate(() => performance.now());
    if (i) samples.push(took);
  }
  table.push([name, stats(samples)]);
}
const transfer = await page.evaluate(() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
  .filter((e) => e.name.includes('/admin')).reduce((n, e) => n + (e.encodedBodySize || 0), 0));
await browser.close();
server.kill('SIGTERM');

console.log(`console bench: ${rows.subscriptions.toLocaleString('en')} subscriptions, ${rows.notifications.toLocaleString('en')} notifications, ${rows.deliveries.toLocaleString('en')} deliveries (seeded in ${(seeded / 1000).toFixed(1)} s), SQLite, herald ${profile}, ${RUNS} runs each`);
console.log(`console page, script and styles: ${transfer.toLocaleString('en')} bytes`);
const width = Math.max(...table.map(([n]) => n.length));
console.log(`${'what'.padEnd(width)}  ${'p50'.padStart(10)}  ${'max'.padStart(10)}`);
for (const [name, { p50, max }] of table) console.log(`${name.padEnd(width)}  ${ms(p50).padStart(10)}  ${ms(max).padStart(10)}`);
