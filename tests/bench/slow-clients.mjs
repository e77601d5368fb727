// Slow and idle clients against a real Herald with its default limits:
// N connections that send nothing, N that trickle headers in (a byte a
// second, slowloris), N kept alive after one request; prints when each
// group was closed and how /healthz answered meanwhile.
//
//   cargo build --release --bin herald
//   node tests/bench/slow-clients.mjs [--connections 500] [--seconds 75] [-- extra herald serve flags]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = option('connections', 500);
const SECONDS = option('seconds', 75);
const extra = process.argv.includes('--') ? process.argv.slice(process.argv.indexOf('--') + 1) : [];
const herald = join(root, 'target', process.env.HERALD_PROFILE || 'release', 'herald');

const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'herald-slow-')), 'herald.db')}`;
execFileSync(herald, ['--database-url', url, 'project', 'create', '--name', 'Slow clients']);
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const server = spawn(herald, ['--database-url', url, 'serve', '--listen', `127.0.0.1:${port}`, '--no-workers', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
await new Promise((resolve, reject) => {
  createInterface({ input: server.stderr }).on('line', (line) => line.includes('listening on') && resolve());
  server.on('exit', (code) => reject(new Error(`herald exited ${code}`)));
});

const started = performance.now();
const groups = { idle: [], slowloris: [], 'kept-alive': [] };
function open(group, onConnect) {
  const socket = connect(port, '127.0.0.1');
  const entry = { closedAt: null };
  socket.on('connect', () => onConnect?.(socket));
  socket.on('data', () => {});
  socket.on('close', () => (entry.closedAt = performance.now() - started));
  socket.on('error', () => {});
  entry.socket = socket;
  groups[group].push(entry);
}
for (let i = 0; i < N; i++) {
  open('idle');
  open('slowloris', (s) => {
    s.write('GET /healthz HTTP/1.1\r\nHost: herald\r\n');
    const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write('X')), 1000);
  });
  open('kept-alive', (s) => s.write('GET /healthz HTTP/1.1\r\nHost: herald\r\n\r\n'));
}

const health = [];
const probe = setInterval(async () => {
  const t0 = performance.now();
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    await r.text();
    health.push(r.ok ? performance.now() - t0 : Infinity);
  } catch {
    health.push(Infinity);
  }
}, 500);
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
clearInterval(probe);

console.log(`slow clients: ${N} of each kind against herald serve ${extra.join(' ') || '(default limits)'}, watched ${SECONDS} s`);
for (const [name, entries] of Object.entries(groups)) {
  const closed = entries.filter((e) => e.closedAt !== null).map((e) => e.closedAt / 1000).sort((a, b) => a - b);
  const at = (q) => (closed.length ? closed[Math.min(closed.length - 1, Math.floor(q * closed.length))].toFixed(1) + ' s' : '–');
  console.log(`${name.padEnd(11)} closed ${String(closed.length).padStart(4)}/${entries.length}  first ${at(0)}  median ${at(0.5)}  last ${closed.length == entries.length ? at(1) : 'still open'}`);
  for (const e of entries) e.socket.destroy();
}
const ok = health.filter(Number.isFinite).sort((a, b) => a - b);
console.log(`/healthz every 0.5 s: ${ok.length}/${health.length} answered, p50 ${ok[Math.floor(ok.length / 2)]?.toFixed(1)} ms, max ${ok[ok.length - 1]?.toFixed(1)} ms`);
server.kill('SIGTERM');
