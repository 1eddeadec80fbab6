//! Why each customer gets its score: Shapley values per feature column, from the kept model
//! (nothing is fitted). The game is interventional: a coalition `S` of columns takes the
//! customer's values, the other columns a reference customer's, averaged over a fixed sample of
//! training rows (the background the pipeline keeps). A one-hot column set moves as one column.
//!
//! - Logistic regression: exact, in log-odds: `w · (x − mean of the background)` per column.
//! - Tree ensembles: exact, interventional TreeSHAP ([`Ensemble::shap`]): the random forest in
//!   probability.
//! - Every other model (the networks, KNN, naive Bayes): a sampling estimator in probability
//!   (Štrumbelj & Kononenko, 2014): antithetic pairs of random column orders, one pair per
//!   background row, each order walked from the reference row to the customer's. It adds up
//!   exactly (each order telescopes to `f(x) − f(z)`); its error is stated per customer as a 95 %
//!   confidence half-width (normal approximation over the pairs).
//!
//! In every case `base + Σ contributions = score` for each customer, where `base` is the mean
//! score of the background rows.

use serde::Serialize;

use crate::Error;
use crate::matrix::Matrix;
use crate::models::trees::{Ensemble, SHAP_ROWS};
use crate::models::{Attribution, Classifier};
use crate::preprocess::Preprocessor;
use crate::rng::Rng;

/// The feature columns the contributions are reported in, and the column of every model input.
#[derive(Clone, Debug, PartialEq)]
pub struct Groups {
    pub names: Vec<String>,
    /// Per model input, the index of its column in `names`.
    pub of_input: Vec<usize>,
}

impl Groups {
    /// One group per feature column of the fitted preprocessing (its one-hot inputs and its
    /// missing indicator together).
    pub fn of(pre: &Preprocessor) -> Groups {
        let mut names = Vec::new();
        let mut of_input = Vec::new();
        for (g, (name, width)) in pre.column_widths().into_iter().enumerate() {
            names.push(name);
            of_input.extend(std::iter::repeat_n(g, width));
        }
        Groups { names, of_input }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// What a contribution is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    /// The churn log-odds (logistic regression).
    LogOdds,
    /// The churn probability.
    Probability,
}

impl Units {
    pub fn name(self) -> &'static str {
        match self {
            Units::LogOdds => "log-odds",
            Units::Probability => "probability",
        }
    }
}

/// How the contributions were computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Method {
    /// `exact (linear)`, `exact (TreeSHAP)` or `sampling`.
    pub name: &'static str,
    pub units: Units,
    /// Background rows the game averages over.
    pub background: usize,
    /// Sampling: column orders per customer (antithetic pairs, one per background row).
    pub samples: Option<usize>,
    /// Sampling: the largest 95 % half-width over customers and columns.
    pub bound: Option<f64>,
}

/// Every row's contributions.
#[derive(Clone, Debug, PartialEq)]
pub struct Contributions {
    pub method: Method,
    /// Mean score of the background rows.
    pub base: f64,
    /// Per row, the model's score in `method.units`.
    pub score: Vec<f64>,
    /// Row-major: `values[i * groups + g]`.
    pub values: Vec<f64>,
    /// Sampling: per row, the largest 95 % half-width over its columns (0 when exact).
    pub half_width: Vec<f64>,
    pub groups: usize,
}

impl Contributions {
    /// Contributions computed exactly (no error bound).
    fn exact(
        name: &'static str,
        units: Units,
        background: usize,
        base: f64,
        score: Vec<f64>,
        values: Vec<f64>,
        groups: usize,
    ) -> Contributions {
        Contributions {
            method: Method {
                name,
                units,
                background,
                samples: None,
                bound: None,
            },
            base,
            half_width: vec![0.0; score.len()],
            score,
            values,
            groups,
        }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.groups..(i + 1) * self.groups]
    }

    /// Mean |contribution| per column: the global importance of what the rows show.
    pub fn mean_abs(&self) -> Vec<f64> {
        let rows = self.score.len().max(1) as f64;
        let mut m = vec![0.0; self.groups];
        for row in self.values.chunks_exact(self.groups.max(1)) {
            for (a, v) in m.iter_mut().zip(row) {
                *a += v.abs() / rows;
            }
        }
        m
    }
}

/// The contributions of every row of `x` to `model`'s score, against `background`.
/// `samples` is the number of column orders per row of the sampling estimator (rounded to
/// whole antithetic pairs, at most two per background row).
pub async fn contributions(
    model: &dyn Classifier,
    x: &Matrix,
    background: &Matrix,
    groups: &Groups,
    samples: usize,
) -> Result<Contributions, Error> {
    contributions_from(model, x, background, groups, samples, 0).await
}

/// The same for rows `first`, `first + 1`, … of a larger table (a pool worker's part, see
/// [`part`]): their sampled orders are seeded by those row numbers, so the parts joined are
/// the whole table's contributions.
pub async fn contributions_from(
    model: &dyn Classifier,
    x: &Matrix,
    background: &Matrix,
    groups: &Groups,
    samples: usize,
    first: usize,
) -> Result<Contributions, Error> {
    if background.rows == 0 || background.cols != x.cols || groups.of_input.len() != x.cols {
        return Err(Error::input(
            "this model has no background rows to explain its scores against",
        ));
    }
    Ok(match model.attribution() {
        Some(Attribution::Linear { weights, intercept }) => {
            linear(weights, intercept, x, background, groups)
        }
        Some(Attribution::Trees(ensemble)) => trees(&ensemble, x, background, groups),
        None => sampled(model, x, background, groups, samples, first).await?,
    })
}

/// The rows of part `k` of `parts` of `n` rows to explain: whole batches of the sampling
/// estimator (so that each batch holds the rows it holds in one piece, and the model's
/// numbers are the same), spread as evenly as they go.
pub fn part(
    n: usize,
    background: &Matrix,
    groups: &Groups,
    samples: usize,
    k: usize,
    parts: usize,
) -> std::ops::Range<usize> {
    let chunk = (BATCH / rows_per_customer(background, groups, samples)).max(1);
    let chunks = n.div_ceil(chunk);
    let parts = parts.max(1);
    let at = |k: usize| (chunks * k / parts * chunk).min(n);
    at(k)..at(k + 1)
}

/// Hybrid rows per customer of the sampling estimator.
fn rows_per_customer(background: &Matrix, groups: &Groups, samples: usize) -> usize {
    (samples / 2).clamp(1, background.rows.max(1)) * 2 * (groups.len() + 1)
}

impl Contributions {
    /// The method's names, by their number in [`Contributions::to_bytes`].
    const METHODS: [&'static str; 3] = ["exact (linear)", "exact (TreeSHAP)", "sampling"];

    /// These rows' contributions and their method as bytes (little-endian u64 and f64), for
    /// [`Contributions::from_parts`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let m = &self.method;
        let name = Self::METHODS.iter().position(|n| *n == m.name).unwrap_or(2);
        let units = usize::from(m.units == Units::Probability);
        let head = [self.score.len(), self.groups, name, units, m.background];
        let samples = [m.samples.unwrap_or(0), usize::from(m.bound.is_some())];
        let mut out = Vec::new();
        for n in head.iter().chain(&samples) {
            out.extend_from_slice(&(*n as u64).to_le_bytes());
        }
        for v in [
            &[self.base][..],
            &self.score,
            &self.values,
            &self.half_width,
        ] {
            out.extend(v.iter().flat_map(|x| x.to_le_bytes()));
        }
        out
    }

    /// The parts of a table's rows, in row order, joined (as [`Contributions::to_bytes`]
    /// wrote them; every part with the same method and columns).
    pub fn from_parts(parts: &[Vec<u8>]) -> Result<Contributions, Error> {
        let bad = || Error::input("a pool worker's explanations are damaged");
        let mut joined: Option<Contributions> = None;
        for bytes in parts {
            let words: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
            let [rows, g, name, units, background, samples, bounded] =
                *words.get(..7).ok_or_else(bad)?
            else {
                return Err(bad());
            };
            let (rows, g) = (rows as usize, g as usize);
            let v: Vec<f64> = words[7..].iter().copied().map(f64::from_bits).collect();
            if v.len() != 1 + rows * (g + 2) {
                return Err(bad());
            }
            let method = Method {
                name: Self::METHODS.get(name as usize).ok_or_else(bad)?,
                units: if units == 1 {
                    Units::Probability
                } else {
                    Units::LogOdds
                },
                background: background as usize,
                samples: (samples > 0).then_some(samples as usize),
                bound: (bounded == 1).then_some(0.0),
            };
            let part = Contributions {
                method,
                base: v[0],
                score: v[1..1 + rows].to_vec(),
                values: v[1 + rows..1 + rows + rows * g].to_vec(),
                half_width: v[1 + rows + rows * g..].to_vec(),
                groups: g,
            };
            joined = Some(match joined {
                None => part,
                Some(mut c) if c.groups == g && c.method == part.method => {
                    c.score.extend(part.score);
                    c.values.extend(part.values);
                    c.half_width.extend(part.half_width);
                    c
                }
                Some(_) => return Err(bad()),
            });
        }
        let mut c = joined.ok_or_else(bad)?;
        if let Some(b) = c.method.bound.as_mut() {
            *b = c.half_width.iter().copied().fold(0.0, f64::max);
        }
        Ok(c)
    }
}

/// Per input, its mean over the rows of `m`.
fn column_means(m: &Matrix) -> Vec<f64> {
    let mut mean = vec![0.0; m.cols];
    for i in 0..m.rows {
        for (a, &v) in mean.iter_mut().zip(m.row(i)) {
            *a += f64::from(v) / m.rows as f64;
        }
    }
    mean
}

fn linear(
    weights: &[f64],
    intercept: f64,
    x: &Matrix,
    background: &Matrix,
    groups: &Groups,
) -> Contributions {
    let mean = column_means(background);
    let base = intercept + weights.iter().zip(&mean).map(|(w, m)| w * m).sum::<f64>();
    let g = groups.len();
    let mut values = vec![0.0; x.rows * g];
    let mut score = Vec::with_capacity(x.rows);
    for i in 0..x.rows {
        let out = &mut values[i * g..(i + 1) * g];
        for (j, &v) in x.row(i).iter().enumerate() {
            out[groups.of_input[j]] += weights[j] * (f64::from(v) - mean[j]);
        }
        score.push(base + out.iter().sum::<f64>());
    }
    Contributions::exact(
        "exact (linear)",
        Units::LogOdds,
        background.rows,
        base,
        score,
        values,
        g,
    )
}

fn trees(ensemble: &Ensemble, x: &Matrix, background: &Matrix, groups: &Groups) -> Contributions {
    let g = groups.len();
    let used = background.pick(&(0..background.rows.min(SHAP_ROWS)).collect::<Vec<_>>());
    let base = ensemble.raw(&used).iter().sum::<f64>() / used.rows as f64;
    let score = ensemble.raw(x);
    let mut values = vec![0.0; x.rows * g];
    let bg = ensemble.shap_background(&used);
    ensemble.shap(x, &bg, &groups.of_input, g, &mut values);
    let units = if ensemble.log_odds() {
        Units::LogOdds
    } else {
        Units::Probability
    };
    Contributions::exact("exact (TreeSHAP)", units, used.rows, base, score, values, g)
}

/// Model evaluations per batch of the sampling estimator.
const BATCH: usize = 1 << 15;

/// The hybrid rows of one customer: walk `w` goes from background row `w / 2` to the
/// customer's row, switching the columns in `orders[w]` one at a time — `orders.len() ·
/// (groups + 1)` rows.
fn walks(x: &[f32], background: &Matrix, orders: &[Vec<usize>], groups: &Groups) -> Vec<f32> {
    let g = groups.len();
    let mut out = Vec::with_capacity(orders.len() * (g + 1) * x.len());
    for (w, order) in orders.iter().enumerate() {
        let mut row = background.row(w / 2).to_vec();
        out.extend_from_slice(&row);
        for &col in order {
            for (j, v) in row.iter_mut().enumerate() {
                if groups.of_input[j] == col {
                    *v = x[j];
                }
            }
            out.extend_from_slice(&row);
        }
    }
    out
}

/// Each column's mean marginal contribution over the walks of one customer, and the largest
/// 95 % half-width (over the pairs' means).
fn tally(f: &[f64], pairs: usize, order_of: &[Vec<usize>], g: usize) -> (Vec<f64>, f64) {
    // pair[p][c]: the contribution of column c in pair p (both walks).
    let mut pair = vec![vec![0.0; g]; pairs];
    for (p, sums) in pair.iter_mut().enumerate() {
        for (w, order) in order_of[p * 2..p * 2 + 2].iter().enumerate() {
            let start = (p * 2 + w) * (g + 1);
            for (k, &col) in order.iter().enumerate() {
                sums[col] += (f[start + k + 1] - f[start + k]) / 2.0;
            }
        }
    }
    let n = pairs as f64;
    let mut phi = vec![0.0; g];
    let mut half = 0.0f64;
    for (c, out) in phi.iter_mut().enumerate() {
        let mean = pair.iter().map(|s| s[c]).sum::<f64>() / n;
        *out = mean;
        if pairs > 1 {
            let var = pair.iter().map(|s| (s[c] - mean).powi(2)).sum::<f64>() / (n - 1.0);
            half = half.max(1.96 * (var / n).sqrt());
        }
    }
    (phi, half)
}

async fn sampled(
    model: &dyn Classifier,
    x: &Matrix,
    background: &Matrix,
    groups: &Groups,
    samples: usize,
    first: usize,
) -> Result<Contributions, Error> {
    let g = groups.len();
    let pairs = (samples / 2).clamp(1, background.rows);
    let per_row = rows_per_customer(background, groups, samples);
    let used = background.pick(&(0..pairs).collect::<Vec<_>>());
    let base = model.predict_proba(&used).await?.iter().sum::<f64>() / pairs as f64;
    let chunk = (BATCH / per_row).max(1);
    let mut values = Vec::with_capacity(x.rows * g);
    let (mut score, mut half_width) = (Vec::with_capacity(x.rows), Vec::with_capacity(x.rows));
    for start in (0..x.rows).step_by(chunk) {
        let rows = start..(start + chunk).min(x.rows);
        let mut data = Vec::new();
        let mut orders = Vec::new();
        for i in rows.clone() {
            let mine = walk_orders(pairs, g, first + i);
            data.extend(walks(x.row(i), background, &mine, groups));
            orders.push(mine);
        }
        let hybrids = Matrix {
            rows: rows.len() * per_row,
            cols: x.cols,
            data,
        };
        let f = model.predict_proba(&hybrids).await?;
        for (k, order) in orders.iter().enumerate() {
            let mine = &f[k * per_row..(k + 1) * per_row];
            let (phi, half) = tally(mine, pairs, order, g);
            score.push(base + phi.iter().sum::<f64>());
            values.extend(phi);
            half_width.push(half);
        }
    }
    let bound = half_width.iter().copied().fold(0.0, f64::max);
    Ok(Contributions {
        method: Method {
            name: "sampling",
            units: Units::Probability,
            background: pairs,
            samples: Some(pairs * 2),
            bound: Some(bound),
        },
        base,
        score,
        values,
        half_width,
        groups: g,
    })
}

/// The column orders of row `i`'s walks: per pair a random order (seeded by the row), then
/// its reverse.
fn walk_orders(pairs: usize, g: usize, i: usize) -> Vec<Vec<usize>> {
    let mut rng = Rng::new(0x5eed ^ i as u64);
    let mut order: Vec<usize> = (0..g).collect();
    let mut out = Vec::with_capacity(pairs * 2);
    for _ in 0..pairs {
        rng.shuffle(&mut order);
        out.push(order.clone());
        out.push(order.iter().rev().copied().collect());
    }
    out
}

/// One factor of a customer's score.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Reason {
    pub column: String,
    /// The customer's value as the table has it (`missing` for an empty cell).
    pub value: String,
    /// In the explanation's units; positive raises the churn risk.
    pub contribution: f64,
    /// For a number: whether it is above the background's mean. `None` for a category.
    #[serde(default)]
    pub high: Option<bool>,
    /// A short name of the factor for grouping customers: `Complain = 1`, `high Tenure`,
    /// `PreferredPaymentMode = COD`, `CouponUsed missing`.
    #[serde(default)]
    pub theme: String,
}

impl Reason {
    /// `DaySinceLastOrder = 0 (+0.21)`.
    pub fn text(&self) -> String {
        format!(
            "{} = {} ({:+.2})",
            self.column, self.value, self.contribution
        )
    }
}

/// A scored customer with every factor of its score, strongest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Customer {
    /// The row in the table (0-based, data rows).
    pub row: usize,
    pub probability: f64,
    pub segment: String,
    /// The model's score in the explanation's units: `base + Σ contributions`.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// The customers `rows` of `table` with their reasons: `x` their model inputs, `c` their
/// contributions, `p` their churn probabilities (all in the order of `rows`).
pub fn customers(
    c: &Contributions,
    x: &Matrix,
    rows: &[usize],
    background: &Matrix,
    pre: &Preprocessor,
    table: &crate::ingest::Table,
    p: &[f64],
) -> Vec<Customer> {
    use crate::preprocess::Step;
    let mean = column_means(background);
    let steps = pre.steps();
    let columns: Vec<Option<usize>> = steps.iter().map(|s| table.find(s.column())).collect();
    let first_input: Vec<usize> = pre
        .column_widths()
        .iter()
        .scan(0, |at, (_, w)| {
            let start = *at;
            *at += w;
            Some(start)
        })
        .collect();
    (0..x.rows)
        .map(|i| {
            let row = rows[i];
            let mut reasons: Vec<Reason> = steps
                .iter()
                .enumerate()
                .map(|(g, step)| {
                    let value = columns[g].and_then(|col| table.columns[col].text(row));
                    let value = value.map(|v| v.into_owned());
                    let name = step.column().to_string();
                    let (high, theme) = match (step, &value) {
                        (_, None) => (None, format!("{name} missing")),
                        (Step::Numeric { range, integer, .. }, Some(v)) => {
                            let j = first_input[g];
                            let high = f64::from(x.row(i)[j]) > mean[j];
                            let binary = *integer && range.1 - range.0 <= 1.0;
                            let theme = if binary {
                                format!("{name} = {v}")
                            } else {
                                format!("{} {name}", if high { "high" } else { "low" })
                            };
                            (Some(high), theme)
                        }
                        (Step::Categorical { .. } | Step::Frequency { .. }, Some(v)) => {
                            (None, format!("{name} = {v}"))
                        }
                    };
                    Reason {
                        column: name,
                        value: value.unwrap_or_else(|| "missing".into()),
                        contribution: c.row(i)[g],
                        high,
                        theme,
                    }
                })
                .collect();
            reasons.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            Customer {
                row,
                probability: p[i],
                segment: crate::metrics::segment(p[i]).to_string(),
                score: c.score[i],
                reasons,
            }
        })
        .collect()
}

/// Permutation importance of one model on its test rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Importance {
    pub model: crate::models::ModelKind,
    pub columns: Vec<String>,
    /// Per column, the mean drop of the test ROC-AUC when it is shuffled.
    pub auc_drop: Vec<f64>,
    pub repeats: usize,
    pub test_rows: usize,
}

/// Permutation importance: per column, the mean drop of the test rows' ROC-AUC when that
/// column's inputs are shuffled across the rows (`repeats` shuffles, seeded).
pub async fn permutation_importance(
    model: &dyn Classifier,
    x: &Matrix,
    y: &[bool],
    groups: &Groups,
    repeats: usize,
    seed: u64,
) -> Result<Vec<f64>, Error> {
    let auc = |p: &[f64]| crate::metrics::roc_auc(y, p).unwrap_or(0.5);
    let reference = auc(&model.predict_proba(x).await?);
    let mut drops = vec![0.0; groups.len()];
    let mut rng = Rng::new(seed);
    for (g, drop) in drops.iter_mut().enumerate() {
        let inputs: Vec<usize> = (0..x.cols).filter(|&j| groups.of_input[j] == g).collect();
        for _ in 0..repeats {
            let mut order: Vec<usize> = (0..x.rows).collect();
            rng.shuffle(&mut order);
            let mut shuffled = x.clone();
            for (i, &from) in order.iter().enumerate() {
                for &j in &inputs {
                    shuffled.data[i * x.cols + j] = x.data[from * x.cols + j];
                }
            }
            *drop += (reference - auc(&model.predict_proba(&shuffled).await?)) / repeats as f64;
        }
    }
    Ok(drops)
}

/// Exact Shapley values by enumerating every coalition of the interventional game of `f`
/// (averaged over the rows of `background`), for checking the fast methods.
#[cfg(test)]
pub(crate) fn brute_force(
    f: &dyn Fn(&Matrix) -> Vec<f64>,
    x: &[f32],
    background: &Matrix,
    groups: &Groups,
) -> Vec<f64> {
    let g = groups.len();
    let coalitions = 1usize << g;
    // v[S]: mean over the background of f(x on S, z elsewhere).
    let mut rows = Vec::new();
    for s in 0..coalitions {
        for b in 0..background.rows {
            let z = background.row(b);
            rows.extend((0..x.len()).map(|j| {
                if s >> groups.of_input[j] & 1 == 1 {
                    x[j]
                } else {
                    z[j]
                }
            }));
        }
    }
    let m = Matrix {
        rows: coalitions * background.rows,
        cols: x.len(),
        data: rows,
    };
    let out = f(&m);
    let v: Vec<f64> = out
        .chunks(background.rows)
        .map(|c| c.iter().sum::<f64>() / background.rows as f64)
        .collect();
    let fact = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
    let mut phi = vec![0.0; g];
    for (i, p) in phi.iter_mut().enumerate() {
        for s in (0..coalitions).filter(|s| s >> i & 1 == 0) {
            let k = (s as u32).count_ones() as usize;
            let w = fact(k) * fact(g - k - 1) / fact(g);
            *p += w * (v[s | 1 << i] - v[s]);
        }
    }
    phi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on;
    use crate::models::baselines::{Logistic, NaiveBayes};
    use crate::models::testing::fit;

    /// Rows with a real signal in columns 0 and 1 (one-hot 2–3 as one group), noise in 4.
    fn data(n: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = Rng::new(seed);
        let mut data = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let a = rng.normal() as f32;
            let b = rng.normal() as f32;
            let hot = rng.bernoulli(0.5);
            let noise = rng.normal() as f32;
            let logit = 1.5 * a - b + if hot { 1.0 } else { -0.5 };
            y.push(rng.uniform() < 1.0 / (1.0 + (-f64::from(logit)).exp()));
            data.extend([
                a,
                b,
                f32::from(u8::from(hot)),
                f32::from(u8::from(!hot)),
                noise,
            ]);
        }
        (
            Matrix {
                rows: n,
                cols: 5,
                data,
            },
            y,
        )
    }

    fn groups() -> Groups {
        Groups {
            names: ["a", "b", "hot", "noise"].map(String::from).to_vec(),
            of_input: vec![0, 1, 2, 2, 3],
        }
    }

    #[test]
    fn logistic_contributions_sum_to_the_logit_and_match_the_weights() {
        let (x, y) = data(400, 1);
        let lr = Logistic::fitted(&x, &y, 1.0).unwrap();
        let Some(Attribution::Linear { weights, intercept }) = lr.attribution() else {
            panic!("logistic regression is linear");
        };
        let bg = x.pick(&(0..50).collect::<Vec<_>>());
        let c = block_on(contributions(&lr, &x, &bg, &groups(), 16)).unwrap();
        let p = lr.probabilities(&x).unwrap();
        for (i, &pi) in p.iter().enumerate() {
            let logit = (pi / (1.0 - pi)).ln();
            let sum = c.base + c.row(i).iter().sum::<f64>();
            assert!((sum - logit).abs() < 1e-6, "row {i}: {sum} vs {logit}");
            assert!((c.score[i] - logit).abs() < 1e-6);
        }
        // By hand for row 0: column a is weights[0] · (x − mean of the background).
        let mean_a = (0..50).map(|i| f64::from(bg.row(i)[0])).sum::<f64>() / 50.0;
        let want = weights[0] * (f64::from(x.row(0)[0]) - mean_a);
        assert!((c.row(0)[0] - want).abs() < 1e-9);
        let _ = intercept;
        // The exact game agrees with the closed form.
        let exact = brute_force(
            &|m| {
                lr.probabilities(m)
                    .unwrap()
                    .iter()
                    .map(|p| (p / (1.0 - p)).ln())
                    .collect()
            },
            x.row(3),
            &bg,
            &groups(),
        );
        for (a, b) in exact.iter().zip(c.row(3)) {
            assert!((a - b).abs() < 1e-5, "{exact:?} vs {:?}", c.row(3));
        }
    }

    #[test]
    fn sampling_is_within_its_stated_bound_of_the_exact_values_and_adds_up() {
        let (x, y) = data(300, 2);
        let mut nb = NaiveBayes::default();
        fit(&mut nb, &x, &y, 0).unwrap();
        let bg = x.pick(&(100..132).collect::<Vec<_>>());
        let some = x.pick(&[0, 1, 2, 3, 4, 5]);
        let c = block_on(contributions(&nb, &some, &bg, &groups(), 64)).unwrap();
        assert_eq!(c.method.samples, Some(64));
        let bound = c.method.bound.unwrap();
        assert!(bound > 0.0 && bound < 0.2, "bound {bound}");
        let f = |m: &Matrix| nb.probabilities(m).unwrap();
        let p = f(&some);
        for (i, &pi) in p.iter().enumerate() {
            let exact = brute_force(&f, some.row(i), &bg, &groups());
            for (a, b) in exact.iter().zip(c.row(i)) {
                assert!((a - b).abs() <= c.half_width[i], "row {i}: {a} vs {b}");
            }
            let sum = c.base + c.row(i).iter().sum::<f64>();
            assert!((sum - pi).abs() < 1e-9, "adds up: {sum} vs {pi}");
        }
    }

    #[test]
    fn permutation_importance_finds_the_signal_not_the_noise() {
        let (x, y) = data(600, 3);
        let lr = Logistic::fitted(&x, &y, 1.0).unwrap();
        let drops = block_on(permutation_importance(&lr, &x, &y, &groups(), 3, 0)).unwrap();
        assert!(drops[0] > 0.05 && drops[0] > drops[1], "{drops:?}");
        assert!(drops[3].abs() < 0.02, "noise: {drops:?}");
    }
}
