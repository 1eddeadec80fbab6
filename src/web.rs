//! The wasm-bindgen facade: the page's Web Worker holds one [`WebSession`] (over
//! [`crate::session::Session`]) and calls its methods. Each converts JS values to the library's
//! types, calls the library and converts back; nothing else.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::compare::{Control, Progress};
use crate::config::{Checked, Config};
use crate::fitted::{ScoreOptions, ScoredReport};
use crate::lesson::Protocol;
use crate::marketing::Campaign;
use crate::model_file::ModelFile;
use crate::models::{Local, ModelKind};
use crate::session::Session;
use std::rc::Rc;

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

/// What training awaits after every epoch and model: the page's `pause` function, whose
/// promise settles when training may go on.
fn pause_point(pause: Option<js_sys::Function>) -> Option<impl Fn() -> Local<'static, ()>> {
    pause.map(|pause| {
        move || -> Local<'static, ()> {
            let waited = pause
                .call0(&JsValue::NULL)
                .map(|v| js_sys::Promise::resolve(&v));
            Box::pin(async move {
                if let Ok(promise) = waited {
                    // A rejected promise resumes too: Stop is the way to end a run.
                    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
                }
            })
        }
    })
}

/// Each progress event to the page's `progress` function.
fn reporter(progress: &js_sys::Function) -> impl FnMut(Progress) + '_ {
    |p: Progress| {
        if let Ok(value) = to_js(&p) {
            // A failing callback must not stop the training; the page shows the final report.
            let _ = progress.call1(&JsValue::NULL, &value);
        }
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// `{report, csv, customers, segmentsCsv}`: a score report, its CSV, and with explanations
/// every explained customer's reasons and the segments as CSV.
fn scored(report: &ScoredReport) -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Scored<'a> {
        report: &'a ScoredReport,
        csv: &'a str,
        customers: &'a [crate::explain::Customer],
        segments_csv: String,
    }
    to_js(&Scored {
        report,
        csv: &report.csv,
        customers: &report.customers,
        segments_csv: crate::marketing::segments_csv(&report.action_segments)?,
    })
}

/// What the page asks of a score: `{explain, reasons, samples}`, each optional.
fn score_options(options: JsValue) -> Result<ScoreOptions, JsError> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Asked {
        explain: bool,
        reasons: Option<usize>,
        samples: Option<usize>,
    }
    let asked: Asked = if options.is_undefined() || options.is_null() {
        Asked::default()
    } else {
        from_js(options, "score options")?
    };
    let d = ScoreOptions::default();
    Ok(ScoreOptions {
        explain: asked.explain,
        reasons: asked.reasons.unwrap_or(d.reasons),
        samples: asked.samples.unwrap_or(d.samples).max(2),
        parts: Vec::new(),
    })
}

/// Score options with the explanations' parts from the pool, if any.
fn with_parts(opts: ScoreOptions, parts: Option<Vec<js_sys::Uint8Array>>) -> ScoreOptions {
    let parts = parts.unwrap_or_default();
    ScoreOptions {
        parts: parts.iter().map(js_sys::Uint8Array::to_vec).collect(),
        ..opts
    }
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

fn config(options: JsValue) -> Result<Checked, JsError> {
    let c: Config = if options.is_undefined() || options.is_null() {
        Config::default()
    } else {
        Config::from_deserializer(serde_wasm_bindgen::Deserializer::from(options))?
    };
    Ok(c.check()?)
}

/// The generated sample table as CSV text.
#[wasm_bindgen(js_name = sampleCsv)]
pub fn sample_csv(rows: u32, seed: u32) -> String {
    crate::sample::sample_csv(rows as usize, u64::from(seed))
}

/// One loaded table and the models trained on it, held by the page's worker: the file is
/// parsed once (in the constructor), and scores, synthetic customers and model files come from
/// the models a run kept. A model file read into it scores its table too.
#[wasm_bindgen(js_name = Session)]
pub struct WebSession {
    session: Session,
    model_file: Option<Rc<ModelFile>>,
}

/// A model file read once; every session it is given to shares it.
#[wasm_bindgen(js_name = ModelFile)]
pub struct WebModelFile(Rc<ModelFile>);

#[wasm_bindgen(js_class = ModelFile)]
impl WebModelFile {
    /// Reads a model file; refused by name if it is not one, newer, cut short or damaged.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], file_name: &str) -> Result<WebModelFile, JsError> {
        Ok(WebModelFile(Rc::new(crate::model_file::read(
            bytes, file_name,
        )?)))
    }

    /// What the file says about itself (`ModelInfo`).
    pub fn info(&self) -> Result<JsValue, JsError> {
        to_js(&self.0.info)
    }
}

#[wasm_bindgen(js_class = Session)]
impl WebSession {
    /// Parses `bytes` and prepares the table with `options` (the `inspect` options).
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], file_name: &str, options: JsValue) -> Result<WebSession, JsError> {
        Ok(WebSession {
            session: Session::load(bytes, file_name, &config(options)?)?,
            model_file: None,
        })
    }

    /// The inspect report (as `churnlab inspect --json`) for `options`; a change of the table
    /// options prepares the kept table again, without parsing the file.
    pub fn inspect(&mut self, options: JsValue) -> Result<JsValue, JsError> {
        let cfg = config(options)?;
        to_js(&self.session.inspect(&cfg)?)
    }

    /// Trains and compares the models and keeps them (the report as `churnlab run --json`).
    /// `progress` is called with each event (`{kind: "fit" | "epoch" | "scored", …}`);
    /// `pause` (optional) after every epoch and every model, and training goes on when the
    /// promise it returns settles. A promise: on WebGPU every read of the device is awaited.
    pub async fn run(
        &mut self,
        options: JsValue,
        progress: js_sys::Function,
        pause: Option<js_sys::Function>,
    ) -> Result<JsValue, JsError> {
        let cfg = config(options)?;
        let wait = pause_point(pause);
        let mut report_progress = reporter(&progress);
        let control = Control {
            progress: Some(&mut report_progress),
            pause: wait.as_ref().map(|w| w as &dyn Fn() -> Local<'static, ()>),
        };
        let report = self.session.run(&cfg, control).await?;
        to_js(report)
    }

    /// Seconds per GAN training step of the run's networks on `backend` ('cpu' or 'gpu'),
    /// and the steps of an epoch of this table: `{seconds, steps}` (see
    /// `Session::step_seconds`).
    #[cfg(feature = "nn")]
    #[wasm_bindgen(js_name = stepSeconds)]
    pub async fn step_seconds(
        &self,
        options: JsValue,
        backend: String,
    ) -> Result<JsValue, JsError> {
        use crate::models::Backend;
        let backend = match backend.as_str() {
            "gpu" => Backend::Gpu,
            "cpu" => Backend::Cpu,
            other => return Err(JsError::new(&format!("no backend '{other}': cpu or gpu"))),
        };
        let (seconds, steps) = self
            .session
            .step_seconds(&config(options)?, backend)
            .await?;
        to_js(&serde_json::json!({ "seconds": seconds, "steps": steps }))
    }

    /// The fits of a run of `options` in report order (`[{seed, model, augmented}]`, as
    /// `fitJob` takes them) and the order to start them in (`order`: job indices).
    pub fn jobs(&self, options: JsValue) -> Result<JsValue, JsError> {
        let (jobs, order) = crate::compare::jobs(&config(options)?);
        to_js(&serde_json::json!({ "jobs": jobs, "order": order }))
    }

    /// Two numeric columns against each other, split by class: `{x, y, groups, rows, shown}`.
    pub fn pair(&self, x: &str, y: &str) -> Result<JsValue, JsError> {
        to_js(&self.session.pair(x, y)?)
    }

    /// One fit of a run of `options` (a pool worker's job `{seed, model, augmented}`), with
    /// `progress` and `pause` as in `run`: the fitted model and its scores as bytes, for the
    /// session's worker to `adopt`.
    #[wasm_bindgen(js_name = fitJob)]
    pub async fn fit_job(
        &mut self,
        options: JsValue,
        job: JsValue,
        progress: js_sys::Function,
        pause: Option<js_sys::Function>,
    ) -> Result<Vec<u8>, JsError> {
        let cfg = config(options)?;
        let job = from_js(job, "job")?;
        let wait = pause_point(pause);
        let mut report_progress = reporter(&progress);
        let control = Control {
            progress: Some(&mut report_progress),
            pause: wait.as_ref().map(|w| w as &dyn Fn() -> Local<'static, ()>),
        };
        Ok(self.session.fit_job(&cfg, job, control).await?)
    }

    /// Keeps the run of `options` whose fits pool workers made (`packets`: one `fitJob`
    /// answer per job, in the order of `jobs`; `seconds`: the run's wall time), as if `run`
    /// had trained them: the same report. Nothing is fitted.
    pub fn adopt(
        &mut self,
        options: JsValue,
        packets: Vec<js_sys::Uint8Array>,
        seconds: f64,
    ) -> Result<JsValue, JsError> {
        let cfg = config(options)?;
        let packets: Vec<Vec<u8>> = packets.iter().map(js_sys::Uint8Array::to_vec).collect();
        to_js(self.session.adopt(&cfg, &packets, seconds)?)
    }

    /// Every customer scored by the kept model `model`, explained if `options.explain`:
    /// `{report, csv, customers, segmentsCsv}` (`report` as `churnlab score --json`). Nothing
    /// is trained.
    /// `parts` (optional): the explanations' parts computed by pool workers (`explainPart`
    /// answers, in part order), instead of computing them here.
    pub async fn score(
        &self,
        model: String,
        options: JsValue,
        parts: Option<Vec<js_sys::Uint8Array>>,
    ) -> Result<JsValue, JsError> {
        let kind = ModelKind::parse(&model)?;
        let opts = with_parts(score_options(options)?, parts);
        let report = self.session.score(kind, &opts).await?;
        scored(&report)
    }

    /// Part `part` of `parts` of the explanations `score` with `options.explain` computes for
    /// the kept model `model` (or the model file's, `fromFile`): bytes for `score`'s `parts`.
    #[wasm_bindgen(js_name = explainPart)]
    pub async fn explain_part(
        &self,
        model: String,
        options: JsValue,
        part: u32,
        parts: u32,
        from_file: bool,
    ) -> Result<Vec<u8>, JsError> {
        let kind = ModelKind::parse(&model)?;
        let samples = score_options(options)?.samples;
        let file = if from_file {
            self.model_file.as_ref()
        } else {
            None
        };
        if from_file && file.is_none() {
            return Err(JsError::new("load a model file first"));
        }
        let part = (part as usize, parts as usize);
        Ok(self
            .session
            .explain_part(file.map(|f| f.as_ref()), kind, samples, part)
            .await?)
    }

    /// The decision threshold's what-if on the test rows of the kept model `model`, for the
    /// campaign `{offer_cost, customer_value, success_rate}` (`WhatIf`).
    pub fn whatif(
        &self,
        model: String,
        threshold: f64,
        campaign: JsValue,
    ) -> Result<JsValue, JsError> {
        let kind = ModelKind::parse(&model)?;
        let campaign: Campaign = from_js(campaign, "campaign")?;
        to_js(&self.session.whatif(kind, threshold, &campaign)?)
    }

    /// One customer (data row `row`, from 0) explained by the kept model `model` (or the model
    /// file's, `fromFile`) with `samples` column orders where it samples:
    /// `{explanation, customer}`.
    #[wasm_bindgen(js_name = explainCustomer)]
    pub async fn explain_customer(
        &self,
        model: String,
        row: u32,
        from_file: bool,
        samples: u32,
    ) -> Result<JsValue, JsError> {
        #[derive(Serialize)]
        struct One<'a> {
            explanation: &'a crate::fitted::ExplanationSummary,
            customer: &'a crate::explain::Customer,
        }
        let kind = ModelKind::parse(&model)?;
        let file = match (from_file, &self.model_file) {
            (false, _) => None,
            (true, Some(f)) => Some(f.as_ref()),
            (true, None) => return Err(JsError::new("load a model file first")),
        };
        let (explanation, customer) = self
            .session
            .explain_customer(file, kind, row as usize, samples as usize)
            .await?;
        to_js(&One {
            explanation: &explanation,
            customer: &customer,
        })
    }

    /// Permutation importance of the kept model `model` on its test rows (`Importance`).
    pub async fn importance(&self, model: String) -> Result<JsValue, JsError> {
        let kind = ModelKind::parse(&model)?;
        to_js(&self.session.importance(kind).await?)
    }

    /// The comparison of `options` again under the leaky `protocol` (`LessonReport`); the
    /// session's models stay as they are.
    pub async fn lesson(&self, options: JsValue, protocol: String) -> Result<JsValue, JsError> {
        let cfg = config(options)?;
        let protocol = Protocol::parse(&protocol)?;
        to_js(&self.session.lesson(&cfg, protocol).await?)
    }

    /// Scores this table with `file` from now on (see `scoreWithModelFile`).
    #[wasm_bindgen(js_name = useModelFile)]
    pub fn use_model_file(&mut self, file: &WebModelFile) {
        self.model_file = Some(Rc::clone(&file.0));
    }

    /// Every customer scored by the model file's model `model`: `{report, csv}` (`parts` as in
    /// `score`). Nothing is fitted.
    #[wasm_bindgen(js_name = scoreWithModelFile)]
    pub async fn score_with_model_file(
        &self,
        model: String,
        options: JsValue,
        parts: Option<Vec<js_sys::Uint8Array>>,
    ) -> Result<JsValue, JsError> {
        let kind = ModelKind::parse(&model)?;
        let file = self
            .model_file
            .as_ref()
            .ok_or_else(|| JsError::new("load a model file first"))?;
        let opts = with_parts(score_options(options)?, parts);
        let report = self.session.score_with(file, kind, &opts).await?;
        scored(&report)
    }

    /// Synthetic customers from the kept GAN: `{report, csv}` (`report` as `churnlab synth
    /// --json`). Nothing is trained.
    #[cfg(feature = "nn")]
    pub async fn synthesize(&self, rows: u32, seed: u32) -> Result<JsValue, JsError> {
        let report = self
            .session
            .synthesize(rows as usize, u64::from(seed))
            .await?;
        with_csv(&report, &report.csv)
    }

    /// The page's pool makes synthetic customers in three steps: this one makes and screens
    /// them here (`{packet, splitSeed, checks}`: the rows as bytes, the split the checks need,
    /// the checks to do), `syntheticCheck` runs a check on any worker, `finishSynthesis` joins
    /// their results (`[{check, value}]`) into `synthesize`'s answer.
    #[cfg(feature = "nn")]
    #[wasm_bindgen(js_name = synthesizeDraft)]
    pub async fn synthesize_draft(&self, rows: u32, seed: u32) -> Result<JsValue, JsError> {
        let (packet, split_seed, checks) = self
            .session
            .synthesize_draft(rows as usize, u64::from(seed))
            .await?;
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v);
        let _ = set(
            "packet",
            &js_sys::Uint8Array::from(packet.as_slice()).into(),
        );
        let _ = set("splitSeed", &JsValue::from_f64(split_seed as f64));
        let _ = set("checks", &to_js(&checks)?);
        Ok(out.into())
    }

    /// One check (`detection`, `synthetic_forest`, `real_forest`) of synthetic customers with
    /// synthesis seed `seed`: of this session's draft when `packet` is absent, else of the
    /// rows `packet` against this session's split `splitSeed` of the run options `options`.
    #[cfg(feature = "nn")]
    #[wasm_bindgen(js_name = syntheticCheck)]
    pub fn synthetic_check(
        &mut self,
        check: JsValue,
        seed: u32,
        packet: Option<Vec<u8>>,
        options: JsValue,
        split_seed: u32,
    ) -> Result<Option<f64>, JsError> {
        let check = from_js(check, "check")?;
        let cfg = match packet {
            Some(_) => Some(config(options)?),
            None => None,
        };
        let fake = packet
            .as_deref()
            .zip(cfg.as_ref())
            .map(|(p, c)| (p, c, u64::from(split_seed)));
        Ok(self.session.synthetic_check(check, fake, u64::from(seed))?)
    }

    /// `synthesize`'s answer from the draft and the checks done elsewhere.
    #[cfg(feature = "nn")]
    #[wasm_bindgen(js_name = finishSynthesis)]
    pub fn finish_synthesis(&self, done: JsValue) -> Result<JsValue, JsError> {
        #[derive(serde::Deserialize)]
        struct Done {
            check: crate::synthetic::Check,
            value: Option<f64>,
        }
        let done: Vec<Done> = from_js(done, "checks")?;
        let done: Vec<_> = done.into_iter().map(|d| (d.check, d.value)).collect();
        let report = self.session.finish_synthesis(&done)?;
        with_csv(&report, &report.csv)
    }

    /// A model file of the kept models `models` (names; all when empty).
    #[wasm_bindgen(js_name = saveModel)]
    pub async fn save_model(&self, models: Vec<String>) -> Result<Vec<u8>, JsError> {
        let kinds = models
            .iter()
            .map(|m| ModelKind::parse(m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.session.save_model(&kinds).await?)
    }

    /// How often the session parsed, prepared and fitted (`Counts`).
    pub fn counts(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.counts())
    }
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

/// The models this build can train (the neural ones need the `nn` feature), each
/// `{model, label, network}`: the page takes names and labels from here.
#[wasm_bindgen(js_name = availableModels)]
pub fn available_models() -> Result<JsValue, JsError> {
    #[derive(Serialize)]
    struct Offered {
        model: ModelKind,
        label: &'static str,
        network: bool,
    }
    let models: Vec<Offered> = ModelKind::ALL
        .iter()
        .filter(|k| cfg!(feature = "nn") || !k.is_network())
        .map(|&model| Offered {
            model,
            label: model.label(),
            network: model.is_network(),
        })
        .collect();
    to_js(&models)
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("{what}: {e}")))
}

fn chart(drawn: Result<crate::charts::Chart, crate::Error>) -> Result<JsValue, JsError> {
    to_js(&drawn?)
}

/// The correlation heatmap of `report.exploration.correlation`: `{svg, width, height, title,
/// marks, table}` (a [`crate::charts::Chart`]). Charts need the DOM to measure text, so the
/// page calls these on its main thread, not in the worker. `theme`: `light` or `dark`.
#[wasm_bindgen(js_name = chartHeatmap)]
pub fn chart_heatmap(correlation: JsValue, theme: JsValue) -> Result<JsValue, JsError> {
    chart(crate::charts::heatmap(
        &from_js(correlation, "correlation")?,
        from_js(theme, "theme")?,
    ))
}

/// One feature's distribution chart.
#[wasm_bindgen(js_name = chartDistribution)]
pub fn chart_distribution(
    distribution: JsValue,
    positive: &str,
    negative: &str,
    theme: JsValue,
) -> Result<JsValue, JsError> {
    chart(crate::charts::distribution(
        &from_js(distribution, "distribution")?,
        positive,
        negative,
        from_js(theme, "theme")?,
    ))
}

/// Two columns against each other, a colour per group: `[[name, [[x, y], …]], …]`.
#[wasm_bindgen(js_name = chartScatter)]
pub fn chart_scatter(
    title: &str,
    x_name: &str,
    y_name: &str,
    groups: JsValue,
    theme: JsValue,
) -> Result<JsValue, JsError> {
    let groups: Vec<(String, Vec<(f64, f64)>)> = from_js(groups, "groups")?;
    chart(crate::charts::scatter(
        title,
        (x_name, y_name),
        &groups,
        from_js(theme, "theme")?,
    ))
}

/// Training curves of a model's per-epoch statistics.
#[wasm_bindgen(js_name = chartCurves)]
pub fn chart_curves(title: &str, history: JsValue, theme: JsValue) -> Result<JsValue, JsError> {
    chart(crate::charts::curves(
        title,
        &from_js::<Vec<crate::models::EpochStats>>(history, "history")?,
        from_js(theme, "theme")?,
    ))
}

/// ROC curves: `[[label, [[fpr, tpr], …]], …]`.
#[wasm_bindgen(js_name = chartRoc)]
pub fn chart_roc(curves: JsValue, theme: JsValue) -> Result<JsValue, JsError> {
    chart(crate::charts::roc(
        &from_js::<Vec<(String, Vec<(f64, f64)>)>>(curves, "curves")?,
        from_js(theme, "theme")?,
    ))
}

/// One customer's waterfall: `reasons` as in a scored customer, `units` `log_odds` or
/// `probability`.
#[wasm_bindgen(js_name = chartWaterfall)]
pub fn chart_waterfall(
    base: f64,
    score: f64,
    units: JsValue,
    reasons: JsValue,
    theme: JsValue,
) -> Result<JsValue, JsError> {
    let units: crate::explain::Units = from_js(units, "units")?;
    let reasons: Vec<crate::explain::Reason> = from_js(reasons, "reasons")?;
    chart(crate::charts::waterfall(
        base,
        score,
        units,
        &reasons,
        from_js(theme, "theme")?,
    ))
}

/// Bars per column, largest first.
#[wasm_bindgen(js_name = chartImportance)]
pub fn chart_importance(
    title: &str,
    unit: &str,
    columns: JsValue,
    values: JsValue,
    theme: JsValue,
) -> Result<JsValue, JsError> {
    chart(crate::charts::importance(
        title,
        unit,
        &from_js::<Vec<String>>(columns, "columns")?,
        &from_js::<Vec<f64>>(values, "values")?,
        from_js(theme, "theme")?,
    ))
}

/// The campaign's net value over the threshold, from a what-if's `curve`.
#[wasm_bindgen(js_name = chartNetValue)]
pub fn chart_net_value(
    curve: JsValue,
    chosen: f64,
    best: f64,
    theme: JsValue,
) -> Result<JsValue, JsError> {
    let curve: Vec<crate::marketing::ThresholdPoint> = from_js(curve, "curve")?;
    chart(crate::charts::net_value(
        &curve,
        chosen,
        best,
        from_js(theme, "theme")?,
    ))
}
