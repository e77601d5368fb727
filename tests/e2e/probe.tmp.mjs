import puppeteer from 'puppeteer-core';
import { startPeer, startHerald, createProject, tempDatabase, freePort, sleep } from './lib.mjs';
const peer = await startPeer();
const database = tempDatabase();
const project = createProject(database);
const server = await startHerald(database, await freePort());
const browser = await puppeteer.launch({ browser: 'firefox', protocolTimeout: 60000, executablePath: '/usr/lib/firefox-esr/firefox-esr', headless: true,
  extraPrefsFirefox: { 'dom.push.serverURL': peer.ws, 'dom.push.connection.enabled': true, 'dom.push.testing.allowInsecureServerURL': true,
   'dom.push.retryBaseInterval': 500, 'alerts.useSystemBackend': false, 'dom.serviceWorkers.testing.enabled': true,
    } });
const page = await browser.newPage();
page.on('console', (m) => console.log('console:', m.text()));
await page.goto(`${server.url}/ui.html?project=${project.id}`);
console.log('perm', await page.evaluate(() => Notification.permission));
await page.evaluate(() => { window.r = 'none'; const b = document.querySelector('#focus-me'); b.onclick = () => Notification.requestPermission().then((p) => (window.r = p)); });
await page.browserContext().overridePermissions(server.url, ['notifications']).catch(e => console.log('override failed', e.message));
console.log('perm after override', await page.evaluate(() => Notification.permission));
await page.click('#focus-me');
await sleep(1000);
console.log('result', await page.evaluate(() => window.r), await page.evaluate(() => Notification.permission));
await browser.close(); await server.stop(); peer.stop();
