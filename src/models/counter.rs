//! Counter-based random numbers: each draw is a pure function of a key and an index, so the
//! GAN's noise can be made where it is used — on the host for the CPU backend, inside the GPU
//! kernels for the fused WebGPU path — and both get the same numbers without uploading any.
//!
//! The mixing function is the PCG hash of Jarzynski & Olano ("Hash Functions for GPU
//! Rendering", JCGT 2020): 32-bit integer arithmetic only, as WGSL has no 64-bit integers.

/// One round of the PCG hash.
pub fn pcg(v: u32) -> u32 {
    let s = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let w = ((s >> ((s >> 28) + 4)) ^ s).wrapping_mul(277_803_737);
    (w >> 22) ^ w
}

/// What a key draws for: each has its own numbers.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// The class each generated training row is asked for.
    Class = 1,
    /// The generator's noise input.
    Noise = 2,
    /// The glimpse's generated rows after each epoch (GPU; see `gpu::Trainer::epoch`).
    Look = 3,
}

/// The draws of one training step of one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draws {
    pub key: u32,
}

impl Draws {
    pub fn new(seed: u64, stream: Stream, epoch: usize, step: usize) -> Draws {
        let run = pcg(pcg(seed as u32 ^ pcg(stream as u32)) ^ (seed >> 32) as u32);
        Draws {
            key: pcg(pcg(run ^ epoch as u32) ^ step as u32),
        }
    }

    /// The `i`-th uniform number in (0, 1): 24 random bits, exact in f32.
    pub fn uniform(self, i: u32) -> f32 {
        uniform(self.key, i)
    }

    /// The `i`-th standard normal number (Box–Muller on uniforms 2i and 2i + 1).
    pub fn normal(self, i: u32) -> f32 {
        let (u, v) = (uniform(self.key, 2 * i), uniform(self.key, 2 * i + 1));
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

/// The GPU kernels compute exactly this (see `gpu::kernels::uniform`).
fn uniform(key: u32, i: u32) -> f32 {
    ((pcg(key ^ pcg(i)) >> 8) as f32 + 0.5) * (1.0 / 16_777_216.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_uniform_and_normal_and_differ_by_key() {
        let d = Draws::new(7, Stream::Noise, 1, 0);
        let n = 20_000u32;
        let u: Vec<f32> = (0..n).map(|i| d.uniform(i)).collect();
        assert!(u.iter().all(|&v| v > 0.0 && v < 1.0));
        let mean = u.iter().map(|&v| f64::from(v)).sum::<f64>() / f64::from(n);
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let z: Vec<f64> = (0..n).map(|i| f64::from(d.normal(i))).collect();
        let m = z.iter().sum::<f64>() / f64::from(n);
        let var = z.iter().map(|v| (v - m).powi(2)).sum::<f64>() / f64::from(n);
        assert!(m.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{m} {var}");
        let other = [
            Draws::new(8, Stream::Noise, 1, 0),
            Draws::new(7, Stream::Class, 1, 0),
            Draws::new(7, Stream::Noise, 2, 0),
            Draws::new(7, Stream::Noise, 1, 1),
        ];
        for o in other {
            assert_ne!(o, d);
            assert_ne!(o.uniform(0), d.uniform(0));
        }
        assert_eq!(Draws::new(7, Stream::Noise, 1, 0).uniform(5), d.uniform(5));
    }
}
