//! Evaluate: confusion matrix, accuracy, precision, recall, F1 (positive = churn), ROC-AUC,
//! PR-AUC (average precision) and the ROC curve's points.

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub tp: usize,
    pub fp: usize,
    pub tn: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Confusion {
    pub fn new(truth: &[bool], predicted: &[bool]) -> Confusion {
        assert_eq!(truth.len(), predicted.len(), "one prediction per row");
        let mut c = Confusion::default();
        for (&t, &p) in truth.iter().zip(predicted) {
            match (t, p) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (false, false) => c.tn += 1,
                (true, false) => c.fn_ += 1,
            }
        }
        c
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn_)
    }

    /// 0 when nothing was predicted positive.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

/// Positions of `scores`, highest score first.
fn descending(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    order
}

/// Area under the ROC curve (ties count one half); `None` without both classes.
pub fn roc_auc(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count();
    let neg = truth.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    // Mann–Whitney U from average ranks (ascending).
    let order = descending(scores);
    let n = order.len();
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Descending positions i..=j are ascending ranks n-j ..= n-i (1-based).
        let avg = ((n - j) + (n - i)) as f64 / 2.0;
        rank_sum += avg * order[i..=j].iter().filter(|&&k| truth[k]).count() as f64;
        i = j + 1;
    }
    let u = rank_sum - (pos * (pos + 1)) as f64 / 2.0;
    Some(u / (pos * neg) as f64)
}

/// ROC points `(false positive rate, true positive rate)` from (0, 0) to (1, 1), one per
/// distinct score.
pub fn roc_curve(truth: &[bool], scores: &[f64]) -> Vec<(f64, f64)> {
    let pos = truth.iter().filter(|&&t| t).count().max(1) as f64;
    let neg = truth.iter().filter(|&&t| !t).count().max(1) as f64;
    let order = descending(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut points = vec![(0.0, 0.0)];
    for (k, &i) in order.iter().enumerate() {
        if truth[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            points.push((fp as f64 / neg, tp as f64 / pos));
        }
    }
    points
}

/// Average precision: Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct thresholds (scikit-learn's definition).
pub fn average_precision(truth: &[bool], scores: &[f64]) -> Option<f64> {
    let pos = truth.iter().filter(|&&t| t).count();
    if pos == 0 {
        return None;
    }
    let order = descending(scores);
    let (mut tp, mut seen, mut prev_recall, mut ap) = (0usize, 0usize, 0.0, 0.0);
    for (k, &i) in order.iter().enumerate() {
        seen += 1;
        tp += usize::from(truth[i]);
        let last_of_tie = order
            .get(k + 1)
            .is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            let recall = tp as f64 / pos as f64;
            ap += (recall - prev_recall) * tp as f64 / seen as f64;
            prev_recall = recall;
        }
    }
    Some(ap)
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scores {
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub roc_auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub confusion: Confusion,
}

/// Scores churn probabilities against the truth, predicting churn at `p ≥ threshold`.
pub fn evaluate(truth: &[bool], probabilities: &[f64], threshold: f64) -> Scores {
    let predicted: Vec<bool> = probabilities.iter().map(|&p| p >= threshold).collect();
    let c = Confusion::new(truth, &predicted);
    Scores {
        accuracy: c.accuracy(),
        precision: c.precision(),
        recall: c.recall(),
        f1: c.f1(),
        roc_auc: roc_auc(truth, probabilities),
        pr_auc: average_precision(truth, probabilities),
        confusion: c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const Y: [bool; 8] = [true, true, false, true, false, false, true, false];
    const P: [f64; 8] = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.1];

    #[test]
    fn threshold_metrics_match_hand_counts() {
        let s = evaluate(&Y, &P, 0.5);
        assert_eq!(
            s.confusion,
            Confusion {
                tp: 3,
                fp: 2,
                tn: 2,
                fn_: 1
            }
        );
        assert_abs_diff_eq!(s.accuracy, 0.625);
        assert_abs_diff_eq!(s.precision, 0.6);
        assert_abs_diff_eq!(s.recall, 0.75);
        assert_abs_diff_eq!(s.f1, 2.0 * 0.6 * 0.75 / 1.35, epsilon = 1e-12);
    }

    #[test]
    fn ranking_metrics_match_hand_values() {
        // 12 of the 16 positive/negative pairs are ordered right.
        assert_abs_diff_eq!(roc_auc(&Y, &P).unwrap(), 0.75);
        // Precision at each positive: 1/1, 2/2, 3/4, 4/7.
        assert_abs_diff_eq!(
            average_precision(&Y, &P).unwrap(),
            (2.75 + 4.0 / 7.0) / 4.0,
            epsilon = 1e-12
        );
        let curve = roc_curve(&Y, &P);
        assert_eq!(curve.len(), 9);
        assert_eq!(curve[0], (0.0, 0.0));
        assert_eq!(curve[3], (0.25, 0.5));
        assert_eq!(*curve.last().unwrap(), (1.0, 1.0));
    }

    #[test]
    fn ties_and_degenerate_inputs() {
        let y = [true, false, true, false];
        assert_abs_diff_eq!(roc_auc(&y, &[0.5; 4]).unwrap(), 0.5);
        assert_abs_diff_eq!(average_precision(&y, &[0.5; 4]).unwrap(), 0.5);
        assert_eq!(roc_curve(&y, &[0.5; 4]), [(0.0, 0.0), (1.0, 1.0)]);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
        assert_eq!(average_precision(&[false], &[0.1]), None);
        let none_predicted = evaluate(&y, &[0.0; 4], 0.5);
        assert_eq!(
            (
                none_predicted.precision,
                none_predicted.f1,
                none_predicted.accuracy
            ),
            (0.0, 0.0, 0.5)
        );
    }
}
