// The train section's honesty checks: the too-good-to-be-true banner of a run, and the leakage
// lesson — the comparison again under a leaky protocol, beside the leak-free one.
import { $, cells, showError } from './dom.js';
import { state, request, trainOptions } from './state.js';

/** The banner of a run report (or a lesson's), hidden when its scores look honest. */
export function showTooGood(report, box = $('too-good')) {
  const w = report?.too_good;
  box.hidden = !w;
  box.replaceChildren();
  if (!w) return;
  const head = Object.assign(document.createElement('p'), { textContent: `${w.message} Likely causes:` });
  const causes = document.createElement('ul');
  for (const c of w.causes) causes.append(Object.assign(document.createElement('li'), { textContent: c }));
  box.append(head, causes);
}

const pctText = (m) => (Number.isFinite(m?.mean) ? `${(100 * m.mean).toFixed(1)} %` : '–');

async function runLesson() {
  if (!state.trained || !state.runReport) {
    $('lesson-status').textContent = 'Train and compare first: the lesson sets the leaky run beside the leak-free one.';
    return;
  }
  const protocol = $('lesson-protocol').value;
  const models = state.runReport.models.filter((m) => !m.augmented).map((m) => m.model);
  $('lesson-run').disabled = true;
  $('lesson-status').textContent = 'Training the same models under the leak…';
  const reply = await request({ type: 'lesson', options: trainOptions(models), protocol });
  $('lesson-run').disabled = false;
  if (reply.type === 'error') { $('lesson-status').textContent = ''; return showError(reply.message); }
  const l = reply.report;
  const body = $('lesson').tBodies[0];
  body.replaceChildren();
  for (const m of l.report.models) {
    const honest = state.runReport.models.find((h) => h.model === m.model && !h.augmented)?.summary;
    const s = m.summary;
    cells(body.insertRow(), [m.label, pctText(honest?.accuracy), pctText(s.accuracy), pctText(honest?.f1), pctText(s.f1), pctText(honest?.roc_auc), pctText(s.roc_auc)]);
  }
  $('lesson-status').textContent = `Leaky protocol: ${l.description}; ${l.rows} rows went into the split` +
    (l.added_rows ? ` (${l.added_rows} of them added by the protocol).` : '.') +
    (l.report.too_good ? ` ${l.report.too_good.message}` : '');
}

export function wireLesson() {
  $('lesson-run').addEventListener('click', runLesson);
}
