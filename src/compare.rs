//! The comparison: every configured model fitted and scored on `seeds` leak-free splits. It
//! keeps what it fitted — per seed, the split and the [`Pipeline`] — for the session to score
//! and generate from later.

use serde::{Deserialize, Serialize};

use crate::config::Checked;
use crate::fitted::{FittedModel, Pipeline, TableSpec};
use crate::matrix::Matrix;
use crate::metrics::{Scores, evaluate, roc_curve};
use crate::models::{EpochStats, Hooks, ModelKind, ModelOptions, Pause, build, wait};
use crate::prepare::{InspectReport, Prepared};
use crate::preprocess::{PrepReport, Preprocessor};
use crate::split::{Split, SplitOptions, SplitReport, stratified};
use crate::{Error, leakage, now};

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeanStd {
    pub mean: f64,
    /// Sample standard deviation over seeds (0 for one seed).
    pub std: f64,
}

impl MeanStd {
    pub fn of(values: &[f64]) -> MeanStd {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        MeanStd {
            mean,
            std: var.sqrt(),
        }
    }
}

/// One model fitted and scored on one seed's split.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedRun {
    pub seed: u64,
    pub scores: Scores,
    pub train_seconds: f64,
    /// Seconds to predict the test rows.
    pub predict_seconds: f64,
    /// ROC points (false positive rate, true positive rate) on the test rows.
    pub roc: Vec<(f64, f64)>,
    /// Per-epoch statistics (neural models).
    pub history: Vec<EpochStats>,
    /// The test rows' churn probabilities (for the threshold what-if).
    #[serde(skip)]
    pub test_probabilities: Vec<f64>,
    /// How the fitted model predicts, where the report should say (KNN's sample of rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// With `f1_thresholds`: the threshold chosen on validation rows and the test scores at it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned: Option<Tuned>,
}

/// Test scores at a threshold chosen on validation rows (never on the test rows).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tuned {
    pub threshold: f64,
    pub scores: Scores,
}

/// Means over seeds of the scores at the validation thresholds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TunedSummary {
    pub threshold: MeanStd,
    pub accuracy: MeanStd,
    pub precision: MeanStd,
    pub recall: MeanStd,
    pub f1: MeanStd,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub accuracy: MeanStd,
    pub precision: MeanStd,
    pub recall: MeanStd,
    pub f1: MeanStd,
    pub roc_auc: MeanStd,
    pub pr_auc: MeanStd,
    pub train_seconds: MeanStd,
    pub predict_seconds: MeanStd,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuned: Option<TunedSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelResult {
    pub model: ModelKind,
    /// Trained on the training rows plus GAN-generated churners.
    pub augmented: bool,
    pub label: String,
    pub runs: Vec<SeedRun>,
    pub summary: Summary,
    /// With two seeds or more: the per-seed difference (this model minus the best classical
    /// model by mean F1, on the same split), for every model but that one.
    pub paired: Option<Paired>,
}

/// A model against another on the same splits: the mean and spread of the per-seed
/// differences, in points (accuracy and F1 × 100).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paired {
    pub against: String,
    pub accuracy: MeanStd,
    pub f1: MeanStd,
    /// Seeds on which this model's F1 was higher.
    pub wins: usize,
}

/// The best classical (non-network, not augmented) model by mean F1, and every other model's
/// per-seed difference against it.
fn pair_against_best(models: &mut [ModelResult]) {
    if models.first().is_none_or(|m| m.runs.len() < 2) {
        return;
    }
    let Some(best) = models
        .iter()
        .filter(|m| !m.model.is_network() && !m.augmented)
        .max_by(|a, b| a.summary.f1.mean.total_cmp(&b.summary.f1.mean))
        .map(|m| (m.label.clone(), m.runs.clone()))
    else {
        return;
    };
    for m in models.iter_mut().filter(|m| m.label != best.0) {
        let diff = |f: &dyn Fn(&SeedRun) -> f64| -> Vec<f64> {
            m.runs
                .iter()
                .zip(&best.1)
                .map(|(a, b)| 100.0 * (f(a) - f(b)))
                .collect()
        };
        let f1 = diff(&|r| r.scores.f1);
        m.paired = Some(Paired {
            against: best.0.clone(),
            accuracy: MeanStd::of(&diff(&|r| r.scores.accuracy)),
            wins: f1.iter().filter(|d| **d > 0.0).count(),
            f1: MeanStd::of(&f1),
        });
    }
}

/// What `churnlab run` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    /// The inspect report of the first seed's split.
    pub inspect: InspectReport,
    pub seeds: Vec<u64>,
    pub threshold: f64,
    /// Accuracy of always predicting the majority class, per seed's test rows (mean).
    pub majority_accuracy: f64,
    pub models: Vec<ModelResult>,
    /// A warning when test scores are too good to be true, with the likely causes.
    pub too_good: Option<leakage::TooGood>,
    pub total_seconds: f64,
}

/// Progress of a run, for live displays.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress {
    /// A model starts fitting on a seed.
    Fit {
        model: ModelKind,
        seed: u64,
        augmented: bool,
    },
    /// A neural model finished an epoch.
    Epoch {
        model: ModelKind,
        seed: u64,
        stats: EpochStats,
    },
    /// A model was scored on a seed's test rows.
    Scored {
        model: ModelKind,
        seed: u64,
        augmented: bool,
        scores: Scores,
    },
}

/// What a run reports to and waits for: `progress` sees every event, and after each epoch and
/// each model the run waits at `pause` (the page's Pause button).
pub struct Control<'a> {
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
    pub pause: Option<Pause<'a>>,
}

impl<'a> Control<'a> {
    /// Every event to `progress`, no pauses.
    pub fn new(progress: &'a mut dyn FnMut(Progress)) -> Self {
        Control {
            progress: Some(progress),
            pause: None,
        }
    }

    /// Nothing reported, no pauses.
    pub fn none() -> Control<'static> {
        Control {
            progress: None,
            pause: None,
        }
    }

    fn report(&mut self, p: Progress) {
        if let Some(f) = self.progress.as_mut() {
            f(p);
        }
    }
}

/// One seed's split, its reports, and what was fitted on it.
pub struct SeedFit {
    pub split: Split,
    pub split_report: SplitReport,
    pub prep_report: PrepReport,
    pub pipeline: Pipeline,
}

/// The model inputs of a split and its fitted preprocessing as two CSV texts, training rows
/// and test rows: each row's number in the table (1-based data row), its inputs as the models
/// see them, and its class (1: churn). For checking the models against other tools on the
/// same rows.
pub fn inputs_csv(p: &Prepared, split: &Split, pre: &Preprocessor) -> Result<[String; 2], Error> {
    let fail = |e: &dyn std::fmt::Display| Error::input(format!("writing the inputs failed: {e}"));
    let neutral = crate::synthetic::neutralize;
    let mut header = vec!["row".to_string()];
    header.extend(pre.feature_names().iter().map(|n| neutral(n)));
    header.push(neutral(&p.schema.target.column));
    let mut texts = [String::new(), String::new()];
    for (text, rows) in texts.iter_mut().zip([&split.train, &split.test]) {
        let x = pre.transform(&p.table, rows)?;
        let y = p.schema.churned(rows);
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&header).map_err(|e| fail(&e))?;
        for (i, &row) in rows.iter().enumerate() {
            let mut record = vec![(row + 1).to_string()];
            record.extend(x.row(i).iter().map(f32::to_string));
            record.push(u8::from(y[i]).to_string());
            w.write_record(&record).map_err(|e| fail(&e))?;
        }
        let bytes = w.into_inner().map_err(|e| fail(&e))?;
        *text = String::from_utf8(bytes).map_err(|e| fail(&e))?;
    }
    Ok(texts)
}

/// Split with `seed` and fit the preprocessing on the training part; the training rows are
/// those the preprocessing kept (outlier drops).
pub fn split_and_fit(
    p: &Prepared,
    cfg: &Checked,
    seed: u64,
) -> Result<(Split, SplitReport, Preprocessor, PrepReport), Error> {
    let opts = SplitOptions {
        seed,
        ..cfg.split.clone()
    };
    let split = stratified(&p.rows, &p.schema.labels, &opts)?;
    let report = split.report(&p.schema.labels, &opts);
    let pre = &cfg.preprocess;
    let leaks = leakage::screen(
        &p.table,
        &p.schema,
        &split.train,
        pre.leak_auc,
        &pre.keep_leaky,
    );
    let schema = leakage::without_leaks(&p.schema, &leaks);
    if schema.features().is_empty() {
        return Err(Error::input(format!(
            "every feature alone predicts the target almost perfectly ({}): keep the ones that are not leaks",
            leaks
                .iter()
                .map(|l| l.column.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut fitted = Preprocessor::fit(&p.table, &schema, &split, pre)?;
    fitted.report.leaks = leaks;
    let split = Split {
        train: fitted.train,
        test: split.test,
    };
    Ok((split, report, fitted.preprocessor, fitted.report))
}

fn summarize(runs: &[SeedRun]) -> Summary {
    let pick = |f: &dyn Fn(&SeedRun) -> f64| MeanStd::of(&runs.iter().map(f).collect::<Vec<_>>());
    Summary {
        accuracy: pick(&|r| r.scores.accuracy),
        precision: pick(&|r| r.scores.precision),
        recall: pick(&|r| r.scores.recall),
        f1: pick(&|r| r.scores.f1),
        roc_auc: pick(&|r| r.scores.roc_auc.unwrap_or(f64::NAN)),
        pr_auc: pick(&|r| r.scores.pr_auc.unwrap_or(f64::NAN)),
        train_seconds: pick(&|r| r.train_seconds),
        predict_seconds: pick(&|r| r.predict_seconds),
        tuned: summarize_tuned(runs),
    }
}

fn summarize_tuned(runs: &[SeedRun]) -> Option<TunedSummary> {
    let tuned: Vec<&Tuned> = runs.iter().filter_map(|r| r.tuned.as_ref()).collect();
    if tuned.is_empty() || tuned.len() != runs.len() {
        return None;
    }
    let pick =
        |f: &dyn Fn(&Tuned) -> f64| MeanStd::of(&tuned.iter().map(|t| f(t)).collect::<Vec<_>>());
    Some(TunedSummary {
        threshold: pick(&|t| t.threshold),
        accuracy: pick(&|t| t.scores.accuracy),
        precision: pick(&|t| t.scores.precision),
        recall: pick(&|t| t.scores.recall),
        f1: pick(&|t| t.scores.f1),
    })
}

/// The models' settings, with the generator heads of this fitted preprocessing if asked for.
pub fn model_options(models: &ModelOptions, pre: &Preprocessor) -> ModelOptions {
    let mut models = models.clone();
    if models.nn.generator_heads {
        models.nn.heads = Some(pre.layout());
    }
    models
}

/// The run's too-good-to-be-true warning, if its scores call for one (`protocol`: the leaky
/// protocol it ran under on purpose).
pub(crate) fn warning(
    p: &Prepared,
    models: &[ModelResult],
    prep: &PrepReport,
    protocol: Option<&str>,
) -> Option<leakage::TooGood> {
    let scores: Vec<(String, f64, f64)> = models
        .iter()
        .map(|m| {
            (
                m.label.clone(),
                m.summary.accuracy.mean,
                m.summary.roc_auc.mean,
            )
        })
        .collect();
    leakage::too_good(
        &scores,
        &leakage::RunFacts {
            deduplicated: p.clean.dedupe,
            duplicates_removed: p.cleaning.duplicates_removed,
            flags: &prep.leaks,
            protocol,
        },
    )
}

/// What one seed's models are fitted on and scored against: the split, the preprocessing
/// fitted on its training rows and the model inputs. A pool worker keeps its last one.
pub struct SeedInputs {
    seed: u64,
    split: Split,
    split_report: SplitReport,
    pre: Preprocessor,
    prep_report: PrepReport,
    opts: ModelOptions,
    x_train: Matrix,
    y_train: Vec<bool>,
    x_test: Matrix,
    y_test: Vec<bool>,
    /// The training rows plus GAN-generated churners, once an augmented model needs them.
    augmented: Option<(Matrix, Vec<bool>)>,
    /// Whether each fit also chooses its F1-optimal threshold on validation rows.
    f1_thresholds: bool,
}

impl SeedInputs {
    /// The seed's split and inputs (no augmentation rows yet).
    pub fn new(p: &Prepared, cfg: &Checked, seed: u64) -> Result<SeedInputs, Error> {
        let (split, split_report, pre, prep_report) = split_and_fit(p, cfg, seed)?;
        let (y_train, y_test) = (
            p.schema.churned(&split.train),
            p.schema.churned(&split.test),
        );
        let x_train = pre.transform(&p.table, &split.train)?;
        let x_test = pre.transform(&p.table, &split.test)?;
        let opts = model_options(&cfg.models, &pre);
        Ok(SeedInputs {
            seed,
            split,
            split_report,
            pre,
            prep_report,
            opts,
            x_train,
            y_train,
            x_test,
            y_test,
            augmented: None,
            f1_thresholds: cfg.f1_thresholds,
        })
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The training rows' model inputs and classes.
    pub fn train(&self) -> (&Matrix, &[bool]) {
        (&self.x_train, &self.y_train)
    }

    /// The test rows' model inputs and classes.
    pub fn test(&self) -> (&Matrix, &[bool]) {
        (&self.x_test, &self.y_test)
    }

    /// With the GAN-augmented training rows made (one GAN fit), if they are not yet.
    async fn augment(&mut self, p: &Prepared) -> Result<(), Error> {
        if self.augmented.is_none() {
            let (x, y) = (&self.x_train, &self.y_train);
            let rows = augmented_rows(p, &self.pre, &self.opts, x, y, self.seed).await?;
            self.augmented = Some(rows);
        }
        Ok(())
    }

    /// The test rows' churn share.
    fn share(&self) -> f64 {
        self.y_test.iter().filter(|&&b| b).count() as f64 / self.y_test.len().max(1) as f64
    }

    /// Fits and scores one model of `job` (whose seed is this one's), making the augmented rows
    /// first where it needs them.
    pub async fn fit_job(
        &mut self,
        p: &Prepared,
        job: Job,
        threshold: f64,
        control: &mut Control<'_>,
    ) -> Result<(FittedModel, SeedRun), Error> {
        if job.augmented {
            self.augment(p).await?;
        }
        self.fit(job, threshold, control).await
    }

    /// Fits and scores one model (the augmented rows made already where it needs them).
    async fn fit(
        &self,
        job: Job,
        threshold: f64,
        control: &mut Control<'_>,
    ) -> Result<(FittedModel, SeedRun), Error> {
        let (x, y) = match (&self.augmented, job.augmented) {
            (Some((x, y)), true) => (x, y.as_slice()),
            _ => (&self.x_train, self.y_train.as_slice()),
        };
        let (model, mut record, p) = fit_one(job, &self.opts, x, y, &self.x_test, control).await?;
        if self.f1_thresholds {
            record.threshold = Some(validation_threshold(job, &self.opts, x, y).await?);
        }
        let run = self.run(record, p, threshold);
        control.report(Progress::Scored {
            model: job.model,
            seed: job.seed,
            augmented: job.augmented,
            scores: run.scores.clone(),
        });
        wait(control.pause).await;
        let model = FittedModel {
            kind: job.model,
            augmented: job.augmented,
            model,
        };
        Ok((model, run))
    }

    /// A fit's run: its record, scored on these test rows.
    pub fn run(&self, record: FitRecord, p: Vec<f64>, threshold: f64) -> SeedRun {
        SeedRun {
            seed: self.seed,
            scores: evaluate(&self.y_test, &p, threshold),
            roc: roc_curve(&self.y_test, &p),
            train_seconds: record.train_seconds,
            predict_seconds: record.predict_seconds,
            history: record.history,
            tuned: record.threshold.map(|t| Tuned {
                threshold: t,
                scores: evaluate(&self.y_test, &p, t),
            }),
            test_probabilities: p,
            note: record.note,
        }
    }

    /// The seed's kept pipeline, holding `models`.
    fn into_fit(self, p: &Prepared, models: Vec<FittedModel>) -> SeedFit {
        let schema = leakage::without_leaks(&p.schema, &self.prep_report.leaks);
        let pipeline = Pipeline {
            spec: TableSpec::of(&schema, &p.clean),
            background: crate::fitted::background(&self.x_train, self.seed),
            preprocessor: self.pre,
            seed: self.seed,
            models,
        };
        SeedFit {
            split: self.split,
            split_report: self.split_report,
            prep_report: self.prep_report,
            pipeline,
        }
    }
}

/// What a fit leaves besides the model and its test probabilities: enough to rebuild its
/// [`SeedRun`] on the same test rows (a pool worker sends it to the session's worker).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FitRecord {
    pub train_seconds: f64,
    pub predict_seconds: f64,
    pub history: Vec<EpochStats>,
    pub note: Option<String>,
    /// The F1-optimal threshold chosen on validation rows, when asked for.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// The F1-optimal threshold of `job`'s model, chosen on a stratified fifth of the training rows
/// (`x`, `y`) by a second fit, silent, on the other four fifths. The test rows play no part.
async fn validation_threshold(
    job: Job,
    opts: &ModelOptions,
    x: &Matrix,
    y: &[bool],
) -> Result<f64, Error> {
    let (fit, val) = crate::models::validation_split(y, 0.2, job.seed ^ 0x0074_12E5)?;
    if val.is_empty() {
        return Ok(0.5);
    }
    let pick = |idx: &[usize]| idx.iter().map(|&i| y[i]).collect::<Vec<bool>>();
    let mut model = build(job.model, opts)?;
    model
        .fit(&x.pick(&fit), &pick(&fit), job.seed, &mut Hooks::none())
        .await?;
    let p = model.predict_proba(&x.pick(&val)).await?;
    Ok(crate::metrics::f1_threshold(&pick(&val), &p))
}

/// One fit of a comparison: a seed and a model, on the training rows or the augmented ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub seed: u64,
    pub model: ModelKind,
    pub augmented: bool,
}

/// Every fit of a run of `cfg` in report order (seed by seed, each seed's variants in order),
/// and the order to start them in: the networks, which take longest, first; each seed's
/// augmented fits after its plain ones (they share the seed's one augmenting GAN).
pub fn jobs(cfg: &Checked) -> (Vec<Job>, Vec<usize>) {
    let variants = variants(cfg);
    let jobs: Vec<Job> = (0..cfg.seeds as u64)
        .flat_map(|k| {
            variants.iter().map(move |&(model, augmented)| Job {
                seed: cfg.split.seed + k,
                model,
                augmented,
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| (jobs[i].augmented, !jobs[i].model.is_network()));
    (jobs, order)
}

/// One (model, augmented) pair per slot, in the order they are reported.
fn variants(cfg: &Checked) -> Vec<(ModelKind, bool)> {
    [false, true]
        .iter()
        .filter(|&&aug| !aug || cfg.augment)
        .flat_map(|&aug| cfg.models.models.iter().map(move |&m| (m, aug)))
        .collect()
}

/// A fitted model and its scores, or why it failed.
type Fitted = Result<(FittedModel, SeedRun), Error>;

/// Fits and scores every configured model on `cfg.seeds` leak-free splits of `p`. With
/// `cfg.jobs` other than 1 (natively), the seeds' inputs and then the (seed, model) fits run
/// on threads; the report is the same, timings aside.
pub async fn compare(
    p: &Prepared,
    cfg: &Checked,
    control: &mut Control<'_>,
) -> Result<(RunReport, Vec<SeedFit>), Error> {
    let t0 = now();
    let (jobs, order) = jobs(cfg);
    let threads = crate::jobs::threads(cfg.jobs).min(jobs.len());
    let (inputs, fitted) = if threads > 1 && cfg!(not(target_arch = "wasm32")) {
        on_threads(p, cfg, &jobs, &order, threads, control)?
    } else {
        in_turn(p, cfg, &jobs, control).await?
    };
    let fitted = fitted.into_iter().collect::<Result<Vec<_>, _>>()?;
    finish(p, cfg, inputs, fitted, (now() - t0).as_secs_f64())
}

/// The run of `cfg` from fits made elsewhere (the page's pool of workers): `fitted(i, width)`
/// gives job `i` of [`jobs`] (its model restored for rows `width` wide). The seeds' splits are
/// made again (no model is fitted) and the fits scored on their test rows, so the report is
/// the one [`compare`] makes.
pub fn adopt(
    p: &Prepared,
    cfg: &Checked,
    mut fitted: impl FnMut(usize, usize) -> Result<(FittedModel, FitRecord, Vec<f64>), Error>,
    seconds: f64,
) -> Result<(RunReport, Vec<SeedFit>), Error> {
    let (jobs, _) = jobs(cfg);
    let mut inputs: Vec<SeedInputs> = Vec::new();
    let mut runs = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        if inputs.last().is_none_or(|i| i.seed != job.seed) {
            inputs.push(SeedInputs::new(p, cfg, job.seed)?);
        }
        let input = inputs.last().expect("just made");
        let (model, record, probabilities) = fitted(i, input.pre.feature_names().len())?;
        if (model.kind, model.augmented) != (job.model, job.augmented)
            || probabilities.len() != input.y_test.len()
        {
            return Err(Error::config(format!(
                "the fit sent for {} on seed {} is another model's",
                job.model.label(),
                job.seed
            )));
        }
        runs.push((model, input.run(record, probabilities, cfg.threshold)));
    }
    finish(p, cfg, inputs, runs, seconds)
}

/// The report and the kept pipelines of every seed's fits (`fitted` in job order).
fn finish(
    p: &Prepared,
    cfg: &Checked,
    inputs: Vec<SeedInputs>,
    fitted: Vec<(FittedModel, SeedRun)>,
    seconds: f64,
) -> Result<(RunReport, Vec<SeedFit>), Error> {
    let variants = variants(cfg);
    let mut runs: Vec<Vec<SeedRun>> = vec![Vec::new(); variants.len()];
    let mut majority = Vec::new();
    let mut fits = Vec::new();
    let mut fitted = fitted.into_iter();
    for input in inputs {
        let share = input.share();
        majority.push(share.max(1.0 - share));
        let mut models = Vec::new();
        for runs in runs.iter_mut() {
            let (model, run) = fitted.next().expect("one fit per seed and variant");
            runs.push(run);
            models.push(model);
        }
        fits.push(input.into_fit(p, models));
    }
    let seeds = fits.iter().map(|f| f.pipeline.seed).collect();
    let mut models: Vec<ModelResult> = variants
        .iter()
        .zip(runs)
        .map(|(&(model, augmented), runs)| ModelResult {
            model,
            augmented,
            label: if augmented {
                format!("{} + GAN rows", model.label())
            } else {
                model.label().to_string()
            },
            summary: summarize(&runs),
            runs,
            paired: None,
        })
        .collect();
    pair_against_best(&mut models);
    let first = &fits[0];
    let too_good = warning(p, &models, &first.prep_report, None);
    let report = RunReport {
        inspect: p.report(first.split_report.clone(), first.prep_report.clone()),
        seeds,
        threshold: cfg.threshold,
        majority_accuracy: MeanStd::of(&majority).mean,
        models,
        too_good,
        total_seconds: seconds,
    };
    Ok((report, fits))
}

/// Every seed's inputs and fits one after another (the page's worker, `--jobs 1`), in job
/// order.
async fn in_turn(
    p: &Prepared,
    cfg: &Checked,
    jobs: &[Job],
    control: &mut Control<'_>,
) -> Result<(Vec<SeedInputs>, Vec<Fitted>), Error> {
    let mut inputs: Vec<SeedInputs> = Vec::new();
    let mut fitted = Vec::new();
    for &job in jobs {
        if inputs.last().is_none_or(|i| i.seed != job.seed) {
            inputs.push(SeedInputs::new(p, cfg, job.seed)?);
        }
        let input = inputs.last_mut().expect("just made");
        fitted.push(Ok(input.fit_job(p, job, cfg.threshold, control).await?));
    }
    Ok((inputs, fitted))
}

/// The same on `threads` threads: first every seed's inputs (with the augmented rows where
/// asked for), then every fit in `order`. Progress comes to `control` on this thread; there
/// is no pause (the command line has none).
#[cfg(not(target_arch = "wasm32"))]
fn on_threads(
    p: &Prepared,
    cfg: &Checked,
    jobs: &[Job],
    order: &[usize],
    threads: usize,
    control: &mut Control<'_>,
) -> Result<(Vec<SeedInputs>, Vec<Fitted>), Error> {
    use crate::{block_on, jobs::parallel};
    let seeds: Vec<u64> = (0..cfg.seeds as u64).map(|k| cfg.split.seed + k).collect();
    let mut report = |m: Progress| control.report(m);
    let make = |k: usize, _: &dyn Fn(Progress)| {
        let mut input = SeedInputs::new(p, cfg, seeds[k])?;
        if cfg.augment {
            block_on(input.augment(p))?;
        }
        Ok::<_, Error>(input)
    };
    let all: Vec<usize> = (0..seeds.len()).collect();
    let inputs = parallel(threads, &all, make, &mut report);
    let inputs = inputs.into_iter().collect::<Result<Vec<_>, _>>()?;
    let per_seed = jobs.len() / seeds.len();
    let fit = |i: usize, tell: &dyn Fn(Progress)| {
        let mut told = |m: Progress| tell(m);
        let mut control = Control::new(&mut told);
        block_on(inputs[i / per_seed].fit(jobs[i], cfg.threshold, &mut control))
    };
    let fitted = parallel(threads, order, fit, &mut report);
    Ok((inputs, fitted))
}

#[cfg(target_arch = "wasm32")]
fn on_threads(
    _: &Prepared,
    _: &Checked,
    _: &[Job],
    _: &[usize],
    _: usize,
    _: &mut Control<'_>,
) -> Result<(Vec<SeedInputs>, Vec<Fitted>), Error> {
    unreachable!("the page runs its jobs on a pool of workers, not threads")
}

/// One model of `job` fitted on `x`, `y`; its record and the test rows' probabilities.
async fn fit_one(
    job: Job,
    opts: &ModelOptions,
    x: &Matrix,
    y: &[bool],
    x_test: &Matrix,
    control: &mut Control<'_>,
) -> Result<(Box<dyn crate::models::Classifier>, FitRecord, Vec<f64>), Error> {
    let Job {
        seed,
        model: kind,
        augmented,
    } = job;
    control.report(Progress::Fit {
        model: kind,
        seed,
        augmented,
    });
    let mut model = build(kind, opts)?;
    let start = now();
    let pause = control.pause;
    let mut on_epoch = |stats: &EpochStats| {
        control.report(Progress::Epoch {
            model: kind,
            seed,
            stats: stats.clone(),
        })
    };
    let mut hooks = Hooks::new(&mut on_epoch, pause);
    model.fit(x, y, seed, &mut hooks).await?;
    let train_seconds = (now() - start - hooks.paused()).as_secs_f64();
    let start = now();
    let p = model.predict_proba(x_test).await?;
    let record = FitRecord {
        train_seconds,
        predict_seconds: (now() - start).as_secs_f64(),
        history: model.history().to_vec(),
        note: model.note(),
        threshold: None,
    };
    Ok((model, record, p))
}

#[cfg(feature = "nn")]
async fn augmented_rows(
    p: &Prepared,
    pre: &Preprocessor,
    opts: &ModelOptions,
    x: &Matrix,
    y: &[bool],
    seed: u64,
) -> Result<(Matrix, Vec<bool>), Error> {
    use crate::models::Classifier;
    let mut gan = crate::models::nn::Gan::new(opts.nn.clone());
    gan.fit(x, y, seed, &mut Hooks::none()).await?;
    let positives = y.iter().filter(|&&b| b).count();
    let missing = y.len() - 2 * positives.min(y.len() / 2);
    let (_, classes, extra) = crate::synthetic::generate(
        &p.table,
        &p.schema,
        pre,
        &gan,
        &[(missing, true)],
        seed ^ 0xA11,
    )
    .await?;
    Ok((x.stack(&extra), [y, classes.as_slice()].concat()))
}

#[cfg(not(feature = "nn"))]
async fn augmented_rows(
    _: &Prepared,
    _: &Preprocessor,
    _: &ModelOptions,
    _: &Matrix,
    _: &[bool],
    _: u64,
) -> Result<(Matrix, Vec<bool>), Error> {
    Err(Error::config("augmentation needs the GAN (feature 'nn')"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::evaluate;

    fn result(model: ModelKind, f1s: &[(bool, bool)]) -> ModelResult {
        // Each seed: one churner and one other, predicted (churner right, other right).
        let runs: Vec<SeedRun> = f1s
            .iter()
            .enumerate()
            .map(|(seed, &(tp, tn))| {
                let p = [if tp { 0.9 } else { 0.1 }, if tn { 0.1 } else { 0.9 }];
                SeedRun {
                    seed: seed as u64,
                    scores: evaluate(&[true, false], &p, 0.5),
                    train_seconds: 0.0,
                    predict_seconds: 0.0,
                    roc: Vec::new(),
                    history: Vec::new(),
                    test_probabilities: p.to_vec(),
                    note: None,
                    tuned: None,
                }
            })
            .collect();
        ModelResult {
            model,
            augmented: false,
            label: model.label().into(),
            summary: summarize(&runs),
            runs,
            paired: None,
        }
    }

    #[test]
    fn every_model_is_paired_with_the_best_classical_one_seed_by_seed() {
        let mut models = vec![
            result(ModelKind::Gan, &[(true, true), (true, false)]),
            result(
                ModelKind::LogisticRegression,
                &[(false, true), (false, true)],
            ),
            result(ModelKind::RandomForest, &[(true, false), (true, true)]),
        ];
        pair_against_best(&mut models);
        // The forest (F1 2/3 and 1) is the best classical model; it is not paired with itself.
        assert!(models[2].paired.is_none());
        let gan = models[0].paired.as_ref().unwrap();
        assert_eq!(gan.against, "Random Forest");
        // Seed 0: GAN F1 1 vs 2/3; seed 1: 2/3 vs 1 → +33.3 and −33.3 points.
        assert!(
            gan.f1.mean.abs() < 1e-9 && (gan.f1.std - 47.14).abs() < 0.01,
            "{gan:?}"
        );
        assert_eq!(gan.wins, 1);
        let lr = models[1].paired.as_ref().unwrap();
        assert_eq!((lr.wins, lr.accuracy.mean), (0, -25.0));
        // One seed: nothing to pair.
        let mut one = vec![
            result(ModelKind::Gan, &[(true, true)]),
            result(ModelKind::Knn, &[(true, true)]),
        ];
        pair_against_best(&mut one);
        assert!(one.iter().all(|m| m.paired.is_none()));
    }
}
