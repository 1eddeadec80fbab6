//! Fused GPU training: the networks' whole training step in a handful of custom CubeCL
//! kernels on burn's own wgpu device (WebGPU in the page; Vulkan, Metal or DX12 natively).
//!
//! burn's tensor ops issue many tiny kernels per step (189 dispatches per GAN step, counted in
//! the page), and launch overhead, not arithmetic, sets the speed. Here a GAN step is seven
//! dispatches (generator forward; discriminator forward and backward; its Adam step;
//! discriminator forward for the generator; the feature-matching means; generator backward;
//! its Adam step), an MLP step two. Weights, Adam moments, the training rows and the traces
//! stay on the device for the whole run; the epoch's shuffled order is written once per
//! epoch; the noise is drawn inside the kernels from counter-based keys (`counter`), the same
//! numbers the CPU backend draws. The epoch's losses and the logits of the training and
//! validation rows land in one buffer that is read once per epoch (with the glimpse's
//! generated rows, when asked for).
//!
//! The kernels are launched on the cubecl client of burn's device rather than through burn's
//! `#[backend_extension]` ops: a run keeps its own buffers on the device from start to end and
//! never hands a tensor to burn's autodiff or fusion in between, so there is no op to extend.
//!
//! The CPU (Flex) path stays the reference: both give the same losses and predictions up to
//! summation order (`tests/gpu.rs` compares them on lavapipe). The kernels cover the
//! piecewise-linear encodings (a real row is encoded once on the host; a generated row inside
//! the kernels, and the generator's gradient flows back through its encodings) and an
//! ensemble of class heads (up to [`MAX_HEADS`]). Options they do not cover (generator heads,
//! TabM-mini adapters, more than [`MAX_HIDDEN`] hidden units) train through burn's ops on the
//! same device.

mod kernels;

use burn::backend::DispatchDevice;
use burn::tensor::Device;
use cubecl::prelude::*;
use cubecl::server::Handle;

use super::NnOptions;
use super::counter::{Draws, Stream};
use super::encoding::Encoding;
use crate::Error;
use crate::matrix::Matrix;

/// Hidden units the kernels' shared memory holds (four vectors of them: 8 KiB at 512, within
/// WebGPU's 16 KiB guarantee).
pub const MAX_HIDDEN: usize = 512;

/// Class heads the kernels' shared memory holds.
pub const MAX_HEADS: usize = 32;

/// Units per cube of the row-parallel kernels, and per cube of the parameter-parallel ones.
const ROW_UNITS: u32 = 64;
const PARAM_UNITS: u32 = 256;

/// Which network trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Mlp,
    Gan,
    /// The GAN's discriminator without the GAN terms.
    Ablation,
}

/// The compute client of `device` where the fused kernels can train with `o`.
pub fn client_for(device: &Device, o: &NnOptions) -> Option<Client> {
    let covered = o.heads.is_none()
        && !(o.adapters && o.ensemble > 1)
        && o.ensemble <= MAX_HEADS
        && (1..=MAX_HIDDEN).contains(&o.hidden);
    match device.as_dispatch() {
        DispatchDevice::Cube(d) if covered => Some(d.client()),
        _ => None,
    }
}

/// A three-layer network's shape: `inputs → hidden → hidden → outputs`.
#[derive(Clone, Copy, Debug)]
pub struct Shape3 {
    pub inputs: usize,
    pub hidden: usize,
    pub outputs: usize,
}

impl Shape3 {
    pub fn params(self) -> usize {
        let h = self.hidden;
        self.inputs * h + h + h * h + h + h * self.outputs + self.outputs
    }

    /// A row's trace: `[a0 | h1 | h2 | y | δ1 | δ2 | δ3]`, plus `extra`.
    fn stride(self, extra: usize) -> usize {
        self.inputs + 4 * self.hidden + 2 * self.outputs + extra
    }
}

/// What the host reads after an epoch.
pub struct EpochOut {
    pub train_logits: Vec<f32>,
    pub val_logits: Vec<f32>,
    /// Sums over the epoch's steps of the discriminator's (classifier's) and the generator's
    /// batch losses.
    pub d_sum: f64,
    pub g_sum: f64,
    /// The glimpse's generated rows (model inputs, row-major).
    pub glimpse: Option<Vec<f32>>,
}

/// A training run on the device.
pub struct Trainer {
    client: Client,
    kind: Kind,
    d: Shape3,
    g: Shape3,
    /// The encodings, `[input, low edge, 1 / width]` each (`d`'s inputs past `g`'s outputs).
    enc: Buf,
    noise: usize,
    batch: usize,
    seed: u64,
    positives: f32,
    unsup: f32,
    smooth: f32,
    beta1: f32,
    /// The classifier's decoupled weight decay (the GAN's discriminator only, as on the CPU).
    decay: f32,
    g_rate: f64,
    wts: Buf,
    moments: Buf,
    total: usize,
    xy: Buf,
    eval_idx: Buf,
    n_train: usize,
    n_val: usize,
    dtrace: Buf,
    gtrace: Buf,
    look: Option<(Buf, usize)>,
    out: Buf,
    steps_d: i32,
    steps_g: i32,
}

/// The options of a run that the trainer needs, besides the rows.
pub struct Setup<'a> {
    pub kind: Kind,
    pub opts: &'a NnOptions,
    pub seed: u64,
    /// Initial parameters (`[W1 | b1 | W2 | b2 | W3 | b3]`) of the classifier and, for the
    /// GAN and its ablation, the generator.
    pub d: &'a [f32],
    pub g: Option<&'a [f32]>,
    pub positives: f64,
    pub glimpse_rows: usize,
    /// The classifier's input encoding (the GAN and its ablation).
    pub encoding: Option<&'a Encoding>,
}

/// A device buffer of 4-byte values (f32 or u32) and its length.
#[derive(Clone)]
pub struct Buf {
    handle: Handle,
    len: usize,
}

impl Buf {
    fn f32s(client: &Client, data: &[f32]) -> Buf {
        let data = if data.is_empty() { &[0.0][..] } else { data };
        Buf {
            handle: client.create_from_slice(f32::as_bytes(data)),
            len: data.len(),
        }
    }

    fn u32s(client: &Client, data: &[u32]) -> Buf {
        let data = if data.is_empty() { &[0][..] } else { data };
        Buf {
            handle: client.create_from_slice(u32::as_bytes(data)),
            len: data.len(),
        }
    }

    fn zeros(client: &Client, len: usize) -> Buf {
        Buf::f32s(client, &vec![0.0; len.max(1)])
    }

    fn arg(&self) -> BufferArg {
        // SAFETY: the handle was made with room for exactly `len` values.
        unsafe { BufferArg::from_raw_parts(self.handle.clone(), self.len) }
    }
}

/// The rows as the kernels read them: each row's model inputs, its encodings (computed once
/// here), then its 0/1 label.
fn labelled_rows(x: &Matrix, y: &[bool], encoding: Option<&Encoding>) -> Vec<f32> {
    let width = x.cols + encoding.map_or(0, Encoding::width);
    let mut xy = Vec::with_capacity(x.rows * (width + 1));
    for (i, &label) in y.iter().enumerate().take(x.rows) {
        match encoding {
            Some(e) => e.extend(x.row(i), &mut xy),
            None => xy.extend_from_slice(x.row(i)),
        }
        xy.push(if label { 1.0 } else { 0.0 });
    }
    xy
}

/// The encodings for the kernels: `[input, low edge, 1 / bin width]` each.
fn encoding_table(encoding: Option<&Encoding>) -> Vec<f32> {
    encoding
        .iter()
        .flat_map(|e| e.features())
        .flat_map(|(c, lo, inv)| [c as f32, lo, inv])
        .collect()
}

/// Cubes for `n` rows, one each (two dimensions past 65,535).
fn row_cubes(n: usize) -> CubeCount {
    let x = n.clamp(1, 65_535) as u32;
    CubeCount::Static(x, n.div_ceil(65_535).max(1) as u32, 1)
}

impl Trainer {
    /// Uploads the rows (`x` with the label appended), the evaluation order (training rows,
    /// then validation rows) and the initial weights.
    pub fn new(
        client: Client,
        s: Setup<'_>,
        x: &Matrix,
        y: &[bool],
        train: &[usize],
        val: &[usize],
    ) -> Result<Trainer, Error> {
        let o = s.opts;
        let heads = o.ensemble.max(1);
        let feats = s.encoding.map_or(0, Encoding::width);
        let d = Shape3 {
            inputs: x.cols + feats,
            hidden: o.hidden,
            outputs: 2 * heads,
        };
        let g = Shape3 {
            inputs: o.noise + 2,
            hidden: o.hidden,
            outputs: x.cols,
        };
        let gan = s.kind == Kind::Gan;
        let mut wts = s.d.to_vec();
        if gan {
            wts.extend_from_slice(s.g.unwrap_or_default());
        }
        let expected = d.params() + if gan { g.params() } else { 0 };
        if wts.len() != expected {
            return Err(Error::config(format!(
                "the fused GPU training got {} parameters for a network of {expected}",
                wts.len()
            )));
        }
        let total = wts.len();
        let xy = labelled_rows(x, y, s.encoding);
        let enc = encoding_table(s.encoding);
        let eval: Vec<u32> = train.iter().chain(val).map(|&i| i as u32).collect();
        let batch = o.batch_size.max(1);
        let g_stride = g.stride(x.cols);
        // The rows' traces, then the feature-matching differences and loss (`feature_means`).
        let d_trace = 2 * batch * d.stride(0) + o.hidden + 1;
        let g_trace = if gan { batch * g_stride } else { 1 };
        let out_len = 3 * train.len() + d.outputs * (train.len() + val.len());
        let look = (gan && s.glimpse_rows > 0).then(|| {
            (
                Buf::zeros(&client, s.glimpse_rows * g_stride),
                s.glimpse_rows,
            )
        });
        Ok(Trainer {
            kind: s.kind,
            d,
            g,
            enc: Buf::f32s(&client, &enc),
            noise: o.noise,
            batch,
            seed: s.seed,
            positives: s.positives as f32,
            unsup: if gan {
                o.unsupervised_weight as f32
            } else {
                0.0
            },
            smooth: o.label_smoothing as f32,
            beta1: if s.kind == Kind::Mlp { 0.9 } else { 0.5 },
            decay: if s.kind == Kind::Mlp {
                0.0
            } else {
                o.weight_decay as f32
            },
            g_rate: o.generator_learning_rate,
            wts: Buf::f32s(&client, &wts),
            moments: Buf::zeros(&client, 2 * total),
            total,
            xy: Buf::f32s(&client, &xy),
            eval_idx: Buf::u32s(&client, &eval),
            n_train: train.len(),
            n_val: val.len(),
            dtrace: Buf::zeros(&client, d_trace),
            gtrace: Buf::zeros(&client, g_trace),
            look,
            // Zeros: slots a step does not write (the MLP has no generated rows) add nothing.
            out: Buf::zeros(&client, out_len),
            steps_d: 0,
            steps_g: 0,
            client,
        })
    }

    /// One epoch over the training rows in `order` at learning rate `lr`; then the logits of
    /// every training and validation row, and the glimpse; one read.
    pub async fn epoch(
        &mut self,
        order: &[usize],
        lr: f64,
        epoch: usize,
    ) -> Result<EpochOut, Error> {
        let idx: Vec<u32> = order.iter().map(|&i| i as u32).collect();
        let order_h = Buf::u32s(&self.client, &idx);
        for (step, chunk) in order.chunks(self.batch).enumerate() {
            let at = step * self.batch;
            match self.kind {
                Kind::Gan => self.gan_step(&order_h, at, chunk.len(), lr, epoch, step),
                Kind::Mlp | Kind::Ablation => self.supervised_step(&order_h, at, chunk.len(), lr),
            }
        }
        self.evaluate();
        let mut handles = vec![self.out.handle.clone()];
        if let Some((look, rows)) = &self.look {
            let draws = |k| Draws::new(self.seed, Stream::Look, epoch, k);
            self.generate(look, *rows, draws(0), draws(1));
            handles.push(look.handle.clone());
        }
        let bytes =
            self.client.read_async(handles).await.map_err(|e| {
                Error::input(format!("reading the epoch from the GPU failed: {e:?}"))
            })?;
        let out = f32::from_bytes(&bytes[0]);
        let (n, outs) = (self.n_train, self.d.outputs);
        let sum = |s: &[f32]| s.iter().map(|&v| f64::from(v)).sum::<f64>();
        let glimpse = bytes.get(1).map(|b| {
            let stride = self.g_stride();
            let x_at = self.g_x();
            f32::from_bytes(b)
                .chunks(stride)
                .take(self.look.as_ref().map_or(0, |l| l.1))
                .flat_map(|r| r[x_at..x_at + self.g.outputs].to_vec())
                .collect()
        });
        Ok(EpochOut {
            d_sum: sum(&out[..2 * n]),
            g_sum: sum(&out[2 * n..3 * n]),
            train_logits: out[3 * n..(3 + outs) * n].to_vec(),
            val_logits: out[(3 + outs) * n..(3 + outs) * n + outs * self.n_val].to_vec(),
            glimpse,
        })
    }

    /// The discriminator's class heads, two logits each.
    fn heads(&self) -> usize {
        self.d.outputs / 2
    }

    /// The discriminator's encoded inputs, after the table's model inputs.
    fn feats(&self) -> usize {
        self.d.inputs - self.g.outputs
    }

    /// A generator trace row: its trace, then the generated row (`x`).
    fn g_stride(&self) -> usize {
        self.g.stride(self.g.outputs)
    }

    /// Offset of the generated rows (`x`) in the generator's trace.
    fn g_x(&self) -> usize {
        self.g.stride(0)
    }

    fn d_pass(&self, idx: &Buf, at: usize, real: usize, fake: usize, mode: (bool, bool)) {
        let (train, backward) = mode;
        let out_at = if train { 2 * at } else { 3 * self.n_train };
        let d = self.d;
        let scalars = kernels::DShapesLaunch::new(
            0,
            d.inputs as u32,
            self.feats() as u32,
            real as u32,
            fake as u32,
            at as u32,
            self.g_stride() as u32,
            self.g_x() as u32,
            d.stride(0) as u32,
            out_at as u32,
            1.0 / real.max(1) as f32,
            self.unsup,
            self.smooth,
        );
        kernels::d_pass::launch(
            &self.client,
            row_cubes(real + fake),
            CubeDim::new_1d(ROW_UNITS),
            self.wts.arg(),
            self.xy.arg(),
            idx.arg(),
            self.gtrace.arg(),
            self.enc.arg(),
            self.dtrace.arg(),
            self.out.arg(),
            scalars,
            d.hidden,
            self.heads(),
            train,
            backward,
        );
    }

    /// Adam on the classifier (`net` 0) or the generator from the trace's `rows`.
    fn adam(&mut self, generator: bool, rows: usize, lr: f64) {
        let (net, shape, trace, t) = if generator {
            self.steps_g += 1;
            (self.d.params(), self.g, &self.gtrace, self.steps_g)
        } else {
            self.steps_d += 1;
            (0, self.d, &self.dtrace, self.steps_d)
        };
        let (b1, b2, eps) = (self.beta1, 0.999f32, 1e-5f32);
        let bc2 = (1.0 - b2.powi(t)).sqrt();
        let rate = lr as f32 * bc2 / (1.0 - b1.powi(t));
        let extra = if generator { shape.outputs } else { 0 };
        let scalars = kernels::StepLaunch::new(
            net as u32,
            self.total as u32,
            shape.inputs as u32,
            shape.outputs as u32,
            rows as u32,
            shape.stride(extra) as u32,
            rate,
            eps * bc2,
            b1,
            b2,
            if generator {
                0.0
            } else {
                lr as f32 * self.decay
            },
        );
        let params = shape.params() as u32;
        kernels::adam_step::launch(
            &self.client,
            CubeCount::Static(params.div_ceil(PARAM_UNITS), 1, 1),
            CubeDim::new_1d(PARAM_UNITS),
            self.wts.arg(),
            self.moments.arg(),
            trace.arg(),
            scalars,
            shape.hidden,
        );
    }

    fn supervised_step(&mut self, order: &Buf, at: usize, b: usize, lr: f64) {
        self.d_pass(order, at, b, 0, (true, true));
        self.adam(false, b, lr);
    }

    fn generate(&self, trace: &Buf, rows: usize, class: Draws, noise: Draws) {
        let g = self.g;
        let scalars = kernels::GPassLaunch::new(
            self.d.params() as u32,
            g.outputs as u32,
            rows as u32,
            g.stride(g.outputs) as u32,
            class.key,
            noise.key,
            self.positives,
        );
        kernels::g_forward::launch(
            &self.client,
            row_cubes(rows),
            CubeDim::new_1d(ROW_UNITS),
            self.wts.arg(),
            trace.arg(),
            scalars,
            g.hidden,
            self.noise,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn gan_step(&mut self, order: &Buf, at: usize, b: usize, lr: f64, epoch: usize, step: usize) {
        let draws = |s| Draws::new(self.seed, s, epoch, step);
        let gtrace = self.gtrace.clone();
        self.generate(&gtrace, b, draws(Stream::Class), draws(Stream::Noise));
        self.d_pass(order, at, b, b, (true, true));
        self.adam(false, 2 * b, lr);
        self.d_pass(order, at, b, b, (true, false));
        let (h, stride) = (self.d.hidden, self.d.stride(0));
        let means = 2 * self.batch * stride;
        kernels::feature_means::launch(
            &self.client,
            CubeCount::Static(1, 1, 1),
            CubeDim::new_1d(PARAM_UNITS),
            self.dtrace.arg(),
            b as u32,
            stride as u32,
            (self.d.inputs + h) as u32,
            means as u32,
            h,
        );
        let scalars = kernels::GBackLaunch::new(
            0,
            self.d.params() as u32,
            self.g.outputs as u32,
            self.d.inputs as u32,
            self.feats() as u32,
            b as u32,
            self.d.stride(0) as u32,
            self.g_stride() as u32,
            1.0 / b as f32,
            (2 * self.n_train + at) as u32,
            means as u32,
        );
        kernels::g_backward::launch(
            &self.client,
            row_cubes(b),
            CubeDim::new_1d(ROW_UNITS),
            self.wts.arg(),
            self.dtrace.arg(),
            self.enc.arg(),
            self.gtrace.arg(),
            self.out.arg(),
            scalars,
            self.g.hidden,
            self.noise,
            self.heads(),
        );
        self.adam(true, b, self.g_rate);
    }

    /// The classifier's logits of every training and validation row, into `out`.
    fn evaluate(&self) {
        let n = self.n_train + self.n_val;
        self.d_pass(&self.eval_idx, 0, n, 0, (false, false));
    }

    /// A copy of the weights as they are now (the best epoch's, for keeping).
    pub fn snapshot(&self) -> Buf {
        let copy = Buf::zeros(&self.client, self.total);
        let n = self.total as u32;
        kernels::copy::launch(
            &self.client,
            CubeCount::Static(n.div_ceil(PARAM_UNITS), 1, 1),
            CubeDim::new_1d(PARAM_UNITS),
            self.wts.arg(),
            copy.arg(),
            n,
        );
        copy
    }

    /// The classifier's and (for the GAN) the generator's parameters, of `snapshot` or of now.
    pub async fn weights(
        &self,
        snapshot: Option<&Buf>,
    ) -> Result<(Vec<f32>, Option<Vec<f32>>), Error> {
        let buf = snapshot.unwrap_or(&self.wts);
        let bytes = self
            .client
            .read_async(vec![buf.handle.clone()])
            .await
            .map_err(|e| Error::input(format!("reading the weights from the GPU failed: {e:?}")))?;
        let all = f32::from_bytes(&bytes[0]);
        let split = self.d.params().min(all.len());
        let g = (self.kind == Kind::Gan).then(|| all[split..self.total.min(all.len())].to_vec());
        Ok((all[..split].to_vec(), g))
    }
}
