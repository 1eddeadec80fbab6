//! `churnlab`: the command-line shell over [`churnlab::pipeline`]. It parses arguments, reads the
//! file and prints; every decision lives in the library.

use std::process::ExitCode;

use churnlab::charts;
use churnlab::clean::LabelMap;
use churnlab::models::ModelKind;
use churnlab::pipeline::{Config, Progress, inspect, run as run_models};
use churnlab::preprocess::{Impute, Keep, Outliers, ScoreBy};
use churnlab::report::{inspect_text, run_text};
use churnlab::sample::sample_csv;
use churnlab::{Error, ErrorKind};

const USAGE: &str = "\
churnlab — customer-churn pipeline

Usage:
  churnlab inspect FILE [options]     schema, exploration, cleaning and split report
  churnlab run FILE [options]         train and compare the GAN and the baselines
  churnlab synth FILE [--rows N] [--out FILE] [--json] [options]
                                      fit the GAN and write synthetic customers as CSV
  churnlab score FILE [--model M] [--out FILE] [options]
                                      every customer's churn probability and risk segment
  churnlab sample [--rows N] [--seed S] [--out FILE]
                                      write the generated sample table as CSV
  churnlab help

Options of inspect and run:
  --json                    one JSON document instead of text
  --charts DIR              also write the charts as SVG files into DIR
  --config FILE             options as JSON (the page's format); flags override it
  --target COL              target column (default: found by name)
  --positive LABEL          the positive (churn) class
  --sheet NAME              spreadsheet sheet (default: the largest)
  --delimiter C             CSV delimiter: , ; | or tab (default: detected)
  --categorical COL,...     read these columns as categorical
  --numeric COL,...         read these columns as numeric
  --ignore COL,...          leave these columns out
  --id COL,...              treat these columns as IDs
  --feature COL,...         keep these columns as features whatever they look like
  --preset NAME             named label mapping (ecommerce-churn)
  --map [COL:]FROM=TO       merge a label into another (repeatable)
  --no-normalize-labels     keep labels exactly as written
  --no-dedupe               keep duplicate rows
  --test-size F             test fraction (default 0.3)
  --seed N                  split seed (default 0)
  --impute median|mean|indicator
  --outliers none|clip|drop (default clip, at 1.5×IQR)
  --iqr-k K
  --no-scale
  --select all|top:K|min:SCORE
  --score-by mi|correlation

Options of run:
  --epochs N                epochs of the GAN and the MLP (default 20)
  --seeds N                 repeat over seeds seed … seed+N−1, report mean ± std (default 1)
  --models LIST             e.g. gan,lr,rf,nb,knn,mlp (default: all)
  --batch-size N  --hidden N  --lr X  --g-lr X  --cosine true|false  --unsupervised-weight W  --patience N
  --generator-heads true|false (Gumbel-softmax heads for categorical columns; default false)
  --backend cpu|gpu  where the networks run (gpu: a build with feature 'wgpu')
  --rf-trees N  --rf-features M (features tried per split; default √d)  --knn-k N
  --threshold P             churn at probability ≥ P (default 0.5)
  --augment                 also fit each model on real + GAN-generated churners (own rows)
";

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("churnlab: internal error: {info}");
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
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

fn run(args: &[String]) -> Result<(), Error> {
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("inspect") => run_inspect(&args[1..], false),
        Some("run") => run_inspect(&args[1..], true),
        #[cfg(feature = "nn")]
        Some("synth") => run_synth(&args[1..]),
        #[cfg(not(feature = "nn"))]
        Some("synth") => Err(Error::config(
            "synth needs the GAN: this churnlab was built without the 'nn' feature",
        )),
        Some("score") => run_score(&args[1..]),
        Some("sample") => run_sample(&args[1..]),
        Some(other) => Err(Error::config(format!(
            "unknown command '{other}' (try 'churnlab help')"
        ))),
    }
}

/// Walks `--flag value` pairs and plain arguments.
struct Args<'a> {
    rest: std::slice::Iter<'a, String>,
}

impl<'a> Args<'a> {
    fn value(&mut self, flag: &str) -> Result<&'a str, Error> {
        self.rest
            .next()
            .map(String::as_str)
            .ok_or_else(|| Error::config(format!("{flag} needs a value")))
    }

    fn parsed<T: std::str::FromStr>(&mut self, flag: &str) -> Result<T, Error> {
        let v = self.value(flag)?;
        v.parse()
            .map_err(|_| Error::config(format!("{flag}: '{v}' is not a valid value")))
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A file name made of the safe characters of `name`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write_chart(dir: &str, name: &str, svg: &str) -> Result<(), Error> {
    std::fs::write(std::path::Path::new(dir).join(name), svg)
        .map_err(|e| Error::input(format!("cannot write charts into '{dir}': {e}")))
}

/// Writes the exploration charts (heatmap, one distribution per feature) into `dir`.
fn write_inspect_charts(dir: &str, r: &churnlab::pipeline::InspectReport) -> Result<usize, Error> {
    let write = |name: String, svg: String| write_chart(dir, &name, &svg);
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::input(format!("cannot create '{dir}': {e}")))?;
    write(
        "correlation.svg".into(),
        charts::heatmap(&r.exploration.correlation)?,
    )?;
    let t = &r.schema.target;
    for d in &r.exploration.distributions {
        write(
            format!("distribution-{}.svg", file_stem(&d.column)),
            charts::distribution(d, &t.positive, &t.negative)?,
        )?;
    }
    Ok(1 + r.exploration.distributions.len())
}

/// Writes the training curves of the first seed of each neural model and the ROC curves.
fn write_run_charts(dir: &str, r: &churnlab::pipeline::RunReport) -> Result<usize, Error> {
    let mut n = write_inspect_charts(dir, &r.inspect)?;
    let write = |name: String, svg: String| write_chart(dir, &name, &svg);
    for m in r.models.iter().filter(|m| !m.runs[0].history.is_empty()) {
        write(
            format!("curves-{}.svg", file_stem(&m.label)),
            charts::curves(&m.label, &m.runs[0].history)?,
        )?;
        n += 1;
    }
    let rocs: Vec<(String, Vec<(f64, f64)>)> = r
        .models
        .iter()
        .map(|m| (m.label.clone(), m.runs[0].roc.clone()))
        .collect();
    write("roc.svg".into(), charts::roc(&rocs)?)?;
    Ok(n + 1)
}

/// FILE, `--json` and the pipeline's options, shared by inspect, run and synth.
fn parse_common(args: &[String]) -> Result<(String, Config, bool), Error> {
    let mut it = Args { rest: args.iter() };
    let mut file = None;
    let mut json = false;
    let mut cfg = Config::default();
    let mut flags: Vec<(&str, &str)> = Vec::new();
    while let Some(a) = it.rest.next() {
        match a.as_str() {
            "--json" => json = true,
            "--no-normalize-labels" | "--no-dedupe" | "--no-scale" | "--augment" => {
                flags.push((a, ""))
            }
            "--config" => {
                let path = it.value(a)?;
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::config(format!("cannot read config '{path}': {e}")))?;
                cfg = serde_json::from_str(&text)
                    .map_err(|e| Error::config(format!("config '{path}': {e}")))?;
            }
            flag if flag.starts_with("--") => flags.push((flag, it.value(flag)?)),
            path if file.is_none() => file = Some(path.to_string()),
            extra => return Err(Error::config(format!("unexpected argument '{extra}'"))),
        }
    }
    for (flag, v) in flags {
        apply_flag(&mut cfg, flag, v)?;
    }
    let path = file.ok_or_else(|| Error::config("a FILE is needed (try 'churnlab help')"))?;
    #[cfg(feature = "nn")]
    if cfg.models.nn.backend == churnlab::models::Backend::Gpu {
        let adapter = churnlab::block_on(churnlab::models::nn::init_gpu())?;
        eprintln!("networks on the GPU: {adapter}");
    }
    Ok((path, cfg, json))
}

/// The file's bytes and its name without folders.
fn read_input(path: &str) -> Result<(Vec<u8>, String), Error> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::input(format!("cannot read '{path}': {e}")))?;
    let name = std::path::Path::new(path)
        .file_name()
        .map_or(path.into(), |n| n.to_string_lossy().into_owned());
    Ok((bytes, name))
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::input(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn run_inspect(args: &[String], train: bool) -> Result<(), Error> {
    let mut charts_dir = None;
    let mut rest = Vec::new();
    let mut it = Args { rest: args.iter() };
    while let Some(a) = it.rest.next() {
        match a.as_str() {
            "--charts" => charts_dir = Some(it.value(a)?),
            _ => rest.push(a.clone()),
        }
    }
    let (path, cfg, json) = parse_common(&rest)?;
    let (bytes, name) = read_input(&path)?;
    if train {
        let mut progress = |p: Progress| {
            if let Progress::Scored {
                model,
                seed,
                augmented,
                scores,
            } = p
            {
                eprintln!(
                    "  {}{} seed {seed}: accuracy {:.4}, F1 {:.4}",
                    model.label(),
                    if augmented { " + GAN rows" } else { "" },
                    scores.accuracy,
                    scores.f1
                );
            }
        };
        let report = run_models(&bytes, &name, &cfg, &mut progress)?;
        if let Some(dir) = charts_dir {
            let n = write_run_charts(dir, &report)?;
            eprintln!("wrote {n} charts into {dir}");
        }
        if json {
            return print_json(&report);
        }
        print!("{}", run_text(&report));
        return Ok(());
    }
    let report = inspect(&bytes, &name, &cfg)?;
    if let Some(dir) = charts_dir {
        let n = write_inspect_charts(dir, &report)?;
        eprintln!("wrote {n} charts into {dir}");
    }
    if json {
        return print_json(&report);
    }
    print!("{}", inspect_text(&report));
    Ok(())
}

fn apply_flag(cfg: &mut Config, flag: &str, v: &str) -> Result<(), Error> {
    let bad = || Error::config(format!("{flag}: '{v}' is not a valid value"));
    match flag {
        "--target" => cfg.schema.target = Some(v.into()),
        "--positive" => cfg.schema.positive = Some(v.into()),
        "--sheet" => cfg.ingest.sheet = Some(v.into()),
        "--delimiter" => {
            cfg.ingest.delimiter = Some(match v {
                "tab" | "\\t" => '\t',
                _ if v.chars().count() == 1 => v.chars().next().unwrap_or(','),
                _ => return Err(bad()),
            })
        }
        "--categorical" => cfg.schema.categorical.extend(list(v)),
        "--numeric" => cfg.schema.numeric.extend(list(v)),
        "--ignore" => cfg.schema.ignore.extend(list(v)),
        "--id" => cfg.schema.ids.extend(list(v)),
        "--feature" => cfg.schema.features.extend(list(v)),
        "--preset" => cfg.clean.preset = Some(v.into()),
        "--map" => {
            let (column, pair) = match v.split_once(':') {
                Some((c, p)) if p.contains('=') => (Some(c.to_string()), p),
                _ => (None, v),
            };
            let (from, to) = pair.split_once('=').ok_or_else(bad)?;
            cfg.clean.label_map.push(LabelMap {
                column,
                from: from.into(),
                to: to.into(),
            });
        }
        "--no-normalize-labels" => cfg.clean.normalize_labels = false,
        "--no-dedupe" => cfg.clean.dedupe = false,
        "--no-scale" => cfg.preprocess.scale = false,
        "--augment" => cfg.augment = true,
        "--test-size" => cfg.split.test_fraction = v.parse().map_err(|_| bad())?,
        "--seed" => cfg.split.seed = v.parse().map_err(|_| bad())?,
        "--impute" => {
            cfg.preprocess.impute = match v {
                "median" => Impute::Median,
                "mean" => Impute::Mean,
                "indicator" => Impute::Indicator,
                _ => return Err(bad()),
            }
        }
        "--outliers" => {
            cfg.preprocess.outliers = match v {
                "none" => Outliers::None,
                "clip" => Outliers::Clip,
                "drop" => Outliers::Drop,
                _ => return Err(bad()),
            }
        }
        "--iqr-k" => cfg.preprocess.iqr_k = v.parse().map_err(|_| bad())?,
        "--select" => {
            cfg.preprocess.keep = match v.split_once(':') {
                None if v == "all" => Keep::All,
                Some(("top", k)) => Keep::Top(k.parse().map_err(|_| bad())?),
                Some(("min", s)) => Keep::MinScore(s.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        "--score-by" => {
            cfg.preprocess.score_by = match v {
                "mi" | "mutual_information" => ScoreBy::MutualInformation,
                "correlation" => ScoreBy::Correlation,
                _ => return Err(bad()),
            }
        }
        "--epochs" => cfg.models.nn.epochs = v.parse().map_err(|_| bad())?,
        "--seeds" => cfg.seeds = v.parse().map_err(|_| bad())?,
        "--models" => {
            cfg.models.models = list(v)
                .iter()
                .map(|m| ModelKind::parse(m))
                .collect::<Result<_, _>>()?
        }
        "--batch-size" => cfg.models.nn.batch_size = v.parse().map_err(|_| bad())?,
        "--hidden" => cfg.models.nn.hidden = v.parse().map_err(|_| bad())?,
        "--lr" => cfg.models.nn.learning_rate = v.parse().map_err(|_| bad())?,
        "--cosine" => cfg.models.nn.cosine_decay = v.parse().map_err(|_| bad())?,
        "--g-lr" => cfg.models.nn.generator_learning_rate = v.parse().map_err(|_| bad())?,
        "--unsupervised-weight" => {
            cfg.models.nn.unsupervised_weight = v.parse().map_err(|_| bad())?
        }
        "--patience" => cfg.models.nn.patience = Some(v.parse().map_err(|_| bad())?),
        "--backend" => {
            cfg.models.nn.backend = match v {
                "cpu" => churnlab::models::Backend::Cpu,
                "gpu" => churnlab::models::Backend::Gpu,
                _ => return Err(Error::config(format!("--backend is cpu or gpu, not '{v}'"))),
            }
        }
        "--generator-heads" => cfg.models.nn.generator_heads = v.parse().map_err(|_| bad())?,
        "--rf-trees" => cfg.models.rf_trees = v.parse().map_err(|_| bad())?,
        "--rf-features" => cfg.models.rf_max_features = Some(v.parse().map_err(|_| bad())?),
        "--knn-k" => cfg.models.knn_k = v.parse().map_err(|_| bad())?,
        "--threshold" => cfg.threshold = v.parse().map_err(|_| bad())?,
        _ => {
            return Err(Error::config(format!(
                "unknown option '{flag}' (try 'churnlab help')"
            )));
        }
    }
    Ok(())
}

/// Writes `csv` to `out`, or to stdout unless stdout carries the JSON report.
fn emit_csv(out: Option<&str>, json: bool, csv: &str) -> Result<(), Error> {
    match out {
        Some(p) => {
            std::fs::write(p, csv).map_err(|e| Error::input(format!("cannot write '{p}': {e}")))
        }
        None if !json => {
            print!("{csv}");
            Ok(())
        }
        None => Ok(()),
    }
}

/// `synth FILE [--rows N] [--out FILE] [--json]`, other options as for inspect.
#[cfg(feature = "nn")]
fn run_synth(args: &[String]) -> Result<(), Error> {
    let (mut rows, mut out) = (1000usize, None);
    let mut rest = Vec::new();
    let mut it = Args { rest: args.iter() };
    while let Some(a) = it.rest.next() {
        match a.as_str() {
            "--rows" => rows = it.parsed(a)?,
            "--out" => out = Some(it.value(a)?),
            _ => rest.push(a.clone()),
        }
    }
    let (path, cfg, json) = parse_common(&rest)?;
    let (bytes, name) = read_input(&path)?;
    let report = churnlab::pipeline::synthesize(&bytes, &name, &cfg, rows, cfg.split.seed)?;
    emit_csv(out, json, &report.csv)?;
    let q = &report.quality;
    if json {
        print_json(&report)?;
    } else {
        eprintln!(
            "{} synthetic rows ({} churners); column shape score {:.3}, correlation score {}",
            report.rows,
            report.churners,
            q.shape_score,
            q.correlation_score
                .map_or("–".into(), |c| format!("{c:.3}"))
        );
    }
    Ok(())
}

/// `score FILE [--model M] [--out FILE]`, other options as for inspect.
fn run_score(args: &[String]) -> Result<(), Error> {
    let (mut model, mut out) = (ModelKind::Gan, None);
    let mut rest = Vec::new();
    let mut it = Args { rest: args.iter() };
    while let Some(a) = it.rest.next() {
        match a.as_str() {
            "--model" => model = ModelKind::parse(it.value(a)?)?,
            "--out" => out = Some(it.value(a)?),
            _ => rest.push(a.clone()),
        }
    }
    let (path, cfg, json) = parse_common(&rest)?;
    let (bytes, name) = read_input(&path)?;
    let report = churnlab::pipeline::score(&bytes, &name, &cfg, model)?;
    emit_csv(out, json, &report.csv)?;
    if json {
        print_json(&report)?;
    } else {
        let seg: Vec<String> = report
            .segments
            .iter()
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        eprintln!(
            "{} customers scored by {}: {} risk",
            report.rows,
            model.label(),
            seg.join(", ")
        );
    }
    Ok(())
}

fn run_sample(args: &[String]) -> Result<(), Error> {
    let mut it = Args { rest: args.iter() };
    let (mut rows, mut seed, mut out) = (5000usize, 42u64, None);
    while let Some(a) = it.rest.next() {
        match a.as_str() {
            "--rows" => rows = it.parsed(a)?,
            "--seed" => seed = it.parsed(a)?,
            "--out" => out = Some(it.value(a)?),
            other => {
                return Err(Error::config(format!(
                    "unknown option '{other}' for sample"
                )));
            }
        }
    }
    let text = sample_csv(rows, seed);
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Error::input(format!("cannot write '{path}': {e}")))?,
        None => print!("{text}"),
    }
    Ok(())
}
