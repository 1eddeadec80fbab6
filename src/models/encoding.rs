//! The GAN discriminator's input encoding, fitted on training rows and kept in model files.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::matrix::Matrix;

/// Piecewise-linear encodings of the continuous model inputs (Gorishniy et al., NeurIPS 2022),
/// fitted on the training rows: per input, bins between its quantiles, the input becoming its
/// value's position in each bin (0 below it, 1 above it). They go to the discriminator beside
/// the raw inputs; the generator's rows pass through the same encoding, so its gradients flow.
/// Inputs of few distinct values (one-hot levels, indicators) stay raw only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// The inputs encoded, and each one's bin edges (ascending, at least three).
    pub cols: Vec<usize>,
    pub edges: Vec<Vec<f32>>,
}

impl Encoding {
    /// Quantile edges of `bins` bins for each input of `x` with more distinct values than
    /// bins among `rows`; `None` for fewer than 2 bins or no such input.
    pub fn fit(x: &Matrix, rows: &[usize], bins: usize) -> Option<Encoding> {
        if bins < 2 || rows.is_empty() {
            return None;
        }
        let (mut cols, mut edges) = (Vec::new(), Vec::new());
        for j in 0..x.cols {
            let mut v: Vec<f32> = rows.iter().map(|&i| x.data[i * x.cols + j]).collect();
            v.sort_by(f32::total_cmp);
            let mut distinct = v.clone();
            distinct.dedup();
            if distinct.len() <= bins {
                continue;
            }
            let mut e: Vec<f32> = (0..=bins).map(|t| v[((v.len() - 1) * t) / bins]).collect();
            e.dedup();
            if e.len() >= 3 {
                cols.push(j);
                edges.push(e);
            }
        }
        (!cols.is_empty()).then_some(Encoding { cols, edges })
    }

    /// Inputs it adds.
    pub fn width(&self) -> usize {
        self.edges.iter().map(|e| e.len() - 1).sum()
    }

    /// Each encoding as `(input, low edge, 1 / bin width)`, in the order they are appended.
    pub fn features(&self) -> impl Iterator<Item = (usize, f32, f32)> + '_ {
        self.cols.iter().zip(&self.edges).flat_map(|(&c, edges)| {
            edges
                .windows(2)
                .map(move |w| (c, w[0], 1.0 / (w[1] - w[0]).max(1e-6)))
        })
    }

    /// `row` with its encodings appended to `out`: each input's position in each of its bins,
    /// clamped to [0, 1] (as the discriminator computes it).
    pub fn extend(&self, row: &[f32], out: &mut Vec<f32>) {
        out.extend_from_slice(row);
        out.extend(
            self.features()
                .map(|(c, lo, inv)| ((row[c] - lo) * inv).clamp(0.0, 1.0)),
        );
    }

    /// Checked as read from a model file: every input within `inputs`, edges ascending.
    pub fn checked(self, inputs: usize) -> Result<Encoding, Error> {
        let ok = self.cols.len() == self.edges.len()
            && self.cols.iter().all(|&c| c < inputs)
            && self
                .edges
                .iter()
                .all(|e| e.len() >= 2 && e.windows(2).all(|w| w[0] < w[1]));
        if ok {
            Ok(self)
        } else {
            Err(Error::input("the model file's input encoding is damaged"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuous_inputs_get_quantile_bins_and_few_valued_ones_stay_raw() {
        // Column 0: 0..100; column 1: a 0/1 level; column 2: a constant.
        let data: Vec<f32> = (0..100)
            .flat_map(|i| [i as f32, (i % 2) as f32, 3.0])
            .collect();
        let x = Matrix {
            rows: 100,
            cols: 3,
            data,
        };
        let rows: Vec<usize> = (0..80).collect();
        let e = Encoding::fit(&x, &rows, 4).unwrap();
        assert_eq!(e.cols, [0]);
        // Quantiles of the 80 training rows only.
        assert_eq!(e.edges[0], [0.0, 19.0, 39.0, 59.0, 79.0]);
        assert_eq!(e.width(), 4);
        assert!(Encoding::fit(&x, &rows, 1).is_none());
        assert!(e.clone().checked(3).is_ok());
        let bad = Encoding {
            cols: vec![5],
            edges: e.edges.clone(),
        };
        assert!(bad.checked(3).is_err());
    }
}
