//! The wasm-bindgen facade: the page's Web Worker calls these. Each function converts JS values
//! to the library's types, calls [`crate::pipeline`] and converts back; nothing else.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::pipeline::{self, Config, Progress};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

unsafe extern "C" {
    /// The static constructors, synthesised by the linker (cubecl registers its kernels with
    /// `inventory`).
    fn __wasm_call_ctors();
}

/// Runs at instantiation: the static constructors, once, and a panic hook that sends panic
/// messages to the console, so that a bug shows its cause, not just "unreachable".
///
/// A module that never calls its constructors itself is linked as a "command", and then every
/// exported function (wasm-bindgen's own helpers included, thousands of calls per report)
/// starts by running them all again: with the WebGPU backend built in, reading a 100-column
/// table took 9.9 s instead of 0.01 s.
#[wasm_bindgen(start)]
pub fn start() {
    // SAFETY: the linker's constructor function; inventory's constructors are idempotent.
    unsafe { __wasm_call_ctors() };
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("churnlab panicked: {info}"))
    }));
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// `{report, csv}`: a report and the CSV it describes.
fn with_csv<T: Serialize>(report: &T, csv: &str) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct WithCsv<'a, T> {
        report: &'a T,
        csv: &'a str,
    }
    to_js(&WithCsv { report, csv })
}

fn config(options: JsValue) -> Result<Config, JsError> {
    if options.is_undefined() || options.is_null() {
        return Ok(Config::default());
    }
    serde_wasm_bindgen::from_value(options).map_err(|e| JsError::new(&format!("options: {e}")))
}

/// The inspect report (the same document as `churnlab inspect --json`) of a CSV or xlsx file.
#[wasm_bindgen]
pub fn inspect(bytes: &[u8], file_name: &str, options: JsValue) -> Result<JsValue, JsError> {
    let report = pipeline::inspect(bytes, file_name, &config(options)?)?;
    to_js(&report)
}

/// The generated sample table as CSV text.
#[wasm_bindgen(js_name = sampleCsv)]
pub fn sample_csv(rows: u32, seed: u32) -> String {
    crate::sample::sample_csv(rows as usize, u64::from(seed))
}

/// Removes the pause point when a run ends, however it ends.
struct PauseGuard;

impl Drop for PauseGuard {
    fn drop(&mut self) {
        crate::models::set_pause_point(None);
    }
}

/// Trains and compares the models (the same document as `churnlab run --json`). `progress` is
/// called with each event (`{kind: "fit" | "epoch" | "scored", …}`) while it runs; `pause`
/// (optional) after every epoch and every model, and training goes on when the promise it
/// returns settles. A promise: on WebGPU every read of the device is awaited.
#[wasm_bindgen]
pub async fn run(
    bytes: Vec<u8>,
    file_name: String,
    options: JsValue,
    progress: js_sys::Function,
    pause: Option<js_sys::Function>,
) -> Result<JsValue, JsError> {
    let cfg = config(options)?;
    let _guard = pause.map(|pause| {
        crate::models::set_pause_point(Some(Box::new(move || {
            let waited = pause
                .call0(&JsValue::NULL)
                .map(|v| js_sys::Promise::resolve(&v));
            Box::pin(async move {
                if let Ok(promise) = waited {
                    // A rejected promise resumes too: Stop is the way to end a run.
                    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                }
            })
        })));
        PauseGuard
    });
    let mut report_progress = |p: Progress| {
        if let Ok(value) = to_js(&p) {
            // A failing callback must not stop the training; the page shows the final report.
            let _ = progress.call1(&JsValue::NULL, &value);
        }
    };
    let report = pipeline::run_async(&bytes, &file_name, &cfg, &mut report_progress).await?;
    to_js(&report)
}

/// Synthetic customers from the GAN: `{report, csv}` (`report` as `churnlab synth --json`, `csv`
/// the rows with the input's header).
#[cfg(feature = "nn")]
#[wasm_bindgen]
pub async fn synthesize(
    bytes: Vec<u8>,
    file_name: String,
    options: JsValue,
    rows: u32,
    seed: u32,
) -> Result<JsValue, JsError> {
    let cfg = config(options)?;
    let report =
        pipeline::synthesize_async(&bytes, &file_name, &cfg, rows as usize, u64::from(seed))
            .await?;
    with_csv(&report, &report.csv)
}

/// Every customer scored by one model: `{report, csv}` (as `churnlab score --json` and its CSV).
#[wasm_bindgen]
pub async fn score(
    bytes: Vec<u8>,
    file_name: String,
    options: JsValue,
    model: String,
) -> Result<JsValue, JsError> {
    let cfg = config(options)?;
    let kind = crate::models::ModelKind::parse(&model)?;
    let report = pipeline::score_async(&bytes, &file_name, &cfg, kind).await?;
    with_csv(&report, &report.csv)
}

/// Starts the networks' WebGPU backend (once) and describes the adapter; fails, with the
/// reason, where the browser offers no WebGPU adapter or the build has no GPU backend.
#[cfg(feature = "nn")]
#[wasm_bindgen(js_name = initGpu)]
pub async fn init_gpu() -> Result<String, JsError> {
    Ok(crate::models::nn::init_gpu().await?)
}

/// Whether scores reported elsewhere (a paper's table) can come from any confusion matrix on
/// a test set of `positives` churners and `negatives` others: `{consistent, closest, gap}`.
#[wasm_bindgen(js_name = checkReported)]
pub fn check_reported(
    reported: JsValue,
    positives: u32,
    negatives: u32,
) -> Result<JsValue, JsError> {
    let reported = from_js(reported, "reported")?;
    to_js(&crate::metrics::check_reported(
        &reported,
        positives as usize,
        negatives as usize,
    )?)
}

/// Which models this build can train (the neural ones need the `nn` feature).
#[wasm_bindgen(js_name = availableModels)]
pub fn available_models() -> Result<JsValue, JsError> {
    let all = crate::models::ModelKind::ALL;
    let models: Vec<_> = all
        .iter()
        .filter(|k| {
            cfg!(feature = "nn")
                || !matches!(
                    k,
                    crate::models::ModelKind::Gan | crate::models::ModelKind::Mlp
                )
        })
        .collect();
    to_js(&models)
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

/// The correlation heatmap (SVG) of `report.exploration.correlation`. Charts need the DOM to
/// measure text, so the page calls these on its main thread, not in the worker.
#[wasm_bindgen(js_name = chartHeatmap)]
pub fn chart_heatmap(correlation: JsValue) -> Result<String, JsError> {
    Ok(crate::charts::heatmap(&from_js(
        correlation,
        "correlation",
    )?)?)
}

/// One feature's distribution chart (SVG).
#[wasm_bindgen(js_name = chartDistribution)]
pub fn chart_distribution(
    distribution: JsValue,
    positive: &str,
    negative: &str,
) -> Result<String, JsError> {
    Ok(crate::charts::distribution(
        &from_js(distribution, "distribution")?,
        positive,
        negative,
    )?)
}

/// Training curves (SVG) of a model's per-epoch statistics.
#[wasm_bindgen(js_name = chartCurves)]
pub fn chart_curves(title: &str, history: JsValue) -> Result<String, JsError> {
    Ok(crate::charts::curves(
        title,
        &from_js::<Vec<crate::models::EpochStats>>(history, "history")?,
    )?)
}

/// ROC curves (SVG): `[[label, [[fpr, tpr], …]], …]`.
#[wasm_bindgen(js_name = chartRoc)]
pub fn chart_roc(curves: JsValue) -> Result<String, JsError> {
    Ok(crate::charts::roc(&from_js::<
        Vec<(String, Vec<(f64, f64)>)>,
    >(curves, "curves")?)?)
}
