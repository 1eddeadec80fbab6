// The page's light and dark themes: the visitor's system setting (prefers-color-scheme) until
// the header's toggle chooses one (kept in this browser). A change draws every chart again in
// the theme's colours.
import { $ } from './dom.js';
import { redrawAll } from './charts-host.js';

const KEY = 'churnlab-theme';
const system = matchMedia('(prefers-color-scheme: dark)');

function chosen() {
  try { return localStorage.getItem(KEY); } catch { return null; }
}

function apply(name) {
  const dark = name === 'dark';
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  $('theme').setAttribute('aria-pressed', String(dark));
}

/** Sets the theme ('light' | 'dark'), keeps the choice and redraws the charts. */
export function setTheme(name) {
  try { localStorage.setItem(KEY, name); } catch { /* private mode: for this visit only */ }
  apply(name);
  redrawAll();
}

export function wireTheme() {
  apply(chosen() ?? (system.matches ? 'dark' : 'light'));
  system.addEventListener('change', () => { if (!chosen()) { apply(system.matches ? 'dark' : 'light'); redrawAll(); } });
  $('theme').addEventListener('click', () => setTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
}
