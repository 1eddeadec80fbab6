//! Privacy of synthetic customers: the distance from each generated row to the closest real
//! training row (DCR), in the model-input space (scaled numbers, one-hot levels), against the
//! same distance for held-out real rows — new real customers — as SDMetrics'
//! `DCRBaselineProtection` does. Generated rows closer to a real customer than almost every new
//! real customer is (the 1st percentile of the held-out distances, and never a copy) are
//! dropped and counted.

use serde::Serialize;

use crate::matrix::Matrix;
use crate::models::knn::Neighbours;

/// Held-out rows compared at most (enough for a percentile; the cost grows with rows × rows).
const MAX_HOLDOUT: usize = 1000;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Privacy {
    /// Median DCR of the generated rows (before dropping).
    pub synthetic_median: f64,
    /// Median DCR of held-out real rows.
    pub holdout_median: f64,
    /// `min(1, synthetic median / held-out median)`: 1 means generated rows are no closer to
    /// real customers than new real customers are.
    pub protection: f64,
    /// Generated rows closer than this to a real training row were dropped.
    pub threshold: f64,
    pub dropped: usize,
    /// Generated rows that were exact copies of a training row (among those dropped).
    pub copies: usize,
}

/// Per row of `points`, the Euclidean distance to its nearest row of `reference`.
pub fn closest(points: &Matrix, reference: &Matrix) -> Vec<f64> {
    Neighbours::new(reference.clone(), usize::MAX)
        .nearest(points, 1)
        .iter()
        .map(|near| near.first().map_or(f64::INFINITY, |n| n.0.sqrt()))
        .collect()
}

fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

/// The privacy check of generated rows `synthetic` against the real `train` rows, with
/// `holdout` (real rows not trained on) as the baseline; and which generated rows to keep.
pub fn assess(synthetic: &Matrix, train: &Matrix, holdout: &Matrix) -> (Privacy, Vec<bool>) {
    let held: Vec<usize> = (0..holdout.rows.min(MAX_HOLDOUT)).collect();
    let holdout_dcr = closest(&holdout.pick(&held), train);
    let synthetic_dcr = closest(synthetic, train);
    let threshold = quantile(&holdout_dcr, 0.01).max(1e-6);
    let keep: Vec<bool> = synthetic_dcr.iter().map(|&d| d >= threshold).collect();
    let (s, h) = (quantile(&synthetic_dcr, 0.5), quantile(&holdout_dcr, 0.5));
    let privacy = Privacy {
        synthetic_median: s,
        holdout_median: h,
        protection: if h > 0.0 { (s / h).min(1.0) } else { 1.0 },
        threshold,
        dropped: keep.iter().filter(|k| !**k).count(),
        copies: synthetic_dcr.iter().filter(|&&d| d < 1e-6).count(),
    };
    (privacy, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: &[[f32; 2]]) -> Matrix {
        Matrix {
            rows: rows.len(),
            cols: 2,
            data: rows.concat(),
        }
    }

    #[test]
    fn dcr_on_a_tiny_table() {
        let train = m(&[[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]]);
        // By hand: (3, 4) is a copy; (6, 8) is 5 from (3, 4); (10, 1) is 1 from (10, 0).
        let d = closest(&m(&[[3.0, 4.0], [6.0, 8.0], [10.0, 1.0]]), &train);
        assert_eq!(d, [0.0, 5.0, 1.0]);
        // Held-out rows at 2, 2 and 3 from training rows: the threshold is their 1st percentile.
        let holdout = m(&[[0.0, 2.0], [12.0, 0.0], [3.0, 7.0]]);
        let synthetic = m(&[[3.0, 4.0], [6.0, 8.0], [10.0, 1.0], [0.5, 0.0]]);
        let (p, keep) = assess(&synthetic, &train, &holdout);
        assert_eq!(p.threshold, 2.0);
        assert_eq!(keep, [false, true, false, false]);
        assert_eq!((p.dropped, p.copies), (3, 1));
        assert_eq!(p.holdout_median, 2.0);
        // Synthetic DCRs 0, 5, 1, 0.5: median (rounded index) 1; 1 / 2.
        assert!((p.protection - 0.5).abs() < 1e-12, "{p:?}");
    }
}
