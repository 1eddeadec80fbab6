//! Split: a seeded, stratified train/test split (the class balance of both parts matches the
//! whole, as scikit-learn's `train_test_split(stratify=y)` does).

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::rng::Rng;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct SplitOptions {
    pub test_fraction: f64,
    pub seed: u64,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            test_fraction: 0.3,
            seed: 0,
        }
    }
}

/// Row indices of each part, ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SplitReport {
    pub test_fraction: f64,
    pub seed: u64,
    pub train_rows: usize,
    pub test_rows: usize,
    pub train_positives: usize,
    pub test_positives: usize,
}

impl Split {
    pub fn report(&self, labels: &[Option<bool>], opts: &SplitOptions) -> SplitReport {
        let pos = |rows: &[usize]| rows.iter().filter(|&&r| labels[r] == Some(true)).count();
        SplitReport {
            test_fraction: opts.test_fraction,
            seed: opts.seed,
            train_rows: self.train.len(),
            test_rows: self.test.len(),
            train_positives: pos(&self.train),
            test_positives: pos(&self.test),
        }
    }
}

/// Splits `rows` (each with a label) so that `ceil(fraction × n)` rows go to the test part, each
/// class contributing in proportion to its size (largest remainders get the leftover rows).
pub fn stratified(
    rows: &[usize],
    labels: &[Option<bool>],
    opts: &SplitOptions,
) -> Result<Split, Error> {
    let f = opts.test_fraction;
    if !(f > 0.0 && f < 1.0) {
        return Err(Error::config(format!(
            "test fraction must be between 0 and 1, not {f}"
        )));
    }
    let mut classes: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for &r in rows {
        let label =
            labels[r].ok_or_else(|| Error::input(format!("row {} has no target", r + 1)))?;
        classes[usize::from(label)].push(r);
    }
    for (name, c) in ["negative", "positive"].iter().zip(&classes) {
        if c.len() < 2 {
            return Err(Error::input(format!(
                "the {name} class has {} row(s) after cleaning: a split needs at least 2 of each class",
                c.len()
            )));
        }
    }
    let n = rows.len();
    let n_test = ((f * n as f64).ceil() as usize).clamp(2, n - 2);
    let exact: Vec<f64> = classes
        .iter()
        .map(|c| c.len() as f64 * n_test as f64 / n as f64)
        .collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let left = n_test - take.iter().sum::<usize>();
    let mut order = [0usize, 1];
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa)
            .then(classes[b].len().cmp(&classes[a].len()))
    });
    for &c in order.iter().take(left) {
        take[c] += 1;
    }
    let mut rng = Rng::new(opts.seed);
    let (mut train, mut test) = (Vec::with_capacity(n - n_test), Vec::with_capacity(n_test));
    for (c, k) in classes.iter_mut().zip(take) {
        // Each part keeps at least one row of each class.
        let k = k.clamp(1, c.len() - 1);
        rng.shuffle(c);
        test.extend_from_slice(&c[..k]);
        train.extend_from_slice(&c[k..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok(Split { train, test })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pos: usize, neg: usize) -> Vec<Option<bool>> {
        (0..pos + neg).map(|i| Some(i < pos)).collect()
    }

    #[test]
    fn sizes_follow_sklearn_rounding_and_classes_stay_balanced() {
        // The real table after dedupe: 5,073 rows, 841 churners → 3,551 / 1,522.
        let l = labels(841, 4232);
        let rows: Vec<usize> = (0..l.len()).collect();
        let s = stratified(&rows, &l, &SplitOptions::default()).unwrap();
        let r = s.report(&l, &SplitOptions::default());
        assert_eq!((r.train_rows, r.test_rows), (3551, 1522));
        assert_eq!((r.train_positives, r.test_positives), (589, 252));
        let mut all = [s.train.clone(), s.test.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, rows);
    }

    #[test]
    fn seeded_and_different_per_seed() {
        let l = labels(30, 70);
        let rows: Vec<usize> = (0..100).collect();
        let a = stratified(
            &rows,
            &l,
            &SplitOptions {
                test_fraction: 0.3,
                seed: 1,
            },
        )
        .unwrap();
        let b = stratified(
            &rows,
            &l,
            &SplitOptions {
                test_fraction: 0.3,
                seed: 1,
            },
        )
        .unwrap();
        let c = stratified(
            &rows,
            &l,
            &SplitOptions {
                test_fraction: 0.3,
                seed: 2,
            },
        )
        .unwrap();
        assert_eq!(a, b);
        assert_ne!(a.test, c.test);
        assert_eq!(a.test.iter().filter(|&&r| r < 30).count(), 9);
    }

    #[test]
    fn refuses_bad_fractions_and_tiny_classes() {
        let l = labels(1, 10);
        let rows: Vec<usize> = (0..11).collect();
        let e = stratified(&rows, &l, &SplitOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("positive class has 1 row(s)"), "{e}");
        let l = labels(5, 5);
        let e = stratified(
            &rows[..10],
            &l,
            &SplitOptions {
                test_fraction: 1.0,
                seed: 0,
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("between 0 and 1"), "{e}");
        let s = stratified(
            &rows[..10],
            &l,
            &SplitOptions {
                test_fraction: 0.01,
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(s.test.len(), 2, "one of each class at least");
    }
}
