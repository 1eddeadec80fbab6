// The page: one module per section (load, table, cleaning, train with its leakage lesson,
// export, customers and campaign, the paper's numbers) over one state object (state.js); the
// worker holds the session. Around them: the theme, the shareable settings (URL hash and
// project file) and the offline copy. No data leaves the tab.
import { $ } from './dom.js';
import { state, startWorker, request } from './state.js';
import { wireLoad, loadSample } from './load.js';
import { renderTable, wireTable, withEdits } from './table.js';
import { renderCleaning, wireCleaning } from './cleaning.js';
import { showModels, wireTrain, showGlimpseChoices } from './train.js';
import { resetExport, scoreChoices, wireExport, useModel } from './export.js';
import { showReported, wireReported } from './reported.js';
import { wireCustomers } from './customers.js';
import { wireLesson } from './lesson.js';
import { warmUp } from './warm.js';
import { wireTheme } from './theme.js';
import { wireSettings, modelsShown, saveHash } from './settings.js';
import { wireOffline } from './offline.js';

state.render = (r) => {
  state.report = r;
  renderTable(r, warmUp);
  renderCleaning(r);
  resetExport(r);
  showGlimpseChoices(r);
  $('reported-rows').value = r.split.test_rows;
  $('reported-churners').value = r.split.test_positives;
  $('results').hidden = false;
  saveHash();
};

wireTheme();
wireOffline();
startWorker((models) => {
  if (state.models.length) return; // a replacement worker
  showModels(models);
  modelsShown();
  scoreChoices();
  showReported();
});
wireLoad();
wireTable();
wireCleaning();
wireTrain();
wireExport();
wireReported();
wireCustomers();
wireLesson();
// After every control exists, before the sample loads: a link's settings apply to it.
wireSettings({ request, reread: withEdits, useModel });

// The sample is ready as soon as the page is.
loadSample();
