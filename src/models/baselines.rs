//! The classical baselines: logistic regression through smartcore, Gaussian naive Bayes here
//! (the random forest is in [`super::forest`], boosting in [`super::boosting`], KNN in
//! [`super::knn`]). smartcore predicts labels only, so logistic regression's churn
//! probabilities are computed from its fitted parameters.

use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use serde::{Deserialize, Serialize};

use super::{Blobs, Saved, check_width, cpu_classifier, sigmoid};
use crate::Error;
use crate::matrix::Matrix;

type X = DenseMatrix<f64>;
type Y = Vec<u32>;

fn dense(x: &Matrix) -> Result<X, Error> {
    let values = x.data.iter().map(|&v| f64::from(v)).collect();
    DenseMatrix::new(x.rows, x.cols, values, false).map_err(failed)
}

fn labels(y: &[bool]) -> Y {
    y.iter().map(|&b| u32::from(b)).collect()
}

fn failed(e: smartcore::error::Failed) -> Error {
    Error::input(format!("model failed: {e}"))
}

fn not_fitted() -> Error {
    Error::config("the model is not fitted yet")
}

/// Logistic regression with an L2 penalty.
pub struct Logistic {
    alpha: f64,
    weights: Option<(Vec<f64>, f64)>,
}

impl Logistic {
    pub fn new(alpha: f64) -> Self {
        Logistic {
            alpha,
            weights: None,
        }
    }
}

impl Logistic {
    /// A logistic regression fitted on `x`, `y` at once (for checks that need one on the side).
    pub fn fitted(x: &Matrix, y: &[bool], alpha: f64) -> Result<Self, Error> {
        let mut m = Logistic::new(alpha);
        m.train(x, y, 0)?;
        Ok(m)
    }

    pub fn restore(weights: Vec<f64>, intercept: f64, inputs: usize) -> Result<Self, Error> {
        check_width("logistic regression", weights.len(), inputs)?;
        Ok(Logistic {
            alpha: 0.0,
            weights: Some((weights, intercept)),
        })
    }

    fn saved(&self, _: &mut Blobs) -> Result<Saved, Error> {
        let (weights, intercept) = self.weights.clone().ok_or_else(not_fitted)?;
        Ok(Saved::LogisticRegression { weights, intercept })
    }

    fn train(&mut self, x: &Matrix, y: &[bool], _seed: u64) -> Result<(), Error> {
        let params = LogisticRegressionParameters::default().with_alpha(self.alpha);
        let model: LogisticRegression<f64, u32, X, Y> =
            LogisticRegression::fit(&dense(x)?, &labels(y), params).map_err(failed)?;
        // smartcore sorts the classes: coefficients score class 1 (churn) against 0.
        let w = (0..x.cols)
            .map(|j| *model.coefficients().get((0, j)))
            .collect();
        self.weights = Some((w, *model.intercept().get((0, 0))));
        Ok(())
    }

    /// The churn probability of each row: the logistic of its linear score.
    pub fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, Error> {
        let (w, b) = self.weights.as_ref().ok_or_else(not_fitted)?;
        Ok((0..x.rows)
            .map(|i| {
                sigmoid(
                    b + x
                        .row(i)
                        .iter()
                        .zip(w)
                        .map(|(&v, w)| f64::from(v) * w)
                        .sum::<f64>(),
                )
            })
            .collect())
    }
}

impl Logistic {
    pub(crate) fn attribution(&self) -> Option<super::Attribution<'_>> {
        let (weights, intercept) = self.weights.as_ref()?;
        Some(super::Attribution::Linear {
            weights,
            intercept: *intercept,
        })
    }
}

cpu_classifier!(Logistic, attributed);

/// Gaussian naive Bayes; variances get scikit-learn's smoothing (1e-9 × the largest variance).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NaiveBayes {
    /// Per class: log prior, means, variances.
    classes: Vec<(f64, Vec<f64>, Vec<f64>)>,
}

impl NaiveBayes {
    /// This saved model, if it is whole and takes `inputs` inputs.
    pub fn checked(self, inputs: usize) -> Result<Self, Error> {
        let whole = self.classes.len() == 2
            && self
                .classes
                .iter()
                .all(|(_, m, v)| m.len() == inputs && v.len() == inputs);
        if whole {
            Ok(self)
        } else {
            Err(Error::input(format!(
                "the model file's naive Bayes does not take {inputs} inputs"
            )))
        }
    }

    fn saved(&self, _: &mut Blobs) -> Result<Saved, Error> {
        self.clone()
            .checked(self.classes.first().map_or(0, |c| c.1.len()))?;
        Ok(Saved::NaiveBayes(self.clone()))
    }

    fn train(&mut self, x: &Matrix, y: &[bool], _seed: u64) -> Result<(), Error> {
        let d = x.cols;
        // Per class: count, mean and M2 per feature (Welford), in f64.
        let mut stats: [(usize, Vec<f64>, Vec<f64>); 2] =
            std::array::from_fn(|_| (0, vec![0.0; d], vec![0.0; d]));
        for (i, &label) in y.iter().enumerate().take(x.rows) {
            let (n, mean, m2) = &mut stats[usize::from(label)];
            *n += 1;
            for (j, &v) in x.row(i).iter().enumerate() {
                let v = f64::from(v);
                let delta = v - mean[j];
                mean[j] += delta / *n as f64;
                m2[j] += delta * (v - mean[j]);
            }
        }
        if stats.iter().any(|(n, _, _)| *n == 0) {
            return Err(Error::input(
                "naive Bayes needs both classes in the training rows",
            ));
        }
        // scikit-learn's smoothing: 1e-9 × the largest variance of any feature over all rows.
        let largest = (0..d)
            .map(|j| crate::explore::Moments::of((0..x.rows).map(|i| f64::from(x.row(i)[j]))))
            .map(|m| m.pop_std().powi(2))
            .fold(0.0f64, f64::max);
        let smoothing = 1e-9 * largest.max(1e-12);
        let total = x.rows as f64;
        self.classes = stats
            .into_iter()
            .map(|(n, mean, m2)| {
                let var = m2.iter().map(|s| s / n as f64 + smoothing).collect();
                ((n as f64 / total).ln(), mean, var)
            })
            .collect();
        Ok(())
    }

    pub fn probabilities(&self, x: &Matrix) -> Result<Vec<f64>, Error> {
        if self.classes.len() != 2 {
            return Err(not_fitted());
        }
        let log_joint = |row: &[f32], (prior, mean, var): &(f64, Vec<f64>, Vec<f64>)| {
            prior
                + row
                    .iter()
                    .zip(mean.iter().zip(var))
                    .map(|(&v, (m, s))| {
                        -0.5 * ((std::f64::consts::TAU * s).ln() + (f64::from(v) - m).powi(2) / s)
                    })
                    .sum::<f64>()
        };
        Ok((0..x.rows)
            .map(|i| {
                let (l0, l1) = (
                    log_joint(x.row(i), &self.classes[0]),
                    log_joint(x.row(i), &self.classes[1]),
                );
                sigmoid(l1 - l0)
            })
            .collect())
    }
}

cpu_classifier!(NaiveBayes);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Classifier;
    use crate::models::forest::Forest;
    use crate::models::testing::{fit, proba};
    use crate::rng::Rng;

    /// Two Gaussian blobs in 3 dimensions, 1 in 4 positive.
    fn blobs(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = Rng::new(seed);
        let y: Vec<bool> = (0..n).map(|i| i % 4 == 0).collect();
        let data = y
            .iter()
            .flat_map(|&p| {
                let shift = if p { 1.5 } else { -0.5 };
                [shift + rng.normal(), shift + rng.normal(), rng.normal()].map(|v| v as f32)
            })
            .collect();
        (
            Matrix {
                rows: n,
                cols: 3,
                data,
            },
            y,
        )
    }

    #[test]
    fn every_baseline_learns_separable_blobs() {
        let (x, y) = blobs(600, 1);
        let (xt, yt) = blobs(400, 2);
        let models: Vec<(&str, Box<dyn Classifier>)> = vec![
            ("lr", Box::new(Logistic::new(1.0))),
            ("rf", Box::new(Forest::new(30, None))),
            ("nb", Box::<NaiveBayes>::default()),
            ("knn", Box::new(super::super::knn::Knn::new(5))),
        ];
        for (name, mut m) in models {
            fit(m.as_mut(), &x, &y, 0).unwrap();
            let p = proba(m.as_ref(), &xt).unwrap();
            assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{name}");
            let s = crate::metrics::evaluate(&yt, &p, 0.5);
            assert!(s.accuracy > 0.85, "{name}: {s:?}");
            assert!(s.roc_auc.unwrap() > 0.9, "{name}: {s:?}");
        }
    }

    #[test]
    fn naive_bayes_matches_hand_computed_posteriors() {
        // Class 0: mean 1, variance 1; class 1: mean 11, variance 1; equal priors.
        let x = Matrix {
            rows: 4,
            cols: 1,
            data: vec![0.0, 2.0, 10.0, 12.0],
        };
        let mut nb = NaiveBayes::default();
        fit(&mut nb, &x, &[false, false, true, true], 0).unwrap();
        let at = |v: f32| {
            proba(
                &nb,
                &Matrix {
                    rows: 1,
                    cols: 1,
                    data: vec![v],
                },
            )
            .unwrap()[0]
        };
        approx::assert_relative_eq!(at(6.0), 0.5, epsilon = 1e-9);
        // log p(x|1) − log p(x|0) = ((x − 1)² − (x − 11)²) / 2 = 10x − 60.
        approx::assert_relative_eq!(at(5.5), sigmoid(-5.0), max_relative = 1e-6);
        approx::assert_relative_eq!(at(7.0), sigmoid(10.0), max_relative = 1e-6);
        let one_class = fit(&mut nb, &x, &[true; 4], 0);
        assert!(one_class.is_err());
    }

    #[test]
    fn forest_is_seeded_and_unfitted_models_refuse() {
        let (x, y) = blobs(200, 3);
        let mut a = Forest::new(10, None);
        let mut b = Forest::new(10, None);
        fit(&mut a, &x, &y, 7).unwrap();
        fit(&mut b, &x, &y, 7).unwrap();
        assert_eq!(proba(&a, &x).unwrap(), proba(&b, &x).unwrap());
        assert!(proba(&Logistic::new(1.0), &x).is_err());
        assert!(fit(&mut super::super::knn::Knn::new(0), &x, &y, 0).is_err());
    }
}
