// The page: one module per section (load, table, cleaning, train with its leakage lesson,
// export, customers and campaign, the paper's numbers) over one state object (state.js); the worker holds the session. No data leaves the tab.
import { $ } from './dom.js';
import { state, startWorker } from './state.js';
import { wireLoad, loadSample } from './load.js';
import { renderTable, wireTable } from './table.js';
import { renderCleaning, wireCleaning } from './cleaning.js';
import { showModels, wireTrain } from './train.js';
import { resetExport, scoreChoices, wireExport } from './export.js';
import { showReported, wireReported } from './reported.js';
import { wireCustomers } from './customers.js';
import { wireLesson } from './lesson.js';
import { warmUp } from './warm.js';

state.render = (r) => {
  state.report = r;
  renderTable(r, warmUp);
  renderCleaning(r);
  resetExport(r);
  $('reported-rows').value = r.split.test_rows;
  $('reported-churners').value = r.split.test_positives;
  $('results').hidden = false;
};

startWorker((models) => {
  if (state.models.length) return; // a replacement worker
  showModels(models);
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

// The sample is ready as soon as the page is.
loadSample();
