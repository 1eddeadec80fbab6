//! Evaluate: confusion matrix, accuracy, precision, recall, F1 (positive = churn), ROC-AUC,
//! PR-AUC (average precision) and the ROC curve's points; and whether scores reported
//! elsewhere (a paper's table) can come from any confusion matrix on a given test set.

use serde::{Deserialize, Serialize};

use crate::Error;

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

/// The risk segments, highest first.
pub const SEGMENTS: [&str; 3] = ["high", "medium", "low"];

/// The index in [`SEGMENTS`] of a churn probability's segment: `high` p ≥ 0.5, `medium`
/// p ≥ 0.2, else `low`.
pub fn segment_index(p: f64) -> usize {
    if p >= 0.5 {
        0
    } else if p >= 0.2 {
        1
    } else {
        2
    }
}

/// The risk segment of a churn probability.
pub fn segment(p: f64) -> &'static str {
    SEGMENTS[segment_index(p)]
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
    // In f64: `pos * neg` overflows a 32-bit usize (wasm32) beyond ~65,000 rows of each class.
    let (pos, neg) = (pos as f64, neg as f64);
    let u = rank_sum - pos * (pos + 1.0) / 2.0;
    Some(u / (pos * neg))
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
    thin(points, ROC_STEP)
}

/// The ROC curve's resolution: consecutive points kept at least this far apart (in FPR + TPR),
/// so a curve has at most `2 / ROC_STEP + 2` points whatever the number of test rows.
pub const ROC_STEP: f64 = 1.0 / 256.0;

/// The points of a monotone curve at least `step` apart (L1), first and last always kept.
fn thin(points: Vec<(f64, f64)>, step: f64) -> Vec<(f64, f64)> {
    let Some(&last) = points.last() else {
        return points;
    };
    let mut kept: Vec<(f64, f64)> = Vec::new();
    for p in points {
        if kept
            .last()
            .is_none_or(|q| (p.0 - q.0) + (p.1 - q.1) >= step)
        {
            kept.push(p);
        }
    }
    if kept.last() != Some(&last) {
        kept.push(last);
    }
    kept
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

/// The threshold of the highest F1 on these rows, among 0.01, 0.02, … 0.99 (ties: the one
/// nearest 0.5).
pub fn f1_threshold(truth: &[bool], probabilities: &[f64]) -> f64 {
    let mut best: (f64, f64) = (f64::NEG_INFINITY, 0.5);
    for k in 1..100 {
        let t = f64::from(k) / 100.0;
        let f1 = confusion_at(truth, probabilities, t).f1();
        let nearer = (t - 0.5).abs() < (best.1 - 0.5).abs();
        if f1 > best.0 + 1e-12 || ((f1 - best.0).abs() <= 1e-12 && nearer) {
            best = (f1, t);
        }
    }
    best.1
}

/// The confusion matrix of predicting churn at `p ≥ threshold`.
pub fn confusion_at(truth: &[bool], probabilities: &[f64], threshold: f64) -> Confusion {
    let predicted: Vec<bool> = probabilities.iter().map(|&p| p >= threshold).collect();
    Confusion::new(truth, &predicted)
}

/// Scores churn probabilities against the truth, predicting churn at `p ≥ threshold`.
pub fn evaluate(truth: &[bool], probabilities: &[f64], threshold: f64) -> Scores {
    let c = confusion_at(truth, probabilities, threshold);
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

/// Scores as a paper prints them, as text: "98.5" or "98.5 %" (percent) or "0.985" (a
/// fraction); the printed digits say how precise each is. Any may be left out.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Reported {
    pub accuracy: Option<String>,
    pub precision: Option<String>,
    pub recall: Option<String>,
    pub f1: Option<String>,
}

/// Whether reported scores fit a test set of given size and class balance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportedCheck {
    /// Some confusion matrix on this test set gives every reported score, to the printed digits.
    pub consistent: bool,
    /// The confusion matrix whose scores come closest to the reported ones.
    pub closest: Confusion,
    /// Its largest miss of a reported score beyond that score's rounding, in percentage points
    /// (0 when consistent).
    pub gap: f64,
}

/// A reported score as a fraction and its rounding (half a unit of the last printed digit).
fn reported_value(name: &str, text: &str) -> Result<(f64, f64), Error> {
    let t = text.trim();
    let (t, percent) = match t.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (t, false),
    };
    let t = t.replace(',', ".");
    let bad = || Error::config(format!("reported {name} '{text}' is not a score"));
    let v: f64 = t.parse().map_err(|_| bad())?;
    let decimals = t.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    let scale = if percent || v > 1.0 { 100.0 } else { 1.0 };
    let (v, rounding) = (v / scale, 0.5 * 10f64.powi(-decimals) / scale);
    if !v.is_finite() || !(0.0..=1.0).contains(&v) {
        return Err(bad());
    }
    Ok((v, rounding + 1e-9))
}

/// Searches every confusion matrix of `positives` churners and `negatives` others for the one
/// whose scores come closest to `reported`.
pub fn check_reported(
    reported: &Reported,
    positives: usize,
    negatives: usize,
) -> Result<ReportedCheck, Error> {
    type Score = fn(&Confusion) -> f64;
    let fields: [(&str, &Option<String>, Score); 4] = [
        ("accuracy", &reported.accuracy, Confusion::accuracy),
        ("precision", &reported.precision, Confusion::precision),
        ("recall", &reported.recall, Confusion::recall),
        ("F1", &reported.f1, Confusion::f1),
    ];
    let mut given: Vec<(f64, f64, Score)> = Vec::new();
    for (name, text, score) in fields {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            let (v, rounding) = reported_value(name, text)?;
            given.push((v, rounding, score));
        }
    }
    if given.is_empty() {
        return Err(Error::config("give at least one reported score"));
    }
    if positives == 0 || negatives == 0 {
        return Err(Error::config(
            "the test set needs churners and other customers",
        ));
    }
    const MAX_MATRICES: usize = 100_000_000;
    if (positives + 1).saturating_mul(negatives + 1) > MAX_MATRICES {
        return Err(Error::config(format!(
            "{positives} churners and {negatives} others are too many confusion matrices to try \
             (at most {MAX_MATRICES})"
        )));
    }
    let mut best = (f64::INFINITY, Confusion::default());
    'search: for tp in 0..=positives {
        for fp in 0..=negatives {
            let c = Confusion {
                tp,
                fp,
                tn: negatives - fp,
                fn_: positives - tp,
            };
            let gap = given
                .iter()
                .map(|(v, rounding, score)| ((score(&c) - v).abs() - rounding).max(0.0))
                .fold(0.0, f64::max);
            if gap < best.0 {
                best = (gap, c);
                if gap == 0.0 {
                    // Consistent: no matrix comes closer, and the first one found is the answer.
                    break 'search;
                }
            }
        }
    }
    Ok(ReportedCheck {
        consistent: best.0 == 0.0,
        closest: best.1,
        gap: 100.0 * best.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roc_curve_has_a_bounded_number_of_points() {
        let truth: Vec<bool> = (0..300_000).map(|i| i % 5 == 0).collect();
        let scores: Vec<f64> = (0..300_000u64)
            .map(|i| ((i * 7919) % 300_007) as f64)
            .collect();
        let curve = roc_curve(&truth, &scores);
        assert!(curve.len() <= 2 * 256 + 2, "{}", curve.len());
        assert_eq!(curve.first(), Some(&(0.0, 0.0)));
        assert_eq!(curve.last(), Some(&(1.0, 1.0)));
        assert!(
            curve
                .windows(2)
                .all(|w| w[1].0 >= w[0].0 && w[1].1 >= w[0].1)
        );
        // A small curve keeps every point.
        let small = roc_curve(&[true, false, true, false], &[0.9, 0.8, 0.7, 0.1]);
        assert_eq!(small.len(), 5);
    }

    #[test]
    fn roc_auc_of_a_large_table_does_not_overflow() {
        // 200,000 rows of each class, a uniform score: AUC one half (pos · neg = 4e10 > u32).
        let truth: Vec<bool> = (0..400_000).map(|i| i % 2 == 0).collect();
        let scores: Vec<f64> = (0..400_000).map(|i| f64::from(i / 2)).collect();
        let auc = roc_auc(&truth, &scores).unwrap();
        assert!((auc - 0.5).abs() < 1e-3, "{auc}");
    }
    use approx::assert_abs_diff_eq;

    fn reported(a: &str, p: &str, r: &str, f: &str) -> Reported {
        let some = |t: &str| Some(t.to_string());
        Reported {
            accuracy: some(a),
            precision: some(p),
            recall: some(r),
            f1: some(f),
        }
    }

    #[test]
    fn reported_scores_that_a_matrix_gives_are_consistent() {
        // 100 churners, 400 others: TP 80, FP 10 gives 94.0 % / 88.89 / 80.0 / 84.21.
        let c = check_reported(&reported("94.0", "88.89", "80", "84.21"), 100, 400).unwrap();
        assert!(c.consistent);
        assert_eq!((c.closest.tp, c.closest.fp, c.gap), (80, 10, 0.0));
        // The same as fractions, percent signs and decimal commas.
        let c = check_reported(&reported("0.940", "88,89 %", "0.80", "0.8421"), 100, 400).unwrap();
        assert!(c.consistent);
    }

    #[test]
    fn reported_scores_no_matrix_gives_are_not() {
        // Accuracy 98 % (97.5 at least, as printed) allows 12 wrong rows of 500, recall 80 %
        // (80.5 at most) 19 missed churners at least. Nearest: 19 missed and no false alarm
        // (recall 81 %, 0.5 points off; accuracy 96.2 %, 1.3 points off).
        let c = check_reported(&reported("98", "", "80", ""), 100, 400).unwrap();
        assert!(!c.consistent);
        assert_abs_diff_eq!(c.gap, 1.3, epsilon = 1e-6);
        assert_eq!((c.closest.fn_, c.closest.fp), (19, 0));
        // The rounding of the printed digits counts: "98" covers 97.5 to 98.5.
        let c = check_reported(&reported("96", "", "80", ""), 100, 400).unwrap();
        assert!(c.consistent);
    }

    #[test]
    fn reported_scores_that_are_not_scores_are_refused() {
        let err = |r: Reported| check_reported(&r, 10, 10).unwrap_err().message;
        assert_eq!(
            err(reported("high", "", "", "")),
            "reported accuracy 'high' is not a score"
        );
        assert_eq!(
            err(reported("", "", "", "101")),
            "reported F1 '101' is not a score"
        );
        assert_eq!(err(Reported::default()), "give at least one reported score");
        assert!(check_reported(&reported("90", "", "", ""), 0, 10).is_err());
    }

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

    #[test]
    fn the_f1_threshold_is_the_one_of_the_highest_f1() {
        let truth = [true, true, false, false, false, true];
        let p = [0.9, 0.35, 0.3, 0.1, 0.2, 0.6];
        // At 0.31–0.35 every churner is caught and no stayer flagged.
        let t = f1_threshold(&truth, &p);
        assert!((0.31..=0.35).contains(&t), "{t}");
        assert_eq!(evaluate(&truth, &p, t).f1, 1.0);
        // Every threshold as good: the one nearest 0.5.
        assert_eq!(f1_threshold(&[true], &[0.99]), 0.5);
    }
}
