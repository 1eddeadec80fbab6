//! The one entry point that the CLI and the web page share: bytes of a table in, every stage's
//! report out — [`inspect`] up to the model inputs, [`run`] through the models and their scores.

use serde::{Deserialize, Serialize};

use crate::clean::{CleanOptions, CleanReport, clean};
use crate::explore::{Exploration, explore};
use crate::ingest::{IngestOptions, SourceReport, Table, load};
use crate::metrics::{Scores, evaluate, roc_curve};
use crate::models::{EpochStats, ModelKind, ModelOptions, build};
use crate::preprocess::{Matrix, PrepOptions, PrepReport, Preprocessor};
use crate::schema::{Schema, SchemaOptions, infer};
use crate::split::{Split, SplitOptions, SplitReport, stratified};
use crate::{Error, now};

/// Every stage's options; each part and field may be left out (defaults apply).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct Config {
    pub ingest: IngestOptions,
    pub schema: SchemaOptions,
    pub clean: CleanOptions,
    pub split: SplitOptions,
    pub preprocess: PrepOptions,
    pub models: ModelOptions,
    /// `run` repeats split, fitting and scoring with seeds `split.seed`, `split.seed + 1`, …
    pub seeds: usize,
    /// Churn is predicted at probability ≥ threshold.
    pub threshold: f64,
    /// Also fit every model on the training rows plus GAN-generated churners (as many as
    /// balance the classes), reported as rows of their own.
    pub augment: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ingest: IngestOptions::default(),
            schema: SchemaOptions::default(),
            clean: CleanOptions::default(),
            split: SplitOptions::default(),
            preprocess: PrepOptions::default(),
            models: ModelOptions::default(),
            seeds: 1,
            threshold: 0.5,
            augment: false,
        }
    }
}

/// What `churnlab inspect` prints: one part per stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectReport {
    pub source: SourceReport,
    pub schema: Schema,
    pub exploration: Exploration,
    pub cleaning: CleanReport,
    pub split: SplitReport,
    pub preprocessing: PrepReport,
}

/// A table taken through every stage up to the model inputs.
pub struct Prepared {
    pub table: Table,
    pub schema: Schema,
    pub preprocessor: Preprocessor,
    /// Training rows (after any outlier drop) and test rows, as table row indices.
    pub split: Split,
    pub report: InspectReport,
}

impl Prepared {
    pub fn labels(&self, rows: &[usize]) -> Vec<bool> {
        self.schema.churned(rows)
    }

    pub fn train_inputs(&self) -> Matrix {
        self.preprocessor.transform(&self.table, &self.split.train)
    }

    pub fn test_inputs(&self) -> Matrix {
        self.preprocessor.transform(&self.table, &self.split.test)
    }
}

/// The stages before the split, which do not depend on the seed.
struct Loaded {
    table: Table,
    schema: Schema,
    source: SourceReport,
    exploration: Exploration,
    cleaning: CleanReport,
    rows: Vec<usize>,
}

fn load_and_clean(bytes: &[u8], file_name: &str, cfg: &Config) -> Result<Loaded, Error> {
    let (mut table, source) = load(bytes, file_name, &cfg.ingest)?;
    let schema = infer(&mut table, &cfg.schema)?;
    if schema.features().is_empty() {
        return Err(Error::input(
            "no feature columns to learn from: every column is the target, an ID, constant, empty or ignored",
        ));
    }
    let exploration = explore(&table, &schema);
    let cleaned = clean(&mut table, &schema, &cfg.clean)?;
    Ok(Loaded {
        table,
        schema,
        source,
        exploration,
        cleaning: cleaned.report,
        rows: cleaned.rows,
    })
}

/// Split with `seed` and fit the preprocessing on the training part.
fn split_and_fit(
    l: &Loaded,
    cfg: &Config,
    seed: u64,
) -> Result<(Split, SplitReport, Preprocessor, PrepReport), Error> {
    let opts = SplitOptions {
        seed,
        ..cfg.split.clone()
    };
    let split = stratified(&l.rows, &l.schema.labels, &opts)?;
    let report = split.report(&l.schema.labels, &opts);
    let fitted = Preprocessor::fit(&l.table, &l.schema, &split, &cfg.preprocess)?;
    let split = Split {
        train: fitted.train,
        test: split.test,
    };
    Ok((split, report, fitted.preprocessor, fitted.report))
}

/// Runs ingest → schema → explore → clean → split → preprocess.
pub fn prepare(bytes: &[u8], file_name: &str, cfg: &Config) -> Result<Prepared, Error> {
    let l = load_and_clean(bytes, file_name, cfg)?;
    let (split, split_report, preprocessor, prep_report) = split_and_fit(&l, cfg, cfg.split.seed)?;
    Ok(Prepared {
        report: InspectReport {
            source: l.source,
            schema: l.schema.clone(),
            exploration: l.exploration,
            cleaning: l.cleaning,
            split: split_report,
            preprocessing: prep_report,
        },
        table: l.table,
        schema: l.schema,
        preprocessor,
        split,
    })
}

/// The report of [`prepare`], for `churnlab inspect` and the page's first screens.
pub fn inspect(bytes: &[u8], file_name: &str, cfg: &Config) -> Result<InspectReport, Error> {
    prepare(bytes, file_name, cfg).map(|p| p.report)
}

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
    /// ROC points (false positive rate, true positive rate) on the test rows.
    pub roc: Vec<(f64, f64)>,
    /// Per-epoch statistics (neural models).
    pub history: Vec<EpochStats>,
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
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelResult {
    pub model: ModelKind,
    /// Trained on the training rows plus GAN-generated churners.
    pub augmented: bool,
    pub label: String,
    pub runs: Vec<SeedRun>,
    pub summary: Summary,
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
    pub total_seconds: f64,
}

/// Progress of [`run`], for live displays.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Progress<'a> {
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
        stats: &'a EpochStats,
    },
    /// A model was scored on a seed's test rows.
    Scored {
        model: ModelKind,
        seed: u64,
        augmented: bool,
        scores: &'a Scores,
    },
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
    }
}

/// Fits and scores every configured model on `cfg.seeds` leak-free splits.
pub fn run(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunReport, Error> {
    crate::block_on(run_async(bytes, file_name, cfg, progress))
}

/// [`run`] for callers that must not block (the page, where the networks may be on WebGPU).
pub async fn run_async(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunReport, Error> {
    let t0 = now();
    if cfg.seeds == 0 {
        return Err(Error::config("seeds must be at least 1"));
    }
    if cfg.models.models.is_empty() {
        return Err(Error::config("no model to run"));
    }
    let l = load_and_clean(bytes, file_name, cfg)?;
    let seeds: Vec<u64> = (0..cfg.seeds as u64).map(|k| cfg.split.seed + k).collect();
    // One slot per (model, augmented) pair, in the order they are reported.
    let variants: Vec<(ModelKind, bool)> = [false, true]
        .iter()
        .filter(|&&aug| !aug || cfg.augment)
        .flat_map(|&aug| cfg.models.models.iter().map(move |&m| (m, aug)))
        .collect();
    let mut runs: Vec<Vec<SeedRun>> = vec![Vec::new(); variants.len()];
    let mut first_report = None;
    let mut majority = Vec::new();
    for &seed in &seeds {
        let (split, split_report, pre, prep_report) = split_and_fit(&l, cfg, seed)?;
        let (y_train, y_test) = (
            l.schema.churned(&split.train),
            l.schema.churned(&split.test),
        );
        let (x_train, x_test) = (
            pre.transform(&l.table, &split.train),
            pre.transform(&l.table, &split.test),
        );
        let pos = y_test.iter().filter(|&&b| b).count() as f64 / y_test.len() as f64;
        majority.push(pos.max(1.0 - pos));
        first_report.get_or_insert((split_report, prep_report));
        let augmented_rows: Option<(Matrix, Vec<bool>)> = if cfg.augment {
            #[cfg(feature = "nn")]
            {
                Some(augmented(&l, &pre, cfg, &x_train, &y_train, seed).await?)
            }
            #[cfg(not(feature = "nn"))]
            {
                return Err(Error::config("augmentation needs the GAN (feature 'nn')"));
            }
        } else {
            None
        };
        let models = model_options(cfg, &pre);
        for (k, &(kind, augmented)) in variants.iter().enumerate() {
            let (x, y) = match (&augmented_rows, augmented) {
                (Some((x, y)), true) => (x, y.as_slice()),
                _ => (&x_train, y_train.as_slice()),
            };
            progress(Progress::Fit {
                model: kind,
                seed,
                augmented,
            });
            let mut model = build(kind, &models)?;
            let (start, paused) = (now(), crate::models::paused());
            model
                .fit_async(x, y, seed, &mut |stats| {
                    progress(Progress::Epoch {
                        model: kind,
                        seed,
                        stats,
                    })
                })
                .await?;
            let train_seconds = (now() - start - (crate::models::paused() - paused)).as_secs_f64();
            let p = model.predict_proba_async(&x_test).await?;
            let scores = evaluate(&y_test, &p, cfg.threshold);
            progress(Progress::Scored {
                model: kind,
                seed,
                augmented,
                scores: &scores,
            });
            crate::models::pause_point().await;
            runs[k].push(SeedRun {
                seed,
                roc: roc_curve(&y_test, &p),
                scores,
                train_seconds,
                history: model.history().to_vec(),
            });
        }
    }
    let (split_report, prep_report) = first_report.expect("at least one seed ran");
    let models = variants
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
        })
        .collect();
    Ok(RunReport {
        inspect: InspectReport {
            source: l.source,
            schema: l.schema,
            exploration: l.exploration,
            cleaning: l.cleaning,
            split: split_report,
            preprocessing: prep_report,
        },
        seeds,
        threshold: cfg.threshold,
        majority_accuracy: MeanStd::of(&majority).mean,
        models,
        total_seconds: (now() - t0).as_secs_f64(),
    })
}

/// Synthetic customers from the GAN's generator, with their resemblance to the training rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyntheticReport {
    pub rows: usize,
    pub churners: usize,
    pub seed: u64,
    pub quality: crate::synthetic::Quality,
    /// The rows as CSV with the input's header (IDs `SYN-1…`; formula-like text neutralised).
    #[serde(skip)]
    pub csv: String,
}

/// The models' settings, with the generator heads of this fitted preprocessing if asked for.
fn model_options(cfg: &Config, pre: &Preprocessor) -> ModelOptions {
    let mut models = cfg.models.clone();
    if models.nn.generator_heads {
        models.nn.heads = Some(pre.output_heads());
    }
    models
}

/// Fits the GAN on the training rows of `cfg.split.seed`'s split and generates `rows` customers,
/// churners in the training rows' proportion.
#[cfg(feature = "nn")]
pub fn synthesize(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    rows: usize,
    seed: u64,
) -> Result<SyntheticReport, Error> {
    crate::block_on(synthesize_async(bytes, file_name, cfg, rows, seed))
}

/// [`synthesize`] for callers that must not block.
#[cfg(feature = "nn")]
pub async fn synthesize_async(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    rows: usize,
    seed: u64,
) -> Result<SyntheticReport, Error> {
    use crate::models::Classifier;
    if rows == 0 {
        return Err(Error::config("ask for at least one synthetic row"));
    }
    let l = load_and_clean(bytes, file_name, cfg)?;
    let (split, _, pre, _) = split_and_fit(&l, cfg, cfg.split.seed)?;
    let y = l.schema.churned(&split.train);
    let x_train = pre.transform(&l.table, &split.train);
    let mut gan = crate::models::nn::Gan::new(model_options(cfg, &pre).nn);
    gan.fit_async(&x_train, &y, seed, &mut |_| {}).await?;
    let rate = y.iter().filter(|&&b| b).count() as f64 / y.len() as f64;
    let churners = ((rows as f64 * rate).round() as usize).min(rows);
    let (synth, classes, x_synth) = generate(
        &l,
        &pre,
        &gan,
        &[(churners, true), (rows - churners, false)],
        seed,
    )
    .await?;
    let mut quality = synth.quality(&l.table, &l.schema, &split.train);
    let (detection_auc, tstr, trtr) = synthetic_checks(
        &x_train,
        &y,
        &x_synth,
        &classes,
        &pre.transform(&l.table, &split.test),
        &l.schema.churned(&split.test),
        seed,
    )?;
    quality.detection_auc = detection_auc;
    quality.detection_score = detection_auc.map(|a| 1.0 - (2.0 * a.max(0.5) - 1.0));
    quality.tstr_f1 = Some(tstr);
    quality.trtr_f1 = Some(trtr);
    Ok(SyntheticReport {
        rows,
        churners,
        seed,
        quality,
        csv: synth.to_csv(&l.table),
    })
}

/// Detection AUC (real training rows against synthetic rows, logistic regression, 30 % held
/// out), then the test F1 of a 100-tree forest trained on synthetic rows and on real rows.
#[cfg(feature = "nn")]
fn synthetic_checks(
    x_train: &Matrix,
    y_train: &[bool],
    x_synth: &Matrix,
    y_synth: &[bool],
    x_test: &Matrix,
    y_test: &[bool],
    seed: u64,
) -> Result<(Option<f64>, f64, f64), Error> {
    use crate::models::Classifier;
    use crate::models::baselines::Logistic;
    use crate::models::forest::Forest;
    let both = Matrix {
        rows: x_train.rows + x_synth.rows,
        cols: x_train.cols,
        data: [x_train.data.as_slice(), x_synth.data.as_slice()].concat(),
    };
    let is_synth: Vec<Option<bool>> = (0..both.rows).map(|i| Some(i >= x_train.rows)).collect();
    let all: Vec<usize> = (0..both.rows).collect();
    let parts = stratified(
        &all,
        &is_synth,
        &SplitOptions {
            test_fraction: 0.3,
            seed,
        },
    )?;
    let pick = |rows: &[usize]| Matrix {
        rows: rows.len(),
        cols: both.cols,
        data: rows.iter().flat_map(|&r| both.row(r).to_vec()).collect(),
    };
    let labels =
        |rows: &[usize]| -> Vec<bool> { rows.iter().map(|&r| r >= x_train.rows).collect() };
    let mut detector = Logistic::new(1.0);
    detector.fit(
        &pick(&parts.train),
        &labels(&parts.train),
        seed,
        &mut |_| {},
    )?;
    let auc = crate::metrics::roc_auc(
        &labels(&parts.test),
        &detector.predict_proba(&pick(&parts.test))?,
    );
    let f1_of = |x: &Matrix, y: &[bool]| -> Result<f64, Error> {
        let mut forest = Forest::new(100, None);
        forest.fit(x, y, seed, &mut |_| {})?;
        Ok(evaluate(y_test, &forest.predict_proba(x_test)?, 0.5).f1)
    };
    Ok((auc, f1_of(x_synth, y_synth)?, f1_of(x_train, y_train)?))
}

/// Generated customers of the given `(count, churn)` classes: assembled into the input's
/// columns, their classes, and their model inputs (encoded exactly like real rows, by appending
/// them to a copy of the table).
#[cfg(feature = "nn")]
async fn generate(
    l: &Loaded,
    pre: &Preprocessor,
    gan: &crate::models::nn::Gan,
    counts: &[(usize, bool)],
    seed: u64,
) -> Result<(crate::synthetic::Rows, Vec<bool>, Matrix), Error> {
    let mut decoded = Vec::new();
    let mut classes = Vec::new();
    for &(n, churn) in counts.iter().filter(|(n, _)| *n > 0) {
        let x = gan.generate(n, churn, seed ^ u64::from(churn)).await?;
        decoded.extend(pre.decode(&l.table, &x));
        classes.extend(std::iter::repeat_n(churn, n));
    }
    let rows = crate::synthetic::assemble(&l.table, &l.schema, decoded, &classes);
    let mut table = l.table.clone();
    let added: Vec<usize> = table.append_rows(&rows.cells).collect();
    let x = pre.transform(&table, &added);
    Ok((rows, classes, x))
}

/// The training rows plus GAN-generated churners, up to as many as the non-churners.
#[cfg(feature = "nn")]
async fn augmented(
    l: &Loaded,
    pre: &Preprocessor,
    cfg: &Config,
    x: &Matrix,
    y: &[bool],
    seed: u64,
) -> Result<(Matrix, Vec<bool>), Error> {
    use crate::models::Classifier;
    let mut gan = crate::models::nn::Gan::new(model_options(cfg, pre).nn);
    gan.fit_async(x, y, seed, &mut |_| {}).await?;
    let positives = y.iter().filter(|&&b| b).count();
    let missing = y.len() - 2 * positives.min(y.len() / 2);
    let (_, classes, extra) = generate(l, pre, &gan, &[(missing, true)], seed ^ 0xA11).await?;
    let data = [x.data.as_slice(), extra.data.as_slice()].concat();
    Ok((
        Matrix {
            rows: x.rows + extra.rows,
            cols: x.cols,
            data,
        },
        [y, classes.as_slice()].concat(),
    ))
}

/// Every customer of the table scored by one model fitted on the training rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredReport {
    pub model: ModelKind,
    pub rows: usize,
    /// Rows per risk segment: `high` (p ≥ 0.5), `medium` (0.2 ≤ p < 0.5), `low`.
    pub segments: [(String, usize); 3],
    /// The input's columns plus `churn_probability` and `risk_segment` (formula-like text
    /// neutralised).
    #[serde(skip)]
    pub csv: String,
}

/// The risk segment of a churn probability.
pub fn segment(p: f64) -> &'static str {
    if p >= 0.5 {
        "high"
    } else if p >= 0.2 {
        "medium"
    } else {
        "low"
    }
}

/// Fits `model` on the training rows of `cfg.split.seed`'s split and scores every row of the
/// table (test rows, duplicates and rows without a target included).
pub fn score(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    model: ModelKind,
) -> Result<ScoredReport, Error> {
    crate::block_on(score_async(bytes, file_name, cfg, model))
}

/// [`score`] for callers that must not block.
pub async fn score_async(
    bytes: &[u8],
    file_name: &str,
    cfg: &Config,
    model: ModelKind,
) -> Result<ScoredReport, Error> {
    let l = load_and_clean(bytes, file_name, cfg)?;
    let (split, _, pre, _) = split_and_fit(&l, cfg, cfg.split.seed)?;
    let y = l.schema.churned(&split.train);
    let mut m = build(model, &model_options(cfg, &pre))?;
    let x_train = pre.transform(&l.table, &split.train);
    m.fit_async(&x_train, &y, cfg.split.seed, &mut |_| {})
        .await?;
    let all: Vec<usize> = (0..l.table.n_rows).collect();
    let p = m
        .predict_proba_async(&pre.transform(&l.table, &all))
        .await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = l
        .table
        .columns
        .iter()
        .map(|c| crate::synthetic::neutralize(&c.name))
        .collect();
    header.extend(["churn_probability".into(), "risk_segment".into()]);
    w.write_record(&header)
        .map_err(|e| Error::input(e.to_string()))?;
    let mut counts = [0usize; 3];
    for (row, &prob) in p.iter().enumerate() {
        let mut cells: Vec<String> = l
            .table
            .columns
            .iter()
            .map(|c| {
                c.text(row)
                    .map(|t| crate::synthetic::neutralize(&t))
                    .unwrap_or_default()
            })
            .collect();
        let seg = segment(prob);
        counts[["high", "medium", "low"]
            .iter()
            .position(|s| *s == seg)
            .unwrap_or(2)] += 1;
        cells.extend([format!("{prob:.4}"), seg.to_string()]);
        w.write_record(&cells)
            .map_err(|e| Error::input(e.to_string()))?;
    }
    let csv = String::from_utf8(w.into_inner().map_err(|e| Error::input(e.to_string()))?)
        .map_err(|e| Error::input(e.to_string()))?;
    Ok(ScoredReport {
        model,
        rows: p.len(),
        segments: [
            ("high".into(), counts[0]),
            ("medium".into(), counts[1]),
            ("low".into(), counts[2]),
        ],
        csv,
    })
}
