//! The fused GPU kernels against the CPU reference (burn's Flex backend): the same rows,
//! weights, batches and draws give the same epochs and predictions up to summation order.
//!
//! Runs where wgpu finds an adapter — natively Mesa's lavapipe (software Vulkan) is enough:
//! `cargo test --features wgpu --test gpu`. Without an adapter the test says so and passes
//! (CI installs lavapipe, see `.ci/setup`).
#![cfg(feature = "wgpu")]

use churnlab::block_on;
use churnlab::matrix::Matrix;
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

fn options(backend: Backend) -> NnOptions {
    NnOptions {
        epochs: 3,
        batch_size: 32,
        hidden: 24,
        noise: 6,
        backend,
        ..NnOptions::default()
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

fn close(what: &str, a: f64, b: f64, tol: f64) {
    assert!(
        (a - b).abs() <= tol * (1.0 + a.abs()),
        "{what}: CPU {a} vs GPU {b} (tolerance {tol})"
    );
}

#[test]
fn fused_kernels_match_the_cpu_backend() {
    let adapter = match block_on(churnlab::models::nn::init_gpu()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("no GPU adapter, nothing compared: {}", e.message);
            return;
        }
    };
    eprintln!("GPU: {adapter}");
    let (x, y) = data(300, 1);
    let (test, _) = data(80, 2);
    for kind in [ModelKind::Mlp, ModelKind::Gan, ModelKind::GanAblation] {
        let (cpu, p_cpu) = fit(kind, options(Backend::Cpu), &x, &y, &test);
        let (gpu, p_gpu) = fit(kind, options(Backend::Gpu), &x, &y, &test);
        assert_eq!(cpu.len(), gpu.len(), "{kind:?}");
        // Float sums in another order drift apart over the steps: 1e-3 relative after
        // three epochs of Adam (measured on lavapipe: see the README).
        let tol = 2e-3;
        for (c, g) in cpu.iter().zip(&gpu) {
            let e = c.epoch;
            close(
                &format!("{kind:?} epoch {e} train loss"),
                c.train_loss,
                g.train_loss,
                tol,
            );
            close(
                &format!("{kind:?} epoch {e} val loss"),
                c.val_loss,
                g.val_loss,
                tol,
            );
            close(
                &format!("{kind:?} epoch {e} train acc"),
                c.train_accuracy,
                g.train_accuracy,
                0.02,
            );
            for (name, a, b) in [("D", c.d_loss, g.d_loss), ("G", c.g_loss, g.g_loss)] {
                assert_eq!(a.is_some(), b.is_some(), "{kind:?} {name} loss reported");
                if let (Some(a), Some(b)) = (a, b) {
                    close(&format!("{kind:?} epoch {e} {name} loss"), a, b, tol);
                }
            }
        }
        let worst = p_cpu
            .iter()
            .zip(&p_gpu)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        eprintln!("{kind:?}: largest probability difference {worst:.2e}");
        assert!(worst < 5e-3, "{kind:?}: probabilities differ by {worst}");
    }
}

#[test]
fn the_fused_gan_keeps_its_best_epoch_and_makes_customers() {
    if block_on(churnlab::models::nn::init_gpu()).is_err() {
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
