// Warm-up once the page is idle after a load, so that a training run's first epochs do not pay
// for it while the page should stay responsive. Here: a training-curve and a ROC chart are
// drawn once, out of sight (measured on six fresh pages training the sample: without it the
// longest main-thread task was 64–95 ms in five of them, with it 50–62 ms in three and none in
// three). In the worker: its warm-up training (see worker.js), once per worker.
import { state, request } from './state.js';
import { draw } from './charts-host.js';

let warmedCharts = false;

export function warmUp() {
  requestIdleCallback(() => {
    if (!warmedCharts) {
      warmedCharts = true;
      const epoch = (n) => ({ epoch: n, train_loss: 0.5, train_accuracy: 0.8, val_loss: 0.5, val_accuracy: 0.8, d_loss: 1, g_loss: 1, seconds: 0.1 });
      draw('curves', '', [epoch(1), epoch(2)]);
      draw('roc', [['', [[0, 0], [1, 1]]]]);
    }
    if (!state.warmedWorker) {
      state.warmedWorker = true;
      request({ type: 'warmUp' });
    }
  }, { timeout: 2000 });
}
