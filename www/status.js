// The load section's status: busy while the worker reads, and each stage's time and memory.
import { $ } from './dom.js';

export function busy(on, text) {
  $('sample').disabled = on;
  $('file').disabled = on;
  $('load-progress').hidden = !on; // indeterminate: the worker reads in one step
  if (text) $('status').textContent = text;
}

/** Each stage's time and the worker's memory by its end (the parse is the first load's). */
export function showStages(stages) {
  $('stages').textContent = `Stages: ${stages.map((s) => `${s.name} ${s.seconds.toFixed(2)} s` +
    (s.peak_mib == null ? '' : ` (${Math.round(s.peak_mib)} MiB)`)).join(', ')}; memory is the worker's WebAssembly memory by the end of each.`;
}
