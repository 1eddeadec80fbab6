//! Model benchmark: prints times, throughput and peak memory (no assertions).
//!
//! `cargo bench --bench models` fits, on the real table's leak-free split (the generated sample
//! when `../shared` is absent):
//! - the GAN with the reference network (D 30→128→128→2, G 34→128→128→30, batch 64,
//!   every training row, one D and one G step per batch) and reports seconds per epoch;
//! - the MLP and the four smartcore baselines, one by one;
//! - then the whole `run` (one seed, 20 GAN epochs, every model) as the CLI does it.

use std::path::PathBuf;

use churnlab::models::{ModelKind, NnOptions, build};
use churnlab::now;
use churnlab::pipeline::{Config, prepare, run};
use churnlab::sample::sample_csv;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/ecommerce-churn/ecommerce_churn.csv");
    let (bytes, name) = match std::fs::read(&path) {
        Ok(b) => (b, "ecommerce_churn.csv"),
        Err(_) => {
            eprintln!("*** the real table is absent: using the generated sample ***");
            (sample_csv(5630, 1).into_bytes(), "sample.csv")
        }
    };
    let mut cfg = Config::default();
    if name == "ecommerce_churn.csv" {
        cfg.clean.preset = Some("ecommerce-churn".into());
    }
    let p = prepare(&bytes, name, &cfg).expect("the table prepares");
    let (x, y) = (p.train_inputs(), p.labels(&p.split.train));
    println!("{name}: {} training rows × {} inputs", x.rows, x.cols);

    let reference = NnOptions {
        epochs: 6,
        hidden: 128,
        validation_fraction: 0.0,
        ..NnOptions::default()
    };
    let mut opts = cfg.models.clone();
    opts.nn = reference;
    for kind in [ModelKind::Gan, ModelKind::Mlp] {
        let mut model = build(kind, &opts).expect("model");
        model.fit(&x, &y, 0, &mut |_| {}).expect("fit");
        // The first epoch includes one-off warm-up; report the rest.
        let rest: Vec<f64> = model.history().iter().skip(1).map(|s| s.seconds).collect();
        let per_epoch = rest.iter().sum::<f64>() / rest.len() as f64;
        println!(
            "{:<22} {:.3} s/epoch (first {:.3} s)  {:>8.0} rows/s  ({} steps of 64 per epoch)",
            kind.label(),
            per_epoch,
            model.history()[0].seconds,
            x.rows as f64 / per_epoch,
            x.rows.div_ceil(64)
        );
        println!(
            "  (reference network: hidden 128; the default is {})",
            NnOptions::default().hidden
        );
    }
    let mut baselines = 0.0;
    for kind in [
        ModelKind::LogisticRegression,
        ModelKind::RandomForest,
        ModelKind::NaiveBayes,
        ModelKind::Knn,
    ] {
        let mut model = build(kind, &cfg.models).expect("model");
        let t = now();
        model.fit(&x, &y, 0, &mut |_| {}).expect("fit");
        let fit = (now() - t).as_secs_f64();
        let t = now();
        model.predict_proba(&p.test_inputs()).expect("predict");
        baselines += fit;
        println!(
            "{:<22} fit {:.3} s  predict {:.3} s",
            kind.label(),
            fit,
            (now() - t).as_secs_f64()
        );
    }
    println!("four baselines' fits together: {baselines:.3} s");
    let t = now();
    let report = run(&bytes, name, &cfg, &mut |_| {}).expect("run");
    println!(
        "whole run (1 seed, {} GAN/MLP epochs, six models): {:.2} s; peak RSS {:.0} MiB",
        cfg.models.nn.epochs,
        (now() - t).as_secs_f64(),
        peak_rss_mib()
    );
    for m in &report.models {
        println!(
            "  {:<22} accuracy {:.4}  F1 {:.4}  fit {:.3} s",
            m.label, m.summary.accuracy.mean, m.summary.f1.mean, m.summary.train_seconds.mean
        );
    }
}
