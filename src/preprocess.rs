//! Preprocess: the steps that learn from data — imputation, outlier fences, feature selection,
//! one-hot encoding and scaling — fitted on the training rows only and then applied unchanged to
//! any rows (test rows, or every customer for scoring). Test rows are only counted, for the
//! report ("84 missing in test"); nothing fitted ever reads them.

use serde::{Deserialize, Serialize};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::Error;
use crate::clean::label_key;
use crate::explore::{Moments, pearson, quantile};
use crate::ingest::{MISSING, Table, Values};
use crate::matrix::{Layout, Matrix};
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct PrepOptions {
    pub impute: Impute,
    pub outliers: Outliers,
    /// The k of the IQR fences.
    pub iqr_k: f64,
    pub scale: bool,
    pub score_by: ScoreBy,
    pub keep: Keep,
    /// A feature whose ROC-AUC alone on the training rows reaches this is flagged as a likely
    /// leak and left out ([`crate::leakage`]); above 1 nothing is flagged.
    pub leak_auc: f64,
    /// Flagged columns to keep as features anyway.
    pub keep_leaky: Vec<String>,
    /// A categorical feature with more training levels than this is encoded as one input, each
    /// level's share of the training rows, instead of one input per level.
    pub one_hot_max: usize,
    /// Levels with fewer training rows than this share one "other" input (where two or more
    /// do): a level of three customers teaches a model nothing but noise.
    pub min_level_rows: usize,
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
            leak_auc: 0.99,
            keep_leaky: Vec::new(),
            one_hot_max: 50,
            min_level_rows: 10,
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
    /// Levels seen in training (one 0/1 feature each when one-hot), most frequent first; with
    /// frequency encoding the first 20.
    pub levels: Vec<String>,
    /// Levels seen in training.
    pub training_levels: usize,
    /// `one_hot`, or `frequency` (one input: the level's share of the training rows) for a
    /// column with more levels than `one_hot_max`.
    pub encoding: String,
    /// Test rows whose level never occurred in training (all their indicators are 0, or a
    /// share of 0).
    pub unseen_test_rows: usize,
    pub unseen_levels: Vec<String>,
    /// Levels with fewer training rows than `min_level_rows`, sharing one "other" input (when
    /// two or more are).
    pub other_levels: Vec<String>,
    pub min_level_rows: usize,
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
    /// Features that alone predicted the target too well on the training rows.
    pub leaks: Vec<crate::leakage::LeakFlag>,
}

/// One feature column's fitted encoding. Columns and levels are held by name, so that the
/// fitted preprocessing applies to any table with these columns (a model file scoring next
/// month's customers), not only to the one it was fitted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    Numeric {
        column: String,
        fill: f64,
        clip: Option<(f64, f64)>,
        indicator: bool,
        /// Smallest and largest training value (after clipping), and whether all are whole.
        range: (f64, f64),
        integer: bool,
    },
    Categorical {
        column: String,
        /// The training levels, one 0/1 input each, most frequent first: the first is the mode,
        /// which fills missing cells. With `other`, the last is their shared "other" input.
        levels: Vec<String>,
        indicator: bool,
        /// Rare training levels (fewer rows than `PrepOptions::min_level_rows`), most frequent
        /// first, sharing the last input.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        other: Vec<String>,
    },
    /// A categorical column of many levels as one input: its level's share of the training
    /// rows (0 for a level training never saw; a missing cell takes the mode's).
    Frequency {
        column: String,
        /// The training levels, most frequent first, and their shares.
        levels: Vec<String>,
        shares: Vec<f64>,
        indicator: bool,
    },
}

impl Step {
    pub fn column(&self) -> &str {
        match self {
            Step::Numeric { column, .. }
            | Step::Categorical { column, .. }
            | Step::Frequency { column, .. } => column,
        }
    }

    fn names(&self) -> Vec<String> {
        let (name, indicator) = match self {
            Step::Numeric {
                column, indicator, ..
            }
            | Step::Frequency {
                column, indicator, ..
            } => (column, *indicator),
            Step::Categorical {
                column,
                levels,
                indicator,
                ..
            } => {
                let mut names: Vec<String> =
                    levels.iter().map(|l| format!("{column}={l}")).collect();
                if *indicator {
                    names.push(format!("{column}=missing"));
                }
                return names;
            }
        };
        let mut names = vec![name.clone()];
        if indicator {
            names.push(format!("{name}=missing"));
        }
        names
    }
}

/// A step's column in one table: its values, and for a categorical column its levels and the
/// input slot of each (`None`: a level not seen in training).
enum Bound<'t> {
    Numeric(&'t [f64]),
    Categorical {
        codes: &'t [u32],
        levels: &'t [String],
        slots: Vec<Option<usize>>,
    },
}

/// Test or new rows whose level of a column was never seen in training: encoded as none of
/// the training levels.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unseen {
    pub column: String,
    pub rows: usize,
    pub levels: Vec<String>,
}

/// Model inputs of some rows, with the rows whose levels training never saw.
pub struct Encoded {
    pub x: Matrix,
    pub unseen: Vec<Unseen>,
}

/// Fitted preprocessing: turns table rows into model inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    fn new(steps: Vec<Step>) -> Preprocessor {
        let names: Vec<String> = steps.iter().flat_map(Step::names).collect();
        let width = names.len();
        Preprocessor {
            steps,
            names,
            shift: vec![0.0; width],
            scale: vec![1.0; width],
        }
    }

    pub fn feature_names(&self) -> &[String] {
        &self.names
    }

    /// This preprocessing if it is whole (as a model file may not be): names, shifts and
    /// scales for every input its steps make, finite, with scales that are not zero.
    pub fn checked(self) -> Result<Preprocessor, Error> {
        let names: Vec<String> = self.steps.iter().flat_map(Step::names).collect();
        let whole = names == self.names
            && self.shift.len() == names.len()
            && self.scale.len() == names.len()
            && self.shift.iter().all(|v| v.is_finite())
            && self.scale.iter().all(|v| v.is_finite() && *v != 0.0)
            && !self.steps.is_empty()
            && self.steps.iter().all(|s| match s {
                Step::Frequency { levels, shares, .. } => {
                    levels.len() == shares.len() && shares.iter().all(|v| v.is_finite())
                }
                _ => true,
            });
        if whole {
            Ok(self)
        } else {
            Err(Error::input("its preprocessing is damaged"))
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Each step's column in `table`, found by name; an error names every column that is
    /// missing or of the wrong kind.
    fn bind<'t>(&self, table: &'t Table) -> Result<Vec<Bound<'t>>, Error> {
        let mut problems = Vec::new();
        let mut bound = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let Some(c) = table.find(step.column()) else {
                problems.push(format!("column '{}' is missing", step.column()));
                continue;
            };
            match (step, &table.columns[c].values) {
                (Step::Numeric { .. }, Values::Numeric(v)) => bound.push(Bound::Numeric(v)),
                (
                    Step::Categorical {
                        levels: seen,
                        other,
                        ..
                    },
                    Values::Categorical { codes, levels },
                ) => bound.push(Bound::Categorical {
                    codes,
                    levels,
                    slots: other_slots(seen, other, levels),
                }),
                (Step::Frequency { levels: seen, .. }, Values::Categorical { codes, levels }) => {
                    bound.push(Bound::Categorical {
                        codes,
                        levels,
                        slots: level_slots(seen, levels),
                    })
                }
                (Step::Numeric { .. }, _) => problems.push(format!(
                    "column '{}' was numeric in training but holds text here",
                    step.column()
                )),
                (Step::Categorical { .. } | Step::Frequency { .. }, _) => problems.push(format!(
                    "column '{}' was categorical in training but is numeric here",
                    step.column()
                )),
            }
        }
        if problems.is_empty() {
            Ok(bound)
        } else {
            Err(Error::input(format!(
                "the table does not fit the model: {}",
                problems.join("; ")
            )))
        }
    }

    /// The unscaled inputs of one row, appended to `out`.
    fn encode_row(&self, bound: &[Bound], row: usize, out: &mut Vec<f32>) {
        for (step, b) in self.steps.iter().zip(bound) {
            match (step, b) {
                (
                    Step::Numeric {
                        fill,
                        clip,
                        indicator,
                        ..
                    },
                    Bound::Numeric(v),
                ) => {
                    let x = v[row];
                    let mut y = if x.is_nan() { *fill } else { x };
                    if let Some((lo, hi)) = clip {
                        y = y.clamp(*lo, *hi);
                    }
                    out.push(y as f32);
                    if *indicator {
                        out.push(f32::from(u8::from(x.is_nan())));
                    }
                }
                (
                    Step::Categorical {
                        levels, indicator, ..
                    },
                    Bound::Categorical { codes, slots, .. },
                ) => {
                    let start = out.len();
                    out.resize(start + levels.len(), 0.0);
                    let c = codes[row];
                    // A missing cell takes the mode, the first level.
                    let slot = if c == MISSING {
                        (!levels.is_empty()).then_some(0)
                    } else {
                        slots[c as usize]
                    };
                    if let Some(s) = slot {
                        out[start + s] = 1.0;
                    }
                    if *indicator {
                        out.push(f32::from(u8::from(c == MISSING)));
                    }
                }
                (
                    Step::Frequency {
                        shares, indicator, ..
                    },
                    Bound::Categorical { codes, slots, .. },
                ) => {
                    let c = codes[row];
                    let slot = if c == MISSING {
                        (!shares.is_empty()).then_some(0)
                    } else {
                        slots[c as usize]
                    };
                    out.push(slot.map_or(0.0, |s| shares[s] as f32));
                    if *indicator {
                        out.push(f32::from(u8::from(c == MISSING)));
                    }
                }
                _ => unreachable!("bind pairs every step with a column of its kind"),
            }
        }
    }

    /// Per feature column, its name and how many inputs it makes (levels or one number, and its
    /// missing indicator), in input order.
    pub fn column_widths(&self) -> Vec<(String, usize)> {
        self.steps
            .iter()
            .map(|step| {
                let (width, indicator) = match step {
                    Step::Numeric { indicator, .. } | Step::Frequency { indicator, .. } => {
                        (1, *indicator)
                    }
                    Step::Categorical {
                        levels, indicator, ..
                    } => (levels.len(), *indicator),
                };
                (step.column().to_string(), width + usize::from(indicator))
            })
            .collect()
    }

    /// The layout of these inputs: a group per one-hot column set, one per missing indicator,
    /// with the scaling of every input (the GAN's generator heads follow it).
    pub fn layout(&self) -> Layout {
        let mut groups = Vec::new();
        let mut pos = 0;
        for step in &self.steps {
            let (width, indicator) = match step {
                Step::Numeric { indicator, .. } | Step::Frequency { indicator, .. } => {
                    (1, *indicator)
                }
                Step::Categorical {
                    levels, indicator, ..
                } => {
                    groups.push(pos..pos + levels.len());
                    (levels.len(), *indicator)
                }
            };
            if indicator {
                groups.push(pos + width..pos + width + 1);
            }
            pos += width + usize::from(indicator);
        }
        Layout {
            groups,
            shift: self.shift.iter().map(|&v| v as f32).collect(),
            scale: self.scale.iter().map(|&v| v as f32).collect(),
        }
    }

    /// Turns model inputs (e.g. generated rows) back into cells of the feature columns:
    /// numbers unscaled, kept within the training range and rounded where the column holds whole
    /// numbers; categories as the level with the largest indicator; a cell whose missing
    /// indicator is on stays empty. One `(column name, cell)` per feature column.
    pub fn decode(&self, x: &Matrix) -> Vec<Vec<(String, Option<String>)>> {
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
                    let (width, indicator, cell) = decode_cell(step, &raw[pos..]);
                    let missing = indicator && raw[pos + width] > 0.5;
                    cells.push((step.column().to_string(), (!missing).then_some(cell)));
                    pos += width + usize::from(indicator);
                }
                cells
            })
            .collect()
    }

    /// Model inputs for `rows` of `table`, scaled as fitted, and the rows with unseen levels.
    pub fn encode(&self, table: &Table, rows: &[usize]) -> Result<Encoded, Error> {
        let bound = self.bind(table)?;
        let cols = self.names.len();
        let mut data = Vec::with_capacity(rows.len() * cols);
        for &r in rows {
            let start = data.len();
            self.encode_row(&bound, r, &mut data);
            for (j, x) in data[start..].iter_mut().enumerate() {
                *x = ((f64::from(*x) - self.shift[j]) / self.scale[j]) as f32;
            }
        }
        let unseen = self
            .steps
            .iter()
            .zip(&bound)
            .filter_map(|(step, b)| unseen_rows(step, b, rows))
            .collect();
        Ok(Encoded {
            x: Matrix {
                rows: rows.len(),
                cols,
                data,
            },
            unseen,
        })
    }

    /// Model inputs for `rows` of `table`, scaled as fitted.
    pub fn transform(&self, table: &Table, rows: &[usize]) -> Result<Matrix, Error> {
        self.encode(table, rows).map(|e| e.x)
    }

    /// Fits on `split.train`; `split.test` is read only to count what the report shows. The
    /// steps, in order: outlier fences (with `drop`, they decide which training rows remain),
    /// imputation and encoding per column, feature selection, scaling.
    pub fn fit(
        table: &Table,
        schema: &Schema,
        split: &Split,
        opts: &PrepOptions,
    ) -> Result<Fitted, Error> {
        let features = schema.features();
        if features.is_empty() {
            return Err(Error::input("no feature columns are left to learn from"));
        }
        let (fenced, mut outliers) = fences(table, &features, split, opts);
        let (train, fenced) = if opts.outliers == Outliers::Drop {
            let train = drop_outside(table, schema, &features, &split.train, &fenced)?;
            outliers.train_rows_dropped = split.train.len() - train.len();
            (train, vec![None; features.len()])
        } else {
            (split.train.clone(), fenced)
        };
        let indicator = opts.impute == Impute::Indicator;
        let (mut steps, mut imputation, mut encoding) = (Vec::new(), Vec::new(), Vec::new());
        for (&c, fence) in features.iter().zip(&fenced) {
            let col = &table.columns[c];
            let (step, change) = match &col.values {
                Values::Numeric(v) => {
                    let (step, change) =
                        numeric_step(&col.name, v, &train, &split.test, *fence, opts.impute);
                    (step, change)
                }
                Values::Categorical { codes, levels } => {
                    let how = Encode {
                        indicator,
                        one_hot_max: opts.one_hot_max,
                        min_level_rows: opts.min_level_rows,
                    };
                    let (step, change, info) =
                        categorical_step(&col.name, codes, levels, &train, &split.test, how);
                    encoding.push(info);
                    (step, change)
                }
            };
            steps.push(step);
            imputation.extend(change);
        }
        let (steps, selection) = select(table, schema, steps, &train, opts)?;
        encoding.retain(|e| steps.iter().any(|s| s.column() == e.column));
        let mut pre = Preprocessor::new(steps);
        if opts.scale {
            pre.fit_scaling(table, &train)?;
        }
        let report = PrepReport {
            imputation,
            outliers,
            selection,
            encoding,
            scaled: opts.scale,
            feature_names: pre.names.clone(),
            train_rows: train.len(),
            test_rows: split.test.len(),
            leaks: Vec::new(),
        };
        Ok(Fitted {
            preprocessor: pre,
            train,
            report,
        })
    }

    /// Standard scaling: each input's training mean and standard deviation (1 where constant).
    fn fit_scaling(&mut self, table: &Table, train: &[usize]) -> Result<(), Error> {
        let raw = self.transform(table, train)?;
        for j in 0..raw.cols {
            let m = Moments::of((0..raw.rows).map(|i| f64::from(raw.row(i)[j])));
            self.shift[j] = m.mean;
            let sd = m.pop_std();
            self.scale[j] = if sd > 1e-12 { sd } else { 1.0 };
        }
        Ok(())
    }
}

/// The input slot of each of `levels` (a table's dictionary) among the training levels `seen`:
/// the same text, else the same text ignoring case and spacing.
/// As [`level_slots`], the `other` levels all in the last slot (the "other" input).
fn other_slots(seen: &[String], other: &[String], levels: &[String]) -> Vec<Option<usize>> {
    if other.is_empty() {
        return level_slots(seen, levels);
    }
    let last = seen.len() - 1;
    let named: Vec<String> = seen[..last].iter().chain(other).cloned().collect();
    level_slots(&named, levels)
        .into_iter()
        .map(|s| s.map(|i| i.min(last)))
        .collect()
}

fn level_slots(seen: &[String], levels: &[String]) -> Vec<Option<usize>> {
    let exact: FxHashMap<&str, usize> = seen
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let loose: FxHashMap<String, usize> = seen
        .iter()
        .enumerate()
        .rev()
        .map(|(i, l)| (label_key(l), i))
        .collect();
    levels
        .iter()
        .map(|l| {
            exact
                .get(l.as_str())
                .or_else(|| loose.get(&label_key(l)))
                .copied()
        })
        .collect()
}

/// How many of `rows` hold a level training never saw, and which levels those are.
fn unseen_rows(step: &Step, bound: &Bound, rows: &[usize]) -> Option<Unseen> {
    let Bound::Categorical {
        codes,
        levels,
        slots,
    } = bound
    else {
        return None;
    };
    let mut seen_codes = FxHashSet::default();
    let mut n = 0;
    for &r in rows {
        let c = codes[r];
        if c != MISSING && slots[c as usize].is_none() {
            n += 1;
            seen_codes.insert(c);
        }
    }
    if n == 0 {
        return None;
    }
    let mut names: Vec<String> = seen_codes
        .into_iter()
        .map(|c| levels[c as usize].clone())
        .collect();
    names.sort();
    Some(Unseen {
        column: step.column().to_string(),
        rows: n,
        levels: names,
    })
}

/// A step's cell from its raw (unscaled) inputs: `(inputs, has indicator, text)`.
fn decode_cell(step: &Step, raw: &[f64]) -> (usize, bool, String) {
    match step {
        Step::Numeric {
            indicator,
            range,
            integer,
            ..
        } => {
            let v = raw[0].clamp(range.0, range.1);
            let text = if *integer {
                format!("{}", v.round())
            } else {
                format!("{v:.2}")
            };
            (1, *indicator, text)
        }
        Step::Categorical {
            levels,
            indicator,
            other,
            ..
        } => {
            let best = (0..levels.len()).max_by(|&a, &b| raw[a].total_cmp(&raw[b]));
            // The "other" input stands for its most frequent level.
            let text = best
                .map(|b| match other.first() {
                    Some(o) if b + 1 == levels.len() => o.clone(),
                    _ => levels[b].clone(),
                })
                .unwrap_or_default();
            (levels.len(), *indicator, text)
        }
        Step::Frequency {
            levels,
            shares,
            indicator,
            ..
        } => {
            // The level whose share is nearest.
            let best = (0..levels.len()).min_by(|&a, &b| {
                (shares[a] - raw[0])
                    .abs()
                    .total_cmp(&(shares[b] - raw[0]).abs())
            });
            let text = best.map(|b| levels[b].clone()).unwrap_or_default();
            (1, *indicator, text)
        }
    }
}

/// Step 1: the training IQR fences of each numeric feature (`None` where there are none: the
/// method is `none`, the column is categorical, has two values or fewer, or no spread).
fn fences(
    table: &Table,
    features: &[usize],
    split: &Split,
    opts: &PrepOptions,
) -> (Vec<Option<(f64, f64)>>, OutlierReport) {
    let mut report = OutlierReport {
        method: opts.outliers,
        k: opts.iqr_k,
        columns: Vec::new(),
        skipped: Vec::new(),
        train_rows_dropped: 0,
    };
    let mut fenced = vec![None; features.len()];
    if opts.outliers == Outliers::None {
        return (fenced, report);
    }
    for (f, &c) in features.iter().enumerate() {
        let Values::Numeric(v) = &table.columns[c].values else {
            continue;
        };
        let xs = sorted_present(v, &split.train);
        let mut distinct = xs.clone();
        distinct.dedup();
        let (q1, q3) = (quantile(&xs, 0.25), quantile(&xs, 0.75));
        let name = &table.columns[c].name;
        if distinct.len() <= 2 || q3 <= q1 {
            report.skipped.push(name.clone());
            continue;
        }
        let (lo, hi) = (q1 - opts.iqr_k * (q3 - q1), q3 + opts.iqr_k * (q3 - q1));
        let outside = |rows: &[usize]| rows.iter().filter(|&&r| v[r] < lo || v[r] > hi).count();
        report.columns.push(OutlierChange {
            column: name.clone(),
            lo,
            hi,
            train_outside: outside(&split.train),
            test_outside: outside(&split.test),
        });
        fenced[f] = Some((lo, hi));
    }
    (fenced, report)
}

/// Step 1b (outliers `drop`): the training rows with every value inside its fences.
fn drop_outside(
    table: &Table,
    schema: &Schema,
    features: &[usize],
    train: &[usize],
    fenced: &[Option<(f64, f64)>],
) -> Result<Vec<usize>, Error> {
    let inside = |r: usize| {
        features
            .iter()
            .zip(fenced)
            .all(|(&c, fence)| match (fence, &table.columns[c].values) {
                (Some((lo, hi)), Values::Numeric(v)) => {
                    v[r].is_nan() || (v[r] >= *lo && v[r] <= *hi)
                }
                _ => true,
            })
    };
    let kept: Vec<usize> = train.iter().copied().filter(|&r| inside(r)).collect();
    let positives = kept
        .iter()
        .filter(|&&r| schema.labels[r] == Some(true))
        .count();
    if positives == 0 || positives == kept.len() {
        return Err(Error::input(
            "dropping outlier rows left one class in the training part: use outliers 'clip' or 'none'",
        ));
    }
    Ok(kept)
}

/// Step 2, numeric: the fill (training median or mean), the fence, the training range.
fn numeric_step(
    name: &str,
    v: &[f64],
    train: &[usize],
    test: &[usize],
    fence: Option<(f64, f64)>,
    impute: Impute,
) -> (Step, Option<ImputeChange>) {
    let xs = sorted_present(v, train);
    let (fill, how) = match (xs.is_empty(), impute) {
        (true, _) => (0.0, "0 (no training value)"),
        (false, Impute::Mean) => (Moments::of(xs.iter().copied()).mean, "mean"),
        (false, _) => (quantile(&xs, 0.5), "median"),
    };
    let missing = |rows: &[usize]| rows.iter().filter(|&&r| v[r].is_nan()).count();
    let (train_missing, test_missing) = (missing(train), missing(test));
    let indicator = impute == Impute::Indicator && train_missing > 0;
    let change = (train_missing + test_missing > 0).then(|| ImputeChange {
        column: name.to_string(),
        fill: format!("{how} {}", round4(fill)),
        train_missing,
        test_missing,
        indicator,
    });
    let (mut lo, mut hi) = (
        xs.first().copied().unwrap_or(fill),
        xs.last().copied().unwrap_or(fill),
    );
    if let Some((a, b)) = fence {
        (lo, hi) = (lo.clamp(a, b), hi.clamp(a, b));
    }
    let step = Step::Numeric {
        column: name.to_string(),
        fill,
        clip: fence,
        indicator,
        range: (lo, hi),
        integer: xs.iter().all(|x| x.fract() == 0.0),
    };
    (step, change)
}

/// How a categorical column is encoded: a missing indicator or not, and the most levels that
/// get one input each.
#[derive(Clone, Copy)]
struct Encode {
    indicator: bool,
    one_hot_max: usize,
    /// Levels with fewer training rows than this share one "other" input (one-hot only).
    min_level_rows: usize,
}

/// A categorical feature's encoding fitted on `train`: its levels by count (one-hot, or their
/// shares where there are more than `how.one_hot_max`), the mode for missing cells.
fn categorical_step(
    name: &str,
    codes: &[u32],
    levels: &[String],
    train: &[usize],
    test: &[usize],
    how: Encode,
) -> (Step, Option<ImputeChange>, EncodingInfo) {
    let mut counts = vec![0usize; levels.len()];
    for &r in train.iter().filter(|&&r| codes[r] != MISSING) {
        counts[codes[r] as usize] += 1;
    }
    let mut seen: Vec<usize> = (0..levels.len()).filter(|&l| counts[l] > 0).collect();
    seen.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(levels[a].cmp(&levels[b])));
    let missing = |rows: &[usize]| rows.iter().filter(|&&r| codes[r] == MISSING).count();
    let (train_missing, test_missing) = (missing(train), missing(test));
    let indicator = how.indicator && train_missing > 0;
    let change = (train_missing + test_missing > 0).then(|| ImputeChange {
        column: name.to_string(),
        fill: match seen.first() {
            Some(&l) => format!("mode '{}'", levels[l]),
            None => "nothing (no training value)".into(),
        },
        train_missing,
        test_missing,
        indicator,
    });
    let unseen: Vec<usize> = test
        .iter()
        .copied()
        .filter(|&r| codes[r] != MISSING && counts[codes[r] as usize] == 0)
        .collect();
    let mut unseen_levels: Vec<String> = unseen
        .iter()
        .map(|&r| levels[codes[r] as usize].clone())
        .collect();
    unseen_levels.sort();
    unseen_levels.dedup();
    let frequency = seen.len() > how.one_hot_max;
    let shares: Vec<f64> = seen
        .iter()
        .map(|&l| counts[l] as f64 / train.len().max(1) as f64)
        .collect();
    let mut seen_names: Vec<String> = seen.iter().map(|&l| levels[l].clone()).collect();
    // Rare levels (at the end: they are the least frequent) share one input, when at least two
    // are rare and some level is not.
    let common = seen
        .iter()
        .filter(|&&l| counts[l] >= how.min_level_rows)
        .count();
    let other: Vec<String> = if !frequency && common > 0 && seen.len() - common >= 2 {
        seen_names.split_off(common)
    } else {
        Vec::new()
    };
    let info = EncodingInfo {
        column: name.to_string(),
        levels: seen_names
            .iter()
            .take(if frequency { 20 } else { usize::MAX })
            .cloned()
            .collect(),
        training_levels: seen.len(),
        encoding: if frequency { "frequency" } else { "one_hot" }.into(),
        unseen_test_rows: unseen.len(),
        unseen_levels,
        other_levels: other.clone(),
        min_level_rows: how.min_level_rows,
    };
    if !other.is_empty() {
        seen_names.push(format!("other ({} levels)", other.len()));
    }
    let step = if frequency {
        Step::Frequency {
            column: name.to_string(),
            levels: seen_names,
            shares,
            indicator,
        }
    } else {
        Step::Categorical {
            column: name.to_string(),
            levels: seen_names,
            indicator,
            other,
        }
    };
    (step, change, info)
}

/// Step 3: every feature scored on its imputed, clipped training values; the best kept.
fn select(
    table: &Table,
    schema: &Schema,
    steps: Vec<Step>,
    train: &[usize],
    opts: &PrepOptions,
) -> Result<(Vec<Step>, SelectionReport), Error> {
    let y: Vec<f64> = train
        .iter()
        .map(|&r| f64::from(u8::from(schema.labels[r] == Some(true))))
        .collect();
    let mut scores = steps
        .iter()
        .map(|step| score(table, step, train, &y))
        .collect::<Result<Vec<_>, _>>()?;
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
    let kept: Vec<Step> = steps
        .into_iter()
        .zip(&scores)
        .filter(|(_, s)| s.kept)
        .map(|(st, _)| st)
        .collect();
    if kept.is_empty() {
        return Err(Error::config(
            "feature selection kept no feature: lower the bar",
        ));
    }
    let report = SelectionReport {
        score_by: opts.score_by,
        keep: opts.keep,
        scores: order.iter().map(|&i| scores[i].clone()).collect(),
    };
    Ok((kept, report))
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
fn score(table: &Table, step: &Step, rows: &[usize], y: &[f64]) -> Result<FeatureScore, Error> {
    let one = Preprocessor::new(vec![step.clone()]);
    let x = one.transform(table, rows)?;
    let columns: Vec<Vec<f64>> = (0..x.cols)
        .map(|j| (0..x.rows).map(|i| f64::from(x.row(i)[j])).collect())
        .collect();
    let (groups, correlation) = match step {
        Step::Numeric { .. } | Step::Frequency { .. } => (
            numeric_groups(&columns[0]),
            pearson(&columns[0], y).map_or(0.0, f64::abs),
        ),
        Step::Categorical { levels, .. } => {
            let width = levels.len();
            // The group of a row is its level's slot (width = none of them).
            let groups = (0..rows.len())
                .map(|i| (0..width).find(|&s| columns[s][i] == 1.0).unwrap_or(width))
                .collect();
            let correlation = columns[..width]
                .iter()
                .filter_map(|c| pearson(c, y))
                .map(f64::abs)
                .fold(0.0, f64::max);
            (groups, correlation)
        }
    };
    Ok(FeatureScore {
        column: step.column().to_string(),
        mutual_information: mutual_information(&groups, y),
        correlation,
        kept: true,
    })
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

    fn cell(column: &str, text: &str) -> (String, Option<String>) {
        (column.to_string(), Some(text.to_string()))
    }

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
        let m = f.preprocessor.transform(&t, &[2, 4, 5, 6]).unwrap();
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
            f2.preprocessor.transform(&t2, &[0, 1, 2, 3, 4]).unwrap(),
            f.preprocessor.transform(&t, &[0, 1, 2, 3, 4]).unwrap()
        );
    }

    #[test]
    fn decode_inverts_transform_within_the_training_range() {
        let (t, s) = setup(TEXT);
        let f = Preprocessor::fit(&t, &s, &split(), &PrepOptions::default()).unwrap();
        let cells = |rows: &[usize]| {
            f.preprocessor
                .decode(&f.preprocessor.transform(&t, rows).unwrap())
        };
        // Rows 0, 1, 3: nothing missing, inside the fences.
        assert_eq!(
            cells(&[0, 1, 3]),
            [
                vec![cell("x", "1"), cell("c", "a")],
                vec![cell("x", "2"), cell("c", "b")],
                vec![cell("x", "4"), cell("c", "a")],
            ]
        );
        // A huge value stays within the training range (the clipped maximum, 67.375) and whole.
        let wild = Matrix {
            rows: 1,
            cols: 3,
            data: vec![1e6, -5.0, 9.0],
        };
        let row = &f.preprocessor.decode(&wild)[0];
        assert_eq!(
            row[0],
            cell("x", "67"),
            "kept in range, whole numbers stay whole"
        );
        assert_eq!(row[1], cell("c", "b"), "the strongest indicator wins");
    }

    #[test]
    fn scaling_gives_zero_mean_unit_variance_on_train() {
        let (t, s) = setup(TEXT);
        let f = Preprocessor::fit(&t, &s, &split(), &PrepOptions::default()).unwrap();
        let m = f.preprocessor.transform(&t, &f.train).unwrap();
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
            f.preprocessor.transform(&t, &[2]).unwrap().row(0),
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
    fn fences_are_training_iqr_fences_and_skip_what_has_no_spread() {
        let (t, s) = setup(TEXT);
        let opts = PrepOptions::default();
        let (fenced, report) = fences(&t, &s.features(), &split(), &opts);
        // x train 1, 2, 4, 100 (and a missing): Q1 1.75, Q3 28, k 1.5.
        assert_eq!(fenced[0], Some((1.75 - 1.5 * 26.25, 28.0 + 1.5 * 26.25)));
        assert_eq!(fenced[1], None, "categorical");
        assert_eq!(report.columns[0].train_outside, 1);
        let none = PrepOptions {
            outliers: Outliers::None,
            ..opts
        };
        assert!(
            fences(&t, &s.features(), &split(), &none)
                .0
                .iter()
                .all(Option::is_none)
        );
    }

    #[test]
    fn drop_outside_keeps_rows_inside_and_refuses_one_class() {
        let (t, s) = setup(TEXT);
        let features = s.features();
        let fenced = vec![Some((0.0, 10.0)), None];
        assert_eq!(
            drop_outside(&t, &s, &features, &[0, 1, 2, 3, 4], &fenced).unwrap(),
            [0, 1, 2, 3]
        );
        let narrow = vec![Some((0.5, 1.5)), None];
        assert!(drop_outside(&t, &s, &features, &[0, 3], &narrow).is_err());
    }

    #[test]
    fn numeric_step_fills_with_the_training_median_or_mean() {
        let v = [1.0, f64::NAN, 3.0, 10.0, f64::NAN];
        let (step, change) = numeric_step("x", &v, &[0, 1, 2, 3], &[4], None, Impute::Median);
        let Step::Numeric {
            fill,
            range,
            integer,
            ..
        } = step
        else {
            panic!("numeric")
        };
        assert_eq!((fill, range, integer), (3.0, (1.0, 10.0), true));
        let change = change.unwrap();
        assert_eq!(
            (
                change.train_missing,
                change.test_missing,
                change.fill.as_str()
            ),
            (1, 1, "median 3")
        );
        let (step, _) = numeric_step(
            "x",
            &v,
            &[0, 2, 3],
            &[],
            Some((0.0, 5.0)),
            Impute::Indicator,
        );
        assert!(
            matches!(
                step,
                Step::Numeric {
                    range: (1.0, 5.0),
                    indicator: false,
                    ..
                }
            ),
            "{step:?}"
        );
    }

    #[test]
    fn a_column_of_many_levels_becomes_one_input_of_level_shares() {
        // 60 levels over 120 training rows: level k appears twice; a test row's level "new"
        // was never seen.
        let mut levels: Vec<String> = (0..60).map(|k| format!("L{k:02}")).collect();
        levels.push("new".into());
        let mut codes: Vec<u32> = (0..120).map(|i| (i / 2) as u32).collect();
        codes.extend([60, MISSING, 5]);
        let train: Vec<usize> = (0..120).collect();
        let how = Encode {
            indicator: false,
            one_hot_max: 50,
            min_level_rows: 1,
        };
        let (step, _, info) = categorical_step("c", &codes, &levels, &train, &[120, 121, 122], how);
        assert_eq!(
            (info.encoding.as_str(), info.training_levels),
            ("frequency", 60)
        );
        assert_eq!((info.unseen_test_rows, info.levels.len()), (1, 20));
        let Step::Frequency { shares, .. } = &step else {
            panic!("{step:?}");
        };
        assert!(shares.iter().all(|s| (s - 2.0 / 120.0).abs() < 1e-12));
        let pre = Preprocessor::new(vec![step.clone()]);
        assert_eq!(pre.feature_names(), ["c"]);
        let t = Table {
            n_rows: codes.len(),
            columns: vec![std::sync::Arc::new(crate::ingest::Column {
                name: "c".into(),
                values: Values::Categorical { codes, levels },
            })],
        };
        let x = pre.transform(&t, &[0, 120, 121, 122]).unwrap();
        // Seen: its share; unseen: 0; missing: the mode's share.
        assert_eq!(
            x.data,
            [2.0 / 120.0, 0.0, 2.0 / 120.0, 2.0 / 120.0].map(|v: f64| v as f32)
        );
        // Decoded back to the level whose share is nearest.
        assert_eq!(pre.decode(&x)[1][0].1.as_deref(), Some("L00"));
        let few = Encode {
            one_hot_max: 100,
            ..how
        };
        let codes: Vec<u32> = (0..120).map(|i| (i / 2) as u32).collect();
        let levels: Vec<String> = (0..60).map(|k| format!("L{k:02}")).collect();
        let (step, _, _) = categorical_step("c", &codes, &levels, &train, &[], few);
        assert!(matches!(step, Step::Categorical { .. }));
    }

    #[test]
    fn categorical_step_orders_levels_by_count_and_counts_unseen_test_levels() {
        let levels: Vec<String> = ["a", "b", "z"].map(String::from).to_vec();
        let codes = [1, 1, 0, MISSING, 2, 1];
        let how = Encode {
            indicator: true,
            one_hot_max: 50,
            min_level_rows: 1,
        };
        let (step, change, info) =
            categorical_step("c", &codes, &levels, &[0, 1, 2, 3], &[4, 5], how);
        assert_eq!(
            step,
            Step::Categorical {
                column: "c".into(),
                levels: vec!["b".into(), "a".into()],
                indicator: true,
                other: Vec::new(),
            }
        );
        assert_eq!(change.unwrap().fill, "mode 'b'");
        assert_eq!(
            (info.unseen_test_rows, info.unseen_levels),
            (1, vec!["z".to_string()])
        );
    }

    #[test]
    fn rare_levels_share_one_other_input_read_and_decoded_as_such() {
        // Training rows: a ×12, b ×10, c ×3, d ×2, e ×1; the test row is 'e'.
        let levels: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let mut codes: Vec<u32> = [(0, 12), (1, 10), (2, 3), (3, 2), (4, 1)]
            .iter()
            .flat_map(|&(l, n)| std::iter::repeat_n(l, n))
            .collect();
        codes.push(4);
        let train: Vec<usize> = (0..28).collect();
        let how = Encode {
            indicator: false,
            one_hot_max: 50,
            min_level_rows: 10,
        };
        let (step, _, info) = categorical_step("c", &codes, &levels, &train, &[28], how);
        assert_eq!(info.other_levels, ["c", "d", "e"]);
        let pre = Preprocessor::new(vec![step.clone()]);
        assert_eq!(pre.feature_names(), ["c=a", "c=b", "c=other (3 levels)"]);
        let t = Table {
            n_rows: codes.len(),
            columns: vec![std::sync::Arc::new(crate::ingest::Column {
                name: "c".into(),
                values: Values::Categorical {
                    codes,
                    levels: levels.clone(),
                },
            })],
        };
        let x = pre.transform(&t, &[0, 12, 24, 28]).unwrap();
        assert_eq!(
            x.data,
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
        );
        // Generated rows of the "other" input become its most frequent level, a real one.
        assert_eq!(pre.decode(&x)[3][0].1.as_deref(), Some("c"));
        // One rare level alone keeps its input.
        let (_, _, info) = categorical_step(
            "c",
            &[0, 0, 1],
            &levels,
            &[0, 1, 2],
            &[],
            Encode {
                min_level_rows: 2,
                ..how
            },
        );
        assert!(info.other_levels.is_empty());
    }

    #[test]
    fn select_keeps_the_best_scored_features() {
        let (t, s) = setup(TEXT);
        let f = Preprocessor::fit(&t, &s, &split(), &PrepOptions::default()).unwrap();
        let steps = f.preprocessor.steps().to_vec();
        let top = PrepOptions {
            keep: Keep::Top(1),
            ..Default::default()
        };
        let (kept, report) = select(&t, &s, steps.clone(), &f.train, &top).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].column(), report.scores[0].column, "the best one");
        let none = PrepOptions {
            keep: Keep::MinScore(1e9),
            ..Default::default()
        };
        assert!(select(&t, &s, steps, &f.train, &none).is_err());
    }

    #[test]
    fn levels_match_by_text_then_ignoring_case_and_spacing() {
        let seen: Vec<String> = ["Mobile Phone", "Computer"].map(String::from).to_vec();
        let table_levels: Vec<String> = ["computer", " mobile  phone", "Tablet"]
            .map(String::from)
            .to_vec();
        assert_eq!(level_slots(&seen, &table_levels), [Some(1), Some(0), None]);
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
