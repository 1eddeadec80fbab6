// Charts are drawn on the main thread by the same wasm module (plotters measures text through
// the DOM, which the worker lacks), in a hidden empty frame (see charts.js); each becomes an
// <img> of an SVG blob, with a link to download it.
import { wasmModule } from './state.js';

// Out of sight but laid out (in a display: none frame every text would measure 0 × 0).
// A standards-mode document, as the page is: text measures the same.
const frame = Object.assign(document.createElement('iframe'), {
  className: 'charts-frame', title: 'charts (not shown)', tabIndex: -1, srcdoc: '<!doctype html><title>charts</title>',
});
frame.setAttribute('aria-hidden', 'true');
document.body.append(frame);

export const chartsReady = new Promise((resolve, reject) => {
  addEventListener('message', ({ data, source }) => {
    if (source !== frame.contentWindow || !('chartsReady' in (data ?? {}))) return;
    if (data.chartsReady) resolve(); else reject(new Error(data.error));
  });
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    const script = Object.assign(doc.createElement('script'), { type: 'module', src: new URL('charts.js', location.href).href });
    script.onerror = () => reject(new Error('charts.js could not be loaded'));
    script.onload = () => wasmModule.then((module) => frame.contentWindow.postMessage({ module }, location.origin), reject);
    doc.head.append(script);
  }, { once: true });
});

/** Draws chart `name` (a key of charts.js's `charts`) of `args`: SVG text. */
export const draw = (name, ...args) => frame.contentWindow.draw(name, args);

const chartUrls = new Map();

/** Shows `svg` in the figure `key` inside `box` (created on first use), with a download link. */
export function showChart(box, key, title, svg) {
  let fig = box.querySelector(`figure[data-key="${CSS.escape(key)}"]`);
  if (!fig) {
    fig = document.createElement('figure');
    fig.dataset.key = key;
    const img = Object.assign(document.createElement('img'), { alt: title });
    const link = Object.assign(document.createElement('a'), { textContent: 'SVG', download: `${key.replace(/[^A-Za-z0-9-]+/g, '_')}.svg` });
    const caption = document.createElement('figcaption');
    caption.append(link);
    fig.append(img, caption);
    box.append(fig);
  }
  if (chartUrls.has(key)) URL.revokeObjectURL(chartUrls.get(key));
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  chartUrls.set(key, url);
  fig.querySelector('img').src = url;
  fig.querySelector('a').href = url;
}

export function clearCharts(box) {
  for (const fig of box.querySelectorAll('figure')) {
    URL.revokeObjectURL(chartUrls.get(fig.dataset.key));
    chartUrls.delete(fig.dataset.key);
  }
  box.replaceChildren();
}
