// Section 2: the table — what was read, the target, the explore charts, and the columns with
// their kind and role (editable: a change prepares the kept table again, no re-parse).
import { $, cells, choice, list, nextTurn, pct, showError } from './dom.js';
import { state, request, tableOptions } from './state.js';
import { chartsReady, showChart, clearCharts } from './charts-host.js';
import { busy, showStages } from './status.js';

const MAX_DISTRIBUTIONS = 60;
// Tables of one row per column show at most this many rows: 10,000 rows of them took ~10 s
// to build and lay out, a frozen tab (measured). The columns table finds the others by name.
export const MAX_ROWS = 200;

/** Reads the current table again with the edits; an edit the table refuses is taken back. */
export async function reread(undo) {
  busy(true, 'Reading the table again with your changes…');
  const reply = await inspectAgain();
  busy(false);
  if (reply.type === 'error') {
    undo();
    $('error').textContent = `That change was not applied: ${reply.message}`;
    $('error').hidden = false;
    $('status').textContent = 'The table is shown as before the change.';
    return;
  }
  $('error').hidden = true;
  $('status').textContent = 'Read the table again with your changes.';
}

/** The kept table read again with the page's edits and cards: its report shown, or the error reply. */
async function inspectAgain() {
  const reply = await request({ type: 'inspect', options: tableOptions() });
  if (reply.type !== 'error') {
    state.render(reply.report);
    showStages(reply.report.stages);
  }
  return reply;
}

/** Reads the table again with `edits` instead of the page's; false (and nothing changed) if it refuses them. */
export async function withEdits(edits) {
  const before = state.edits;
  state.edits = edits;
  const reply = await inspectAgain();
  if (reply.type === 'error') { state.edits = before; return false; }
  return true;
}

function override(column, what, value) {
  const map = what === 'kind' ? state.edits.kinds : state.edits.roles;
  const before = map[column];
  map[column] = value;
  reread(() => { if (before === undefined) delete map[column]; else map[column] = before; });
}

/** The columns table: every column, or with many, the first MAX_ROWS whose name has the filter. */
export function showColumns() {
  const r = state.report;
  const filter = $('column-filter').value.trim().toLowerCase();
  const matching = r.exploration.summary.map((c, i) => [c, r.schema.columns[i]])
    .filter(([c]) => c.name.toLowerCase().includes(filter));
  const body = $('columns').tBodies[0];
  body.replaceChildren();
  const shown = matching.slice(0, MAX_ROWS);
  // The target's row is always there.
  const target = matching.find(([c]) => c.role === 'target');
  if (target && !shown.includes(target)) shown.push(target);
  for (const [c, info] of shown) {
    const tr = body.insertRow();
    tr.className = `role-${c.role}`;
    tr.dataset.column = c.name;
    const top = c.top.slice(0, 4).map((l) => `${l.level} ${l.count}`).join(', ');
    const why = c.role === 'target' ? '' : info.reason;
    cells(tr, [c.name, c.kind, c.role, c.missing, c.unique, c.min ?? '–', c.max ?? '–', c.mean ?? '–', c.std ?? '–',
      [top, why].filter(Boolean).join('; ')]);
    tr.cells[1].replaceChildren(choice(['numeric', 'categorical'], c.kind, (v) => override(c.name, 'kind', v), `kind of ${c.name}`));
    tr.cells[2].replaceChildren(choice(['target', 'feature', 'id', 'ignored'], c.role, (v) => override(c.name, 'role', v), `role of ${c.name}`));
  }
  const all = r.exploration.summary.length;
  $('column-count').textContent = matching.length > MAX_ROWS
    ? `${MAX_ROWS} of the ${matching.length} ${filter ? 'matching columns' : 'columns'} shown`
    : `${matching.length} of ${all} columns`;
}

/** The scatter plot of a heatmap cell's two columns, split by class (points from the worker). */
async function showPair(mark) {
  const [x, y] = mark.pair;
  const reply = await request({ type: 'pair', x, y });
  const box = $('pair-chart');
  if (reply.type === 'error') {
    box.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: reply.message }));
    return;
  }
  const p = reply.pair;
  clearCharts(box);
  showChart(box, 'pair', 'scatter', [`${p.y} against ${p.x}`, p.x, p.y, p.groups]);
  $('pair-note').textContent = p.shown < p.rows
    ? `${p.shown} of the ${p.rows} rows with both values, evenly spaced.` : `All ${p.rows} rows with both values.`;
  box.querySelector('svg')?.scrollIntoView({ block: 'nearest' });
}

// Counts the explore chart drawings begun: a newer one (another table read) ends an older one.
let exploreDrawings = 0;

/**
 * Draws the explore charts a few at a time, giving the page a turn after every ~30 ms, so that
 * no main-thread task runs long; the box is aria-busy until all are drawn. Then `idle` runs.
 */
async function exploreCharts(r, idle) {
  const drawing = ++exploreDrawings;
  const box = $('explore-charts');
  try {
    await chartsReady;
    await nextTurn(); // after the tables' own task
    if (drawing !== exploreDrawings) return;
    clearCharts(box);
    box.setAttribute('aria-busy', 'true');
    const c = r.exploration.correlation;
    showChart(box, 'correlation', 'heatmap', [c], {
      onPick: showPair, pickHint: 'Hover or focus a cell to read its r; click it (or press Enter) for the scatter plot of the two columns.',
    });
    const t = r.schema.target;
    const all = r.exploration.distributions;
    // Drawn into a detached grid that joins the page at the end, so that the page is not laid
    // out again between slices (a 10,000-column table: charts after 15 s this way, 35-40 s
    // with each chart added to the page as it was drawn).
    const grid = document.createDocumentFragment();
    let sliceStart = performance.now();
    for (const d of all.slice(0, MAX_DISTRIBUTIONS)) {
      if (performance.now() - sliceStart > 30) {
        await nextTurn();
        if (drawing !== exploreDrawings) return;
        sliceStart = performance.now();
      }
      showChart(grid, `distribution-${d.column}`, 'distribution', [d, t.positive, t.negative]);
    }
    box.append(grid);
    $('explore-note').textContent = [
      c.omitted ? `The heatmap shows the ${c.columns.length - 1} numeric features most correlated with '${t.column}'; ${c.omitted} more are left out.` : '',
      all.length > MAX_DISTRIBUTIONS ? `Distribution charts of the first ${MAX_DISTRIBUTIONS} of ${all.length} features; every one is in the JSON report.` : '',
    ].join(' ').trim();
  } catch (err) {
    showError(`Charts could not be drawn: ${err?.message ?? err}`);
  } finally {
    if (drawing === exploreDrawings) box.removeAttribute('aria-busy');
  }
  idle();
}

/** Shows the table section of report `r`; `idle` runs once its charts are drawn. */
export function renderTable(r, idle) {
  exploreCharts(r, idle);
  const s = r.source;
  const how = [s.format, s.delimiter && `delimiter '${s.delimiter}'`, s.encoding, s.sheet && `sheet '${s.sheet}'`].filter(Boolean);
  $('file-summary').textContent = `${s.file_name}: ${s.rows} rows × ${s.columns} columns (${how.join(', ')})`;
  list($('file-notes'), [
    ...s.notes,
    ...s.non_numeric.map((v) => `'${v.column}' has ${v.count} non-numeric values, read as missing (e.g. row ${v.examples[0].row}: '${v.examples[0].value}')`),
    ...r.schema.notes,
  ]);
  const t = r.schema.target;
  $('target-summary').textContent =
    `Target '${t.column}': ${t.positives} '${t.positive}' (${pct(t.positives, t.positives + t.negatives)}) and ${t.negatives} '${t.negative}'` +
    (t.missing ? `, ${t.missing} missing` : '') + `. ${t.reason}.`;
  $('column-filter').value = '';
  $('column-find').hidden = r.exploration.summary.length <= MAX_ROWS;
  showColumns();
}

export function wireTable() {
  $('column-filter').addEventListener('input', showColumns);
}
