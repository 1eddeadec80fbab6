// Small DOM helpers shared by the page's sections.
export const $ = (id) => document.getElementById(id);
export const fmt = (x) => x == null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(3);
export const pct = (a, b) => `${(100 * a / Math.max(b, 1)).toFixed(1)} %`;
export const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Appends a cell per value to `row` (numbers right-aligned). */
export function cells(row, values) {
  for (const v of values) {
    const td = document.createElement('td');
    if (typeof v === 'number' || v === '–') td.className = 'num';
    td.textContent = typeof v === 'number' ? fmt(v) : v;
    row.append(td);
  }
}

/** Fills a list element with one item per text. */
export function list(el, items) {
  el.replaceChildren(...items.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
}

/** A <select> of `values` showing `current`; `onChange` gets the new value. */
export function choice(values, current, onChange, label) {
  const select = document.createElement('select');
  for (const v of values) select.add(new Option(v, v, false, v === current));
  if (label) select.setAttribute('aria-label', label);
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

/** Points `link` at a download of `data` (text or bytes; the previous blob is released). */
export function offer(link, data, type) {
  link.onclick = null;
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([data], { type }));
  link.hidden = false;
}

/**
 * Points `link` at a download of the report `r` as JSON, made when first clicked: for a
 * 10,000-column table the text takes a good part of a second to write.
 */
export function offerReport(link, r) {
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = '#'; // a link still, until its click puts the file there
  link.hidden = false;
  link.onclick = () => offer(link, JSON.stringify(r, null, 2), 'application/json');
}

export function showError(message) {
  $('error').textContent = message;
  $('error').hidden = false;
  $('status').textContent = 'Could not use that file. Load another one.';
}
