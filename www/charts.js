// Runs in a hidden, empty frame of the page (app.js makes it) and draws the page's charts there.
// plotters measures every label by laying out a span in its document's body: next to nothing
// in this empty document, but ~25 ms a label in the page itself once it shows a 10,000-column
// table (measured), and a forced layout of the page in every chart while it trains.
import init, { chartHeatmap, chartDistribution, chartScatter, chartCurves, chartRoc, chartWaterfall, chartImportance, chartNetValue } from './pkg/churnlab.js';

const charts = {
  heatmap: chartHeatmap, distribution: chartDistribution, scatter: chartScatter, curves: chartCurves, roc: chartRoc,
  waterfall: chartWaterfall, importance: chartImportance, netValue: chartNetValue,
};

// The page posts the compiled module; this frame answers once it can draw.
self.addEventListener('message', async ({ data, origin }) => {
  if (origin !== self.origin || !(data?.module instanceof WebAssembly.Module)) return;
  try {
    await init({ module_or_path: data.module });
    /** Draws chart `name` (a key of `charts`) of `args` (cloned into this frame's realm): {svg, title, marks, table}. */
    self.draw = (name, args) => charts[name](...structuredClone(args));
    parent.postMessage({ chartsReady: true }, self.origin);
  } catch (err) {
    parent.postMessage({ chartsReady: false, error: err?.message ?? String(err) }, self.origin);
  }
});
