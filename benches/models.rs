//! Model benchmark: prints times, throughput and peak memory (no assertions).
//!
//! `cargo bench --bench models` fits, on the real table's leak-free split (the generated sample
//! when `../shared` is absent):
//! - the GAN with the reference network (D 30→128→128→2, G 34→128→128→30, batch 64,
//!   every training row, one D and one G step per batch) and reports seconds per epoch;
//! - the MLP and the four smartcore baselines, one by one;
//! - then the whole `run` (one seed, 20 GAN epochs, every model) as the CLI does it.
//!
//! Arguments (after `--`): `--backend gpu` trains the networks through wgpu with the fused
//! kernels, `--backend gpu-ops` through burn's tensor ops on wgpu (build with `--features
//! wgpu`; each epoch line then comes with the Flex CPU's, and the GAN is also timed at batch
//! 512);
//! `--file PATH` reads another table than `../shared`'s real one; `--hidden N` widens the
//! reference network's layers; `--epochs-only` stops after the epoch lines (for a short run on
//! a lent GPU).

use std::path::PathBuf;

use churnlab::block_on;
use churnlab::compare::{Control, split_and_fit};
use churnlab::config::Config;
use churnlab::fitted::ScoreOptions;
use churnlab::models::Hooks;
use churnlab::models::{Backend, ModelKind, NnOptions, build};
use churnlab::now;
use churnlab::sample::sample_csv;
use churnlab::session::Session;

mod common;
use common::peak_rss_mib;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let backend = match arg("--backend").as_deref() {
        Some("gpu") => Backend::Gpu,
        Some("gpu-ops") => Backend::GpuOps,
        None | Some("cpu") => Backend::Cpu,
        Some(other) => panic!("--backend is cpu, gpu or gpu-ops, not {other}"),
    };
    if backend.on_gpu() {
        #[cfg(feature = "wgpu")]
        {
            let adapter = churnlab::block_on(churnlab::models::nn::init_gpu()).expect("a GPU");
            println!("networks on the GPU: {adapter}");
        }
        #[cfg(not(feature = "wgpu"))]
        panic!("--backend gpu needs a build with --features wgpu");
    }
    let path = arg("--file").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/ecommerce-churn/ecommerce_churn.csv")
    });
    let (bytes, name) = match std::fs::read(&path) {
        Ok(b) => (
            b,
            path.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        ),
        Err(_) => {
            eprintln!("*** the real table is absent: using the generated sample ***");
            (sample_csv(5630, 1).into_bytes(), "sample.csv".to_string())
        }
    };
    let name = name.as_str();
    let mut cfg = Config::default();
    cfg.models.nn.backend = backend;
    if name == "ecommerce_churn.csv" {
        cfg.clean.preset = Some("ecommerce-churn".into());
    }
    let cfg = cfg.check().expect("valid options");
    let mut session = Session::load(&bytes, name, &cfg).expect("the table loads");
    let p = session.prepared();
    let (split, _, pre, _) = split_and_fit(p, &cfg, 0).expect("the table prepares");
    let x = pre.transform(&p.table, &split.train).expect("inputs");
    let x_test = pre.transform(&p.table, &split.test).expect("inputs");
    let y = p.schema.churned(&split.train);
    println!("{name}: {} training rows × {} inputs", x.rows, x.cols);

    // The reference network: the plain one, 128 wide (or `--hidden`).
    let hidden = arg("--hidden").map_or(128, |h| h.parse().expect("--hidden takes a number"));
    let reference = NnOptions {
        epochs: 6,
        hidden,
        validation_fraction: 0.0,
        backend,
        ..NnOptions::plain()
    };
    // (model, batch, encoding bins, class heads); on the GPU also the default network's
    // encodings and heads at the reference width, which the fused kernels train too.
    let mut runs = vec![(ModelKind::Gan, 64, 0, 1), (ModelKind::Mlp, 64, 0, 1)];
    if backend.on_gpu() {
        runs.push((ModelKind::Gan, 512, 0, 1));
        runs.push((ModelKind::Gan, 64, 16, 8));
    }
    // On the GPU every line also times the Flex CPU backend, in the same run.
    let backends = if backend.on_gpu() {
        vec![backend, Backend::Cpu]
    } else {
        vec![backend]
    };
    for (kind, batch, bins, heads) in runs {
        let mut times = Vec::new();
        for &b in &backends {
            let mut opts = cfg.models.clone();
            opts.nn = NnOptions {
                batch_size: batch,
                embedding_bins: bins,
                ensemble: heads,
                backend: b,
                ..reference.clone()
            };
            let mut model = build(kind, &opts).expect("model");
            block_on(model.fit(&x, &y, 0, &mut Hooks::none())).expect("fit");
            // The first epoch includes one-off warm-up (shader compilation); report the rest.
            let rest: Vec<f64> = model.history().iter().skip(1).map(|s| s.seconds).collect();
            let per_epoch = rest.iter().sum::<f64>() / rest.len() as f64;
            println!(
                "{:<22} {b:?}: {:.3} s/epoch (first {:.3} s)  {:>8.0} rows/s  ({} steps of {batch} per epoch)",
                kind.label(),
                per_epoch,
                model.history()[0].seconds,
                x.rows as f64 / per_epoch,
                x.rows.div_ceil(batch)
            );
            times.push(per_epoch);
        }
        if let [gpu, cpu] = times[..] {
            println!("  {backend:?} / Flex CPU epoch time: {:.2}", gpu / cpu);
        }
        println!(
            "  (reference network: hidden {hidden}, {bins} encoding bins, {heads} class heads; the default is {} wide)",
            NnOptions::default().hidden
        );
    }
    if args.iter().any(|a| a == "--epochs-only") {
        return;
    }
    // The stronger discriminator's options on the CPU, at the reference width and the default
    // (16 bins, 8 heads: the default network).
    for hidden in [128, NnOptions::default().hidden] {
        for (bins, heads, adapters) in [
            (0, 1, false),
            (8, 1, false),
            (0, 8, false),
            (8, 8, false),
            (16, 8, false),
            (0, 4, true),
        ] {
            let mut opts = cfg.models.clone();
            opts.nn = NnOptions {
                hidden,
                embedding_bins: bins,
                ensemble: heads,
                adapters,
                backend: Backend::Cpu,
                ..reference.clone()
            };
            let mut model = build(ModelKind::Gan, &opts).expect("model");
            block_on(model.fit(&x, &y, 0, &mut Hooks::none())).expect("fit");
            let rest: Vec<f64> = model.history().iter().skip(1).map(|s| s.seconds).collect();
            println!(
                "GAN, hidden {hidden}, {bins} encoding bins, {heads} class heads{}, Flex CPU: {:.3} s/epoch",
                if adapters { " with adapters" } else { "" },
                rest.iter().sum::<f64>() / rest.len() as f64
            );
        }
    }
    let mut baselines = 0.0;
    for kind in [
        ModelKind::LogisticRegression,
        ModelKind::RandomForest,
        ModelKind::GradientBoosting,
        ModelKind::NaiveBayes,
        ModelKind::Knn,
    ] {
        let mut model = build(kind, &cfg.models).expect("model");
        let t = now();
        block_on(model.fit(&x, &y, 0, &mut Hooks::none())).expect("fit");
        let fit = (now() - t).as_secs_f64();
        let t = now();
        block_on(model.predict_proba(&x_test)).expect("predict");
        baselines += fit;
        println!(
            "{:<22} fit {:.3} s  predict {:.3} s",
            kind.label(),
            fit,
            (now() - t).as_secs_f64()
        );
    }
    println!("five baselines' fits together: {baselines:.3} s");
    let t = now();
    let report = block_on(session.run(&cfg, Control::none()))
        .expect("run")
        .clone();
    println!(
        "whole run (1 seed, {} GAN/MLP epochs, seven models): {:.2} s; peak RSS {:.0} MiB",
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
    // The kept models: scoring every customer and generating 1,000 train nothing.
    let fits = session.counts().model_fits;
    for kind in [ModelKind::Gan, ModelKind::RandomForest] {
        let t = now();
        let scored = block_on(session.score(kind, &ScoreOptions::default())).expect("score");
        println!(
            "score every customer ({} rows) with the kept {}: {:.3} s",
            scored.rows,
            kind.label(),
            (now() - t).as_secs_f64()
        );
    }
    // Reasons for every customer: exact for LR and the forest, sampled for the others.
    let explain = ScoreOptions {
        explain: true,
        ..ScoreOptions::default()
    };
    for kind in [
        ModelKind::LogisticRegression,
        ModelKind::RandomForest,
        ModelKind::GradientBoosting,
        ModelKind::NaiveBayes,
        ModelKind::Mlp,
        ModelKind::Gan,
    ] {
        let t = now();
        let scored = block_on(session.score(kind, &explain)).expect("score with reasons");
        let e = scored.explanation.expect("explained");
        let bound = e
            .median_half_width
            .map_or(String::new(), |b| format!(", median 95 % bound ±{b:.3}"));
        println!(
            "score with reasons, every customer, kept {} ({}{bound}): {:.3} s",
            kind.label(),
            e.method.name,
            (now() - t).as_secs_f64()
        );
    }
    #[cfg(feature = "nn")]
    {
        // Twice: the second finds the quality check's real-rows forest made.
        let mut times = Vec::new();
        for _ in 0..2 {
            let t = now();
            block_on(session.synthesize(1000, 0)).expect("synthesize");
            times.push(format!("{:.3} s", (now() - t).as_secs_f64()));
        }
        println!(
            "1,000 synthetic customers from the kept GAN, quality checks included: {}",
            times.join(", then ")
        );
    }
    let t = now();
    let file = block_on(session.save_model(&[])).expect("model file");
    println!(
        "model file of every model: {:.0} KiB in {:.3} s; models fitted after the run: {}",
        file.len() as f64 / 1024.0,
        (now() - t).as_secs_f64(),
        session.counts().model_fits - fits
    );
}
