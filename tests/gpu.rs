//! The fused GPU kernels against the CPU reference (burn's Flex backend): the same rows,
//! weights, batches and draws give the same epochs and predictions up to summation order.
//!
//! Runs where wgpu finds an adapter — natively Mesa's lavapipe (software Vulkan) is enough:
//! `cargo test --features wgpu --test gpu`. Without an adapter the tests say so and pass,
//! unless `CHURNLAB_REQUIRE_GPU` is set (CI installs lavapipe and sets it, see `.ci/run`).
#![cfg(feature = "wgpu")]

use std::sync::Mutex;

use churnlab::block_on;
use churnlab::matrix::Matrix;
use churnlab::models::nn::trains_fused;
use churnlab::models::{Backend, EpochStats, Hooks, ModelKind, ModelOptions, NnOptions, build};
use churnlab::rng::Rng;

/// Two noisy clusters in 5 dimensions, 1 in 4 positive.
fn data(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
    let mut rng = Rng::new(seed);
    let y: Vec<bool> = (0..n).map(|i| i % 4 == 0).collect();
    let data = y
        .iter()
        .flat_map(|&p| {
            let c = if p { 1.0 } else { -0.3 };
            [c, c, 0.0, -c, 0.5 * c].map(|m| (m + rng.normal()) as f32)
        })
        .collect();
    (
        Matrix {
            rows: n,
            cols: 5,
            data,
        },
        y,
    )
}

/// The plain network the kernels cover (no encodings, one head), Adam at rate 1e-2.
fn options(backend: Backend) -> NnOptions {
    NnOptions {
        epochs: 3,
        batch_size: 32,
        hidden: 24,
        noise: 6,
        backend,
        ..NnOptions::plain()
    }
}

/// Epochs and test-row probabilities of `kind` fitted with `nn`.
fn fit(
    kind: ModelKind,
    nn: NnOptions,
    x: &Matrix,
    y: &[bool],
    test: &Matrix,
) -> (Vec<EpochStats>, Vec<f64>) {
    let opts = ModelOptions {
        nn,
        ..ModelOptions::default()
    };
    let mut model = build(kind, &opts).unwrap();
    block_on(model.fit(x, y, 11, &mut Hooks::none())).unwrap();
    let p = block_on(model.predict_proba(test)).unwrap();
    (model.history().to_vec(), p)
}

/// Whether the GPU started: once for the tests of this file, which run in parallel (a second
/// start of wgpu's runtime fails).
fn gpu() -> bool {
    static STARTED: Mutex<Option<bool>> = Mutex::new(None);
    let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
    *started.get_or_insert_with(|| match block_on(churnlab::models::nn::init_gpu()) {
        Ok(adapter) => {
            eprintln!("GPU: {adapter}");
            true
        }
        Err(e) if std::env::var_os("CHURNLAB_REQUIRE_GPU").is_some() => {
            panic!(
                "CHURNLAB_REQUIRE_GPU is set, but the GPU did not start: {}",
                e.message
            )
        }
        Err(e) => {
            eprintln!("no GPU adapter, nothing compared: {}", e.message);
            false
        }
    })
}

#[test]
fn fused_kernels_match_the_cpu_backend() {
    if !gpu() {
        return;
    }
    assert!(trains_fused(&options(Backend::Gpu)));
    assert!(!trains_fused(&options(Backend::GpuOps)));
    assert!(!trains_fused(&options(Backend::Cpu)));
    let adapters = NnOptions {
        ensemble: 4,
        adapters: true,
        ..options(Backend::Gpu)
    };
    assert!(!trains_fused(&adapters), "the kernels have no adapters");
    let (x, y) = data(300, 1);
    let (test, _) = data(80, 2);
    for kind in [ModelKind::Mlp, ModelKind::Gan, ModelKind::GanAblation] {
        let (cpu, p_cpu) = fit(kind, options(Backend::Cpu), &x, &y, &test);
        let (gpu, p_gpu) = fit(kind, options(Backend::Gpu), &x, &y, &test);
        compare(kind, (&cpu, &p_cpu), (&gpu, &p_gpu));
    }
    // AdamW and label smoothing, also covered by the kernels.
    let with = |backend| NnOptions {
        weight_decay: 0.05,
        label_smoothing: 0.1,
        ..options(backend)
    };
    let (cpu, p_cpu) = fit(ModelKind::Gan, with(Backend::Cpu), &x, &y, &test);
    let (gpu, p_gpu) = fit(ModelKind::Gan, with(Backend::Gpu), &x, &y, &test);
    compare(ModelKind::Gan, (&cpu, &p_cpu), (&gpu, &p_gpu));
}

#[test]
fn fused_encodings_and_class_heads_match_the_cpu_backend() {
    if !gpu() {
        return;
    }
    // The defaults' kind of network (encodings, an ensemble of class heads, AdamW, the kept
    // epoch), small; and the heads alone.
    let defaults = |backend| NnOptions {
        embedding_bins: 8,
        ensemble: 4,
        weight_decay: 0.01,
        keep_best: true,
        learning_rate: 2e-3,
        ..options(backend)
    };
    let heads = |backend| NnOptions {
        ensemble: 3,
        ..options(backend)
    };
    assert!(trains_fused(&defaults(Backend::Gpu)));
    let (x, y) = data(300, 4);
    let (test, _) = data(80, 5);
    for kind in [ModelKind::Gan, ModelKind::GanAblation, ModelKind::Mlp] {
        for opts in [defaults, heads] {
            let (cpu, p_cpu) = fit(kind, opts(Backend::Cpu), &x, &y, &test);
            let (gpu, p_gpu) = fit(kind, opts(Backend::Gpu), &x, &y, &test);
            compare(kind, (&cpu, &p_cpu), (&gpu, &p_gpu));
        }
    }
}

/// Epochs and probabilities of the CPU (`a`) and the GPU (`b`) within tolerance: losses to
/// 1e-4 relative, probabilities to 1e-4 (measured on lavapipe: 1.2e-7 largest difference of a
/// probability after three epochs; floats summed in another order drift apart over the steps).
fn compare(kind: ModelKind, a: (&[EpochStats], &[f64]), b: (&[EpochStats], &[f64])) {
    let ((cpu, p_cpu), (gpu, p_gpu)) = (a, b);
    assert_eq!(cpu.len(), gpu.len(), "{kind:?}");
    let mut worst_loss = 0.0f64;
    for (c, g) in cpu.iter().zip(gpu) {
        let pairs = [
            ("train loss", Some(c.train_loss), Some(g.train_loss)),
            ("val loss", Some(c.val_loss), Some(g.val_loss)),
            ("D loss", c.d_loss, g.d_loss),
            ("G loss", c.g_loss, g.g_loss),
        ];
        for (name, a, b) in pairs {
            assert_eq!(a.is_some(), b.is_some(), "{kind:?} {name} reported");
            if let (Some(a), Some(b)) = (a, b) {
                let rel = (a - b).abs() / (1.0 + a.abs());
                worst_loss = worst_loss.max(rel);
                assert!(
                    rel <= 1e-4,
                    "{kind:?} epoch {} {name}: CPU {a}, GPU {b}",
                    c.epoch
                );
            }
        }
        assert!(
            (c.train_accuracy - g.train_accuracy).abs() <= 0.01,
            "{kind:?} accuracy"
        );
        assert_eq!(c.steps, g.steps, "{kind:?} steps");
    }
    let worst = p_cpu
        .iter()
        .zip(p_gpu)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "{kind:?}: largest loss difference {worst_loss:.1e} (relative), probability {worst:.1e}"
    );
    assert!(worst < 1e-4, "{kind:?}: probabilities differ by {worst}");
}

#[test]
fn the_fused_gan_keeps_its_best_epoch_and_makes_customers() {
    if !gpu() {
        return;
    }
    let (x, y) = data(300, 3);
    let nn = NnOptions {
        keep_best: true,
        glimpse: 20,
        ..options(Backend::Gpu)
    };
    let opts = ModelOptions {
        nn,
        ..ModelOptions::default()
    };
    let mut model = build(ModelKind::Gan, &opts).unwrap();
    let mut glimpses = Vec::new();
    let mut seen = |s: &EpochStats| glimpses.push(s.glimpse.clone());
    block_on(model.fit(&x, &y, 5, &mut Hooks::new(&mut seen, None))).unwrap();
    for g in glimpses {
        let g = g.expect("a glimpse every epoch");
        assert_eq!((g.real.len(), g.fake.len()), (20 * 5, 20 * 5));
        assert!(g.fake.iter().all(|v| v.is_finite()));
    }
    let gan = model.gan().expect("the GAN's generator");
    let rows = block_on(gan.generate(50, true, 1)).unwrap();
    assert_eq!((rows.rows, rows.cols), (50, 5));
}
