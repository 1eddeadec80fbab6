// Shareable, restorable state: every setting of the page (each control marked data-setting,
// and the models chosen) and the table edits (kinds, roles, label merges, leaky columns kept),
// never the data. They live in the URL's hash, kept up to date, so that one link opens the page
// with the same choices once the same file is loaded; and in a project file to save and open
// (optionally with the model file of the trained models).
import { $, offer } from './dom.js';
import { state } from './state.js';

const controls = () => [...document.querySelectorAll('[data-setting]')];
const modelBoxes = () => [...document.querySelectorAll('#models input')];
const noEdits = (e) => !e || (!Object.keys(e.kinds ?? {}).length && !Object.keys(e.roles ?? {}).length &&
  !(e.labelMap ?? []).length && !(e.keepLeaky ?? []).length);

/** Every setting, by name: a checkbox's state, a chosen radio's or any other control's value. */
export function settings() {
  const out = {};
  for (const el of controls()) {
    if (el.type === 'radio') { if (el.checked) out[el.dataset.setting] = el.value; } else out[el.dataset.setting] = el.type === 'checkbox' ? el.checked : el.value;
  }
  if (modelBoxes().length) out.models = modelBoxes().filter((i) => i.checked).map((i) => i.value);
  return out;
}

// The settings as the page starts (taken before any are restored), and models waiting for
// their boxes (made when the worker is ready).
let defaults = {};
let pendingModels = null;

/** Sets the controls named in `s` (unknown names and values are left alone). */
export function applySettings(s) {
  for (const el of controls()) {
    const name = el.dataset.setting;
    if (!(name in s)) continue;
    const v = s[name];
    if (el.type === 'checkbox') el.checked = v === true || v === 'true';
    else if (el.type === 'radio') el.checked = el.value === String(v);
    else if (el.tagName !== 'SELECT' || [...el.options].some((o) => o.value === String(v))) el.value = String(v);
  }
  if (s.models) {
    const wanted = Array.isArray(s.models) ? s.models : String(s.models).split(',').filter(Boolean);
    if (modelBoxes().length) for (const i of modelBoxes()) i.checked = wanted.includes(i.value);
    else pendingModels = wanted;
  }
}

/** The models' boxes exist now: a restored choice of models applies. */
export function modelsShown() {
  defaults.models ??= settings().models;
  if (pendingModels) applySettings({ models: pendingModels });
  pendingModels = null;
}

/** The hash of the current state: the settings that differ from the page's, and the edits. */
export function stateHash() {
  const now = settings();
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(now)) {
    const same = Array.isArray(v) ? String(v) === String(defaults[k]) : v === defaults[k];
    if (!same) params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  if (!noEdits(state.edits)) params.set('edits', JSON.stringify(state.edits));
  return params.toString();
}

/** Writes the state into the URL's hash (replacing the history entry: no back-button trail). */
export function saveHash() {
  const hash = stateHash();
  history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
}

/** Reads a state hash: its settings applied now, its edits kept for the table they fit. */
export function restoreHash(hash = location.hash.slice(1)) {
  if (!hash) return false;
  const params = new URLSearchParams(hash);
  const s = {};
  for (const [k, v] of params) if (k !== 'edits') s[k] = v;
  applySettings(s);
  if (params.has('edits')) {
    try { state.pendingEdits = JSON.parse(params.get('edits')); } catch { $('restore-status').textContent = 'The link\'s table edits could not be read; its settings are restored.'; }
  }
  return true;
}

/**
 * After a table is read: the restored edits (a link's, a project's) apply if this table takes
 * them; otherwise they wait for the next file.
 */
export async function applyPendingEdits(reread) {
  const pending = state.pendingEdits;
  if (!pending) return;
  const edits = { kinds: {}, roles: {}, labelMap: [], keepLeaky: [], ...pending };
  const ok = await reread(edits);
  if (ok) {
    state.pendingEdits = null;
    $('restore-status').textContent = 'Restored the saved settings and table edits.';
  } else {
    $('restore-status').textContent = 'The saved table edits do not fit this table (another file?): they apply when the table they were made on is loaded.';
  }
}

function base64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** The project file: settings, edits, what table they were made on, and the models if asked. */
async function saveProject(request) {
  const r = state.report;
  const project = {
    churnlab_project: 1,
    saved: new Date().toISOString(),
    table: r ? { name: r.source.file_name, rows: r.source.rows, columns: r.source.columns } : null,
    settings: settings(),
    edits: state.edits,
  };
  if ($('project-models').checked) {
    if (!state.trained) { $('project-status').textContent = 'Train first to save the models with the project; saved without them.'; } else {
      const reply = await request({ type: 'saveModel', models: [] });
      if (reply.type === 'report') project.model_file = base64(new Uint8Array(reply.bytes));
    }
  }
  const link = Object.assign(document.createElement('a'), { download: 'churnlab-project.json', hidden: true });
  document.body.append(link);
  offer(link, JSON.stringify(project, null, 2), 'application/json');
  link.click();
  link.remove();
  $('project-status').textContent = `Project saved: ${Object.keys(project.settings).length} settings, ` +
    `${noEdits(project.edits) ? 'no table edits' : 'the table edits'}${project.model_file ? ' and the trained models' : ''}.`;
}

/** Opens a project file: its settings now, its edits once its table is loaded, its models. */
async function openProject(file, { reread, useModel }) {
  let p;
  try { p = JSON.parse(await file.text()); } catch { p = null; }
  if (p?.churnlab_project !== 1 || typeof p.settings !== 'object') {
    $('project-status').textContent = `'${file.name}' is not a churnlab project file (save one with Save project).`;
    return;
  }
  applySettings(p.settings);
  state.pendingEdits = noEdits(p.edits) ? null : p.edits;
  const on = p.table ? ` made on '${p.table.name}' (${p.table.rows} rows × ${p.table.columns} columns)` : '';
  $('project-status').textContent = `Opened the project${on}.`;
  if (p.model_file) await useModel('project.clm', unbase64(p.model_file).buffer);
  if (state.report) {
    if (state.pendingEdits) await applyPendingEdits(reread); else await reread(state.edits);
  }
  saveHash();
}

export function wireSettings({ request, reread, useModel }) {
  defaults = settings();
  restoreHash();
  const changed = (e) => { if (e.target.closest('[data-setting], #models')) saveHash(); };
  document.addEventListener('change', changed);
  $('save-project').addEventListener('click', () => saveProject(request));
  $('project-file').addEventListener('change', (e) => { if (e.target.files[0]) openProject(e.target.files[0], { reread, useModel }); e.target.value = ''; });
}
