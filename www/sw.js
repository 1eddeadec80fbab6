// The service worker: after the first visit the page works offline. Every request for the
// page's own files goes to the network first (so a new version is used as soon as it is
// served) and falls back to the copy kept here; the page's files are kept when it installs.
// Nothing else is fetched or kept: the visitor's tables never pass through here (they are read
// from disk in the page).
const CACHE = 'churnlab-v1';
const FILES = [
  './', 'index.html', 'style.css', 'manifest.json', 'icon.svg',
  'app.js', 'charts.js', 'charts-host.js', 'cleaning.js', 'customers.js', 'dom.js', 'export.js', 'lesson.js',
  'load.js', 'offline.js', 'pool.js', 'reported.js', 'settings.js', 'state.js', 'status.js', 'table.js', 'theme.js', 'train.js',
  'warm.js', 'worker.js', 'pkg/churnlab.js', 'pkg/churnlab_bg.wasm',
];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  e.respondWith(fetch(e.request)
    .then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((c) => c.put(e.request, copy));
      }
      return response;
    })
    .catch(() => caches.match(e.request, { ignoreSearch: true })
      .then((hit) => hit ?? (e.request.mode === 'navigate' ? caches.match('index.html') : Response.error()))));
});
