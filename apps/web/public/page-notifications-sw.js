/*
 * Mayak's service worker. It does one thing: shows the notification of a new emergency page
 * that the open tab asks for, where the browser allows no other way (Chrome on Android refuses
 * `new Notification()`), and brings the tab to the board when it is tapped. It deliberately
 * has no 'push' listener and the page never subscribes to push: a push service (Google's,
 * Apple's, Mozilla's) would learn who is paged by this server, and when
 * (docs/security/seizure.md). It caches nothing.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows[0];
      if (!open) return self.clients.openWindow('/emergencies');
      open.postMessage({ type: 'open-board' });
      return open.focus();
    }),
  );
});
