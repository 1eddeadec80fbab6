//! `churnlab`: the command-line shell over [`churnlab::session::Session`]. It parses arguments
//! (one derived struct per command), reads the file, waits for the library's futures at this
//! edge and prints; every decision lives in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use churnlab::charts;
use churnlab::clean::LabelMap;
use churnlab::compare::{Control, Progress, RunReport};
use churnlab::config::{Checked, Config};
use churnlab::explain::Importance;
use churnlab::fitted::{ScoreOptions, ScoredReport};
use churnlab::marketing::Campaign;
use churnlab::models::{Backend, ModelKind};
use churnlab::prepare::InspectReport;
use churnlab::preprocess::{Impute, Keep, Outliers, ScoreBy};
use churnlab::report::{inspect_text, run_text};
use churnlab::session::Session;
use churnlab::{Error, ErrorKind, block_on};

/// churnlab — customer-churn pipeline: inspect a table, train and compare models, score
/// customers, generate synthetic ones. Bad input exits with 1, bad options with 2.
#[derive(Parser)]
#[command(name = "churnlab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Schema, exploration, cleaning and split report of a table.
    Inspect(InspectArgs),
    /// Train and compare the GAN and the baselines (optionally save a model file).
    Run(RunArgs),
    /// Fit the GAN and write synthetic customers as CSV.
    Synth(SynthArgs),
    /// Every customer's churn probability and risk segment, from a model file or a fresh fit.
    Score(ScoreArgs),
    /// Write the generated sample table as CSV.
    Sample(SampleArgs),
}

#[derive(Args)]
struct InspectArgs {
    #[command(flatten)]
    table: TableArgs,
    /// Also write the charts as SVG files into DIR.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    /// Also write the split's model inputs into DIR as train.csv and test.csv (the row's
    /// number, its inputs as the models see them, its class), to check the models against
    /// other tools on the same rows.
    #[arg(long, value_name = "DIR")]
    write_inputs: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    table: TableArgs,
    #[command(flatten)]
    train: TrainArgs,
    /// Also write the charts as SVG files into DIR.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    /// Repeat over seeds seed … seed+N−1 and report mean ± std (default 1).
    #[arg(long, value_name = "N")]
    seeds: Option<usize>,
    /// Models to train, e.g. gan,lr,rf,nb,knn,mlp (default: all).
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = model_kind)]
    models: Option<Vec<ModelKind>>,
    /// Also fit each model on real + GAN-generated churners (rows of their own).
    #[arg(long)]
    augment: bool,
    /// Also choose each model's F1-optimal threshold on validation rows carved from the
    /// training rows, and report the test scores at it beside those at --threshold.
    #[arg(long)]
    f1_thresholds: bool,
    /// Write a model file of the first seed's fitted pipeline and models to FILE.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

#[derive(Args)]
struct SynthArgs {
    #[command(flatten)]
    table: TableArgs,
    #[command(flatten)]
    train: TrainArgs,
    /// How many synthetic customers.
    #[arg(long, default_value_t = 1000)]
    rows: usize,
    /// Write the CSV to FILE (default: stdout, unless --json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ScoreArgs {
    #[command(flatten)]
    table: TableArgs,
    #[command(flatten)]
    train: TrainArgs,
    /// The model that scores (default: the GAN, or the model file's first model).
    #[arg(long, value_parser = model_kind)]
    model: Option<ModelKind>,
    /// Score with the pipeline and model of this model file: nothing is fitted.
    #[arg(long, value_name = "FILE")]
    load: Option<PathBuf>,
    /// Write the CSV to FILE (default: stdout, unless --json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Explain every score: add the N strongest reasons per customer as reason_1..N columns.
    #[arg(long, value_name = "N")]
    reasons: Option<usize>,
    /// Column orders per customer of the sampling explanation (networks, KNN, naive Bayes).
    #[arg(long, value_name = "N", default_value_t = 16)]
    samples: usize,
    /// Write the customer segments (risk × dominant reason, with actions) as CSV to FILE.
    #[arg(long, value_name = "FILE")]
    segments: Option<PathBuf>,
    /// Also write the importance charts (with --reasons) and the campaign's net value by
    /// threshold as SVG files into DIR.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    #[command(flatten)]
    campaign: CampaignArgs,
}

/// The campaign what-if at the decision threshold (--threshold).
#[derive(Args)]
struct CampaignArgs {
    /// Cost of one retention offer.
    #[arg(long, value_name = "C", default_value_t = 10.0)]
    offer_cost: f64,
    /// What keeping a customer who would have churned is worth.
    #[arg(long, value_name = "V", default_value_t = 200.0)]
    customer_value: f64,
    /// Share of contacted churners the offer keeps (0 to 1).
    #[arg(long, value_name = "S", default_value_t = 0.3)]
    success_rate: f64,
}

impl CampaignArgs {
    fn campaign(&self) -> churnlab::marketing::Campaign {
        churnlab::marketing::Campaign {
            offer_cost: self.offer_cost,
            customer_value: self.customer_value,
            success_rate: self.success_rate,
        }
    }
}

#[derive(Args)]
struct SampleArgs {
    #[arg(long, default_value_t = 5000)]
    rows: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Write to FILE (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The table, how to read and clean it, and how to split and preprocess it.
#[derive(Args)]
struct TableArgs {
    /// The table: CSV (any common delimiter) or a spreadsheet (.xlsx, .xls, .ods).
    file: PathBuf,
    /// One JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Options as JSON (the page's format); the flags below override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Target column (default: found by name).
    #[arg(long, value_name = "COL")]
    target: Option<String>,
    /// The positive (churn) class.
    #[arg(long, value_name = "LABEL")]
    positive: Option<String>,
    /// Spreadsheet sheet (default: the largest).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// CSV delimiter: , ; | or tab (default: detected).
    #[arg(long, value_name = "C", value_parser = delimiter)]
    delimiter: Option<char>,
    /// Read these columns as categorical.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    categorical: Vec<String>,
    /// Read these columns as numeric.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    numeric: Vec<String>,
    /// Leave these columns out.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Treat these columns as IDs.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    id: Vec<String>,
    /// Keep these columns as features whatever they look like.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    feature: Vec<String>,
    /// Named label mapping (ecommerce-churn).
    #[arg(long, value_name = "NAME")]
    preset: Option<String>,
    /// Merge a label into another: [COL:]FROM=TO (repeatable).
    #[arg(long = "map", value_name = "[COL:]FROM=TO", value_parser = label_map)]
    maps: Vec<LabelMap>,
    /// Keep labels exactly as written.
    #[arg(long)]
    no_normalize_labels: bool,
    /// Keep duplicate rows.
    #[arg(long)]
    no_dedupe: bool,
    /// Test fraction (default 0.3).
    #[arg(long, value_name = "F")]
    test_size: Option<f64>,
    /// Split seed (default 0).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    #[arg(long, value_enum)]
    impute: Option<ImputeArg>,
    /// Outlier handling (default clip, at 1.5 × IQR).
    #[arg(long, value_enum)]
    outliers: Option<OutliersArg>,
    #[arg(long, value_name = "K")]
    iqr_k: Option<f64>,
    #[arg(long)]
    no_scale: bool,
    /// Feature selection: all, top:K or min:SCORE.
    #[arg(long, value_name = "all|top:K|min:S", value_parser = keep)]
    select: Option<Keep>,
    #[arg(long, value_enum)]
    score_by: Option<ScoreByArg>,
    /// Keep these columns as features although each alone predicts the target almost perfectly.
    #[arg(long, value_name = "COL,...", value_delimiter = ',')]
    keep_leaky: Vec<String>,
    /// Flag a feature as a likely leak when its ROC-AUC alone reaches X (default 0.99).
    #[arg(long, value_name = "X")]
    leak_auc: Option<f64>,
    /// Categorical features with more levels than N are encoded as one input, the level's
    /// share of the training rows (default 50).
    #[arg(long, value_name = "N")]
    one_hot_max: Option<usize>,
    /// Levels with fewer training rows than N share one "other" input (default 10)
    #[arg(long, value_name = "N")]
    min_level_rows: Option<usize>,
}

/// The models' settings.
#[derive(Args)]
struct TrainArgs {
    /// Epochs of the GAN and the MLP (default 20).
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    #[arg(long, value_name = "N")]
    batch_size: Option<usize>,
    /// Width of both hidden layers.
    #[arg(long, value_name = "N")]
    hidden: Option<usize>,
    /// Learning rate of the classifier (the GAN's discriminator; default 0.002).
    #[arg(long, value_name = "X")]
    lr: Option<f64>,
    /// Learning rate of the GAN's generator.
    #[arg(long, value_name = "X")]
    g_lr: Option<f64>,
    #[arg(long, value_name = "true|false")]
    cosine: Option<bool>,
    #[arg(long, value_name = "W")]
    unsupervised_weight: Option<f64>,
    /// Stop when the validation loss has not improved for N epochs.
    #[arg(long, value_name = "N")]
    patience: Option<usize>,
    /// Piecewise-linear encodings of the discriminator's continuous inputs with N quantile
    /// bins (default 16; 0: none).
    #[arg(long, value_name = "N")]
    embedding_bins: Option<usize>,
    /// Class heads of the MLP and the discriminator, averaged (default 8).
    #[arg(long, value_name = "K")]
    ensemble: Option<usize>,
    /// Label smoothing of the class loss (default 0).
    #[arg(long, value_name = "E")]
    label_smoothing: Option<f64>,
    /// TabM-mini: each class head also gets its own adapter on the inputs (needs
    /// --ensemble 2 or more; default false).
    #[arg(long, value_name = "true|false")]
    adapters: Option<bool>,
    /// AdamW weight decay of the classifier (default 0.01; 0: Adam).
    #[arg(long, value_name = "W")]
    weight_decay: Option<f64>,
    /// Keep the epoch of the lowest validation loss, unless the last is more accurate on
    /// the validation rows (default true).
    #[arg(long, value_name = "true|false")]
    keep_best: Option<bool>,
    /// Gumbel-softmax heads for categorical columns (default false).
    #[arg(long, value_name = "true|false")]
    generator_heads: Option<bool>,
    /// Where the networks run (gpu: a build with feature 'wgpu').
    #[arg(long, value_enum)]
    backend: Option<BackendArg>,
    #[arg(long, value_name = "N")]
    rf_trees: Option<u16>,
    /// Features tried per split (default √d).
    #[arg(long, value_name = "M")]
    rf_features: Option<usize>,
    #[arg(long, value_name = "N")]
    knn_k: Option<usize>,
    /// Churn at probability ≥ P (default 0.5).
    #[arg(long, value_name = "P")]
    threshold: Option<f64>,
    /// Threads for the independent fits (seeds × models; default 0: every core). The results
    /// are the same for any N; fit times measured side by side share the cores.
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImputeArg {
    Median,
    Mean,
    Indicator,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutliersArg {
    None,
    Clip,
    Drop,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScoreByArg {
    Mi,
    Correlation,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Cpu,
    Gpu,
    /// The GPU through burn's tensor ops, without the fused kernels (to compare).
    GpuOps,
}

fn model_kind(s: &str) -> Result<ModelKind, String> {
    ModelKind::parse(s).map_err(|e| e.message)
}

fn delimiter(s: &str) -> Result<char, String> {
    match s {
        "tab" | "\\t" => Ok('\t'),
        _ if s.chars().count() == 1 => Ok(s.chars().next().unwrap_or(',')),
        _ => Err("one character, or 'tab'".into()),
    }
}

fn label_map(s: &str) -> Result<LabelMap, String> {
    let (column, pair) = match s.split_once(':') {
        Some((c, p)) if p.contains('=') => (Some(c.to_string()), p),
        _ => (None, s),
    };
    let (from, to) = pair.split_once('=').ok_or("write [COL:]FROM=TO")?;
    Ok(LabelMap {
        column,
        from: from.into(),
        to: to.into(),
    })
}

fn keep(s: &str) -> Result<Keep, String> {
    let bad = || "all, top:K or min:SCORE".to_string();
    match s.split_once(':') {
        None if s == "all" => Ok(Keep::All),
        Some(("top", k)) => k.parse().map(Keep::Top).map_err(|_| bad()),
        Some(("min", v)) => v.parse().map(Keep::MinScore).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

impl TableArgs {
    /// The config file (if any) with these flags applied over it.
    fn config(&self) -> Result<Config, Error> {
        let mut c = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    Error::config(format!("cannot read config '{}': {e}", path.display()))
                })?;
                Config::from_json(&text)
                    .map_err(|e| Error::config(format!("config '{}': {e}", path.display())))?
            }
            None => Config::default(),
        };
        set(&mut c.schema.target, self.target.clone().map(Some));
        set(&mut c.schema.positive, self.positive.clone().map(Some));
        set(&mut c.ingest.sheet, self.sheet.clone().map(Some));
        set(&mut c.ingest.delimiter, self.delimiter.map(Some));
        c.schema
            .categorical
            .extend(self.categorical.iter().cloned());
        c.schema.numeric.extend(self.numeric.iter().cloned());
        c.schema.ignore.extend(self.ignore.iter().cloned());
        c.schema.ids.extend(self.id.iter().cloned());
        c.schema.features.extend(self.feature.iter().cloned());
        set(&mut c.clean.preset, self.preset.clone().map(Some));
        c.clean.label_map.extend(self.maps.iter().cloned());
        c.clean.normalize_labels &= !self.no_normalize_labels;
        c.clean.dedupe &= !self.no_dedupe;
        set(&mut c.split.test_fraction, self.test_size);
        set(&mut c.split.seed, self.seed);
        self.preprocessing(&mut c);
        Ok(c)
    }

    fn preprocessing(&self, c: &mut Config) {
        let p = &mut c.preprocess;
        set(
            &mut p.impute,
            self.impute.map(|i| match i {
                ImputeArg::Median => Impute::Median,
                ImputeArg::Mean => Impute::Mean,
                ImputeArg::Indicator => Impute::Indicator,
            }),
        );
        set(
            &mut p.outliers,
            self.outliers.map(|o| match o {
                OutliersArg::None => Outliers::None,
                OutliersArg::Clip => Outliers::Clip,
                OutliersArg::Drop => Outliers::Drop,
            }),
        );
        set(&mut p.iqr_k, self.iqr_k);
        set(&mut p.leak_auc, self.leak_auc);
        set(&mut p.one_hot_max, self.one_hot_max);
        set(&mut p.min_level_rows, self.min_level_rows);
        p.keep_leaky.extend(self.keep_leaky.iter().cloned());
        p.scale &= !self.no_scale;
        set(&mut p.keep, self.select);
        set(
            &mut p.score_by,
            self.score_by.map(|s| match s {
                ScoreByArg::Mi => ScoreBy::MutualInformation,
                ScoreByArg::Correlation => ScoreBy::Correlation,
            }),
        );
    }

    /// The file's bytes and its name without folders.
    fn read(&self) -> Result<(Vec<u8>, String), Error> {
        read_file(&self.file)
    }
}

impl TrainArgs {
    fn apply(&self, c: &mut Config) {
        let nn = &mut c.models.nn;
        set(&mut nn.epochs, self.epochs);
        set(&mut nn.batch_size, self.batch_size);
        set(&mut nn.hidden, self.hidden);
        set(&mut nn.learning_rate, self.lr);
        set(&mut nn.generator_learning_rate, self.g_lr);
        set(&mut nn.cosine_decay, self.cosine);
        set(&mut nn.unsupervised_weight, self.unsupervised_weight);
        set(&mut nn.patience, self.patience.map(Some));
        set(&mut nn.generator_heads, self.generator_heads);
        set(&mut nn.embedding_bins, self.embedding_bins);
        set(&mut nn.ensemble, self.ensemble);
        set(&mut nn.adapters, self.adapters);
        set(&mut nn.label_smoothing, self.label_smoothing);
        set(&mut nn.weight_decay, self.weight_decay);
        set(&mut nn.keep_best, self.keep_best);
        set(
            &mut nn.backend,
            self.backend.map(|b| match b {
                BackendArg::Cpu => Backend::Cpu,
                BackendArg::Gpu => Backend::Gpu,
                BackendArg::GpuOps => Backend::GpuOps,
            }),
        );
        set(&mut c.models.rf_trees, self.rf_trees);
        set(&mut c.models.rf_max_features, self.rf_features.map(Some));
        set(&mut c.models.knn_k, self.knn_k);
        set(&mut c.threshold, self.threshold);
        set(&mut c.jobs, self.jobs);
    }
}

fn read_file(path: &Path) -> Result<(Vec<u8>, String), Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input(format!("cannot read '{}': {e}", path.display())))?;
    let name = path.file_name().map_or(path.display().to_string(), |n| {
        n.to_string_lossy().into_owned()
    });
    Ok((bytes, name))
}

fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::input(format!("cannot create '{}': {e}", dir.display())))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes)
        .map_err(|e| Error::input(format!("cannot write '{}': {e}", path.display())))
}

/// Checks the config and starts the GPU if it asks for one.
fn checked(c: Config) -> Result<Checked, Error> {
    let c = c.check()?;
    #[cfg(feature = "nn")]
    if c.models.nn.backend.on_gpu() {
        let adapter = block_on(churnlab::models::nn::init_gpu())?;
        eprintln!("networks on the GPU: {adapter}");
    }
    Ok(c)
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::input(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// A file name made of the safe characters of `name`.
fn file_stem(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || c == '-';
    name.chars()
        .map(|c| if safe(c) { c } else { '_' })
        .collect()
}

/// Writes the exploration charts (heatmap, one distribution per feature) into `dir`.
fn write_inspect_charts(dir: &Path, r: &InspectReport) -> Result<usize, Error> {
    create_dir(dir)?;
    write_file(
        &dir.join("correlation.svg"),
        charts::heatmap(&r.exploration.correlation, charts::Theme::Light)?
            .svg
            .as_bytes(),
    )?;
    let t = &r.schema.target;
    for d in &r.exploration.distributions {
        let svg = charts::distribution(d, &t.positive, &t.negative, charts::Theme::Light)?.svg;
        write_file(
            &dir.join(format!("distribution-{}.svg", file_stem(&d.column))),
            svg.as_bytes(),
        )?;
    }
    Ok(1 + r.exploration.distributions.len())
}

/// Writes the training curves of the first seed of each neural model and the ROC curves.
fn write_run_charts(dir: &Path, r: &RunReport) -> Result<usize, Error> {
    let mut n = write_inspect_charts(dir, &r.inspect)?;
    for m in r.models.iter().filter(|m| !m.runs[0].history.is_empty()) {
        let svg = charts::curves(&m.label, &m.runs[0].history, charts::Theme::Light)?.svg;
        write_file(
            &dir.join(format!("curves-{}.svg", file_stem(&m.label))),
            svg.as_bytes(),
        )?;
        n += 1;
    }
    let rocs: Vec<(String, Vec<(f64, f64)>)> = r
        .models
        .iter()
        .map(|m| (m.label.clone(), m.runs[0].roc.clone()))
        .collect();
    write_file(
        &dir.join("roc.svg"),
        charts::roc(&rocs, charts::Theme::Light)?.svg.as_bytes(),
    )?;
    Ok(n + 1)
}

/// Writes a score's charts into `dir`: importance by mean |contribution| and by permutation
/// (when explained) and the campaign's net value by threshold (when there is a what-if).
fn write_score_charts(
    dir: &Path,
    r: &churnlab::fitted::ScoredReport,
    importance: Option<&churnlab::explain::Importance>,
) -> Result<usize, Error> {
    create_dir(dir)?;
    let mut charts: Vec<(&str, String)> = Vec::new();
    if let Some(e) = &r.explanation {
        let title = format!("Mean |contribution| ({})", r.model.label());
        let svg = charts::importance(
            &title,
            e.method.units.name(),
            &e.columns,
            &e.mean_abs,
            charts::Theme::Light,
        )?
        .svg;
        charts.push(("importance-contributions.svg", svg));
    }
    if let Some(i) = importance {
        let title = format!("Permutation importance ({} test rows)", i.test_rows);
        let svg = charts::importance(
            &title,
            "drop of ROC-AUC",
            &i.columns,
            &i.auc_drop,
            charts::Theme::Light,
        )?
        .svg;
        charts.push(("importance-permutation.svg", svg));
    }
    if let Some(w) = &r.whatif {
        let svg = charts::net_value(
            &w.curve,
            w.threshold,
            w.best_threshold,
            charts::Theme::Light,
        )?
        .svg;
        charts.push(("net-value.svg", svg));
    }
    for (name, svg) in &charts {
        write_file(&dir.join(name), svg.as_bytes())?;
    }
    Ok(charts.len())
}

fn inspect(a: &InspectArgs) -> Result<(), Error> {
    let cfg = checked(a.table.config()?)?;
    let (bytes, name) = a.table.read()?;
    let mut session = Session::load(&bytes, &name, &cfg)?;
    let report = match &a.write_inputs {
        None => session.inspect(&cfg)?,
        Some(dir) => {
            let (report, [train, test]) = session.inspect_with_inputs(&cfg)?;
            create_dir(dir)?;
            write_file(&dir.join("train.csv"), train.as_bytes())?;
            write_file(&dir.join("test.csv"), test.as_bytes())?;
            eprintln!("wrote the model inputs into {}", dir.display());
            report
        }
    };
    if let Some(dir) = &a.charts {
        let n = write_inspect_charts(dir, &report)?;
        eprintln!("wrote {n} charts into {}", dir.display());
    }
    if a.table.json {
        return print_json(&report);
    }
    print!("{}", inspect_text(&report));
    Ok(())
}

/// Prints each model's test scores as it finishes.
fn show_scores(p: Progress) {
    if let Progress::Scored {
        model,
        seed,
        augmented,
        scores,
    } = p
    {
        let aug = if augmented { " + GAN rows" } else { "" };
        eprintln!(
            "  {}{aug} seed {seed}: accuracy {:.4}, F1 {:.4}",
            model.label(),
            scores.accuracy,
            scores.f1
        );
    }
}

/// A session of the table, trained with `cfg`.
fn trained(table: &TableArgs, cfg: &Checked, control: Control) -> Result<Session, Error> {
    let (bytes, name) = table.read()?;
    let mut session = Session::load(&bytes, &name, cfg)?;
    block_on(session.run(cfg, control))?;
    Ok(session)
}

fn run(a: &RunArgs) -> Result<(), Error> {
    let mut c = a.table.config()?;
    a.train.apply(&mut c);
    set(&mut c.seeds, a.seeds);
    set(&mut c.models.models, a.models.clone());
    c.augment |= a.augment;
    c.f1_thresholds |= a.f1_thresholds;
    let cfg = checked(c)?;
    let session = trained(&a.table, &cfg, Control::new(&mut show_scores))?;
    let report = &session.trained()?.report;
    if let Some(path) = &a.save {
        write_file(path, &block_on(session.save_model(&[]))?)?;
        eprintln!("wrote the model file {}", path.display());
    }
    if let Some(dir) = &a.charts {
        let n = write_run_charts(dir, report)?;
        eprintln!("wrote {n} charts into {}", dir.display());
    }
    if a.table.json {
        return print_json(report);
    }
    print!("{}", run_text(report));
    Ok(())
}

/// Writes `csv` to `out`, or to stdout unless stdout carries the JSON report.
fn emit_csv(out: Option<&Path>, json: bool, csv: &str) -> Result<(), Error> {
    match out {
        Some(p) => write_file(p, csv.as_bytes()),
        None if !json => {
            print!("{csv}");
            Ok(())
        }
        None => Ok(()),
    }
}

#[cfg(feature = "nn")]
fn synth(a: &SynthArgs) -> Result<(), Error> {
    let mut c = a.table.config()?;
    a.train.apply(&mut c);
    c.models.models = vec![ModelKind::Gan];
    let cfg = checked(c)?;
    let session = trained(&a.table, &cfg, Control::none())?;
    let report = block_on(session.synthesize(a.rows, cfg.split.seed))?;
    emit_csv(a.out.as_deref(), a.table.json, &report.csv)?;
    if a.table.json {
        return print_json(&report);
    }
    let q = &report.quality;
    let corr = q
        .correlation_score
        .map_or("–".into(), |c| format!("{c:.3}"));
    eprintln!(
        "{} synthetic rows ({} churners); column shape score {:.3}, correlation score {corr}",
        report.rows, report.churners, q.shape_score
    );
    if let Some(p) = &q.privacy {
        eprintln!(
            "privacy: median distance to the closest real customer {:.3} (new real customers: {:.3}), protection {:.2}; {} rows closer than {:.3} dropped ({} exact copies)",
            p.synthetic_median, p.holdout_median, p.protection, p.dropped, p.threshold, p.copies
        );
    }
    Ok(())
}

#[cfg(not(feature = "nn"))]
fn synth(_: &SynthArgs) -> Result<(), Error> {
    Err(Error::config(
        "synth needs the GAN: this churnlab was built without the 'nn' feature",
    ))
}

/// The five largest `values` with their column names.
fn top(columns: &[String], values: &[f64]) -> String {
    let mut pairs: Vec<(&String, f64)> = columns.iter().zip(values.iter().copied()).collect();
    pairs.sort_by(|a, b| b.1.total_cmp(&a.1));
    let shown: Vec<String> = pairs
        .iter()
        .take(5)
        .map(|(c, v)| format!("{c} {v:.3}"))
        .collect();
    shown.join(", ")
}

fn score(a: &ScoreArgs) -> Result<(), Error> {
    let mut c = a.table.config()?;
    a.train.apply(&mut c);
    let campaign = a.campaign.campaign();
    campaign.check()?;
    if a.reasons == Some(0) {
        return Err(Error::config("--reasons needs at least 1"));
    }
    let opts = ScoreOptions {
        explain: a.reasons.is_some() || a.segments.is_some(),
        reasons: a.reasons.unwrap_or(0),
        samples: a.samples.max(2),
        parts: Vec::new(),
    };
    let (report, importance) = match &a.load {
        Some(path) => (scored_by_file(a, path, c, &opts, &campaign)?, None),
        None => scored_fresh(a, c, &opts, &campaign)?,
    };
    if let Some(dir) = &a.charts {
        let n = write_score_charts(dir, &report, importance.as_ref())?;
        eprintln!("{n} charts written to {}", dir.display());
    }
    emit_csv(a.out.as_deref(), a.table.json, &report.csv)?;
    if let Some(path) = &a.segments {
        let text = churnlab::marketing::segments_csv(&report.action_segments)?;
        write_file(path, text.as_bytes())?;
    }
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    if a.table.json {
        return print_json(&report);
    }
    print_score_summary(&report, importance.as_ref());
    Ok(())
}

/// Scored by the pipeline and model of the model file at `path`; the what-if where the table
/// has the outcomes.
fn scored_by_file(
    a: &ScoreArgs,
    path: &Path,
    c: Config,
    opts: &ScoreOptions,
    campaign: &Campaign,
) -> Result<ScoredReport, Error> {
    let threshold = c.threshold;
    let (bytes, name) = read_file(path)?;
    let file = churnlab::model_file::read(&bytes, &name)?;
    let model = a.model.unwrap_or(file.info.models[0].model);
    let cfg = checked(c)?;
    let (table, table_name) = a.table.read()?;
    // The model's own table spec reads the table: it needs no target column.
    let (raw, _) = churnlab::ingest::load(&table, &table_name, &cfg.ingest)?;
    let mut report = block_on(file.pipeline.score(&raw, model, opts))?;
    // With the outcomes in the table, the what-if runs on its rows.
    let labels = file
        .pipeline
        .spec
        .conform(&raw)
        .ok()
        .and_then(|(t, _)| file.pipeline.spec.labels(&t));
    if let Some(labels) = labels {
        let (y, p): (Vec<bool>, Vec<f64>) = labels
            .iter()
            .zip(&report.probabilities)
            .filter_map(|(l, &p)| l.map(|l| (l, p)))
            .unzip();
        report.whatif = churnlab::marketing::whatif(&y, &p, threshold, campaign).ok();
    }
    Ok(report)
}

/// Scored by a fresh fit of the model on the table, with its what-if and (for text or
/// charts) the permutation importance.
fn scored_fresh(
    a: &ScoreArgs,
    mut c: Config,
    opts: &ScoreOptions,
    campaign: &Campaign,
) -> Result<(ScoredReport, Option<Importance>), Error> {
    let threshold = c.threshold;
    let model = a.model.unwrap_or(ModelKind::Gan);
    c.models.models = vec![model];
    let session = trained(&a.table, &checked(c)?, Control::none())?;
    let mut report = block_on(session.score(model, opts))?;
    report.whatif = Some(session.whatif(model, threshold, campaign)?);
    // Printed as text, or drawn.
    let wanted = !a.table.json || a.charts.is_some();
    let importance = match report.explanation {
        Some(_) if wanted => Some(block_on(session.importance(model))?),
        _ => None,
    };
    Ok((report, importance))
}

/// The reasons, importance, what-if and segments, on stderr.
fn print_score_summary(report: &ScoredReport, importance: Option<&Importance>) {
    if let Some(e) = &report.explanation {
        let bound = e.method.bound.map_or(String::new(), |b| {
            format!(
                ", {} orders per customer, 95 % error bound ±{:.3} (median customer; at most ±{b:.3})",
                e.method.samples.unwrap_or(0),
                e.median_half_width.unwrap_or(b)
            )
        });
        eprintln!(
            "reasons: {} Shapley values in {} against {} training rows (base {:.3}){bound}",
            e.method.name,
            e.method.units.name(),
            e.method.background,
            e.base
        );
        eprintln!(
            "mean |contribution| over {} customers: {}",
            e.rows,
            top(&e.columns, &e.mean_abs)
        );
    }
    if let Some(imp) = importance {
        eprintln!(
            "permutation importance ({} test rows, drop of ROC-AUC): {}",
            imp.test_rows,
            top(&imp.columns, &imp.auc_drop)
        );
    }
    if let Some(w) = &report.whatif {
        eprintln!(
            "threshold {:.2} on {} labelled rows: precision {:.3}, recall {:.3}, F1 {:.3}; {} contacted, net value {:.0} (best: threshold {:.2}, net value {:.0})",
            w.threshold,
            w.rows,
            w.precision,
            w.recall,
            w.f1,
            w.contacted,
            w.net_value,
            w.best_threshold,
            w.best_net_value
        );
    }
    let seg: Vec<String> = report
        .segments
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    eprintln!(
        "{} customers scored by {}: {} risk",
        report.rows,
        report.model.label(),
        seg.join(", ")
    );
}

fn sample(a: &SampleArgs) -> Result<(), Error> {
    let text = churnlab::sample::sample_csv(a.rows, a.seed);
    match &a.out {
        Some(path) => write_file(path, text.as_bytes()),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A usage error in one line: clap's message and tip, without its usage block.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect();
    format!("{}; see 'churnlab help'", lines.join("; "))
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("churnlab: internal error: {info}")
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            print!("{}", e.render());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("churnlab: {}", one_line(&e));
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Command::Inspect(a) => inspect(a),
        Command::Run(a) => run(a),
        Command::Synth(a) => synth(a),
        Command::Score(a) => score(a),
        Command::Sample(a) => sample(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("churnlab: {e}");
            ExitCode::from(match e.kind {
                ErrorKind::Input => 1,
                ErrorKind::Config => 2,
            })
        }
    }
}
