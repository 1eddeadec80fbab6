// Charts are drawn on the main thread by the same wasm module (plotters measures text through
// the DOM, which the worker lacks), in a hidden empty frame (see charts.js). Each comes back
// with its readouts and its data ({svg, title, marks, table}) and is shown inline: hover or
// focus a bar, a cell or an epoch (arrow keys move between them) to read it, "Show as table"
// for every value behind it, a link to download the SVG. A theme change draws them all again.
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

/** The page's theme: 'light' or 'dark' (set by theme.js on the root element). */
export const theme = () => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');

/** Draws chart `name` (a key of charts.js's `charts`) of `args` in the page's theme. */
export const draw = (name, ...args) => frame.contentWindow.draw(name, [...args, theme()]);

// Rows of a chart's table view shown at most (all of them are in the downloads and the report).
const TABLE_ROWS = 500;
const chartUrls = new Map();
// What each figure shows, to draw it again in another theme: figure → {name, args, options}.
const drawn = new Map();

function svgElement(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  return document.importNode(doc.documentElement, true);
}

function tableView(chart) {
  const details = document.createElement('details');
  details.className = 'chart-table';
  const summary = Object.assign(document.createElement('summary'), { textContent: 'Show as table' });
  const table = document.createElement('table');
  table.createCaption().textContent = chart.title;
  const head = table.createTHead().insertRow();
  for (const c of chart.table.columns) head.append(Object.assign(document.createElement('th'), { textContent: c, scope: 'col' }));
  const body = table.createTBody();
  for (const r of chart.table.rows.slice(0, TABLE_ROWS)) {
    const tr = body.insertRow();
    r.forEach((v, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.scope = 'row';
      cell.textContent = v;
      tr.append(cell);
    });
  }
  const box = Object.assign(document.createElement('div'), { className: 'scroll', tabIndex: 0 });
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', `${chart.title} (table)`);
  box.append(table);
  details.append(summary, box);
  if (chart.table.rows.length > TABLE_ROWS) {
    details.append(Object.assign(document.createElement('p'), { className: 'notes', textContent: `The first ${TABLE_ROWS} of ${chart.table.rows.length} rows.` }));
  }
  return details;
}

/**
 * The chart's marks as focusable regions over its SVG: one tab stop per chart, arrow keys
 * (and Home / End) move between marks, each read out on hover and focus; `onPick(mark)` runs on
 * a click or Enter on a mark that has one.
 */
function addMarks(svg, chart, readout, onPick) {
  const ns = 'http://www.w3.org/2000/svg';
  const g = document.createElementNS(ns, 'g');
  g.setAttribute('class', 'marks');
  const rects = chart.marks.map((m, i) => {
    const r = document.createElementNS(ns, 'rect');
    for (const [k, v] of Object.entries({ x: m.x, y: m.y, width: m.w, height: m.h })) r.setAttribute(k, v);
    r.setAttribute('tabindex', i === 0 ? '0' : '-1');
    r.setAttribute('role', 'img');
    r.setAttribute('aria-label', m.text);
    r.dataset.index = i;
    const show = () => { readout.textContent = m.text; };
    r.addEventListener('mouseenter', show);
    r.addEventListener('focus', show);
    if (onPick && m.pair) {
      r.classList.add('pick');
      r.addEventListener('click', () => onPick(m));
    }
    r.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      let next = step === undefined ? null : i + step;
      if (e.key === 'Home') next = 0;
      if (e.key === 'End') next = rects.length - 1;
      if ((e.key === 'Enter' || e.key === ' ') && onPick && m.pair) { e.preventDefault(); onPick(m); return; }
      if (next === null || next < 0 || next >= rects.length) return;
      e.preventDefault();
      r.setAttribute('tabindex', '-1');
      rects[next].setAttribute('tabindex', '0');
      rects[next].focus();
    });
    return r;
  });
  g.append(...rects);
  svg.append(g);
}

function fill(fig, key, chart, options) {
  const svg = svgElement(chart.svg);
  svg.setAttribute('role', 'group');
  svg.setAttribute('aria-label', `${chart.title}. ${chart.marks.length ? 'Arrow keys read each value; ' : ''}Show as table lists them all.`);
  const readout = Object.assign(document.createElement('p'), { className: 'readout' });
  readout.setAttribute('aria-live', 'polite');
  readout.textContent = chart.marks.length ? (options.pickHint ?? 'Hover or focus the chart to read its values.') : '';
  if (chart.marks.length) addMarks(svg, chart, readout, options.onPick);
  if (chartUrls.has(key)) URL.revokeObjectURL(chartUrls.get(key));
  const url = URL.createObjectURL(new Blob([chart.svg], { type: 'image/svg+xml' }));
  chartUrls.set(key, url);
  const link = Object.assign(document.createElement('a'), { textContent: 'SVG', href: url, download: `${key.replace(/[^A-Za-z0-9-]+/g, '_')}.svg` });
  link.setAttribute('aria-label', `Download the chart "${chart.title}" as SVG`);
  const caption = document.createElement('figcaption');
  caption.append(link);
  fig.replaceChildren(svg, readout, tableView(chart), caption);
  fig.dataset.title = chart.title;
}

/**
 * Shows chart `name` of `args` (see `draw`) in the figure `key` inside `box` (created on first
 * use). `options.onPick(mark)`: what a click on a mark with a pair (a heatmap cell) does.
 */
export function showChart(box, key, name, args, options = {}) {
  let fig = box.querySelector(`figure[data-key="${CSS.escape(key)}"]`);
  if (!fig) {
    fig = document.createElement('figure');
    fig.dataset.key = key;
    box.append(fig);
  }
  fill(fig, key, draw(name, ...args), options);
  drawn.set(fig, { name, args, options });
  return fig;
}

/** Draws every chart shown again (in the page's new theme). */
export function redrawAll() {
  for (const [fig, { name, args, options }] of drawn) {
    if (!fig.isConnected) { drawn.delete(fig); continue; }
    fill(fig, fig.dataset.key, draw(name, ...args), options);
  }
}

export function clearCharts(box) {
  for (const fig of box.querySelectorAll('figure')) {
    URL.revokeObjectURL(chartUrls.get(fig.dataset.key));
    chartUrls.delete(fig.dataset.key);
    drawn.delete(fig);
  }
  box.replaceChildren();
}
