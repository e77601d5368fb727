// A site's own service worker that loads Herald's into itself. Its own push
// handler deals with the site's pushes; Herald's glue must ignore those and
// handle only Herald's.
self.sitePushes = [];
// What was shown, as the worker saw it: headless Chromium sometimes leaves a
// notification out of getNotifications() when two arrive together, although
// showNotification() resolved for both (seen with this record).
self.shownLog = [];
const show = self.registration.showNotification.bind(self.registration);
self.registration.showNotification = (title, options = {}) =>
  show(title, options).then(() => {
    self.shownLog.push({ title, data: options.data ?? null });
  });
self.addEventListener('push', (event) => {
  let data = null;
  try {
    data = event.data ? event.data.json() : null;
  } catch (e) {
    data = event.data ? event.data.text() : null;
  }
  if (data && data.site) {
    event.waitUntil(self.registration.showNotification('site: ' + data.site, { tag: 'site' }));
  }
});
importScripts('/herald-sw.js');
