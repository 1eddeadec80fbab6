// Offline and installable: registers the service worker (sw.js) that keeps the page's files,
// and tells the visitor when the page runs without a network.
import { $ } from './dom.js';

export function wireOffline() {
  const show = () => { $('offline').hidden = navigator.onLine; };
  addEventListener('online', show);
  addEventListener('offline', show);
  show();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').catch((err) => {
      $('offline').hidden = false;
      $('offline').textContent = `This browser will not keep the page for offline use (${err?.message ?? err}); online it works as usual.`;
    });
  }
}
