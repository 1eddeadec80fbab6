//! k-nearest neighbours, computed in blocks: for a block of customers against a block of
//! training rows, squared distances as ‖a‖² + ‖b‖² − 2·a·b (the dot products one matrix
//! product by gemm's SIMD kernels, [`Matrix::dots`]), a running top-k per customer with every candidate within the
//! fast formula's rounding of the k-th, and those measured again exactly, so that ties go to the earlier training row as in a
//! brute-force search. Above [`MAX_REFERENCE`] training rows the neighbours come from a seeded
//! sample of that many (stated by [`Knn::reference`]). [`Neighbours`] is the search, also
//! used for the synthetic rows' distance to the closest real customer ([`crate::privacy`]). The churn probability is the share of
//! churners among the k neighbours (uniform weights, as scikit-learn's and smartcore's).

use super::{Blobs, Saved, check_width, cpu_classifier};
use crate::Error;
use crate::matrix::Matrix;
use crate::rng::Rng;

/// Training rows a prediction compares with at most.
pub const MAX_REFERENCE: usize = 50_000;
/// Customers and training rows per block.
const BLOCK_ROWS: usize = 256;
const BLOCK_TRAIN: usize = 1024;
/// Relative error allowed for the fast squared distances: candidates within it of the k-th are
/// kept and measured again exactly.
const TOLERANCE: f32 = 1e-4;

pub struct Knn {
    k: usize,
    /// Training rows compared with at most ([`MAX_REFERENCE`]).
    max_reference: usize,
    fitted: Option<Fitted>,
}

struct Fitted {
    rows: Neighbours,
    y: Vec<bool>,
}

/// Rows to find the nearest of: their squared norms, and which of them a search compares
/// with (all, or a seeded sample).
pub struct Neighbours {
    x: Matrix,
    norms: Vec<f32>,
    reference: Vec<u32>,
    /// The reference rows, in that order, one after another (the matrix product's operand).
    compared: Matrix,
}

fn not_fitted() -> Error {
    Error::config("the model is not fitted yet")
}

impl Knn {
    pub fn new(k: usize) -> Self {
        Knn::with_reference(k, MAX_REFERENCE)
    }

    /// KNN that compares with at most `max_reference` training rows.
    pub fn with_reference(k: usize, max_reference: usize) -> Self {
        Knn {
            k,
            max_reference: max_reference.max(k),
            fitted: None,
        }
    }

    /// What the report should say: the sample of training rows the neighbours come from.
    fn note(&self) -> Option<String> {
        let (used, all) = self.reference()?;
        (used < all).then(|| {
            format!("KNN compared every customer with a seeded sample of {used} of the {all} training rows")
        })
    }

    /// The KNN of a model file: its rows and classes.
    pub fn restore(k: usize, x: Matrix, y: Vec<bool>, inputs: usize) -> Result<Self, Error> {
        check_width("KNN", x.cols, inputs)?;
        if y.len() != x.rows {
            return Err(Error::input(
                "the model file's KNN rows and classes differ in number",
            ));
        }
        let mut knn = Knn::new(k);
        knn.train(&x, &y, 0)?;
        Ok(knn)
    }

    /// Training rows the predictions compare with, and all of them.
    pub fn reference(&self) -> Option<(usize, usize)> {
        self.fitted
            .as_ref()
            .map(|f| (f.rows.reference.len(), f.rows.x.rows))
    }

    fn saved(&self, blobs: &mut Blobs) -> Result<Saved, Error> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        Ok(Saved::Knn {
            k: self.k,
            rows: f.rows.x.rows,
            cols: f.rows.x.cols,
            x: blobs.push(f.rows.x.to_bytes()),
            y: f.y.clone(),
        })
    }

    fn train(&mut self, x: &Matrix, y: &[bool], _seed: u64) -> Result<(), Error> {
        if self.k == 0 || self.k > x.rows {
            return Err(Error::config(format!(
                "k must be between 1 and {} rows, not {}",
                x.rows, self.k
            )));
        }
        self.fitted = Some(Fitted {
            rows: Neighbours::new(x.clone(), self.max_reference),
            y: y.to_vec(),
        });
        Ok(())
    }

    pub fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, Error> {
        let f = self.fitted.as_ref().ok_or_else(not_fitted)?;
        check_width("KNN", f.rows.x.cols, x.cols)?;
        Ok(f.rows
            .nearest(x, self.k)
            .iter()
            .map(|near| {
                let churners = near.iter().filter(|(_, j)| f.y[*j as usize]).count();
                churners as f64 / self.k as f64
            })
            .collect())
    }
}

impl Neighbours {
    /// The rows of `x`; a search compares with at most `max_reference` of them (a seeded
    /// sample beyond).
    pub fn new(x: Matrix, max_reference: usize) -> Neighbours {
        let norms = (0..x.rows)
            .map(|i| x.row(i).iter().map(|v| v * v).sum())
            .collect();
        let mut reference: Vec<u32> = (0..x.rows as u32).collect();
        if reference.len() > max_reference {
            // The same sample for the same rows, whatever the seed of the run.
            Rng::new(0x4EA5_0001 ^ x.rows as u64).shuffle(&mut reference);
            reference.truncate(max_reference);
            reference.sort_unstable();
        }
        let compared = x.pick(&reference.iter().map(|&j| j as usize).collect::<Vec<_>>());
        Neighbours {
            x,
            norms,
            reference,
            compared,
        }
    }

    /// For every row of `x`, its `k` nearest rows (exact squared distance, row), nearest first;
    /// ties go to the earlier row.
    pub fn nearest(&self, x: &Matrix, k: usize) -> Vec<Vec<(f64, u32)>> {
        let mut out = Vec::with_capacity(x.rows);
        for start in (0..x.rows).step_by(BLOCK_ROWS) {
            let rows: Vec<usize> = (start..(start + BLOCK_ROWS).min(x.rows)).collect();
            out.extend(self.block(x, &rows, k));
        }
        out
    }

    /// [`Neighbours::nearest`] for the rows `rows` of `x`, one block.
    fn block(&self, x: &Matrix, rows: &[usize], k: usize) -> Vec<Vec<(f64, u32)>> {
        // Per customer: the candidates (fast squared distance, training row), sorted.
        let mut best: Vec<Vec<(f32, u32)>> = vec![Vec::with_capacity(2 * k + 1); rows.len()];
        let qnorm: Vec<f32> = rows
            .iter()
            .map(|&i| x.row(i).iter().map(|v| v * v).sum())
            .collect();
        let largest = self.norms.iter().copied().fold(0.0, f32::max);
        let slack: Vec<f32> = qnorm
            .iter()
            .map(|q| TOLERANCE * (q + largest) + 1e-6)
            .collect();
        let customers = x.pick(rows);
        let d = self.compared.cols;
        for (c, block) in self.reference.chunks(BLOCK_TRAIN).enumerate() {
            // The block's dot products: customers × training rows.
            let start = c * BLOCK_TRAIN;
            let training = Matrix {
                rows: block.len(),
                cols: d,
                data: self.compared.data[start * d..(start + block.len()) * d].to_vec(),
            };
            let dots = customers.dots(&training);
            for (a, cand) in best.iter_mut().enumerate() {
                for (b, &j) in block.iter().enumerate() {
                    let d = qnorm[a] + self.norms[j as usize] - 2.0 * dots[a * block.len() + b];
                    if cand.len() >= k && d > cand[k - 1].0 + slack[a] {
                        continue;
                    }
                    let at = cand.partition_point(|c| c.0 <= d);
                    cand.insert(at, (d, j));
                    // Beyond k, only those the exact check may still put first.
                    let bound = cand[(k - 1).min(cand.len() - 1)].0 + slack[a];
                    while cand.len() > k && cand[cand.len() - 1].0 > bound {
                        cand.pop();
                    }
                }
            }
        }
        rows.iter()
            .zip(best)
            .map(|(&i, cand)| self.exact_top(x.row(i), cand, k))
            .collect()
    }

    /// The k nearest of the candidates by exact distance, ties to the earlier row.
    fn exact_top(&self, q: &[f32], cand: Vec<(f32, u32)>, k: usize) -> Vec<(f64, u32)> {
        let mut exact: Vec<(f64, u32)> = cand
            .into_iter()
            .map(|(_, j)| (exact_distance(q, self.x.row(j as usize)), j))
            .collect();
        exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        exact.truncate(k);
        exact
    }
}

fn exact_distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&u, &v)| {
            let d = f64::from(u) - f64::from(v);
            d * d
        })
        .sum()
}

cpu_classifier!(Knn, {
    fn note(&self) -> Option<String> {
        self.note()
    }

    fn unexplained(&self) -> Option<&'static str> {
        Some("each estimate would need thousands of neighbour searches per customer")
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::testing::{fit, proba};

    /// Brute force: every training row's exact distance, ties to the earlier row.
    fn brute(x: &Matrix, y: &[bool], q: &Matrix, k: usize) -> Vec<f64> {
        (0..q.rows)
            .map(|i| {
                let mut d: Vec<(f64, usize)> = (0..x.rows)
                    .map(|j| (exact_distance(q.row(i), x.row(j)), j))
                    .collect();
                d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                d.iter().take(k).filter(|(_, j)| y[*j]).count() as f64 / k as f64
            })
            .collect()
    }

    #[test]
    fn blocked_neighbours_equal_brute_force_with_ties_and_duplicates() {
        let mut rng = Rng::new(4);
        // Discrete values make many exact ties; 1,300 rows span several blocks.
        let n = 1300;
        let data: Vec<f32> = (0..n * 4).map(|_| rng.below(3) as f32).collect();
        let x = Matrix {
            rows: n,
            cols: 4,
            data,
        };
        let y: Vec<bool> = (0..n).map(|_| rng.bernoulli(0.3)).collect();
        let qd: Vec<f32> = (0..150 * 4)
            .map(|_| rng.below(3) as f32 + 0.5 * rng.below(2) as f32)
            .collect();
        let q = Matrix {
            rows: 150,
            cols: 4,
            data: qd,
        };
        for k in [1, 5, 15] {
            let mut knn = Knn::new(k);
            fit(&mut knn, &x, &y, 0).unwrap();
            assert_eq!(proba(&knn, &q).unwrap(), brute(&x, &y, &q, k), "k = {k}");
        }
        assert_eq!(Knn::new(5).reference(), None);
        let mut knn = Knn::new(5);
        fit(&mut knn, &x, &y, 0).unwrap();
        assert_eq!(knn.reference(), Some((n, n)));
        assert!(Knn::new(n + 1).fitted.is_none());
        let mut too_many = Knn::new(n + 1);
        assert!(fit(&mut too_many, &x, &y, 0).is_err());
    }

    #[test]
    fn above_its_bound_the_neighbours_come_from_a_stated_sample() {
        let mut rng = Rng::new(5);
        let data: Vec<f32> = (0..400 * 2).map(|_| rng.normal() as f32).collect();
        let x = Matrix {
            rows: 400,
            cols: 2,
            data,
        };
        let y: Vec<bool> = (0..400).map(|i| i % 3 == 0).collect();
        let mut knn = Knn::with_reference(3, 100);
        fit(&mut knn, &x, &y, 0).unwrap();
        assert_eq!(knn.reference(), Some((100, 400)));
        assert!(
            knn.note()
                .unwrap()
                .contains("sample of 100 of the 400 training rows")
        );
        // Brute force over the sample gives the same shares.
        let f = knn.fitted.as_ref().unwrap();
        let idx: Vec<usize> = f.rows.reference.iter().map(|&j| j as usize).collect();
        let sample = x.pick(&idx);
        let ys: Vec<bool> = idx.iter().map(|&j| y[j]).collect();
        assert_eq!(proba(&knn, &x).unwrap(), brute(&sample, &ys, &x, 3));
        assert!(Knn::new(3).note().is_none());
    }
}
