//! The fused training kernels (CubeCL, compiled to WGSL for WebGPU and to SPIR-V/MSL/HLSL by
//! wgpu natively). A network is three dense layers, `in → H → H → out`, LeakyReLU(0.2) after the
//! hidden ones; its parameters lie in one flat buffer as `[W1 | b1 | W2 | b2 | W3 | b3]`, each
//! `W` row-major `[in, out]` like burn's `Linear`.
//!
//! A row-parallel kernel gives one cube (workgroup) to each row: its units share the row's
//! hidden layers in shared memory and compute one unit each, forward and then backward. They
//! write the row's *trace* — `[a0 (in) | h1 | h2 | y (out) | δ1 | δ2 | δ3 (out) | x (out)]`,
//! activations and the loss's gradient at each layer's output — and [`adam_step`] then gives
//! one unit to each parameter, sums its gradient over the rows' traces and applies Adam.
//!
//! Barriers are only at the top level of each kernel, never under a branch or a loop (WGSL's
//! uniformity rules), so every unit of a cube passes them, including those of a padding row.

use cubecl::prelude::*;

/// Slope of the LeakyReLU (`nn::SLOPE`).
const SLOPE: f32 = 0.2;

/// See `counter::pcg`.
#[cube]
fn pcg(v: u32) -> u32 {
    let s = v * 747_796_405u32 + 2_891_336_453u32;
    let w = ((s >> ((s >> 28u32) + 4u32)) ^ s) * 277_803_737u32;
    (w >> 22u32) ^ w
}

/// See `counter::uniform`.
#[cube]
fn uniform(key: u32, i: u32) -> f32 {
    (f32::cast_from(pcg(key ^ pcg(i)) >> 8u32) + 0.5f32) * 0.000_000_059_604_645f32
}

/// See `counter::Draws::normal`.
#[cube]
fn normal(key: u32, i: u32) -> f32 {
    let u = uniform(key, 2u32 * i);
    let v = uniform(key, 2u32 * i + 1u32);
    (-2.0f32 * u.ln()).sqrt() * (6.283_185_5f32 * v).cos()
}

#[cube]
fn leaky(z: f32) -> f32 {
    let mut h = z;
    if z < 0.0 {
        h = z * SLOPE;
    }
    h
}

/// The LeakyReLU's derivative, from its output (which has the input's sign).
#[cube]
fn leaky_grad(h: f32) -> f32 {
    let mut g = 1.0f32;
    if h <= 0.0 {
        g = SLOPE;
    }
    g
}

/// log(1 + eˣ) without overflow.
#[cube]
fn softplus(x: f32) -> f32 {
    f32::max(x, 0.0) + (1.0 + (-f32::abs(x)).exp()).ln()
}

#[cube]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Σₖ wts[at + k]·v[from + k] over `n`: a weight row times a vector (backward through a
/// layer).
#[cube]
fn row_dot(wts: &[f32], at: usize, v: &Shared<[f32]>, from: usize, n: usize) -> f32 {
    let mut g = 0.0f32;
    for k in 0..n {
        g += wts[at + k] * v[from + k];
    }
    g
}

/// Σᵢ v[i]·wts[at + i·stride]: a vector times a weight column (forward through a layer).
#[cube]
fn col_dot(wts: &[f32], at: usize, stride: usize, v: &Shared<[f32]>, n: usize) -> f32 {
    let mut z = 0.0f32;
    for i in 0..n {
        z += v[i] * wts[at + i * stride];
    }
    z
}

/// Where a network's parameters lie in `wts`: `[W1 | b1 | W2 | b2 | W3 | b3]` from `net`.
#[derive(CubeType, Clone, Copy)]
struct Layers {
    w1: usize,
    b1: usize,
    w2: usize,
    b2: usize,
    w3: usize,
    b3: usize,
}

#[cube]
fn layers(net: usize, inputs: usize, h: usize, outputs: usize) -> Layers {
    let b1 = net + inputs * h;
    let w2 = b1 + h;
    let b2 = w2 + h * h;
    let w3 = b2 + h;
    Layers {
        w1: net,
        b1,
        w2,
        b2,
        w3,
        b3: w3 + h * outputs,
    }
}

/// This cube's row: cubes are laid out in two dimensions past 65,535 rows.
#[cube]
fn row_of_cube() -> usize {
    (CUBE_POS_X + CUBE_POS_Y * CUBE_COUNT_X) as usize
}

/// Shapes of the discriminator's pass over a batch (scalars of [`d_pass`]).
#[derive(CubeLaunch, CubeType, Clone, Copy)]
pub struct DShapes {
    /// Offset of the network's parameters in `wts`.
    pub net: u32,
    /// Input width: the table's model inputs, then their encodings (`feats` of them).
    pub cols: u32,
    pub feats: u32,
    /// Rows read from `xy` through `idx[idx_at..]`, then rows read from the generator's trace.
    pub real: u32,
    pub fake: u32,
    pub idx_at: u32,
    /// Stride of the generator's trace and the offset of its `x` slot.
    pub g_stride: u32,
    pub g_x: u32,
    /// Stride of this pass's trace.
    pub stride: u32,
    /// Where in `out` this pass writes each row's loss (or, evaluating, its logits).
    pub out_at: u32,
    /// 1 / batch rows, the real-vs-fake loss weight (0: supervised only), label smoothing.
    pub inv_b: f32,
    pub unsup: f32,
    pub smooth: f32,
}

/// Where `x` lies in the bin of encoding `f`, unclamped (0 at its low edge, 1 at its high):
/// `enc` holds `[input, low edge, 1 / bin width]` per encoding (see `Encoding`).
#[cube]
fn bin_pos(x: f32, enc: &[f32], f: usize) -> f32 {
    (x - enc[3 * f + 1]) * enc[3 * f + 2]
}

/// Piecewise-linear encoding `f` of a row whose model inputs start at `row[at]`.
// `#[cube]` expands `min`/`max` into kernel code; `clamp` is std's and has no GPU expansion.
#[allow(clippy::manual_clamp)]
#[cube]
fn encoded(row: &[f32], at: usize, enc: &[f32], f: usize) -> f32 {
    let input = u32::cast_from(enc[3 * f]) as usize;
    f32::min(f32::max(bin_pos(row[at + input], enc, f), 0.0), 1.0)
}

/// Input `i` of the discriminator's row: a real row's from `xy` (encoded on the host), a
/// generated row's from the generator's trace, its encodings computed here.
#[cube]
#[allow(clippy::too_many_arguments)]
fn d_input(
    xy: &[f32],
    gtrace: &[f32],
    enc: &[f32],
    real: bool,
    src: usize,
    raw: usize,
    i: usize,
) -> f32 {
    if real {
        xy[src + i]
    } else if i < raw {
        gtrace[src + i]
    } else {
        encoded(gtrace, src, enc, i - raw)
    }
}

/// Loss and output gradients of one class head (logits `l0`, `l1`) of a row: `(loss, g0, g1)`
/// before scaling. Real rows: class cross-entropy (smoothed labels `y0`, `y1`) and −log D(x);
/// generated rows: −log(1 − D(x)). D(x) = Z/(Z+1), Z = Σ exp(l), so both are softplus terms.
#[cube]
fn head_loss(l0: f32, l1: f32, y0: f32, y1: f32, real: bool, unsup: f32) -> (f32, f32, f32) {
    let m = f32::max(l0, l1);
    let lse = m + ((l0 - m).exp() + (l1 - m).exp()).ln();
    let (p0, p1) = ((l0 - lse).exp(), (l1 - lse).exp());
    let ce = -(y0 * (l0 - lse) + y1 * (l1 - lse));
    let loss = if real {
        ce + unsup * (softplus(lse) - lse)
    } else {
        unsup * softplus(lse)
    };
    let k = if real {
        unsup * (sigmoid(lse) - 1.0f32)
    } else {
        unsup * sigmoid(lse)
    };
    let (t0, t1) = if real { (y0, y1) } else { (p0, p1) };
    (loss, p0 - t0 + k * p0, p1 - t1 + k * p1)
}

/// The discriminator (or the MLP) on a batch of rows: real rows `xy[idx[..]]` (inputs then the
/// 0/1 label) and generated rows (the `x` slots of `gtrace`, encoded through `enc`). `heads`
/// class heads of two logits each; the losses are their mean. `train`: write each row's trace
/// — with `backward`, its loss (class cross-entropy with smoothing, plus the semi-supervised
/// real-vs-fake terms) and gradients too. Neither: write each row's logits to `out`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn d_pass(
    wts: &[f32],
    xy: &[f32],
    idx: &[u32],
    gtrace: &[f32],
    enc: &[f32],
    trace: &mut [f32],
    out: &mut [f32],
    s: DShapes,
    #[comptime] hidden: usize,
    #[comptime] heads: usize,
    #[comptime] train: bool,
    #[comptime] backward: bool,
) {
    let h = hidden;
    let outs = 2 * heads;
    let r = row_of_cube();
    let t = UNIT_POS_X as usize;
    let wg = CUBE_DIM_X as usize;
    let cols = s.cols as usize;
    let raw = cols - s.feats as usize;
    let nreal = s.real as usize;
    let valid = r < nreal + s.fake as usize;
    let real = r < nreal;
    let mut src = 0usize;
    if valid {
        if real {
            src = idx[s.idx_at as usize + r] as usize * (cols + 1);
        } else {
            src = (r - nreal) * s.g_stride as usize + s.g_x as usize;
        }
    }
    let l = layers(s.net as usize, cols, h, outs);
    let tb = r * s.stride as usize;
    let (o_h1, o_h2, o_y) = (cols, cols + h, cols + 2 * h);
    let (o_d1, o_d2, o_d3) = (o_y + outs, o_y + outs + h, o_y + outs + 2 * h);
    let mut s1 = Shared::<[f32]>::new_slice(hidden);
    let mut s2 = Shared::<[f32]>::new_slice(hidden);
    // Logits, their gradients, each head's loss.
    let mut so = Shared::<[f32]>::new_slice(5 * heads);

    // Training: the row's inputs go to its trace first (a generated row's encodings computed
    // once, not once per hidden unit), and the first layer reads them there.
    if comptime![train] {
        let mut i = t;
        while i < cols {
            if valid {
                trace[tb + i] = d_input(xy, gtrace, enc, real, src, raw, i);
            }
            i += wg;
        }
        sync_storage();
        sync_cube();
    }
    let mut j = t;
    while j < h {
        if valid {
            let mut z = wts[l.b1 + j];
            for i in 0..cols {
                let x = if comptime![train] {
                    trace[tb + i]
                } else {
                    d_input(xy, gtrace, enc, real, src, raw, i)
                };
                z += x * wts[l.w1 + i * h + j];
            }
            s1[j] = leaky(z);
            if comptime![train] {
                trace[tb + o_h1 + j] = s1[j];
            }
        }
        j += wg;
    }
    sync_cube();

    let mut j = t;
    while j < h {
        if valid {
            let z = wts[l.b2 + j] + col_dot(wts, l.w2 + j, h, &s1, h);
            s2[j] = leaky(z);
            if comptime![train] {
                trace[tb + o_h2 + j] = s2[j];
            }
        }
        j += wg;
    }
    sync_cube();

    let mut o = t;
    while o < outs {
        if valid {
            let z = wts[l.b3 + o] + col_dot(wts, l.w3 + o, outs, &s2, h);
            so[o] = z;
            if comptime![train] {
                trace[tb + o_y + o] = z;
            } else {
                out[s.out_at as usize + outs * r + o] = z;
            }
        }
        o += wg;
    }
    sync_cube();

    if comptime![backward] {
        let inv = s.inv_b / f32::cast_from(heads as u32);
        let y = if real && valid {
            xy[src + cols]
        } else {
            0.0f32
        };
        let y1 = y * (1.0f32 - s.smooth) + s.smooth * 0.5f32;
        let y0 = (1.0f32 - y) * (1.0f32 - s.smooth) + s.smooth * 0.5f32;
        let mut q = t;
        while q < heads {
            if valid {
                let (loss, g0, g1) = head_loss(so[2 * q], so[2 * q + 1], y0, y1, real, s.unsup);
                so[outs + 2 * q] = g0 * inv;
                so[outs + 2 * q + 1] = g1 * inv;
                trace[tb + o_d3 + 2 * q] = g0 * inv;
                trace[tb + o_d3 + 2 * q + 1] = g1 * inv;
                so[2 * outs + q] = loss;
            }
            q += wg;
        }
        sync_cube();
        if t == 0 && valid {
            let mut loss = 0.0f32;
            for q in 0..heads {
                loss += so[2 * outs + q];
            }
            out[s.out_at as usize + r] = loss * inv;
        }

        let mut j = t;
        while j < h {
            if valid {
                let g = row_dot(wts, l.w3 + j * outs, &so, outs, outs);
                s2[j] = g * leaky_grad(s2[j]);
                trace[tb + o_d2 + j] = s2[j];
            }
            j += wg;
        }
        sync_cube();

        let mut i = t;
        while i < h {
            if valid {
                let g = row_dot(wts, l.w2 + i * h, &s2, 0usize, h);
                trace[tb + o_d1 + i] = g * leaky_grad(s1[i]);
            }
            i += wg;
        }
    }
}

/// Shapes and draws of the generator's forward pass (scalars of [`g_forward`]).
#[derive(CubeLaunch, CubeType, Clone, Copy)]
pub struct GPass {
    pub net: u32,
    /// Output width (the table's model inputs) and rows.
    pub cols: u32,
    pub rows: u32,
    pub stride: u32,
    /// Keys of the class and noise draws of this step (`counter::Draws`).
    pub class_key: u32,
    pub noise_key: u32,
    /// Share of churners among the training rows: the classes' balance.
    pub positives: f32,
}

/// The generator on `rows` new rows: each draws its class and its noise from the step's keys
/// (`counter`: the same numbers as the CPU backend's), and its trace gets the input (noise,
/// then the class one-hot), the hidden layers and the output, in `y` and in `x`.
#[cube(launch)]
pub fn g_forward(
    wts: &[f32],
    trace: &mut [f32],
    s: GPass,
    #[comptime] hidden: usize,
    #[comptime] noise: usize,
) {
    let h = hidden;
    let zin = noise + 2;
    let r = row_of_cube();
    let t = UNIT_POS_X as usize;
    let wg = CUBE_DIM_X as usize;
    let cols = s.cols as usize;
    let valid = r < s.rows as usize;
    let l = layers(s.net as usize, zin, h, cols);
    let tb = r * s.stride as usize;
    let (o_h1, o_h2, o_y) = (zin, zin + h, zin + 2 * h);
    let o_x = o_y + 2 * cols + 2 * h;
    let mut sz = Shared::<[f32]>::new_slice(noise + 2);
    let mut s1 = Shared::<[f32]>::new_slice(hidden);
    let mut s2 = Shared::<[f32]>::new_slice(hidden);

    let mut k = t;
    while k < noise {
        sz[k] = normal(s.noise_key, (r * noise + k) as u32);
        k += wg;
    }
    if t == 0 {
        let mut c = 0.0f32;
        if uniform(s.class_key, r as u32) < s.positives {
            c = 1.0;
        }
        sz[noise] = 1.0 - c;
        sz[noise + 1] = c;
    }
    sync_cube();

    let mut j = t;
    while j < h {
        if valid {
            let mut z = wts[l.b1 + j];
            for i in 0..zin {
                z += sz[i] * wts[l.w1 + i * h + j];
            }
            s1[j] = leaky(z);
            trace[tb + o_h1 + j] = s1[j];
        }
        j += wg;
    }
    let mut k = t;
    while k < zin {
        if valid {
            trace[tb + k] = sz[k];
        }
        k += wg;
    }
    sync_cube();

    let mut j = t;
    while j < h {
        if valid {
            let z = wts[l.b2 + j] + col_dot(wts, l.w2 + j, h, &s1, h);
            s2[j] = leaky(z);
            trace[tb + o_h2 + j] = s2[j];
        }
        j += wg;
    }
    sync_cube();

    let mut c = t;
    while c < cols {
        if valid {
            let z = wts[l.b3 + c] + col_dot(wts, l.w3 + c, cols, &s2, h);
            trace[tb + o_y + c] = z;
            trace[tb + o_x + c] = z;
        }
        c += wg;
    }
}

/// Shapes of the generator's backward pass (scalars of [`g_backward`]).
#[derive(CubeLaunch, CubeType, Clone, Copy)]
pub struct GBack {
    /// Offsets of the discriminator's and the generator's parameters.
    pub d_net: u32,
    pub g_net: u32,
    /// The generator's output width (the table's model inputs) and the discriminator's input
    /// width (those, then `feats` encodings of them).
    pub cols: u32,
    pub d_cols: u32,
    pub feats: u32,
    /// Generated rows (the discriminator's trace has as many real rows before them).
    pub rows: u32,
    pub d_stride: u32,
    pub g_stride: u32,
    pub inv_b: f32,
    /// Where in `out` this step's loss terms go (one per row).
    pub out_at: u32,
    /// Where in `dtrace` [`feature_means`] left its differences and the matching loss.
    pub means: u32,
}

/// The feature-matching term of a generator step, once for all its rows: per unit of the
/// discriminator's last hidden layer, the mean over the real rows of `dtrace` minus the mean
/// over the generated rows after them, at `dtrace[at..at + H]`, and the loss (the mean square
/// of those) at `dtrace[at + H]`. One cube.
#[cube(launch)]
pub fn feature_means(
    dtrace: &mut [f32],
    rows: u32,
    stride: u32,
    h2: u32,
    at: u32,
    #[comptime] hidden: usize,
) {
    let t = UNIT_POS_X as usize;
    let wg = CUBE_DIM_X as usize;
    let (b, ds, o, m_at) = (rows as usize, stride as usize, h2 as usize, at as usize);
    let inv_b = 1.0f32 / f32::cast_from(rows);
    let mut red = Shared::<[f32]>::new_slice(256usize);
    let mut acc = 0.0f32;
    let mut j = t;
    while j < hidden {
        let mut real = 0.0f32;
        let mut fake = 0.0f32;
        for q in 0..b {
            real += dtrace[q * ds + o + j];
            fake += dtrace[(b + q) * ds + o + j];
        }
        let diff = (real - fake) * inv_b;
        dtrace[m_at + j] = diff;
        acc += diff * diff;
        j += wg;
    }
    red[t] = acc;
    sync_cube();
    if t == 0 {
        let mut sum = 0.0f32;
        for k in 0..wg {
            sum += red[k];
        }
        dtrace[m_at + hidden] = sum / f32::cast_from(hidden as u32);
    }
}

/// The generator's loss and gradients for each generated row: feature matching (see
/// [`feature_means`]) plus the discriminator's class loss (the mean over its `heads`) for the
/// class it was asked for; back through the discriminator (not updated) to its inputs, through
/// their encodings (`enc`, see [`d_pass`]) and on through the generator, into `gtrace`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn g_backward(
    wts: &[f32],
    dtrace: &[f32],
    enc: &[f32],
    gtrace: &mut [f32],
    out: &mut [f32],
    s: GBack,
    #[comptime] hidden: usize,
    #[comptime] noise: usize,
    #[comptime] heads: usize,
) {
    let h = hidden;
    let outs = 2 * heads;
    let zin = noise + 2;
    let r = row_of_cube();
    let t = UNIT_POS_X as usize;
    let wg = CUBE_DIM_X as usize;
    let cols = s.cols as usize;
    let d_cols = s.d_cols as usize;
    let b = s.rows as usize;
    let valid = r < b;
    let ds = s.d_stride as usize;
    let (dh1, dh2, dy) = (d_cols, d_cols + h, d_cols + 2 * h);
    let fb = (b + r) * ds;
    let dl = layers(s.d_net as usize, d_cols, h, outs);
    let gl = layers(s.g_net as usize, zin, h, cols);
    let gb = r * s.g_stride as usize;
    let (gh1, gh2, gy) = (zin, zin + h, zin + 2 * h);
    let (gd1, gd2, gd3) = (gy + cols, gy + cols + h, gy + cols + 2 * h);
    let mut s1 = Shared::<[f32]>::new_slice(hidden);
    let mut s2 = Shared::<[f32]>::new_slice(hidden);
    // Each head's logit gradients, then its loss.
    let mut so = Shared::<[f32]>::new_slice(3 * heads);

    let m_at = s.means as usize;
    let mut j = t;
    while j < h {
        if valid {
            s2[j] = -2.0f32 * dtrace[m_at + j] * s.inv_b / f32::cast_from(h as u32);
        }
        j += wg;
    }
    let inv = s.inv_b / f32::cast_from(heads as u32);
    let c1 = if valid {
        gtrace[gb + noise + 1]
    } else {
        0.0f32
    };
    let c0 = 1.0f32 - c1;
    let mut q = t;
    while q < heads {
        if valid {
            // The class cross-entropy alone: a real-row head loss without the real-vs-fake term.
            let (l0, l1) = (dtrace[fb + dy + 2 * q], dtrace[fb + dy + 2 * q + 1]);
            let (loss, g0, g1) = head_loss(l0, l1, c0, c1, true, 0.0f32);
            so[2 * q] = g0 * inv;
            so[2 * q + 1] = g1 * inv;
            so[outs + q] = loss;
        }
        q += wg;
    }
    sync_cube();

    if t == 0 && valid {
        let mut loss = 0.0f32;
        for q in 0..heads {
            loss += so[outs + q];
        }
        loss *= inv;
        if r == 0 {
            loss += dtrace[m_at + h];
        }
        out[s.out_at as usize + r] = loss;
    }
    let mut j = t;
    while j < h {
        if valid {
            let g = s2[j] + row_dot(wts, dl.w3 + j * outs, &so, 0usize, outs);
            s2[j] = g * leaky_grad(dtrace[fb + dh2 + j]);
        }
        j += wg;
    }
    sync_cube();

    let mut i = t;
    while i < h {
        if valid {
            let g = row_dot(wts, dl.w2 + i * h, &s2, 0usize, h);
            s1[i] = g * leaky_grad(dtrace[fb + dh1 + i]);
        }
        i += wg;
    }
    sync_cube();

    // The gradient at the discriminator's inputs is the one at the generator's outputs.
    let mut c = t;
    while c < cols {
        if valid {
            let x = gtrace[gb + gy + c];
            gtrace[gb + gd3 + c] =
                input_grad(wts, enc, &s1, dl.w1, cols, s.feats as usize, c, x, h);
        }
        c += wg;
    }
    sync_storage();
    sync_cube();

    let mut j = t;
    while j < h {
        if valid {
            let mut g = 0.0f32;
            for c in 0..cols {
                g += wts[gl.w3 + j * cols + c] * gtrace[gb + gd3 + c];
            }
            s2[j] = g * leaky_grad(gtrace[gb + gh2 + j]);
            gtrace[gb + gd2 + j] = s2[j];
        }
        j += wg;
    }
    sync_cube();

    let mut i = t;
    while i < h {
        if valid {
            let g = row_dot(wts, gl.w2 + i * h, &s2, 0usize, h);
            gtrace[gb + gd1 + i] = g * leaky_grad(gtrace[gb + gh1 + i]);
        }
        i += wg;
    }
}

/// The loss's gradient at input `c` (value `x`) of the discriminator, whose first layer
/// starts at `w1` and whose hidden gradient is `s1`: the input's own, plus its encodings'
/// (inputs `cols + f`) where `x` is within their bin (clamping passes none outside it).
#[cube]
// `RangeInclusive::contains` has no GPU expansion; the comparisons do.
#[allow(clippy::too_many_arguments, clippy::manual_range_contains)]
fn input_grad(
    wts: &[f32],
    enc: &[f32],
    s1: &Shared<[f32]>,
    w1: usize,
    cols: usize,
    feats: usize,
    c: usize,
    x: f32,
    h: usize,
) -> f32 {
    let mut g = row_dot(wts, w1 + c * h, s1, 0usize, h);
    for f in 0..feats {
        if u32::cast_from(enc[3 * f]) as usize == c {
            let pos = bin_pos(x, enc, f);
            if pos >= 0.0 && pos <= 1.0 {
                g += row_dot(wts, w1 + (cols + f) * h, s1, 0usize, h) * enc[3 * f + 2];
            }
        }
    }
    g
}

/// One Adam step of a network (scalars of [`adam_step`]).
#[derive(CubeLaunch, CubeType, Clone, Copy)]
pub struct Step {
    /// Offset of the network's parameters in `wts` (and of their moments in `moments`, whose
    /// second half holds the second moments).
    pub net: u32,
    pub half: u32,
    pub inputs: u32,
    pub outputs: u32,
    /// Rows of the trace and its stride.
    pub rows: u32,
    pub stride: u32,
    /// Learning rate times Adam's bias corrections, and epsilon times the second one's root.
    pub rate: f32,
    pub eps: f32,
    pub beta1: f32,
    pub beta2: f32,
    /// Learning rate times the decoupled weight decay (AdamW; 0: Adam).
    pub decay: f32,
}

/// One unit per parameter: its gradient summed over the rows' traces (activation at its input
/// times gradient at its output), then Adam (or AdamW) as burn computes it.
#[cube(launch)]
pub fn adam_step(
    wts: &mut [f32],
    moments: &mut [f32],
    trace: &[f32],
    s: Step,
    #[comptime] hidden: usize,
) {
    let h = hidden;
    let p = ABSOLUTE_POS;
    let (n_in, n_out) = (s.inputs as usize, s.outputs as usize);
    let (o_h1, o_h2, o_y) = (n_in, n_in + h, n_in + 2 * h);
    let (o_d1, o_d2, o_d3) = (o_y + n_out, o_y + n_out + h, o_y + n_out + 2 * h);
    let l1 = n_in * h;
    let l2 = l1 + h + h * h;
    let l3 = l2 + h + h * n_out;
    let total = l3 + n_out;
    if p < total {
        // The activation at the parameter's input (none for a bias) and the gradient slot.
        let mut a = 0usize;
        let mut has_a = true;
        let mut d = o_d3 + p - l3;
        if p < l1 {
            a = p / h;
            d = o_d1 + p % h;
        } else if p < l1 + h {
            has_a = false;
            d = o_d1 + p - l1;
        } else if p < l2 {
            let q = p - l1 - h;
            a = o_h1 + q / h;
            d = o_d2 + q % h;
        } else if p < l2 + h {
            has_a = false;
            d = o_d2 + p - l2;
        } else if p < l3 {
            let q = p - l2 - h;
            a = o_h2 + q / n_out;
            d = o_d3 + q % n_out;
        } else {
            has_a = false;
        }
        let stride = s.stride as usize;
        let mut g = 0.0f32;
        for r in 0..s.rows as usize {
            let mut x = 1.0f32;
            if has_a {
                x = trace[r * stride + a];
            }
            g += x * trace[r * stride + d];
        }
        let w = s.net as usize + p;
        let v = s.half as usize + w;
        let m1 = s.beta1 * moments[w] + (1.0 - s.beta1) * g;
        let m2 = s.beta2 * moments[v] + (1.0 - s.beta2) * g * g;
        moments[w] = m1;
        moments[v] = m2;
        wts[w] = wts[w] * (1.0f32 - s.decay) - s.rate * m1 / (m2.sqrt() + s.eps);
    }
}

/// `dst[..n] = src[at..at + n]`: a copy of the weights (the best epoch's).
#[cube(launch)]
pub fn copy(src: &[f32], dst: &mut [f32], n: u32) {
    let p = ABSOLUTE_POS;
    if p < n as usize {
        dst[p] = src[p];
    }
}
