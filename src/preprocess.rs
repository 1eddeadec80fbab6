//! Preprocess: the steps that learn from data — imputation, outlier fences, feature selection,
//! one-hot encoding and scaling — fitted on the training rows only and then applied unchanged to
//! any rows (test rows, or every customer for scoring). Test rows are only counted, for the
//! report ("84 missing in test"); nothing fitted ever reads them.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::explore::{Moments, pearson, quantile};
use crate::ingest::{MISSING, Table, Values};
use crate::schema::Schema;
use crate::split::Split;

/// Bins used to estimate mutual information for numeric features (equal-frequency on train).
const MI_BINS: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// Numeric: training median; categorical: training mode.
    Median,
    /// Numeric: training mean; categorical: training mode.
    Mean,
    /// As `median`, plus a 0/1 feature marking the cells that were missing.
    Indicator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outliers {
    None,
    /// Clip numeric values to the training IQR fences `[Q1 − k·IQR, Q3 + k·IQR]`.
    Clip,
    /// Drop training rows with a value outside the fences (test rows are never dropped).
    Drop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreBy {
    MutualInformation,
    Correlation,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keep {
    All,
    /// The k best features by score.
    Top(usize),
    /// Features whose score reaches this value.
    MinScore(f64),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct PrepOptions {
    pub impute: Impute,
    pub outliers: Outliers,
    /// The k of the IQR fences.
    pub iqr_k: f64,
    pub scale: bool,
    pub score_by: ScoreBy,
    pub keep: Keep,
}

impl Default for PrepOptions {
    fn default() -> Self {
        PrepOptions {
            impute: Impute::Median,
            outliers: Outliers::Clip,
            iqr_k: 1.5,
            scale: true,
            score_by: ScoreBy::MutualInformation,
            keep: Keep::All,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImputeChange {
    pub column: String,
    /// e.g. `median 9` or `mode 'Male'`.
    pub fill: String,
    pub train_missing: usize,
    pub test_missing: usize,
    /// Whether a `column=missing` indicator feature was added.
    pub indicator: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutlierChange {
    pub column: String,
    pub lo: f64,
    pub hi: f64,
    /// Training values outside the fences (clipped, or their rows dropped).
    pub train_outside: usize,
    /// Test values outside the fences (clipped; with `drop` left as they are).
    pub test_outside: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutlierReport {
    pub method: Outliers,
    pub k: f64,
    pub columns: Vec<OutlierChange>,
    /// Numeric features left alone because their IQR is 0 or they have two values or fewer.
    pub skipped: Vec<String>,
    pub train_rows_dropped: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EncodingInfo {
    pub column: String,
    /// Levels seen in training, one 0/1 feature each.
    pub levels: Vec<String>,
    /// Test rows whose level never occurred in training (all their indicators are 0).
    pub unseen_test_rows: usize,
    pub unseen_levels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureScore {
    pub column: String,
    pub mutual_information: f64,
    /// |Pearson| with the target; for a categorical feature the largest over its levels.
    pub correlation: f64,
    pub kept: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionReport {
    pub score_by: ScoreBy,
    pub keep: Keep,
    /// Best first.
    pub scores: Vec<FeatureScore>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrepReport {
    pub imputation: Vec<ImputeChange>,
    pub outliers: OutlierReport,
    pub selection: SelectionReport,
    pub encoding: Vec<EncodingInfo>,
    pub scaled: bool,
    /// Names of the model's input columns, in order.
    pub feature_names: Vec<String>,
    pub train_rows: usize,
    pub test_rows: usize,
}

#[derive(Clone, Debug)]
enum Step {
    Numeric {
        column: usize,
        fill: f64,
        clip: Option<(f64, f64)>,
        indicator: bool,
        /// Smallest and largest training value (after clipping), and whether all are whole.
        range: (f64, f64),
        integer: bool,
    },
    Categorical {
        column: usize,
        fill: u32,
        /// Output slot of each code, if the level was seen in training.
        slots: Vec<Option<usize>>,
        width: usize,
        indicator: bool,
    },
}

/// Row-major matrix of model inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// Fitted preprocessing: turns table rows into model inputs.
#[derive(Clone, Debug)]
pub struct Preprocessor {
    steps: Vec<Step>,
    names: Vec<String>,
    shift: Vec<f64>,
    scale: Vec<f64>,
}

/// What fitting produced: the transform, the training rows it kept, and its report.
pub struct Fitted {
    pub preprocessor: Preprocessor,
    pub train: Vec<usize>,
    pub report: PrepReport,
}

impl Preprocessor {
    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// The unscaled inputs of one row, appended to `out`.
    fn encode_row(&self, table: &Table, row: usize, out: &mut Vec<f32>) {
        for step in &self.steps {
            match *step {
                Step::Numeric {
                    column,
                    fill,
                    clip,
                    indicator,
                    ..
                } => {
                    let Values::Numeric(v) = &table.columns[column].values else {
                        unreachable!("numeric step over a categorical column")
                    };
                    let x = v[row];
                    let mut y = if x.is_nan() { fill } else { x };
                    if let Some((lo, hi)) = clip {
                        y = y.clamp(lo, hi);
                    }
                    out.push(y as f32);
                    if indicator {
                        out.push(f32::from(u8::from(x.is_nan())));
                    }
                }
                Step::Categorical {
                    column,
                    fill,
                    ref slots,
                    width,
                    indicator,
                } => {
                    let Values::Categorical { codes, .. } = &table.columns[column].values else {
                        unreachable!("categorical step over a numeric column")
                    };
                    let c = codes[row];
                    let start = out.len();
                    out.resize(start + width, 0.0);
                    let code = if c == MISSING { fill } else { c };
                    if let Some(Some(s)) = slots.get(code as usize) {
                        out[start + s] = 1.0;
                    }
                    if indicator {
                        out.push(f32::from(u8::from(c == MISSING)));
                    }
                }
            }
        }
    }

    /// The generator heads matching these inputs: a softmax over each one-hot group, a sigmoid
    /// for each missing indicator, with the scaling of every input.
    pub fn output_heads(&self) -> crate::models::OutputHeads {
        let mut groups = Vec::new();
        let mut pos = 0;
        for step in &self.steps {
            let (width, indicator, categorical) = match step {
                Step::Numeric { indicator, .. } => (1, *indicator, false),
                Step::Categorical {
                    width, indicator, ..
                } => (*width, *indicator, true),
            };
            if categorical {
                groups.push(pos..pos + width);
            }
            if indicator {
                groups.push(pos + width..pos + width + 1);
            }
            pos += width + usize::from(indicator);
        }
        crate::models::OutputHeads {
            groups,
            shift: self.shift.iter().map(|&v| v as f32).collect(),
            scale: self.scale.iter().map(|&v| v as f32).collect(),
        }
    }

    /// Turns model inputs (e.g. generated rows) back into cells of the original columns:
    /// numbers unscaled, kept within the training range and rounded where the column holds whole
    /// numbers; categories as the level with the largest indicator; a cell whose missing
    /// indicator is on stays empty. One `(table column, cell)` per feature column.
    pub fn decode(&self, table: &Table, x: &Matrix) -> Vec<Vec<(usize, Option<String>)>> {
        (0..x.rows)
            .map(|i| {
                let raw: Vec<f64> = x
                    .row(i)
                    .iter()
                    .enumerate()
                    .map(|(j, &v)| f64::from(v) * self.scale[j] + self.shift[j])
                    .collect();
                let mut pos = 0;
                let mut cells = Vec::with_capacity(self.steps.len());
                for step in &self.steps {
                    let (column, width, indicator, cell) = match step {
                        Step::Numeric {
                            column,
                            indicator,
                            range,
                            integer,
                            ..
                        } => {
                            let v = raw[pos].clamp(range.0, range.1);
                            let text = if *integer {
                                format!("{}", v.round())
                            } else {
                                format!("{:.2}", v)
                            };
                            (*column, 1, *indicator, text)
                        }
                        Step::Categorical {
                            column,
                            slots,
                            width,
                            indicator,
                            ..
                        } => {
                            let best =
                                (0..*width).max_by(|&a, &b| raw[pos + a].total_cmp(&raw[pos + b]));
                            let Values::Categorical { levels, .. } = &table.columns[*column].values
                            else {
                                unreachable!("categorical step over a numeric column")
                            };
                            let code = slots.iter().position(|s| *s == best && s.is_some());
                            (
                                *column,
                                *width,
                                *indicator,
                                code.map(|c| levels[c].clone()).unwrap_or_default(),
                            )
                        }
                    };
                    let missing = indicator && raw[pos + width] > 0.5;
                    cells.push((column, (!missing).then_some(cell)));
                    pos += width + usize::from(indicator);
                }
                cells
            })
            .collect()
    }

    /// Model inputs for `rows`, scaled as fitted.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Matrix {
        let cols = self.names.len();
        let mut data = Vec::with_capacity(rows.len() * cols);
        for &r in rows {
            let start = data.len();
            self.encode_row(table, r, &mut data);
            for (j, x) in data[start..].iter_mut().enumerate() {
                *x = ((f64::from(*x) - self.shift[j]) / self.scale[j]) as f32;
            }
        }
        Matrix {
            rows: rows.len(),
            cols,
            data,
        }
    }

    /// Fits on `split.train`; `split.test` is read only to count what the report shows.
    pub fn fit(
        table: &Table,
        schema: &Schema,
        split: &Split,
        opts: &PrepOptions,
    ) -> Result<Fitted, Error> {
        if !(opts.iqr_k.is_finite() && opts.iqr_k >= 0.0) {
            return Err(Error::config(format!(
                "IQR k must be a number ≥ 0, not {}",
                opts.iqr_k
            )));
        }
        let features = schema.features();
        if features.is_empty() {
            return Err(Error::input("no feature columns are left to learn from"));
        }
        let mut train = split.train.clone();
        let mut imputation = Vec::new();
        let mut outliers = OutlierReport {
            method: opts.outliers,
            k: opts.iqr_k,
            columns: Vec::new(),
            skipped: Vec::new(),
            train_rows_dropped: 0,
        };
        let mut encoding = Vec::new();
        let indicator = opts.impute == Impute::Indicator;

        // Outlier fences first: with `drop` they decide which training rows remain.
        let mut fences: Vec<Option<(f64, f64)>> = vec![None; features.len()];
        if opts.outliers != Outliers::None {
            for (f, &c) in features.iter().enumerate() {
                let Values::Numeric(v) = &table.columns[c].values else {
                    continue;
                };
                let xs = sorted_present(v, &train);
                let mut distinct = xs.clone();
                distinct.dedup();
                let (q1, q3) = (quantile(&xs, 0.25), quantile(&xs, 0.75));
                let name = &table.columns[c].name;
                if distinct.len() <= 2 || q3 <= q1 {
                    outliers.skipped.push(name.clone());
                    continue;
                }
                let (lo, hi) = (q1 - opts.iqr_k * (q3 - q1), q3 + opts.iqr_k * (q3 - q1));
                let outside =
                    |rows: &[usize]| rows.iter().filter(|&&r| v[r] < lo || v[r] > hi).count();
                outliers.columns.push(OutlierChange {
                    column: name.clone(),
                    lo,
                    hi,
                    train_outside: outside(&train),
                    test_outside: outside(&split.test),
                });
                fences[f] = Some((lo, hi));
            }
            if opts.outliers == Outliers::Drop {
                let before = train.len();
                train.retain(|&r| {
                    features.iter().zip(&fences).all(|(&c, fence)| {
                        match (fence, &table.columns[c].values) {
                            (Some((lo, hi)), Values::Numeric(v)) => {
                                v[r].is_nan() || (v[r] >= *lo && v[r] <= *hi)
                            }
                            _ => true,
                        }
                    })
                });
                outliers.train_rows_dropped = before - train.len();
                fences = vec![None; features.len()];
                let classes = train
                    .iter()
                    .filter(|&&r| schema.labels[r] == Some(true))
                    .count();
                if classes == 0 || classes == train.len() {
                    return Err(Error::input(
                        "dropping outlier rows left one class in the training part: use outliers 'clip' or 'none'",
                    ));
                }
            }
        }

        let mut steps = Vec::with_capacity(features.len());
        for (f, &c) in features.iter().enumerate() {
            let col = &table.columns[c];
            let missing = |rows: &[usize]| rows.iter().filter(|&&r| col.is_missing(r)).count();
            let (train_missing, test_missing) = (missing(&train), missing(&split.test));
            let flag = indicator && train_missing > 0;
            match &col.values {
                Values::Numeric(v) => {
                    let xs = sorted_present(v, &train);
                    let (fill, how) = match (xs.is_empty(), opts.impute) {
                        (true, _) => (0.0, "0 (no training value)"),
                        (false, Impute::Mean) => (Moments::of(xs.iter().copied()).mean, "mean"),
                        (false, _) => (quantile(&xs, 0.5), "median"),
                    };
                    if train_missing + test_missing > 0 {
                        imputation.push(ImputeChange {
                            column: col.name.clone(),
                            fill: format!("{how} {}", round4(fill)),
                            train_missing,
                            test_missing,
                            indicator: flag,
                        });
                    }
                    let (mut lo, mut hi) = (
                        xs.first().copied().unwrap_or(fill),
                        xs.last().copied().unwrap_or(fill),
                    );
                    if let Some((a, b)) = fences[f] {
                        (lo, hi) = (lo.clamp(a, b), hi.clamp(a, b));
                    }
                    steps.push(Step::Numeric {
                        column: c,
                        fill,
                        clip: fences[f],
                        indicator: flag,
                        range: (lo, hi),
                        integer: xs.iter().all(|x| x.fract() == 0.0),
                    });
                }
                Values::Categorical { codes, levels } => {
                    let mut counts = vec![0usize; levels.len()];
                    for &r in &train {
                        if codes[r] != MISSING {
                            counts[codes[r] as usize] += 1;
                        }
                    }
                    let mut seen: Vec<usize> =
                        (0..levels.len()).filter(|&l| counts[l] > 0).collect();
                    seen.sort_by(|&a, &b| {
                        counts[b].cmp(&counts[a]).then(levels[a].cmp(&levels[b]))
                    });
                    let fill = seen.first().map_or(MISSING, |&l| l as u32);
                    let mut slots = vec![None; levels.len()];
                    for (s, &l) in seen.iter().enumerate() {
                        slots[l] = Some(s);
                    }
                    if train_missing + test_missing > 0 {
                        imputation.push(ImputeChange {
                            column: col.name.clone(),
                            fill: match seen.first() {
                                Some(&l) => format!("mode '{}'", levels[l]),
                                None => "nothing (no training value)".into(),
                            },
                            train_missing,
                            test_missing,
                            indicator: flag,
                        });
                    }
                    let unseen: Vec<usize> = split
                        .test
                        .iter()
                        .filter(|&&r| codes[r] != MISSING && slots[codes[r] as usize].is_none())
                        .copied()
                        .collect();
                    let mut unseen_levels: Vec<String> = unseen
                        .iter()
                        .map(|&r| levels[codes[r] as usize].clone())
                        .collect();
                    unseen_levels.sort();
                    unseen_levels.dedup();
                    encoding.push(EncodingInfo {
                        column: col.name.clone(),
                        levels: seen.iter().map(|&l| levels[l].clone()).collect(),
                        unseen_test_rows: unseen.len(),
                        unseen_levels,
                    });
                    steps.push(Step::Categorical {
                        column: c,
                        fill,
                        width: seen.len(),
                        slots,
                        indicator: flag,
                    });
                }
            }
        }

        // Score every feature on the imputed, clipped training values, then keep the best.
        let y: Vec<f64> = train
            .iter()
            .map(|&r| f64::from(u8::from(schema.labels[r] == Some(true))))
            .collect();
        let mut scores: Vec<FeatureScore> = steps
            .iter()
            .map(|step| score(table, step, &train, &y))
            .collect();
        let key = |s: &FeatureScore| match opts.score_by {
            ScoreBy::MutualInformation => s.mutual_information,
            ScoreBy::Correlation => s.correlation,
        };
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| key(&scores[b]).total_cmp(&key(&scores[a])).then(a.cmp(&b)));
        for (rank, &i) in order.iter().enumerate() {
            scores[i].kept = match opts.keep {
                Keep::All => true,
                Keep::Top(k) => rank < k,
                Keep::MinScore(m) => key(&scores[i]) >= m,
            };
        }
        let kept_steps: Vec<Step> = steps
            .into_iter()
            .zip(&scores)
            .filter(|(_, s)| s.kept)
            .map(|(st, _)| st)
            .collect();
        if kept_steps.is_empty() {
            return Err(Error::config(
                "feature selection kept no feature: lower the bar",
            ));
        }
        let kept_encoding = encoding
            .into_iter()
            .filter(|e| scores.iter().any(|s| s.kept && s.column == e.column))
            .collect();
        let scores = order.iter().map(|&i| scores[i].clone()).collect();

        let mut names = Vec::new();
        for step in &kept_steps {
            match step {
                Step::Numeric {
                    column, indicator, ..
                } => {
                    names.push(table.columns[*column].name.clone());
                    if *indicator {
                        names.push(format!("{}=missing", table.columns[*column].name));
                    }
                }
                Step::Categorical {
                    column,
                    slots,
                    indicator,
                    ..
                } => {
                    let Values::Categorical { levels, .. } = &table.columns[*column].values else {
                        unreachable!()
                    };
                    let mut by_slot: Vec<(usize, &String)> = slots
                        .iter()
                        .zip(levels)
                        .filter_map(|(s, l)| s.map(|s| (s, l)))
                        .collect();
                    by_slot.sort();
                    let name = &table.columns[*column].name;
                    names.extend(by_slot.into_iter().map(|(_, l)| format!("{name}={l}")));
                    if *indicator {
                        names.push(format!("{name}=missing"));
                    }
                }
            }
        }
        let width = names.len();
        let mut pre = Preprocessor {
            steps: kept_steps,
            names,
            shift: vec![0.0; width],
            scale: vec![1.0; width],
        };
        if opts.scale {
            let raw = pre.transform(table, &train);
            for j in 0..width {
                let m = Moments::of((0..raw.rows).map(|i| f64::from(raw.data[i * width + j])));
                pre.shift[j] = m.mean;
                let sd = m.pop_std();
                pre.scale[j] = if sd > 1e-12 { sd } else { 1.0 };
            }
        }
        let report = PrepReport {
            imputation,
            outliers,
            selection: SelectionReport {
                score_by: opts.score_by,
                keep: opts.keep,
                scores,
            },
            encoding: kept_encoding,
            scaled: opts.scale,
            feature_names: pre.names.clone(),
            train_rows: train.len(),
            test_rows: split.test.len(),
        };
        Ok(Fitted {
            preprocessor: pre,
            train,
            report,
        })
    }
}

/// The non-missing values of `rows`, sorted.
fn sorted_present(values: &[f64], rows: &[usize]) -> Vec<f64> {
    let mut xs: Vec<f64> = rows
        .iter()
        .map(|&r| values[r])
        .filter(|x| !x.is_nan())
        .collect();
    xs.sort_unstable_by(f64::total_cmp);
    xs
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Scores one feature against `y` over `rows`: mutual information (nats) and |correlation|.
fn score(table: &Table, step: &Step, rows: &[usize], y: &[f64]) -> FeatureScore {
    let one = Preprocessor {
        steps: vec![step.clone()],
        names: Vec::new(),
        shift: Vec::new(),
        scale: Vec::new(),
    };
    let mut buf = Vec::new();
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for &r in rows {
        buf.clear();
        one.encode_row(table, r, &mut buf);
        if columns.is_empty() {
            columns = vec![Vec::with_capacity(rows.len()); buf.len()];
        }
        for (c, x) in columns.iter_mut().zip(&buf) {
            c.push(f64::from(*x));
        }
    }
    let (column, groups) = match step {
        Step::Numeric { column, .. } => (*column, numeric_groups(&columns[0])),
        Step::Categorical { column, width, .. } => {
            // The group of a row is its level's slot (width = none of them).
            let g = (0..rows.len())
                .map(|i| {
                    (0..*width)
                        .find(|&s| columns[s][i] == 1.0)
                        .unwrap_or(*width)
                })
                .collect();
            (*column, g)
        }
    };
    let correlation = match step {
        Step::Numeric { .. } => pearson(&columns[0], y).map_or(0.0, f64::abs),
        Step::Categorical { width, .. } => columns[..*width]
            .iter()
            .filter_map(|c| pearson(c, y))
            .map(f64::abs)
            .fold(0.0, f64::max),
    };
    FeatureScore {
        column: table.columns[column].name.clone(),
        mutual_information: mutual_information(&groups, y),
        correlation,
        kept: true,
    }
}

/// Equal-frequency bins (or the values themselves when there are few).
fn numeric_groups(x: &[f64]) -> Vec<usize> {
    let mut sorted = x.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    let edges: Vec<f64> = if distinct.len() <= MI_BINS {
        distinct
    } else {
        let mut e: Vec<f64> = (1..MI_BINS)
            .map(|b| quantile(&sorted, b as f64 / MI_BINS as f64))
            .collect();
        e.dedup();
        e
    };
    x.iter().map(|v| edges.partition_point(|e| e < v)).collect()
}

/// I(G; Y) in nats for a grouping and a 0/1 target.
pub fn mutual_information(groups: &[usize], y: &[f64]) -> f64 {
    let k = groups.iter().max().map_or(0, |m| m + 1);
    let mut joint = vec![[0usize; 2]; k];
    for (&g, &t) in groups.iter().zip(y) {
        joint[g][usize::from(t > 0.5)] += 1;
    }
    let n = groups.len() as f64;
    let py: [f64; 2] = [0, 1].map(|c| joint.iter().map(|j| j[c]).sum::<usize>() as f64 / n);
    let mut mi = 0.0;
    for j in &joint {
        let pg = (j[0] + j[1]) as f64 / n;
        for c in 0..2 {
            if j[c] > 0 {
                let p = j[c] as f64 / n;
                mi += p * (p / (pg * py[c])).ln();
            }
        }
    }
    mi.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};
    use crate::schema::{SchemaOptions, infer};
    use approx::assert_abs_diff_eq;

    fn setup(text: &str) -> (Table, Schema) {
        let (mut t, _) = load(text.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        let s = infer(&mut t, &SchemaOptions::default()).unwrap();
        (t, s)
    }

    const TEXT: &str = "x,c,Churn\n1,a,0\n2,b,0\n,a,1\n4,a,1\n100,,0\n3,z,1\n50,b,0\n";

    fn split() -> Split {
        Split {
            train: vec![0, 1, 2, 3, 4],
            test: vec![5, 6],
        }
    }

    #[test]
    fn fitted_on_train_only_and_applied_unchanged_to_test() {
        let (t, s) = setup(TEXT);
        let opts = PrepOptions {
            scale: false,
            ..Default::default()
        };
        let f = Preprocessor::fit(&t, &s, &split(), &opts).unwrap();
        // Train x = 1, 2, 4, 100 → median 3; Q1 1.75, Q3 28 → fences [-37.625, 67.375].
        let imp = &f.report.imputation[0];
        assert_eq!(
            (imp.fill.as_str(), imp.train_missing, imp.test_missing),
            ("median 3", 1, 0)
        );
        let o = &f.report.outliers.columns[0];
        assert_abs_diff_eq!(o.hi, 67.375);
        assert_eq!((o.train_outside, o.test_outside), (1, 0));
        assert_eq!(f.preprocessor.feature_names(), ["x", "c=a", "c=b"]);
        let m = f.preprocessor.transform(&t, &[2, 4, 5, 6]);
        assert_eq!(m.row(0), [3.0, 1.0, 0.0]);
        assert_eq!(
            m.row(1),
            [67.375, 1.0, 0.0],
            "clipped; missing level → mode 'a'"
        );
        assert_eq!(m.row(2), [3.0, 0.0, 0.0], "level 'z' unseen in training");
        assert_eq!(m.row(3), [50.0, 0.0, 1.0]);
        assert_eq!(f.report.encoding[0].unseen_levels, ["z"]);

        // Changing test rows changes nothing that was fitted.
        let text2 = TEXT.replace("3,z,1\n50,b,0", "-999,q,1\n7777,q,0");
        let (t2, s2) = setup(&text2);
        let f2 = Preprocessor::fit(&t2, &s2, &split(), &opts).unwrap();
        assert_eq!(
            f2.preprocessor.transform(&t2, &[0, 1, 2, 3, 4]),
            f.preprocessor.transform(&t, &[0, 1, 2, 3, 4])
        );
    }

    #[test]
    fn decode_inverts_transform_within_the_training_range() {
        let (t, s) = setup(TEXT);
        let f = Preprocessor::fit(&t, &s, &split(), &PrepOptions::default()).unwrap();
        let cells = |rows: &[usize]| {
            f.preprocessor
                .decode(&t, &f.preprocessor.transform(&t, rows))
        };
        // Rows 0, 1, 3: nothing missing, inside the fences.
        assert_eq!(
            cells(&[0, 1, 3]),
            [
                vec![(0, Some("1".to_string())), (1, Some("a".to_string()))],
                vec![(0, Some("2".to_string())), (1, Some("b".to_string()))],
                vec![(0, Some("4".to_string())), (1, Some("a".to_string()))],
            ]
        );
        // A huge value stays within the training range (the clipped maximum, 67.375) and whole.
        let wild = Matrix {
            rows: 1,
            cols: 3,
            data: vec![1e6, -5.0, 9.0],
        };
        let row = &f.preprocessor.decode(&t, &wild)[0];
        assert_eq!(
            row[0],
            (0, Some("67".to_string())),
            "kept in range, whole numbers stay whole"
        );
        assert_eq!(
            row[1],
            (1, Some("b".to_string())),
            "the strongest indicator wins"
        );
    }

    #[test]
    fn scaling_gives_zero_mean_unit_variance_on_train() {
        let (t, s) = setup(TEXT);
        let f = Preprocessor::fit(&t, &s, &split(), &PrepOptions::default()).unwrap();
        let m = f.preprocessor.transform(&t, &f.train);
        for j in 0..m.cols {
            let col = Moments::of((0..m.rows).map(|i| f64::from(m.row(i)[j])));
            assert_abs_diff_eq!(col.mean, 0.0, epsilon = 1e-6);
            assert_abs_diff_eq!(col.pop_std(), 1.0, epsilon = 1e-5);
        }
    }

    #[test]
    fn indicator_mean_drop_and_selection() {
        let (t, s) = setup(TEXT);
        let opts = PrepOptions {
            impute: Impute::Indicator,
            outliers: Outliers::Drop,
            scale: false,
            ..Default::default()
        };
        let f = Preprocessor::fit(&t, &s, &split(), &opts).unwrap();
        assert_eq!(f.report.outliers.train_rows_dropped, 1);
        assert_eq!(f.train, [0, 1, 2, 3]);
        assert_eq!(
            f.preprocessor.feature_names(),
            ["x", "x=missing", "c=a", "c=b"]
        );
        // After dropping the 100, the median of 1, 2, 4 is 2.
        assert_eq!(
            f.preprocessor.transform(&t, &[2]).row(0),
            [2.0, 1.0, 1.0, 0.0]
        );
        let opts = PrepOptions {
            impute: Impute::Mean,
            keep: Keep::Top(1),
            outliers: Outliers::None,
            ..Default::default()
        };
        let f = Preprocessor::fit(&t, &s, &split(), &opts).unwrap();
        assert_eq!(f.report.imputation[0].fill, "mean 26.75");
        let kept: Vec<&str> = f
            .report
            .selection
            .scores
            .iter()
            .filter(|s| s.kept)
            .map(|s| s.column.as_str())
            .collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            f.preprocessor.feature_names().len(),
            if kept[0] == "x" { 1 } else { 2 }
        );
    }

    #[test]
    fn mutual_information_matches_hand_values() {
        // Perfect dependence of a balanced binary target: I = ln 2.
        assert_abs_diff_eq!(
            mutual_information(&[0, 0, 1, 1], &[0.0, 0.0, 1.0, 1.0]),
            2f64.ln(),
            epsilon = 1e-12
        );
        assert_abs_diff_eq!(
            mutual_information(&[0, 1, 0, 1], &[0.0, 0.0, 1.0, 1.0]),
            0.0,
            epsilon = 1e-12
        );
        // p(g,y): (0,0)=.375 (0,1)=.125 (1,0)=.125 (1,1)=.375, marginals .5 → 2(.375 ln 1.5 + .125 ln .5)
        let g = [0, 0, 0, 0, 1, 1, 1, 1];
        let y = [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0];
        let want = 2.0 * (0.375 * 1.5f64.ln() + 0.125 * 0.5f64.ln());
        assert_abs_diff_eq!(mutual_information(&g, &y), want, epsilon = 1e-12);
    }
}
