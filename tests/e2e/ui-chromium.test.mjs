// The SDK's own UI in headless Chromium: the soft prompt, its triggers and
// back-off, the recovery panel, the iOS guide, the bell and the preference
// center (unsubscribed: Chromium cannot subscribe here; the subscribed
// center is tested in Firefox). Every part: axe-core WCAG 2.2 A/AA, the
// keyboard alone, and screenshots in test-output/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, createProject, tempDatabase, freePort, launchChromium, eventually, sleep, shoot, axe, focused, part, clickIn } from './lib.mjs';

let server, project, browser;

before(async () => {
  const database = tempDatabase();
  project = createProject(database);
  server = await startHerald(database, await freePort());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const DAY = 86_400_000;

/**
 * A fresh browser (own storage and permissions) on the UI test page, with
 * `Notification.requestPermission` counted (calls kept across reloads in
 * sessionStorage, each with whether a user gesture was active) and
 * `Date.now` moved by localStorage['test:offset'] ms.
 */
async function open(query = '', { userAgent } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  if (userAgent) await page.setUserAgent(userAgent);
  await page.evaluateOnNewDocument(() => {
    const now = Date.now.bind(Date);
    Date.now = () => now() + Number(localStorage['test:offset'] || 0);
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = () => {
      const calls = JSON.parse(sessionStorage['test:asked'] || '[]');
      calls.push({ gesture: navigator.userActivation.isActive });
      sessionStorage['test:asked'] = JSON.stringify(calls);
      return ask();
    };
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const url = `${server.url}/ui.html?project=${project.id}${query}`;
  await page.goto(url);
  await page.evaluate(() => new Promise((resolve) => herald('status', resolve)));
  const asked = () => page.evaluate(() => JSON.parse(sessionStorage['test:asked'] || '[]'));
  const reload = async (offsetMs) => {
    if (offsetMs !== undefined) await page.evaluate((ms) => (localStorage['test:offset'] = ms), offsetMs);
    await page.reload();
    await page.evaluate(() => new Promise((resolve) => herald('status', resolve)));
  };
  return { context, page, asked, reload, errors };
}

/**
 * Sets this context's notification permission (`granted`, `denied` or
 * `prompt`). The browser session stays attached: Chromium drops a
 * session's permission overrides when it detaches.
 */
let permissions;
async function setPermission(context, setting) {
  permissions ??= await browser.target().createCDPSession();
  await permissions.send('Browser.setPermission', { origin: server.url, browserContextId: context.id, permission: { name: 'notifications' }, setting });
}

/**
 * Evaluates `expression` without a user gesture (puppeteer's evaluate runs
 * with one, which would let the page's next permission request through).
 */
async function quietly(page, expression) {
  const cdp = await page.createCDPSession();
  const { result } = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true, userGesture: false });
  await cdp.detach();
  return result.value;
}

/** Runs herald('prompt') and keeps its outcome in window.outcome. */
const startPrompt = (page) => page.evaluate(() => { window.outcome = undefined; herald('prompt').then((o) => (window.outcome = o)); });
const outcome = (page) => eventually(() => page.evaluate(() => window.outcome), 5000, 'the prompt to answer');

test('the soft prompt is an accessible modal dialog: labelled, keyboard alone, Escape is "Not now" and focus goes back', async () => {
  const { context, page, asked, errors } = await open();
  await page.focus('#focus-me');
  await startPrompt(page);
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt');
  const labels = await page.evaluate(() => {
    const dialog = document.querySelector('[data-herald=prompt]').shadowRoot.querySelector('dialog');
    const root = dialog.getRootNode();
    return {
      title: root.getElementById(dialog.getAttribute('aria-labelledby')).textContent,
      text: root.getElementById(dialog.getAttribute('aria-describedby')).textContent,
      open: dialog.matches(':modal'),
    };
  });
  assert.equal(labels.title, 'Get notified?');
  assert.match(labels.text, /turn this off at any time/);
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'prompt');
  // Focus moved in, to "Not now"; Tab reaches Allow, then the close
  // button, and wraps; Shift+Tab goes back round.
  assert.equal(await focused(page), 'prompt:button:Not now');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'prompt:button:Turn on notifications');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'prompt:button:Close');
  await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'prompt:button:Not now');
  await page.keyboard.down('Shift');
  await page.keyboard.press('Tab');
  await page.keyboard.up('Shift');
  assert.equal(await focused(page), 'prompt:button:Close');
  // The targets are big enough, the focus ring is visible.
  const sizes = await page.evaluate(() =>
    [...document.querySelector('[data-herald=prompt]').shadowRoot.querySelectorAll('button')].map((b) => {
      const r = b.getBoundingClientRect();
      return Math.min(r.width, r.height);
    }));
  assert.ok(sizes.every((s) => s >= 24), `targets ${sizes}`);
  await page.keyboard.press('Escape');
  assert.equal(await outcome(page), 'dismissed');
  assert.equal((await part(page, 'prompt')).present, false);
  assert.equal(await focused(page), ':button:A button the test focuses first');
  assert.deepEqual(await page.evaluate(() => window.events), ['prompt-shown', 'prompt-dismissed']);
  assert.deepEqual(await asked(), [], 'Escape never asks the browser');
  // Dismissed: a back-off is running, so asking again now is ineligible.
  await startPrompt(page);
  assert.equal(await outcome(page), 'ineligible');
  assert.deepEqual(errors, []);
  await context.close();
});

test('only the Allow click calls requestPermission, once, in the trusted click; a denial shows the recovery steps and is never asked again', async () => {
  const { context, page, asked, errors } = await open();
  await startPrompt(page);
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt');
  // A script's click on Allow is not the user's: nothing happens.
  await page.evaluate(() => document.querySelector('[data-herald=prompt]').shadowRoot.querySelector('[data-act=allow]').click());
  await sleep(200);
  assert.deepEqual(await asked(), []);
  assert.equal((await part(page, 'prompt')).modal, true);
  // Keyboard: Tab to Allow, Enter. Headless Chromium answers "denied".
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  assert.equal(await outcome(page), 'denied');
  assert.deepEqual(await asked(), [{ gesture: true }]);
  await eventually(async () => (await part(page, 'recovery')).modal, 5000, 'the recovery panel');
  const recovery = await part(page, 'recovery');
  assert.match(recovery.text, /Notifications are blocked/);
  assert.match(recovery.text, /Site settings/, 'Chrome steps for Chrome');
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'recovery');
  assert.deepEqual(await page.evaluate(() => window.events), ['prompt-shown', 'prompt-accepted', 'permission-denied']);
  await clickIn(page, 'recovery', '[data-act=close]');
  await eventually(async () => !(await part(page, 'recovery')).present, 3000, 'the panel to close');
  // Denied is for good: the prompt never shows again, the dialog is never asked.
  await startPrompt(page);
  assert.equal(await outcome(page), 'ineligible');
  assert.equal((await part(page, 'prompt')).present, false);
  assert.equal((await asked()).length, 1);
  // A site's subscribe answers permission-denied, without asking either.
  const subscribed = await page.evaluate(() => new Promise((resolve) => herald('subscribe', resolve)));
  assert.equal(subscribed, false);
  assert.equal((await asked()).length, 1);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a subscribe outside a user gesture opens the soft prompt, and its callback answers once the user has chosen', async () => {
  // The page subscribes on load; nothing here may give it a user gesture.
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/ui.html?project=${project.id}&subscribe=1`);
  const shown = () => quietly(page, `!!document.querySelector('[data-herald=prompt]')?.shadowRoot.querySelector('dialog:modal')`);
  await eventually(shown, 5000, 'the prompt');
  assert.equal(await quietly(page, 'window.subscribed'), undefined, 'no answer before the user chose');
  await page.keyboard.press('Enter'); // on "Not now"
  await eventually(() => quietly(page, 'window.subscribed === false'), 3000, 'the callback');
  assert.equal(await quietly(page, 'Notification.permission'), 'default', 'the browser was never asked');
  await context.close();
});

test('triggers: two page views and an element in view; never on load by itself, never when permission is denied or granted', async () => {
  const triggers = encodeURIComponent(JSON.stringify({ pageViews: 2, visible: '#cta' }));
  const { context, page, asked, reload } = await open(`&triggers=${triggers}`);
  await sleep(1200);
  assert.equal((await part(page, 'prompt')).present, false, 'first page view: not yet');
  await reload();
  await sleep(1200);
  assert.equal((await part(page, 'prompt')).present, false, 'second view, the element not in view: not yet');
  await page.evaluate(() => document.querySelector('#cta').scrollIntoView());
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt once #cta is in view');
  assert.deepEqual(await asked(), [], 'the trigger shows the soft prompt only');
  await context.close();

  // Permission already decided: the trigger never fires.
  for (const setting of ['denied', 'granted']) {
    const other = await open(`&triggers=${encodeURIComponent(JSON.stringify({ pageViews: 1, seconds: 1 }))}`);
    await setPermission(other.context, setting);
    await other.reload();
    await sleep(1500);
    assert.equal((await part(other.page, 'prompt')).present, false, `never with permission ${setting}`);
    assert.deepEqual(await other.asked(), []);
    await other.context.close();
  }
});

test('the back-off: no prompt for 3 days after the first dismissal, 7 after the second, 30 after the third and every later one', async () => {
  const triggers = encodeURIComponent(JSON.stringify({ pageViews: 1 }));
  const { context, page, reload } = await open(`&triggers=${triggers}`);
  const shows = async () => {
    await sleep(700);
    return (await part(page, 'prompt')).modal;
  };
  const dismiss = async () => {
    await page.keyboard.press('Escape');
    await eventually(async () => !(await part(page, 'prompt')).present, 3000, 'the prompt to close');
  };
  let at = 0;
  assert.ok(await shows(), 'first visit');
  await dismiss();
  for (const days of [3, 7, 30, 30]) {
    await reload(at + (days - 0.1) * DAY);
    assert.equal(await shows(), false, `still backing off ${days - 0.1} days after`);
    at += (days + 0.1) * DAY;
    await reload(at);
    assert.ok(await shows(), `shown again ${days + 0.1} days after`);
    await dismiss();
  }
  await context.close();
});

test('the bell says the state, is reached with Tab, opens the prompt despite a back-off, and the recovery panel when blocked', async () => {
  const { context, page, asked } = await open('&bell=bottom-right');
  await eventually(async () => (await part(page, 'bell')).present, 5000, 'the bell');
  const label = () => page.evaluate(() => document.querySelector('[data-herald=bell]').shadowRoot.querySelector('button').getAttribute('aria-label'));
  await eventually(async () => (await label()) === 'Notifications: off', 3000, 'the bell to say off');
  await shoot(page, 'bell');
  assert.deepEqual(await axe(page), []);
  // Back off first, with the site's own prompt.
  await startPrompt(page);
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt');
  await page.keyboard.press('Escape');
  assert.equal(await outcome(page), 'dismissed');
  // The bell is the way back: Tab reaches it, Enter opens the prompt anyway.
  await page.focus('#focus-me');
  for (let i = 0; i < 5 && !(await focused(page)).startsWith('bell:'); i++) await page.keyboard.press('Tab');
  assert.equal(await focused(page), 'bell:button:Notifications: off');
  await page.keyboard.press('Enter');
  await eventually(async () => (await part(page, 'prompt')).modal, 5000, 'the prompt from the bell');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter'); // Allow: headless Chromium answers denied
  await eventually(async () => (await part(page, 'recovery')).modal, 5000, 'the recovery panel');
  await page.keyboard.press('Escape');
  await eventually(async () => (await label()) === 'Notifications: blocked', 3000, 'the bell to say blocked');
  assert.equal(await focused(page), 'bell:button:Notifications: blocked', 'focus back on the bell');
  // Blocked: the bell opens the recovery steps, never the browser's dialog.
  await page.keyboard.press('Enter');
  await eventually(async () => (await part(page, 'recovery')).modal, 5000, 'the recovery panel from the bell');
  assert.equal((await asked()).length, 1);
  await page.keyboard.press('Escape');
  await shoot(page, 'bell-blocked');
  await context.close();
});

test('on iPhone Safari outside the Home Screen, the guide to add the site shows instead of a prompt', async () => {
  const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';
  const { context, page, asked } = await open('&prefs=1', { userAgent: iphone });
  await page.setViewport({ width: 375, height: 740 });
  await startPrompt(page);
  await eventually(async () => (await part(page, 'ios-guide')).modal, 5000, 'the iOS guide');
  const guide = await part(page, 'ios-guide');
  assert.match(guide.text, /Add this site to your Home Screen/);
  assert.match(guide.text, /Share/);
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'ios-guide');
  await page.keyboard.press('Enter');
  assert.equal(await outcome(page), 'ineligible');
  assert.deepEqual(await asked(), []);
  // The preference center says why, with the guide a click away.
  await eventually(async () => (await part(page, 'preferences')).text.includes('cannot show notifications'), 5000, 'the center');
  await context.close();
});

test('the preference center, not subscribed: says so, offers Turn on, and asks the browser only from that click', async () => {
  const { context, page, asked } = await open('&prefs=1');
  await eventually(async () => (await part(page, 'preferences')).text.includes('off in this browser'), 5000, 'the center');
  assert.deepEqual(await axe(page), []);
  await shoot(page, 'preferences-off');
  assert.deepEqual(await asked(), []);
  await clickIn(page, 'preferences', '[data-act=on]');
  // Headless Chromium answers denied: the recovery steps follow.
  await eventually(async () => (await part(page, 'recovery')).modal, 5000, 'the recovery panel');
  assert.deepEqual(await asked(), [{ gesture: true }]);
  await page.keyboard.press('Escape');
  await eventually(async () => (await part(page, 'preferences')).text.includes('blocked in this browser'), 5000, 'the center to say blocked');
  await context.close();
});
