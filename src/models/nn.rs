//! The burn networks: an MLP and a semi-supervised GAN (Salimans et al. 2016; Odena 2016).
//!
//! Both train with hand-written loops (burn-train does not run in wasm) on a runtime [`Device`]
//! (Flex on the CPU here). Every random draw — initial weights, batch order, noise — comes from
//! the caller's seeded [`Rng`] on the host, so the same seed gives the same numbers on any backend.
//!
//! The GAN's discriminator has one logit per real class; the "fake" class is implicit:
//! `D(x) = Z/(Z+1)` with `Z = Σₖ exp(lₖ)`. It learns from labelled real rows (cross-entropy), from
//! real rows as real and from generated rows as fake. The generator, conditioned on the class,
//! learns by feature matching (the mean of D's last hidden layer over real and generated rows)
//! plus the discriminator's class loss on its rows, so that it can generate either class. The
//! discriminator's class head is the churn classifier.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{leaky_relu, log_softmax, sigmoid, softmax, softplus};
use burn::tensor::{Device, Int, Tensor, TensorData, Transaction};

use super::counter::{Draws, Stream};
use super::encoding::Encoding;
use super::{
    Backend, Blobs, Classifier, EpochStats, Glimpse, Hooks, Local, NnOptions, Saved, check_width,
};
use crate::matrix::{Layout, Matrix};
use crate::rng::Rng;
use crate::{Error, now};

const SLOPE: f64 = 0.2;

/// A dense layer's weights (`[d_in, d_out]`, row-major) then bias, initialised like PyTorch's
/// default: U(−1/√fan_in, 1/√fan_in).
fn draw_dense(d_in: usize, d_out: usize, rng: &mut Rng, out: &mut Vec<f32>) {
    let bound = 1.0 / (d_in as f64).sqrt();
    out.extend((0..d_in * d_out + d_out).map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32));
}

/// A new [`Net`]'s parameters, flat: `[W1 | b1 | W2 | b2 | W3 | b3]` (the fused GPU kernels'
/// layout).
fn draw_net(d_in: usize, hidden: usize, d_out: usize, rng: &mut Rng) -> Vec<f32> {
    let mut p = Vec::new();
    draw_dense(d_in, hidden, rng, &mut p);
    draw_dense(hidden, hidden, rng, &mut p);
    draw_dense(hidden, d_out, rng, &mut p);
    p
}

/// A dense layer from the front of `flat`, which moves past it.
fn dense(d_in: usize, d_out: usize, flat: &mut &[f32], device: &Device) -> Linear {
    let (w, rest) = flat.split_at(d_in * d_out);
    let (b, rest) = rest.split_at(d_out);
    *flat = rest;
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(w.to_vec(), [d_in, d_out]),
            device,
        )),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(b.to_vec(), [d_out]),
            device,
        ))),
    }
}

/// Two hidden layers (LeakyReLU) and an output layer; with `adapter` (TabM-mini, `[k, d_in]`)
/// each of the k class heads sees the inputs scaled by its own row of the adapter.
#[derive(Module, Debug)]
pub struct Net {
    l1: Linear,
    l2: Linear,
    out: Linear,
    adapter: Option<Param<Tensor<2>>>,
}

impl Net {
    fn new(d_in: usize, hidden: usize, d_out: usize, rng: &mut Rng, device: &Device) -> Net {
        Net::from_flat(
            d_in,
            hidden,
            d_out,
            &draw_net(d_in, hidden, d_out, rng),
            device,
        )
    }

    /// The network of flat parameters (see [`draw_net`]).
    fn from_flat(d_in: usize, hidden: usize, d_out: usize, flat: &[f32], device: &Device) -> Net {
        let mut rest = flat;
        Net {
            l1: dense(d_in, hidden, &mut rest, device),
            l2: dense(hidden, hidden, &mut rest, device),
            out: dense(hidden, d_out, &mut rest, device),
            adapter: None,
        }
    }

    /// With a TabM-mini adapter for `heads` (none: the network as it is): random signs, so
    /// that the heads start apart.
    fn with_adapter(mut self, heads: Option<usize>, rng: &mut Rng, device: &Device) -> Net {
        let Some(k) = heads else {
            return self;
        };
        let d_in = self.l1.weight.dims()[0];
        let signs = (0..k * d_in)
            .map(|_| if rng.uniform() < 0.5 { -1.0 } else { 1.0 })
            .collect();
        self.adapter = Some(Param::from_tensor(upload(signs, k, d_in, device)));
        self
    }

    /// (output, last hidden layer). With an adapter the rows run once per head (the hidden
    /// layer has k·n rows) and head i reads the run through adapter row i.
    fn forward(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let Some(adapter) = &self.adapter else {
            let h = leaky_relu(self.l1.forward(x), SLOPE);
            let h = leaky_relu(self.l2.forward(h), SLOPE);
            return (self.out.forward(h.clone()), h);
        };
        let [n, d] = x.dims();
        let k = adapter.dims()[0];
        let runs =
            (x.unsqueeze_dim::<3>(0) * adapter.val().unsqueeze_dim::<3>(1)).reshape([k * n, d]);
        let h = leaky_relu(self.l1.forward(runs), SLOPE);
        let h = leaky_relu(self.l2.forward(h), SLOPE);
        // Every head on every run, [k runs, n, k heads, 2]; keep run i's head i.
        let all = self.out.forward(h.clone()).reshape([k, n, k, 2]);
        let eye = Tensor::<2>::eye(k, &all.device()).reshape([k, 1, k, 1]);
        let logits = (all * eye).sum_dim(0).reshape([n, 2 * k]);
        (logits, h)
    }
}

/// An [`Encoding`] on a device.
struct Embed {
    idx: Tensor<1, Int>,
    lo: Tensor<2>,
    inv: Tensor<2>,
}

impl Embed {
    fn new(e: &Encoding, device: &Device) -> Embed {
        let (mut idx, mut lo, mut inv) = (Vec::new(), Vec::new(), Vec::new());
        for (c, l, i) in e.features() {
            idx.push(c as i64);
            lo.push(l);
            inv.push(i);
        }
        let n = idx.len();
        Embed {
            idx: Tensor::from_data(TensorData::new(idx, [n]), device),
            lo: upload(lo, 1, n, device),
            inv: upload(inv, 1, n, device),
        }
    }

    /// `x` with its encodings appended.
    fn apply(&self, x: Tensor<2>) -> Tensor<2> {
        let pos = ((x.clone().select(1, self.idx.clone()) - self.lo.clone()) * self.inv.clone())
            .clamp(0.0, 1.0);
        Tensor::cat(vec![x, pos], 1)
    }
}

/// `x` through `embed`, if there is one.
fn embedded(embed: Option<&Embed>, x: Tensor<2>) -> Tensor<2> {
    match embed {
        Some(e) => e.apply(x),
        None => x,
    }
}

/// A [`Layout`] on a device: the groups, and the affine map into the scaled input space.
struct Heads {
    groups: Vec<std::ops::Range<usize>>,
    mul: Tensor<2>,
    add: Tensor<2>,
}

impl Heads {
    fn new(heads: Option<&Layout>, cols: usize, device: &Device) -> Option<Heads> {
        let h = heads.filter(|h| !h.groups.is_empty() && h.shift.len() == cols)?;
        let (mut mul, mut add) = (vec![1.0f32; cols], vec![0.0f32; cols]);
        for j in h.groups.iter().flat_map(|g| g.clone()) {
            mul[j] = 1.0 / h.scale[j];
            add[j] = -h.shift[j] / h.scale[j];
        }
        Some(Heads {
            groups: h.groups.clone(),
            mul: upload(mul, 1, cols, device),
            add: upload(add, 1, cols, device),
        })
    }

    /// Gumbel noise for the softmax columns and logistic noise for the sigmoid ones (zero
    /// elsewhere), `n` rows: with it a head draws a level instead of always taking the likeliest.
    fn noise(&self, rng: &mut Rng, n: usize, cols: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; n * cols];
        let u = |rng: &mut Rng| rng.uniform().clamp(1e-7, 1.0 - 1e-7);
        for row in out.chunks_mut(cols) {
            for g in &self.groups {
                for v in &mut row[g.clone()] {
                    *v = if g.len() > 1 {
                        -(-u(rng).ln()).ln() as f32
                    } else {
                        let p = u(rng);
                        (p.ln() - (1.0 - p).ln()) as f32
                    };
                }
            }
        }
        out
    }

    /// Raw generator outputs and head noise → model inputs: relaxed (Gumbel-softmax, binary
    /// Concrete) heads at temperature [`TEMPERATURE`], then scaled.
    fn apply(&self, raw: Tensor<2>, noise: Tensor<2>) -> Tensor<2> {
        let [n, d] = raw.dims();
        let mut parts = Vec::with_capacity(2 * self.groups.len() + 1);
        let mut at = 0;
        for g in &self.groups {
            if g.start > at {
                parts.push(raw.clone().slice([0..n, at..g.start]));
            }
            let x = (raw.clone().slice([0..n, g.clone()]) + noise.clone().slice([0..n, g.clone()]))
                .div_scalar(TEMPERATURE);
            parts.push(if g.len() > 1 {
                softmax(x, 1)
            } else {
                sigmoid(x)
            });
            at = g.end;
        }
        if at < d {
            parts.push(raw.slice([0..n, at..d]));
        }
        Tensor::cat(parts, 1) * self.mul.clone() + self.add.clone()
    }
}

/// Temperature of the relaxed categorical heads.
const TEMPERATURE: f64 = 0.5;

/// The generator's rows: its network, then its heads (with their noise) where there are any.
fn generated(generator: &Net, heads: Option<(&Heads, &Tensor<2>)>, z: Tensor<2>) -> Tensor<2> {
    let (raw, _) = generator.forward(z);
    match heads {
        Some((h, noise)) => h.apply(raw, noise.clone()),
        None => raw,
    }
}

fn upload(data: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// A class as the networks' two outputs see it: `[not churn, churn]`.
fn onehot(churn: bool) -> [f32; 2] {
    if churn { [0.0, 1.0] } else { [1.0, 0.0] }
}

/// Rows `idx` of `x`, and their labels one-hot, as host vectors.
fn gather(x: &Matrix, y: &[bool], idx: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let mut xs = Vec::with_capacity(idx.len() * x.cols);
    let mut ys = Vec::with_capacity(idx.len() * 2);
    for &i in idx {
        xs.extend_from_slice(x.row(i));
        ys.extend_from_slice(&onehot(y[i]));
    }
    (xs, ys)
}

/// One-hot labels smoothed by `eps`: 1 − eps/2 and eps/2.
fn smoothed(onehot: Vec<f32>, eps: f64) -> Vec<f32> {
    if eps <= 0.0 {
        return onehot;
    }
    let e = eps as f32;
    onehot
        .into_iter()
        .map(|v| v * (1.0 - e) + e / 2.0)
        .collect()
}

/// The classifying network (the MLP, the GAN's discriminator) of `o`: with its TabM-mini
/// adapter where asked for.
fn classifier(d_in: usize, o: &NnOptions, rng: &mut Rng, device: &Device) -> Net {
    Net::new(d_in, o.hidden, class_outputs(o), rng, device).with_adapter(
        adapter_heads(o),
        rng,
        device,
    )
}

/// The heads that have adapters (`NnOptions::adapters`), if any.
fn adapter_heads(o: &NnOptions) -> Option<usize> {
    (o.adapters && o.ensemble > 1).then_some(o.ensemble)
}

/// Outputs of the classifying network: two class logits per head (`NnOptions::ensemble`).
fn class_outputs(o: &NnOptions) -> usize {
    2 * o.ensemble.max(1)
}

/// Mean cross-entropy of class logits (`[n, 2k]`: k heads) against one-hot labels, the mean
/// over the heads too.
fn cross_entropy(logits: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
    let [n, w] = logits.dims();
    let per_head = log_softmax(logits.reshape([n, w / 2, 2]), 2);
    (per_head * onehot.reshape([n, 1, 2]))
        .sum_dim(2)
        .mean()
        .neg()
}

/// log Σ exp(l) of each head's class logits per row, shape [n, k].
fn log_sum_exp(logits: Tensor<2>) -> Tensor<2> {
    let [n, w] = logits.dims();
    let k = w / 2;
    let heads = logits.reshape([n, k, 2]);
    let first = heads.clone().slice([0..n, 0..k, 0..1]);
    (first - log_softmax(heads, 2).slice([0..n, 0..k, 0..1])).reshape([n, k])
}

/// Class probabilities `[n, 2]` of class logits `[n, 2k]`: the mean over the heads.
fn class_probabilities(logits: Tensor<2>) -> Tensor<2> {
    let [n, w] = logits.dims();
    softmax(logits.reshape([n, w / 2, 2]), 2)
        .mean_dim(1)
        .reshape([n, 2])
}

/// Host copies of `tensors`, read in one transaction. Asynchronous: on WebGPU a read cannot
/// be waited for; on the CPU it is ready at once.
async fn read(tensors: Vec<Tensor<2>>) -> Result<Vec<Vec<f32>>, Error> {
    let mut t = Transaction::default();
    for x in tensors {
        t = t.register(x);
    }
    let data = t
        .execute_async()
        .await
        .map_err(|e| Error::input(format!("reading results from the device failed: {e:?}")))?;
    Ok(data
        .into_iter()
        .map(|d| d.as_slice::<f32>().map(<[f32]>::to_vec).unwrap_or_default())
        .collect())
}

#[cfg(feature = "wgpu")]
static GPU: std::sync::Mutex<Option<(Device, String)>> = std::sync::Mutex::new(None);

/// Starts the GPU backend once (WebGPU in the page; natively the platform's graphics API) and
/// describes its adapter, e.g. "SwiftShader Device (Subzero) (BrowserWebGpu)".
pub async fn init_gpu() -> Result<String, Error> {
    #[cfg(feature = "wgpu")]
    {
        use burn::tensor::wgpu::WgpuBackend;
        if let Some((_, name)) = GPU.lock().map_err(|_| gpu_lost())?.as_ref() {
            return Ok(name.clone());
        }
        let api = if cfg!(target_arch = "wasm32") {
            WgpuBackend::WebGpu
        } else {
            WgpuBackend::Auto
        };
        let (device, setup) = Device::wgpu_options()
            .graphics_api(api)
            .init_with_setup_async()
            .await
            .map_err(|e| Error::config(format!("no usable GPU: {e}")))?;
        let info = setup.adapter.get_info();
        let name = format!("{} ({:?})", info.name.trim(), info.backend);
        *GPU.lock().map_err(|_| gpu_lost())? = Some((device, name.clone()));
        Ok(name)
    }
    #[cfg(not(feature = "wgpu"))]
    Err(Error::config(
        "this build has no GPU backend (feature 'wgpu'): use the CPU",
    ))
}

#[cfg(feature = "wgpu")]
fn gpu_lost() -> Error {
    Error::config("the GPU backend failed earlier in this session")
}

/// The device of `backend`; the GPU must have been started with [`init_gpu`].
fn device_for(backend: Backend) -> Result<Device, Error> {
    match backend {
        Backend::Cpu => Ok(Device::flex()),
        Backend::Gpu | Backend::GpuOps => {
            #[cfg(feature = "wgpu")]
            if let Some((device, _)) = GPU.lock().map_err(|_| gpu_lost())?.as_ref() {
                return Ok(device.clone());
            }
            Err(Error::config(
                "the GPU backend is not started (init_gpu) or not built in: use the CPU",
            ))
        }
    }
}

/// Accuracy and mean cross-entropy of class logits (host copies, two per head, `heads` per
/// row) against labels; with several heads, of their mean probability.
fn score(logits: &[f32], y: &[bool], heads: usize) -> (f64, f64) {
    let mut correct = 0usize;
    let mut loss = 0.0;
    if heads <= 1 {
        for (l, &t) in logits.chunks(2).zip(y) {
            let (a, b) = (f64::from(l[0]), f64::from(l[1]));
            let m = a.max(b);
            let lse = m + ((a - m).exp() + (b - m).exp()).ln();
            loss += lse - if t { b } else { a };
            correct += usize::from((b > a) == t);
        }
        let n = y.len().max(1) as f64;
        return (correct as f64 / n, loss / n);
    }
    for (row, &t) in logits.chunks(2 * heads).zip(y) {
        let mut p = 0.0;
        for l in row.chunks(2) {
            let (a, b) = (f64::from(l[0]), f64::from(l[1]));
            p += 1.0 / (1.0 + (a - b).exp());
        }
        let p = p / heads as f64;
        let p_true = if t { p } else { 1.0 - p };
        loss -= p_true.max(1e-300).ln();
        correct += usize::from((p > 0.5) == t);
    }
    let n = y.len().max(1) as f64;
    (correct as f64 / n, loss / n)
}

/// Training rows and a stratified validation part carved from them, with host copies of both
/// for the end-of-epoch scores.
struct Parts {
    /// Rows per training step.
    batch: usize,
    train: Vec<usize>,
    val: Vec<usize>,
    train_x: Vec<f32>,
    val_x: Vec<f32>,
    train_y: Vec<bool>,
    val_y: Vec<bool>,
}

fn carve(x: &Matrix, y: &[bool], o: &NnOptions, seed: u64) -> Result<Parts, Error> {
    let fraction = o.validation_fraction;
    let (train, val) = super::validation_split(y, fraction, seed)?;
    let pick = |idx: &[usize]| (gather(x, y, idx).0, idx.iter().map(|&i| y[i]).collect());
    let (train_x, train_y) = pick(&train);
    let (val_x, val_y) = pick(&val);
    Ok(Parts {
        batch: o.batch_size,
        train,
        val,
        train_x,
        val_x,
        train_y,
        val_y,
    })
}

/// Rows per forward pass of the epoch statistics.
const EVAL_ROWS: usize = 16_384;

/// The epoch's statistics: accuracy and loss of `net` on the training and validation rows, and
/// the mean of each of `sums` over `batches` (read in the same transaction).
async fn epoch_stats(
    net: &Net,
    embed: Option<&Embed>,
    parts: &Parts,
    cols: usize,
    device: &Device,
    sums: Vec<Tensor<2>>,
    batches: usize,
) -> Result<(EpochStats, Vec<f64>), Error> {
    let valid = net.valid();
    // In chunks of rows: the activations of a whole large table at once took 1.5 GiB at
    // 700,000 training rows (256 wide); the outputs are still read back together.
    let forward = |data: &[f32]| -> Vec<Tensor<2>> {
        data.chunks(EVAL_ROWS * cols)
            .map(|c| {
                let x = upload(c.to_vec(), c.len() / cols, cols, device);
                valid.forward(embedded(embed, x)).0
            })
            .collect()
    };
    let extra = sums.len();
    let mut outs = sums;
    let train = forward(&parts.train_x);
    let k = train.len();
    outs.extend(train);
    outs.extend(forward(&parts.val_x));
    let host = read(outs).await?;
    let (train_logits, val_logits) = (host[extra..extra + k].concat(), host[extra + k..].concat());
    let means = host[..extra]
        .iter()
        .map(|v| f64::from(v[0]) / batches.max(1) as f64)
        .collect();
    Ok((logit_stats(&train_logits, &val_logits, parts), means))
}

/// An epoch's accuracy and loss on the training and validation rows, from their logits.
fn logit_stats(train_logits: &[f32], val_logits: &[f32], parts: &Parts) -> EpochStats {
    let heads = train_logits.len() / (2 * parts.train_y.len().max(1));
    let (train_accuracy, train_loss) = score(train_logits, &parts.train_y, heads);
    let (val_accuracy, val_loss) = if parts.val.is_empty() {
        (f64::NAN, f64::NAN)
    } else {
        score(val_logits, &parts.val_y, heads)
    };
    EpochStats {
        epoch: 0,
        train_loss,
        train_accuracy,
        val_loss,
        val_accuracy,
        d_loss: None,
        g_loss: None,
        seconds: 0.0,
        steps: parts.train.len().div_ceil(parts.batch.max(1)),
        glimpse: None,
    }
}

/// What a fused GPU run trained: its epochs, the classifier, and the GAN's generator.
#[cfg(feature = "wgpu")]
struct Fused {
    history: Vec<EpochStats>,
    d: Net,
    g: Option<Net>,
    encoding: Option<Encoding>,
}

/// The compute client for the fused GPU kernels, where the options ask for the GPU and the
/// kernels cover them.
#[cfg(feature = "wgpu")]
fn fused_client(device: &Device, o: &NnOptions) -> Option<cubecl::prelude::Client> {
    (o.backend == Backend::Gpu)
        .then(|| super::gpu::client_for(device, o))
        .flatten()
}

/// Whether a run with `o` trains on the fused GPU kernels: the GPU is started, `o` asks for it
/// and the kernels cover `o`'s options (else burn's ops train, on the CPU or the GPU).
pub fn trains_fused(o: &NnOptions) -> bool {
    #[cfg(feature = "wgpu")]
    if let Ok(device) = device_for(o.backend) {
        return fused_client(&device, o).is_some();
    }
    let _ = o;
    false
}

/// Training on the fused GPU kernels: the same rows, weights, batches and draws as the CPU
/// loops of [`Mlp`] and [`Gan`] (the same generator calls in the same order), the same
/// epochs' statistics and early stopping.
#[cfg(feature = "wgpu")]
async fn train_fused(
    client: cubecl::prelude::Client,
    kind: super::gpu::Kind,
    data: (&Matrix, &[bool]),
    seed: u64,
    o: &NnOptions,
    hooks: &mut Hooks<'_>,
    device: &Device,
) -> Result<Fused, Error> {
    use super::gpu::{Kind, Setup, Trainer};
    let (x, y) = data;
    let mut rng = Rng::new(seed);
    let parts = carve(x, y, o, seed)?;
    // The MLP has no encodings (as on the CPU).
    let bins = if kind == Kind::Mlp {
        0
    } else {
        o.embedding_bins
    };
    let encoding = Encoding::fit(x, &parts.train, bins);
    let d_in = x.cols + encoding.as_ref().map_or(0, Encoding::width);
    let d = draw_net(d_in, o.hidden, class_outputs(o), &mut rng);
    let g = (kind != Kind::Mlp).then(|| draw_net(o.noise + 2, o.hidden, x.cols, &mut rng));
    let positives = share_of_churners(&parts.train, y);
    let look = (o.glimpse > 0 && kind == Kind::Gan)
        .then(|| Look::new(x, &parts.train, o.glimpse, positives, seed));
    let setup = Setup {
        kind,
        opts: o,
        seed,
        d: &d,
        g: g.as_deref(),
        positives,
        glimpse_rows: look.as_ref().map_or(0, |l| l.real.rows),
        encoding: encoding.as_ref(),
    };
    let mut trainer = Trainer::new(client, setup, x, y, &parts.train, &parts.val)?;
    let mut tracker = Tracker::new(o);
    let mut order = parts.train.clone();
    let batches = order.len().div_ceil(o.batch_size.max(1)).max(1) as f64;
    for epoch in 1..=o.epochs {
        let t0 = now();
        rng.shuffle(&mut order);
        let e = trainer.epoch(&order, o.rate(epoch), epoch).await?;
        let mut stats = logit_stats(&e.train_logits, &e.val_logits, &parts);
        stats.epoch = epoch;
        stats.d_loss = (kind != Kind::Mlp).then_some(e.d_sum / batches);
        stats.g_loss = (kind == Kind::Gan).then_some(e.g_sum / batches);
        stats.seconds = (now() - t0).as_secs_f64();
        stats.glimpse = look.as_ref().zip(e.glimpse).map(|(l, fake)| Glimpse {
            cols: x.cols,
            real: l.real.data.clone(),
            fake,
        });
        if tracker.epoch(stats, || trainer.snapshot(), hooks).await {
            break;
        }
    }
    let (last_d, last_g) = trainer.weights(None).await?;
    let (history, kept) = tracker.kept();
    let d = match &kept {
        Some(best) => trainer.weights(Some(best)).await?.0,
        None => last_d,
    };
    let net = |i, w: &[f32], out| Net::from_flat(i, o.hidden, out, w, device);
    Ok(Fused {
        history,
        d: net(d_in, &d, class_outputs(o)),
        g: last_g.map(|w| net(o.noise + 2, &w, x.cols)),
        encoding,
    })
}

/// Seconds per training step of the GAN with `o` (its backend) on the first `steps` batches
/// of `x`: three epochs, the first a warm-up (shader compilation, first allocations), the mean
/// of the others. The page's Auto backend choice compares these.
pub async fn step_seconds(
    o: &NnOptions,
    x: &Matrix,
    y: &[bool],
    steps: usize,
) -> Result<f64, Error> {
    let rows = (o.batch_size.max(1) * steps).min(x.rows);
    let idx: Vec<usize> = (0..rows).collect();
    let (x, y) = (x.pick(&idx), &y[..rows]);
    let opts = NnOptions {
        epochs: 3,
        validation_fraction: 0.0,
        patience: None,
        keep_best: false,
        glimpse: 0,
        ..o.clone()
    };
    let mut gan = Gan::new(opts);
    gan.train(&x, y, 0, &mut Hooks::none()).await?;
    let rest = &gan.history[1..];
    let batches = rows.div_ceil(o.batch_size.max(1)).max(1);
    Ok(rest.iter().map(|s| s.seconds).sum::<f64>() / (rest.len().max(1) * batches) as f64)
}

/// Share of churners among rows `idx`.
fn share_of_churners(idx: &[usize], y: &[bool]) -> f64 {
    idx.iter().filter(|&&i| y[i]).count() as f64 / idx.len().max(1) as f64
}

/// Per-epoch bookkeeping shared by both models: statistics, early stopping, the best weights
/// (a [`Net`], or on the fused GPU path a copy of the device's weights).
struct Tracker<'a, S = Net> {
    opts: &'a NnOptions,
    history: Vec<EpochStats>,
    /// The best epoch (its index in `history`) and its weights.
    best: Option<(usize, S)>,
}

/// The loss that early stopping and the kept epoch go by: the validation loss, or without
/// validation rows the training loss.
fn stopping_loss(s: &EpochStats) -> f64 {
    if s.val_loss.is_finite() {
        s.val_loss
    } else {
        s.train_loss
    }
}

impl<'a, S> Tracker<'a, S> {
    fn new(opts: &'a NnOptions) -> Self {
        Tracker {
            opts,
            history: Vec::new(),
            best: None,
        }
    }

    /// The epochs' statistics and the weights to keep: the best epoch's (lowest validation
    /// loss), unless the last epoch is more accurate on the validation rows — then `None`,
    /// the last weights. The loss alone stops too early where a table rewards fitting it
    /// closely: it rises with a few confident errors while the accuracy still climbs.
    fn kept(self) -> (Vec<EpochStats>, Option<S>) {
        let kept = self.best.and_then(|(b, weights)| {
            let last = self.history.last().map_or(f64::NAN, |s| s.val_accuracy);
            let last_is_better = last > self.history[b].val_accuracy;
            (!last_is_better).then_some(weights)
        });
        (self.history, kept)
    }

    /// Records an epoch, then waits at the pause point; returns whether training should stop.
    /// `snapshot` takes the weights if this epoch is the best so far.
    async fn epoch(
        &mut self,
        mut stats: EpochStats,
        snapshot: impl FnOnce() -> S,
        hooks: &mut Hooks<'_>,
    ) -> bool {
        hooks.epoch(&stats).await;
        stats.glimpse = None;
        let loss = stopping_loss(&stats);
        self.history.push(stats);
        if self.opts.patience.is_none() && !self.opts.keep_best {
            return false;
        }
        let now = self.history.len() - 1;
        if self
            .best
            .as_ref()
            .is_none_or(|(b, _)| loss < stopping_loss(&self.history[*b]))
        {
            self.best = Some((now, snapshot()));
        }
        let since_best = self.best.as_ref().map_or(0, |(b, _)| now - b);
        self.opts.patience.is_some_and(|p| since_best >= p)
    }
}

async fn predict(
    net: &Net,
    encoding: Option<&Encoding>,
    x: &Matrix,
    device: &Device,
) -> Result<Vec<f64>, Error> {
    let valid = net.valid();
    let embed = encoding.map(|e| Embed::new(e, device));
    let mut out = Vec::with_capacity(x.rows);
    // Bounded chunks keep memory flat for large tables.
    for start in (0..x.rows).step_by(8192) {
        let end = (start + 8192).min(x.rows);
        let t = upload(
            x.data[start * x.cols..end * x.cols].to_vec(),
            end - start,
            x.cols,
            device,
        );
        let (logits, _) = valid.forward(embedded(embed.as_ref(), t));
        let p = read(vec![class_probabilities(logits)]).await?.remove(0);
        out.extend(p.chunks(2).map(|c| f64::from(c[1])));
    }
    Ok(out)
}

/// The [`Classifier`] of a network model: `$net` is its classifying network, its async `train`
/// does the fitting, its `save` writes its parameters.
macro_rules! net_classifier {
    ($model:ty, $net:ident, $unfitted:literal $(, $extra:item)*) => {
        impl Classifier for $model {
            $($extra)*

            fn fit<'a>(
                &'a mut self,
                x: &'a Matrix,
                y: &'a [bool],
                seed: u64,
                hooks: &'a mut Hooks<'_>,
            ) -> Local<'a, Result<(), Error>> {
                Box::pin(self.train(x, y, seed, hooks))
            }

            fn predict_proba<'a>(&'a self, x: &'a Matrix) -> Local<'a, Result<Vec<f64>, Error>> {
                Box::pin(async move {
                    let net = self.$net.as_ref().ok_or_else(|| Error::config($unfitted))?;
                    predict(net, self.encoding(), x, &self.device).await
                })
            }

            fn history(&self) -> &[EpochStats] {
                &self.history
            }

            fn save<'a>(&'a self, blobs: &'a mut Blobs) -> Local<'a, Result<Saved, Error>> {
                Box::pin(self.saved(blobs))
            }
        }
    };
}

/// A network's parameters as burn's record (burnpack bytes), read from its device first (a GPU
/// is read asynchronously) into a copy on the CPU.
async fn record(net: &Net) -> Result<Vec<u8>, Error> {
    let valid = net.valid();
    let layers = [&valid.l1, &valid.l2, &valid.out];
    let mut tensors = Vec::new();
    for l in layers {
        let [_, d_out] = l.weight.dims();
        tensors.push(l.weight.val());
        let bias = l
            .bias
            .as_ref()
            .ok_or_else(|| Error::input("a layer without a bias"))?;
        tensors.push(bias.val().reshape([1, d_out]));
    }
    if let Some(a) = &valid.adapter {
        tensors.push(a.val());
    }
    let host = read(tensors).await?;
    let cpu = Device::flex();
    let layer = |k: usize| {
        let [d_in, d_out] = layers[k].weight.dims();
        Linear {
            weight: Param::from_tensor(upload(host[2 * k].clone(), d_in, d_out, &cpu)),
            bias: Some(Param::from_tensor(
                upload(host[2 * k + 1].clone(), 1, d_out, &cpu).reshape([d_out]),
            )),
        }
    };
    let copy = Net {
        l1: layer(0),
        l2: layer(1),
        out: layer(2),
        // Read after the layers' weights and biases.
        adapter: valid.adapter.as_ref().map(|a| {
            let [k, d_in] = a.dims();
            Param::from_tensor(upload(host[2 * layers.len()].clone(), k, d_in, &cpu))
        }),
    };
    let bytes = copy
        .into_record()
        .into_bytes()
        .map_err(|e| Error::input(format!("the network could not be written: {e}")))?;
    Ok(bytes.to_vec())
}

/// A network of the given shape on the CPU, its parameters from burn's record `bytes`; `adapter`:
/// the heads of a classifier with TabM-mini adapters.
fn from_record(
    d_in: usize,
    hidden: usize,
    d_out: usize,
    adapter: Option<usize>,
    bytes: &[u8],
) -> Result<Net, Error> {
    let bad = |e: burn::store::RecordError| {
        Error::input(format!("the model file's network is damaged: {e}"))
    };
    let record =
        burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(bad)?;
    let (rng, device) = (&mut Rng::new(0), &Device::flex());
    Net::new(d_in, hidden, d_out, rng, device)
        .with_adapter(adapter, rng, device)
        .try_load_record(record)
        .map_err(bad)
}

/// A two-hidden-layer perceptron trained with cross-entropy.
pub struct Mlp {
    opts: NnOptions,
    net: Option<Net>,
    history: Vec<EpochStats>,
    device: Device,
}

impl Mlp {
    pub fn new(opts: NnOptions) -> Self {
        Mlp {
            opts,
            net: None,
            history: Vec::new(),
            device: Device::flex(),
        }
    }
}

impl Mlp {
    async fn train(
        &mut self,
        x: &Matrix,
        y: &[bool],
        seed: u64,
        hooks: &mut Hooks<'_>,
    ) -> Result<(), Error> {
        self.device = device_for(self.opts.backend)?;
        #[cfg(feature = "wgpu")]
        if let Some(client) = fused_client(&self.device, &self.opts) {
            let kind = super::gpu::Kind::Mlp;
            let f = train_fused(client, kind, (x, y), seed, &self.opts, hooks, &self.device);
            let f = f.await?;
            self.history = f.history;
            self.net = Some(f.d);
            return Ok(());
        }
        let o = self.opts.clone();
        let ad = self.device.clone().autodiff();
        let mut rng = Rng::new(seed);
        let parts = carve(x, y, &o, seed)?;
        let mut net = classifier(x.cols, &o, &mut rng, &ad);
        let mut opt = AdamConfig::new().init();
        let mut tracker = Tracker::new(&o);
        let mut order = parts.train.clone();
        for epoch in 1..=o.epochs {
            let t0 = now();
            let lr = o.rate(epoch);
            rng.shuffle(&mut order);
            for batch in order.chunks(o.batch_size) {
                let (bx, by) = gather(x, y, batch);
                let (logits, _) = net.forward(upload(bx, batch.len(), x.cols, &ad));
                let loss = cross_entropy(logits, upload(by, batch.len(), 2, &ad));
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = opt.step(lr, net, grads);
            }
            let (mut stats, _) =
                epoch_stats(&net, None, &parts, x.cols, &self.device, Vec::new(), 0).await?;
            stats.epoch = epoch;
            stats.seconds = (now() - t0).as_secs_f64();
            if tracker.epoch(stats, || net.clone(), hooks).await {
                break;
            }
        }
        let (history, kept) = tracker.kept();
        self.history = history;
        self.net = Some(kept.unwrap_or(net));
        Ok(())
    }
}

impl Mlp {
    async fn saved(&self, blobs: &mut Blobs) -> Result<Saved, Error> {
        let net = self
            .net
            .as_ref()
            .ok_or_else(|| Error::config("the MLP is not fitted yet"))?;
        let inputs = net.l1.weight.dims()[0];
        Ok(Saved::Mlp {
            opts: self.opts.clone(),
            inputs,
            net: blobs.push(record(net).await?),
        })
    }

    /// The MLP of a model file, on the CPU.
    pub fn restore(
        opts: NnOptions,
        saved: usize,
        bytes: &[u8],
        inputs: usize,
    ) -> Result<Mlp, Error> {
        check_width("network", saved, inputs)?;
        let net = from_record(
            inputs,
            opts.hidden,
            class_outputs(&opts),
            adapter_heads(&opts),
            bytes,
        )?;
        Ok(Mlp {
            opts: NnOptions {
                backend: Backend::Cpu,
                ..opts
            },
            net: Some(net),
            history: Vec::new(),
            device: Device::flex(),
        })
    }
}

impl Mlp {
    fn encoding(&self) -> Option<&Encoding> {
        None
    }
}

net_classifier!(Mlp, net, "the model is not fitted yet");

/// The semi-supervised GAN: its discriminator classifies churn, its generator makes customers.
/// Its ablation is the same training without the GAN terms: the discriminator's class loss
/// alone, on the same batches from the same start (every random draw as the GAN makes it), no
/// generator — so the difference of the two rows is what the GAN itself adds.
pub struct Gan {
    opts: NnOptions,
    discriminator: Option<Net>,
    generator: Option<Net>,
    history: Vec<EpochStats>,
    device: Device,
    /// The ablation: no real-vs-fake loss, no generator step.
    supervised_only: bool,
    /// The discriminator's input encoding (`NnOptions::embedding_bins`).
    encoding: Option<Encoding>,
}

impl Gan {
    pub fn new(opts: NnOptions) -> Self {
        Gan {
            opts,
            discriminator: None,
            generator: None,
            history: Vec::new(),
            device: Device::flex(),
            supervised_only: false,
            encoding: None,
        }
    }

    fn encoding(&self) -> Option<&Encoding> {
        self.encoding.as_ref()
    }

    /// The GAN without its GAN terms (see [`Gan`]).
    pub fn ablation(opts: NnOptions) -> Self {
        Gan {
            supervised_only: true,
            ..Gan::new(opts)
        }
    }

    /// `n` generated rows (model-input space) of the given class; the generator's raw outputs.
    pub async fn generate(&self, n: usize, churn: bool, seed: u64) -> Result<Matrix, Error> {
        let generator = self
            .generator
            .as_ref()
            .ok_or_else(|| Error::config("the GAN is not fitted yet"))?;
        let mut rng = Rng::new(seed);
        rows_of(
            generator,
            &self.opts,
            &vec![churn; n],
            &mut rng,
            &self.device,
        )
        .await
    }
}

/// Rows of `generator` for `classes` (one each), in model inputs.
async fn rows_of(
    generator: &Net,
    opts: &NnOptions,
    classes: &[bool],
    rng: &mut Rng,
    device: &Device,
) -> Result<Matrix, Error> {
    let generator = generator.valid();
    let n = classes.len();
    let z = noise(rng, classes, opts.noise);
    let cols = generator.out.weight.dims()[1];
    let heads = Heads::new(opts.heads.as_ref(), cols, device);
    let head_noise = heads
        .as_ref()
        .map(|h| upload(h.noise(rng, n, cols), n, cols, device));
    let out = generated(
        &generator,
        heads.as_ref().zip(head_noise.as_ref()),
        upload(z, n, opts.noise + 2, device),
    );
    let data = read(vec![out]).await?.remove(0);
    Ok(Matrix {
        rows: n,
        cols,
        data,
    })
}

/// What a GAN's glimpse after an epoch looks at: the same real training rows every epoch
/// (drawn once), and rows of the generator as it is, in the training rows' class balance.
struct Look {
    real: Matrix,
    positives: f64,
    seed: u64,
}

impl Look {
    fn new(x: &Matrix, train: &[usize], rows: usize, positives: f64, seed: u64) -> Look {
        let mut order = train.to_vec();
        Rng::new(seed ^ 0x61_6c_69_6d_70_73_65).shuffle(&mut order);
        Look {
            real: x.pick(&order[..rows.min(order.len())]),
            positives,
            seed,
        }
    }

    async fn take(
        &self,
        epoch: usize,
        generator: &Net,
        o: &NnOptions,
        device: &Device,
    ) -> Result<Glimpse, Error> {
        let mut rng = Rng::new(self.seed.wrapping_add(epoch as u64) ^ 0x67_6c_69_6d_70_73_65);
        let classes: Vec<bool> = (0..self.real.rows)
            .map(|_| rng.bernoulli(self.positives))
            .collect();
        let fake = rows_of(generator, o, &classes, &mut rng, device).await?;
        Ok(Glimpse {
            cols: self.real.cols,
            real: self.real.data.clone(),
            fake: fake.data,
        })
    }
}

/// A GAN training step's generated rows: the class each is asked for (in the training rows'
/// balance) and its noise rows, from counter-based draws (`counter`) — the numbers the fused
/// GPU kernels draw for the same step.
fn step_noise(
    seed: u64,
    epoch: usize,
    step: usize,
    b: usize,
    k: usize,
    positives: f64,
) -> (Vec<bool>, Vec<f32>) {
    let class = Draws::new(seed, Stream::Class, epoch, step);
    let draws = Draws::new(seed, Stream::Noise, epoch, step);
    let classes: Vec<bool> = (0..b)
        .map(|r| class.uniform(r as u32) < positives as f32)
        .collect();
    let mut z = Vec::with_capacity(b * (k + 2));
    for (r, &c) in classes.iter().enumerate() {
        z.extend((0..k).map(|j| draws.normal((r * k + j) as u32)));
        z.extend_from_slice(&onehot(c));
    }
    (classes, z)
}

/// The GAN discriminator's optimizer: Adam, or AdamW where weight decay is asked for (AdamW
/// without decay does not reproduce Adam's steps to the bit).
fn discriminator_optimizer(o: &NnOptions) -> ModuleOptimizer {
    if o.weight_decay > 0.0 {
        AdamWConfig::new()
            .with_beta_1(0.5)
            .with_weight_decay(o.weight_decay as f32)
            .init()
    } else {
        AdamConfig::new().with_beta_1(0.5).init()
    }
}

/// The discriminator's unsupervised terms, before their weight: real rows judged real
/// (−log D(x)) and generated rows judged fake (−log(1 − D(x))), each a batch mean.
fn real_vs_fake(real_logits: Tensor<2>, fake_logits: Tensor<2>) -> Tensor<1> {
    let lse_real = log_sum_exp(real_logits);
    let unsup_real = (softplus(lse_real.clone(), 1.0) - lse_real).mean();
    unsup_real + softplus(log_sum_exp(fake_logits), 1.0).mean()
}

/// The generator's loss on its rows `fake`: feature matching (the mean of the discriminator's
/// last hidden layer over `real` against over `fake`) plus the discriminator's class loss for
/// the `classes` they were asked for.
fn generator_loss(d: &Net, real: Tensor<2>, fake: Tensor<2>, classes: Tensor<2>) -> Tensor<1> {
    let (_, real_features) = d.forward(real);
    let (fake_logits, fake_features) = d.forward(fake);
    let matching = (real_features.detach().mean_dim(0) - fake_features.mean_dim(0))
        .square()
        .mean();
    matching + cross_entropy(fake_logits, classes)
}

/// Noise rows with the class appended one-hot: [z₁ … z_k, not churn, churn].
fn noise(rng: &mut Rng, classes: &[bool], k: usize) -> Vec<f32> {
    let mut z = Vec::with_capacity(classes.len() * (k + 2));
    for &c in classes {
        z.extend((0..k).map(|_| rng.normal() as f32));
        z.extend_from_slice(&onehot(c));
    }
    z
}

/// One batch of GAN training, on the autodiff device: the real rows (encoded), their labels
/// (smoothed), the generator's noise rows and the classes they ask for, the heads' noise.
struct Batch {
    real: Tensor<2>,
    labels: Tensor<2>,
    z: Tensor<2>,
    asked: Tensor<2>,
    head_noise: Option<Tensor<2>>,
}

/// What every batch of one GAN fit shares.
struct GanStep<'a> {
    opts: &'a NnOptions,
    data: (&'a Matrix, &'a [bool]),
    seed: u64,
    /// The training rows' share of churners: the balance of the classes the generator is asked for.
    positives: f64,
    /// The autodiff device.
    device: Device,
    embed: Option<Embed>,
    heads: Option<Heads>,
    supervised_only: bool,
}

impl GanStep<'_> {
    /// The batch of training rows `rows` in step `step` of `epoch`; `rng` draws the heads' noise.
    fn batch(&self, rows: &[usize], (epoch, step): (usize, usize), rng: &mut Rng) -> Batch {
        let ((x, y), o, ad, b) = (self.data, self.opts, &self.device, rows.len());
        let (bx, by) = gather(x, y, rows);
        let (asked, z) = step_noise(self.seed, epoch, step, b, o.noise, self.positives);
        let asked = asked.iter().flat_map(|&c| onehot(c)).collect();
        Batch {
            real: embedded(self.embed.as_ref(), upload(bx, b, x.cols, ad)),
            labels: upload(smoothed(by, o.label_smoothing), b, 2, ad),
            z: upload(z, b, o.noise + 2, ad),
            asked: upload(asked, b, 2, ad),
            head_noise: (self.heads.as_ref())
                .map(|h| upload(h.noise(rng, b, x.cols), b, x.cols, ad)),
        }
    }

    /// The discriminator's step on `b`, then (not for the ablation) the generator's; the two
    /// networks after them and the steps' losses.
    fn step(
        &self,
        lr: f64,
        d: Net,
        g: Net,
        b: Batch,
        (opt_d, opt_g): &mut (ModuleOptimizer, ModuleOptimizer),
    ) -> (Net, Net, Tensor<1>, Option<Tensor<1>>) {
        let o = self.opts;
        let (real_logits, _) = d.forward(b.real.clone());
        let supervised = cross_entropy(real_logits.clone(), b.labels);
        if self.supervised_only {
            let grads = GradientsParams::from_grads(supervised.backward(), &d);
            let d = opt_d.step(lr, d, grads);
            return (d, g, supervised.detach(), None);
        }
        // Generated once per batch: the generator step below uses the same rows (the
        // generator has not changed), through the graph this step leaves alone.
        let heads = self.heads.as_ref().zip(b.head_noise.as_ref());
        let fake = embedded(self.embed.as_ref(), generated(&g, heads, b.z));
        let (fake_logits, _) = d.forward(fake.clone().detach());
        let d_loss =
            supervised + real_vs_fake(real_logits, fake_logits).mul_scalar(o.unsupervised_weight);
        let grads = GradientsParams::from_grads(d_loss.backward(), &d);
        let d = opt_d.step(lr, d, grads);

        let g_loss = generator_loss(&d, b.real, fake, b.asked);
        let grads = GradientsParams::from_grads(g_loss.backward(), &g);
        let g = opt_g.step(o.generator_learning_rate, g, grads);
        (d, g, d_loss.detach(), Some(g_loss.detach()))
    }
}

impl Gan {
    async fn train(
        &mut self,
        x: &Matrix,
        y: &[bool],
        seed: u64,
        hooks: &mut Hooks<'_>,
    ) -> Result<(), Error> {
        self.device = device_for(self.opts.backend)?;
        #[cfg(feature = "wgpu")]
        if let Some(client) = fused_client(&self.device, &self.opts) {
            use super::gpu::Kind;
            let kind = if self.supervised_only {
                Kind::Ablation
            } else {
                Kind::Gan
            };
            let f = train_fused(client, kind, (x, y), seed, &self.opts, hooks, &self.device);
            let f = f.await?;
            self.history = f.history;
            self.discriminator = Some(f.d);
            self.generator = f.g;
            self.encoding = f.encoding;
            return Ok(());
        }
        self.train_here(x, y, seed, hooks).await
    }

    /// Training with burn's operations (the CPU, or a GPU without the fused kernels).
    async fn train_here(
        &mut self,
        x: &Matrix,
        y: &[bool],
        seed: u64,
        hooks: &mut Hooks<'_>,
    ) -> Result<(), Error> {
        let o = self.opts.clone();
        let ad = self.device.clone().autodiff();
        let mut rng = Rng::new(seed);
        let parts = carve(x, y, &o, seed)?;
        let encoding = Encoding::fit(x, &parts.train, o.embedding_bins);
        let d_in = x.cols + encoding.as_ref().map_or(0, Encoding::width);
        let mut discriminator = classifier(d_in, &o, &mut rng, &ad);
        let mut generator = Net::new(o.noise + 2, o.hidden, x.cols, &mut rng, &ad);
        let ctx = GanStep {
            opts: &o,
            data: (x, y),
            seed,
            positives: share_of_churners(&parts.train, y),
            device: ad.clone(),
            embed: encoding.as_ref().map(|e| Embed::new(e, &ad)),
            heads: Heads::new(o.heads.as_ref(), x.cols, &ad),
            supervised_only: self.supervised_only,
        };
        let mut opts = (
            discriminator_optimizer(&o),
            AdamConfig::new().with_beta_1(0.5).init(),
        );
        let mut tracker = Tracker::new(&o);
        let look = (o.glimpse > 0 && !self.supervised_only)
            .then(|| Look::new(x, &parts.train, o.glimpse, ctx.positives, seed));
        // The encoding on the device where the epoch's statistics are computed.
        let embed_stats = encoding.as_ref().map(|e| Embed::new(e, &self.device));
        let mut order = parts.train.clone();
        for epoch in 1..=o.epochs {
            let t0 = now();
            let lr = o.rate(epoch);
            rng.shuffle(&mut order);
            let mut d_sum: Option<Tensor<1>> = None;
            let mut g_sum: Option<Tensor<1>> = None;
            let batches = order.chunks(o.batch_size).count();
            for (step, rows) in order.chunks(o.batch_size).enumerate() {
                let batch = ctx.batch(rows, (epoch, step), &mut rng);
                let (d_loss, g_loss);
                (discriminator, generator, d_loss, g_loss) =
                    ctx.step(lr, discriminator, generator, batch, &mut opts);
                d_sum = Some(d_sum.map_or(d_loss.clone(), |s| s + d_loss));
                if let Some(g) = g_loss {
                    g_sum = Some(g_sum.map_or(g.clone(), |s| s + g));
                }
            }
            let sums = [d_sum, g_sum]
                .map(|t| {
                    t.map_or_else(|| Tensor::zeros([1, 1], &ad), |s| s.reshape([1, 1]))
                        .inner()
                })
                .to_vec();
            let (mut stats, means) = epoch_stats(
                &discriminator,
                embed_stats.as_ref(),
                &parts,
                x.cols,
                &self.device,
                sums,
                batches,
            )
            .await?;
            stats.epoch = epoch;
            stats.d_loss = Some(means[0]);
            stats.g_loss = (!self.supervised_only).then_some(means[1]);
            stats.seconds = (now() - t0).as_secs_f64();
            if let Some(look) = &look {
                stats.glimpse = Some(look.take(epoch, &generator, &o, &self.device).await?);
            }
            if tracker.epoch(stats, || discriminator.clone(), hooks).await {
                break;
            }
        }
        let (history, kept) = tracker.kept();
        self.history = history;
        self.discriminator = Some(kept.unwrap_or(discriminator));
        self.generator = (!self.supervised_only).then_some(generator);
        self.encoding = encoding;
        Ok(())
    }
}

impl Gan {
    async fn saved(&self, blobs: &mut Blobs) -> Result<Saved, Error> {
        if let (true, Some(d)) = (self.supervised_only, &self.discriminator) {
            return Ok(Saved::GanAblation {
                inputs: self.raw_inputs(d),
                encoding: self.encoding.clone(),
                opts: self.opts.clone(),
                discriminator: blobs.push(record(d).await?),
            });
        }
        let (Some(d), Some(g)) = (&self.discriminator, &self.generator) else {
            return Err(Error::config("the GAN is not fitted yet"));
        };
        Ok(Saved::Gan {
            inputs: self.raw_inputs(d),
            encoding: self.encoding.clone(),
            heads: self.opts.heads.clone(),
            opts: self.opts.clone(),
            discriminator: blobs.push(record(d).await?),
            generator: blobs.push(record(g).await?),
        })
    }

    /// The table's inputs of discriminator `d` (its first layer also takes the encodings).
    fn raw_inputs(&self, d: &Net) -> usize {
        d.l1.weight.dims()[0] - self.encoding.as_ref().map_or(0, Encoding::width)
    }

    /// The GAN of a model file, on the CPU; without a generator, its ablation (the
    /// discriminator alone).
    pub fn restore(
        opts: NnOptions,
        saved: usize,
        encoding: Option<Encoding>,
        discriminator: &[u8],
        generator: Option<&[u8]>,
        inputs: usize,
    ) -> Result<Gan, Error> {
        check_width("network", saved, inputs)?;
        let encoding = encoding.map(|e| e.checked(inputs)).transpose()?;
        let d_in = inputs + encoding.as_ref().map_or(0, Encoding::width);
        let generator = generator
            .map(|g| from_record(opts.noise + 2, opts.hidden, inputs, None, g))
            .transpose()?;
        Ok(Gan {
            encoding,
            discriminator: Some(from_record(
                d_in,
                opts.hidden,
                class_outputs(&opts),
                adapter_heads(&opts),
                discriminator,
            )?),
            supervised_only: generator.is_none(),
            generator,
            opts: NnOptions {
                backend: Backend::Cpu,
                ..opts
            },
            history: Vec::new(),
            device: Device::flex(),
        })
    }
}

net_classifier!(
    Gan,
    discriminator,
    "the GAN is not fitted yet",
    // The ablation has no generator: it makes no customers.
    fn gan(&self) -> Option<&Gan> {
        (!self.supervised_only).then_some(self)
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{fit, fit_seeing, proba};

    /// Two noisy clusters in 4 dimensions, 1 in 4 positive; the clusters overlap a little.
    fn data(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = Rng::new(seed);
        let y: Vec<bool> = (0..n).map(|i| i % 4 == 0).collect();
        let data = y
            .iter()
            .flat_map(|&p| {
                let c = if p { 1.2 } else { -0.4 };
                [
                    c + rng.normal(),
                    c + rng.normal(),
                    rng.normal(),
                    -c + rng.normal(),
                ]
                .map(|v| v as f32)
            })
            .collect();
        (
            Matrix {
                rows: n,
                cols: 4,
                data,
            },
            y,
        )
    }

    fn small() -> NnOptions {
        NnOptions {
            epochs: 8,
            batch_size: 32,
            hidden: 16,
            noise: 4,
            ..NnOptions::default()
        }
    }

    #[test]
    fn mlp_and_gan_learn_report_epochs_and_repeat_with_the_seed() {
        let (x, y) = data(480, 1);
        let (xt, yt) = data(240, 2);
        type Make = fn(NnOptions) -> Box<dyn Classifier>;
        let models: [(&str, Make); 2] = [
            ("mlp", |o| Box::new(Mlp::new(o))),
            ("gan", |o| Box::new(Gan::new(o))),
        ];
        for (name, make) in models {
            let mut seen = Vec::new();
            let mut a = make(small());
            fit_seeing(a.as_mut(), &x, &y, 3, &mut |s| seen.push(s.clone())).unwrap();
            assert_eq!(seen.len(), 8, "{name}");
            assert_eq!(a.history(), &seen[..]);
            assert!(
                seen.iter()
                    .all(|s| s.val_loss.is_finite() && s.train_accuracy > 0.5),
                "{name}"
            );
            assert_eq!(seen[0].d_loss.is_some(), name == "gan");
            let p = proba(a.as_ref(), &xt).unwrap();
            let s = crate::metrics::evaluate(&yt, &p, 0.5);
            assert!(
                s.accuracy > 0.85 && s.roc_auc.unwrap() > 0.9,
                "{name}: {s:?}"
            );
            let mut b = make(small());
            fit(b.as_mut(), &x, &y, 3).unwrap();
            assert_eq!(
                proba(b.as_ref(), &xt).unwrap(),
                p,
                "{name}: same seed, same numbers"
            );
        }
    }

    #[test]
    fn the_gans_glimpse_shows_real_and_generated_rows_and_changes_nothing() {
        let (x, y) = data(480, 1);
        let (xt, _) = data(60, 2);
        let mut seen = Vec::new();
        let mut a = Gan::new(NnOptions {
            glimpse: 50,
            ..small()
        });
        fit_seeing(&mut a, &x, &y, 3, &mut |s| seen.push(s.clone())).unwrap();
        let g = seen[0]
            .glimpse
            .as_ref()
            .expect("a glimpse after every epoch");
        assert_eq!((g.cols, g.real.len(), g.fake.len()), (4, 200, 200));
        assert!(g.fake.iter().all(|v| v.is_finite()));
        // The same real rows every epoch; the generated ones change as the generator learns.
        let last = seen[7].glimpse.as_ref().unwrap();
        assert_eq!(last.real, g.real);
        assert_ne!(last.fake, g.fake);
        // Never kept in the history, and training is the same without it.
        assert!(a.history().iter().all(|s| s.glimpse.is_none()));
        let mut b = Gan::new(small());
        fit(&mut b, &x, &y, 3).unwrap();
        assert_eq!(proba(&a, &xt).unwrap(), proba(&b, &xt).unwrap());
    }

    #[test]
    fn an_encoding_appends_each_inputs_place_in_its_bins() {
        let e = Encoding {
            cols: vec![1],
            edges: vec![vec![0.0, 5.0, 10.0, 20.0]],
        };
        let device = Device::flex();
        let x = upload(vec![0.5, 10.0, 2.0, -1.0], 2, 2, &device);
        let out = crate::block_on(read(vec![Embed::new(&e, &device).apply(x)])).unwrap();
        assert_eq!(out[0], [0.5, 10.0, 1.0, 1.0, 0.0, 2.0, -1.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn a_gan_with_encoded_inputs_learns_and_survives_a_model_file() {
        let (x, y) = data(480, 1);
        let (xt, yt) = data(240, 2);
        let mut g = Gan::new(NnOptions {
            embedding_bins: 8,
            label_smoothing: 0.1,
            weight_decay: 0.01,
            keep_best: true,
            ..small()
        });
        fit(&mut g, &x, &y, 3).unwrap();
        assert_eq!(g.encoding().map(Encoding::width), Some(4 * 8));
        let p = proba(&g, &xt).unwrap();
        let s = crate::metrics::evaluate(&yt, &p, 0.5);
        assert!(s.accuracy > 0.85, "{s:?}");
        let mut blobs = Blobs::default();
        let saved = crate::block_on(g.save(&mut blobs)).unwrap();
        let back = saved.restore(&blobs, 4).unwrap();
        assert_eq!(crate::block_on(back.predict_proba(&xt)).unwrap(), p);
        // Generated rows still come in the table's inputs (the encoding is the discriminator's).
        assert_eq!(crate::block_on(g.generate(5, true, 1)).unwrap().cols, 4);
    }

    #[test]
    fn an_ensemble_of_class_heads_learns_averages_and_survives_a_model_file() {
        let (x, y) = data(480, 1);
        let (xt, yt) = data(240, 2);
        type Make = fn(NnOptions) -> Box<dyn Classifier>;
        let models: [Make; 3] = [
            |o| Box::new(Mlp::new(o)),
            |o| Box::new(Gan::new(o)),
            |o| Box::new(Gan::ablation(o)),
        ];
        for (make, adapters) in models.iter().flat_map(|m| [(m, false), (m, true)]) {
            let opts = NnOptions {
                ensemble: 4,
                adapters,
                ..small()
            };
            let mut m = make(opts);
            crate::block_on(m.fit(&x, &y, 3, &mut Hooks::none())).unwrap();
            let p = crate::block_on(m.predict_proba(&xt)).unwrap();
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
            let s = crate::metrics::evaluate(&yt, &p, 0.5);
            assert!(s.accuracy > 0.85, "{s:?}");
            let h = m.history().last().unwrap();
            assert!(h.train_loss.is_finite() && h.val_loss.is_finite(), "{h:?}");
            let mut blobs = Blobs::default();
            let saved = crate::block_on(m.save(&mut blobs)).unwrap();
            let back = saved.restore(&blobs, 4).unwrap();
            assert_eq!(crate::block_on(back.predict_proba(&xt)).unwrap(), p);
        }
        // The heads' mean probability, and the mean of their losses.
        let device = Device::flex();
        let logits = upload(vec![2.0, 0.0, 0.0, 2.0], 1, 4, &device);
        let p = crate::block_on(read(vec![class_probabilities(logits.clone())])).unwrap();
        assert!((p[0][0] - 0.5).abs() < 1e-6 && (p[0][1] - 0.5).abs() < 1e-6);
        let ce = cross_entropy(logits, upload(vec![1.0, 0.0], 1, 2, &device));
        let ce = ce.into_data().as_slice::<f32>().unwrap()[0];
        let expected = 0.5 * ((1.0f32 + (-2.0f32).exp()).ln() + (1.0f32 + 2.0f32.exp()).ln());
        assert!((ce - expected).abs() < 1e-5, "{ce} vs {expected}");
        // A tie of the heads' mean says "stayed".
        let (acc, loss) = score(&[2.0, 0.0, 0.0, 2.0], &[false], 2);
        assert_eq!(acc, 1.0);
        assert!((loss - 2f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn an_adapter_gives_each_head_its_own_scaled_inputs() {
        let device = Device::flex();
        let mut rng = Rng::new(5);
        let (d_in, k, n) = (3, 2, 4);
        let net =
            Net::new(d_in, 8, 2 * k, &mut rng, &device).with_adapter(Some(k), &mut rng, &device);
        let r = crate::block_on(read(vec![net.adapter.as_ref().unwrap().val()])).unwrap();
        assert!(r[0].iter().all(|&v| v == 1.0 || v == -1.0), "{:?}", r[0]);
        let x: Vec<f32> = (0..n * d_in).map(|i| i as f32 / 5.0 - 1.0).collect();
        let (logits, hidden) = net.forward(upload(x.clone(), n, d_in, &device));
        assert_eq!(hidden.dims(), [k * n, 8]);
        let got = crate::block_on(read(vec![logits])).unwrap().remove(0);
        let plain = Net {
            adapter: None,
            ..net.clone()
        };
        for i in 0..k {
            // Head i is the plain network on x scaled by adapter row i, its own output pair.
            let scaled: Vec<f32> = x
                .iter()
                .enumerate()
                .map(|(j, v)| v * r[0][i * d_in + j % d_in])
                .collect();
            let (all, _) = plain.forward(upload(scaled, n, d_in, &device));
            let all = crate::block_on(read(vec![all])).unwrap().remove(0);
            for row in 0..n {
                for c in 0..2 {
                    let (a, b) = (got[row * 2 * k + 2 * i + c], all[row * 2 * k + 2 * i + c]);
                    assert!((a - b).abs() < 1e-5, "head {i} row {row}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn the_ablation_is_the_gan_without_its_gan_terms() {
        let (x, y) = data(480, 1);
        let (xt, _) = data(60, 2);
        // The ablation trains as a GAN whose real-vs-fake loss weighs nothing: the same start,
        // the same batches, the same class loss.
        let mut a = Gan::ablation(small());
        fit(&mut a, &x, &y, 3).unwrap();
        let mut g = Gan::new(NnOptions {
            unsupervised_weight: 0.0,
            ..small()
        });
        fit(&mut g, &x, &y, 3).unwrap();
        let (pa, pg) = (proba(&a, &xt).unwrap(), proba(&g, &xt).unwrap());
        assert!(
            pa.iter().zip(&pg).all(|(p, q)| (p - q).abs() < 1e-5),
            "{pa:?} {pg:?}"
        );
        assert!(
            a.history()
                .iter()
                .all(|s| s.d_loss.is_some() && s.g_loss.is_none())
        );
        assert!(a.gan().is_none(), "no generator: it makes no customers");
        // Saved and restored as the ablation.
        let mut blobs = Blobs::default();
        let saved = crate::block_on(a.save(&mut blobs)).unwrap();
        assert_eq!(saved.kind(), crate::models::ModelKind::GanAblation);
        let back = saved.restore(&blobs, 4).unwrap();
        assert_eq!(crate::block_on(back.predict_proba(&xt)).unwrap(), pa);
        // The full GAN differs: its GAN terms change the discriminator.
        let mut full = Gan::new(small());
        fit(&mut full, &x, &y, 3).unwrap();
        assert_ne!(proba(&full, &xt).unwrap(), pa);
    }

    #[test]
    fn early_stopping_and_an_unfitted_generator() {
        let (x, y) = data(200, 4);
        let mut m = Mlp::new(NnOptions {
            epochs: 200,
            patience: Some(2),
            learning_rate: 0.05,
            ..small()
        });
        fit(&mut m, &x, &y, 0).unwrap();
        assert!(m.history().len() < 200, "stopped early");
        assert!(crate::block_on(Gan::new(small()).generate(3, true, 0)).is_err());
    }

    #[test]
    fn the_generator_makes_rows_of_the_input_width_per_class() {
        let (x, y) = data(200, 5);
        let mut g = Gan::new(small());
        fit(&mut g, &x, &y, 1).unwrap();
        let churners = crate::block_on(g.generate(50, true, 9)).unwrap();
        assert_eq!((churners.rows, churners.cols), (50, 4));
        assert!(churners.data.iter().all(|v| v.is_finite()));
        assert_eq!(crate::block_on(g.generate(50, true, 9)).unwrap(), churners);
    }

    #[test]
    fn gumbel_heads_make_level_shares_and_indicators_within_zero_and_one() {
        let (x, y) = data(200, 5);
        // Columns 1–2 are a two-level group, column 3 a 0/1 indicator; scaled by 2 around 0.5.
        let mut opts = small();
        opts.heads = Some(Layout {
            groups: vec![1..3, 3..4],
            shift: vec![0.0, 0.5, 0.5, 0.5],
            scale: vec![1.0, 2.0, 2.0, 2.0],
        });
        let mut g = Gan::new(opts);
        fit(&mut g, &x, &y, 1).unwrap();
        let rows = crate::block_on(g.generate(100, false, 3)).unwrap();
        for i in 0..rows.rows {
            let raw: Vec<f32> = rows.row(i)[1..].iter().map(|v| v * 2.0 + 0.5).collect();
            assert!(
                raw.iter().all(|v| (-1e-5..=1.0 + 1e-5).contains(v)),
                "{raw:?}"
            );
            assert!((raw[0] + raw[1] - 1.0).abs() < 1e-4, "{raw:?}");
        }
    }

    #[test]
    fn the_kept_epoch_has_the_lowest_loss_unless_the_last_is_more_accurate() {
        let opts = NnOptions::default();
        assert!(opts.keep_best);
        let kept = |epochs: &[(f64, f64)]| {
            let mut t = Tracker::<usize>::new(&opts);
            let mut hooks = Hooks::none();
            for (i, &(val_loss, val_accuracy)) in epochs.iter().enumerate() {
                let stats = EpochStats {
                    epoch: i + 1,
                    train_loss: 0.1,
                    train_accuracy: 0.9,
                    val_loss,
                    val_accuracy,
                    d_loss: None,
                    g_loss: None,
                    seconds: 0.0,
                    steps: 1,
                    glimpse: None,
                };
                crate::block_on(t.epoch(stats, || i + 1, &mut hooks));
            }
            let (history, kept) = t.kept();
            assert_eq!(history.len(), epochs.len());
            kept
        };
        // The loss is lowest at epoch 2 and no later epoch is more accurate: epoch 2.
        assert_eq!(
            kept(&[(0.5, 0.80), (0.3, 0.90), (0.4, 0.93), (0.6, 0.90)]),
            Some(2)
        );
        // The last epoch is more accurate than the lowest-loss one: the last weights.
        assert_eq!(kept(&[(0.5, 0.80), (0.3, 0.90), (0.4, 0.92)]), None);
        // Without validation rows (NaN), the training loss decides as before.
        assert_eq!(kept(&[(f64::NAN, f64::NAN), (f64::NAN, f64::NAN)]), Some(1));
    }
}
