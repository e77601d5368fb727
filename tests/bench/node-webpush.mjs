// The Node baseline for fanout-bench: sends one message to each subscription
// with the `web-push` package, the way its sendNotification does (one
// generateRequestDetails per message, a keep-alive agent), minus TLS since
// the test peer speaks plain HTTP on loopback. Prints one JSON line:
// {"sent", "failed", "wall_ms", "cpu_ms"}.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import webpush from 'web-push';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const agent = new http.Agent({ keepAlive: true, maxSockets: input.concurrency });
const options = {
  vapidDetails: input.vapid,
  TTL: 3600,
  contentEncoding: 'aes128gcm',
};

function post(details) {
  return new Promise((resolve) => {
    const req = http.request(details.endpoint, { method: 'POST', headers: details.headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
    });
    req.on('error', () => resolve(false));
    req.end(details.body);
  });
}

const cpuStart = process.cpuUsage();
const wallStart = process.hrtime.bigint();
let next = 0;
let sent = 0;
let failed = 0;
async function worker() {
  while (next < input.subscriptions.length) {
    const i = next++;
    const payload = input.payload.replace('"delivery":0', `"delivery":${i}`);
    const details = webpush.generateRequestDetails(input.subscriptions[i], payload, options);
    if (await post(details)) sent++; else failed++;
  }
}
await Promise.all(Array.from({ length: input.concurrency }, worker));
const cpu = process.cpuUsage(cpuStart);
const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
agent.destroy();
console.log(JSON.stringify({ sent, failed, wall_ms: wallMs, cpu_ms: (cpu.user + cpu.system) / 1000 }));
