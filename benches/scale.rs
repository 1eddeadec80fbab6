//! Scaling benchmark: the whole pipeline, stage by stage, on generated tables of growing size;
//! prints each stage's time and peak memory (no assertions).
//!
//! `cargo bench --bench scale` runs 10,000 and 100,000 rows; `-- --rows 10000,100000,1000000`
//! chooses the sizes, `--epochs N` the networks' epochs (default: the run's default). Each size
//! runs in a child process of its own; before each stage the peak resident memory is reset
//! (`/proc/self/clear_refs`), so the peak printed is that stage's own. The stages are the ones
//! `churnlab run` goes through with one seed and every model; their sum is the run's time.

use std::process::Command;
use std::time::Instant;

use churnlab::block_on;
use churnlab::clean::clean;
use churnlab::compare::split_and_fit;
use churnlab::config::Config;
use churnlab::explore::explore;
use churnlab::ingest::load;
use churnlab::metrics::{evaluate, roc_curve};
use churnlab::models::{Hooks, build};
use churnlab::prepare::Prepared;
use churnlab::sample::sample_csv;
use churnlab::schema::infer;

mod common;
use common::status_mib;

/// Times `f` and reports its peak memory: the high-water mark is reset first.
struct Stages {
    total: f64,
}

impl Stages {
    fn stage<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_mib("VmRSS:");
        let t = Instant::now();
        let out = f();
        let s = t.elapsed().as_secs_f64();
        self.total += s;
        println!(
            "  {name:<40} {s:>9.3} s   peak {:>8.1} MiB (at start {before:>7.1})",
            status_mib("VmHWM:")
        );
        out
    }
}

/// One size, in this (child) process.
fn measure(rows: usize, epochs: Option<usize>) {
    let mut cfg = Config::default();
    if let Some(e) = epochs {
        cfg.models.nn.epochs = e;
    }
    let cfg = cfg.check().expect("valid options");
    let csv = sample_csv(rows, 7).into_bytes();
    println!(
        "{rows} rows ({:.1} MB), {} network epochs:",
        csv.len() as f64 / 1e6,
        cfg.models.nn.epochs
    );
    let mut st = Stages { total: 0.0 };
    let (raw, source) = st.stage("parse", || load(&csv, "sample.csv", &cfg.ingest).unwrap());
    drop(csv);
    let mut table = raw.clone();
    let schema = st.stage("schema (kinds, roles)", || {
        infer(&mut table, &cfg.schema).unwrap()
    });
    let exploration = st.stage("exploration (correlations, MI)", || {
        explore(&table, &schema)
    });
    let cleaned = st.stage("cleaning (labels, duplicates)", || {
        clean(&mut table, &schema, &cfg.clean).unwrap()
    });
    let p = Prepared {
        source,
        table,
        schema,
        exploration,
        cleaning: cleaned.report,
        rows: cleaned.rows,
        schema_options: cfg.schema.clone(),
        clean: cfg.clean.clone(),
        stages: Vec::new(),
    };
    drop(raw);
    let (split, _, pre, _) = st.stage("split, leak screen, preprocessing fit", || {
        split_and_fit(&p, &cfg, 0).unwrap()
    });
    let (x, x_test) = st.stage("preprocessing transform", || {
        (
            pre.transform(&p.table, &split.train).unwrap(),
            pre.transform(&p.table, &split.test).unwrap(),
        )
    });
    let (y, y_test) = (
        p.schema.churned(&split.train),
        p.schema.churned(&split.test),
    );
    for &kind in &cfg.models.models {
        let mut model = build(kind, &cfg.models).unwrap();
        st.stage(&format!("{} fit", kind.label()), || {
            block_on(model.fit(&x, &y, 0, &mut Hooks::none())).unwrap()
        });
        let proba = st.stage(&format!("{} predict", kind.label()), || {
            block_on(model.predict_proba(&x_test)).unwrap()
        });
        st.stage(&format!("{} metrics, ROC curve", kind.label()), || {
            (evaluate(&y_test, &proba, 0.5), roc_curve(&y_test, &proba))
        });
    }
    println!(
        "  {:<34} {:>9.3} s",
        "whole run (sum of the stages)", st.total
    );
    println!("TOTAL {rows} {:.3}", st.total);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let epochs = arg("--epochs").map(|e| e.parse().expect("--epochs N"));
    if let Some(rows) = arg("--case") {
        return measure(rows.parse().expect("rows"), epochs);
    }
    let sizes: Vec<usize> = arg("--rows")
        .unwrap_or_else(|| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("--rows N,N,…"))
        .collect();
    let me = std::env::current_exe().expect("own path");
    let mut totals = Vec::new();
    for rows in sizes {
        let mut child = Command::new(&me);
        child.args(["--case", &rows.to_string()]);
        if let Some(e) = epochs {
            child.args(["--epochs", &e.to_string()]);
        }
        let out = child.output().expect("child runs");
        let text = String::from_utf8_lossy(&out.stdout);
        print!("{text}");
        assert!(
            out.status.success(),
            "{rows} rows failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("TOTAL {rows} ")))
            .and_then(|t| t.parse::<f64>().ok())
            .expect("a total");
        totals.push((rows, total));
    }
    for w in totals.windows(2) {
        let ((a, ta), (b, tb)) = (w[0], w[1]);
        println!(
            "{b} rows / {a} rows: {:.1}× the rows, {:.2}× the time",
            b as f64 / a as f64,
            tb / ta
        );
    }
}
