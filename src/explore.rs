//! Explore: the numbers behind the summary table, the class balance, the correlation heatmap and
//! the distribution charts. Computed on the table as loaded, before any cleaning.

use std::collections::HashMap;

use rustc_hash::FxHashSet;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ingest::{MISSING, Table, Values};
use crate::schema::{Kind, Role, Schema};

/// Integer-valued numeric columns with at most this many distinct values are shown as levels.
const MAX_INTEGER_LEVELS: usize = 25;
/// Categorical distributions show this many levels, then one "other" bar.
const MAX_LEVELS_SHOWN: usize = 30;
const TOP_LEVELS: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelCount {
    pub level: String,
    pub count: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnSummary {
    pub name: String,
    pub kind: Kind,
    pub role: Role,
    pub missing: usize,
    pub unique: usize,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1).
    pub std: Option<f64>,
    /// Most frequent levels (categorical columns), most frequent first.
    pub top: Vec<LevelCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassBalance {
    pub positive: String,
    pub negative: String,
    pub positives: usize,
    pub negatives: usize,
    /// positives / (positives + negatives)
    pub rate: f64,
    pub missing: usize,
}

/// Pearson correlations of the numeric features and the target (as 0/1), pairwise complete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Correlation {
    pub columns: Vec<String>,
    /// `values[i][j]`; `None` where a column is constant over the shared rows.
    pub values: Vec<Vec<Option<f64>>>,
    /// Numeric features left out of the matrix: beyond [`MAX_CORRELATION_COLUMNS`], only the
    /// features most correlated with the target are kept (a wider matrix is unreadable, and
    /// its cost grows with the square of the column count).
    #[serde(default)]
    pub omitted: usize,
}

/// The most columns (the target included) of the correlation matrix.
pub const MAX_CORRELATION_COLUMNS: usize = 40;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub label: String,
    /// Bounds of a histogram bin, `[lo, hi)` (the last one closed).
    pub lo: Option<f64>,
    pub hi: Option<f64>,
    pub count: usize,
    /// Rows of this bin in the positive class.
    pub positives: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub column: String,
    /// `levels` (one bar per value) or `histogram`.
    pub kind: String,
    pub bins: Vec<Bin>,
    pub missing: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exploration {
    pub rows: usize,
    pub columns: usize,
    pub class_balance: ClassBalance,
    pub summary: Vec<ColumnSummary>,
    pub correlation: Correlation,
    /// One per feature.
    pub distributions: Vec<Distribution>,
}

pub fn explore(table: &Table, schema: &Schema) -> Exploration {
    let t = &schema.target;
    let class_balance = ClassBalance {
        positive: t.positive.clone(),
        negative: t.negative.clone(),
        positives: t.positives,
        negatives: t.negatives,
        rate: t.positives as f64 / (t.positives + t.negatives).max(1) as f64,
        missing: t.missing,
    };
    let summary = table
        .columns
        .iter()
        .zip(&schema.columns)
        .map(|(col, info)| {
            let mut s = ColumnSummary {
                name: col.name.clone(),
                kind: info.kind,
                role: info.role,
                missing: info.missing,
                unique: info.unique,
                min: None,
                max: None,
                mean: None,
                std: None,
                top: Vec::new(),
            };
            match &col.values {
                Values::Numeric(v) => {
                    let m = Moments::of(v.iter().copied());
                    if m.n > 0 {
                        s.min = Some(m.min);
                        s.max = Some(m.max);
                        s.mean = Some(m.mean);
                        s.std = (m.n > 1).then(|| (m.m2 / (m.n - 1) as f64).sqrt());
                    }
                }
                Values::Categorical { codes, levels } => {
                    s.top = level_counts(codes, levels)
                        .into_iter()
                        .take(TOP_LEVELS)
                        .map(|(level, count, _)| LevelCount { level, count })
                        .collect();
                }
            }
            s
        })
        .collect();
    let features = schema.features();
    let mut corr_cols: Vec<(String, Vec<f64>)> = features
        .iter()
        .filter_map(|&i| match &table.columns[i].values {
            Values::Numeric(v) => Some((table.columns[i].name.clone(), v.clone())),
            Values::Categorical { .. } => None,
        })
        .collect();
    let target: Vec<f64> = schema
        .labels
        .iter()
        .map(|l| l.map_or(f64::NAN, |b| f64::from(u8::from(b))))
        .collect();
    let omitted = corr_cols.len().saturating_sub(MAX_CORRELATION_COLUMNS - 1);
    if omitted > 0 {
        // Keep the features most correlated with the target, in their table order.
        let strength: Vec<f64> = corr_cols
            .iter()
            .map(|(_, v)| pearson(v, &target).map_or(0.0, f64::abs))
            .collect();
        let mut order: Vec<usize> = (0..corr_cols.len()).collect();
        order.sort_by(|&a, &b| strength[b].total_cmp(&strength[a]).then(a.cmp(&b)));
        let mut keep = vec![false; corr_cols.len()];
        for &i in &order[..MAX_CORRELATION_COLUMNS - 1] {
            keep[i] = true;
        }
        let mut flags = keep.into_iter();
        corr_cols.retain(|_| flags.next().unwrap_or(false));
    }
    corr_cols.push((t.column.clone(), target));
    let k = corr_cols.len();
    let mut values = vec![vec![None; k]; k];
    for i in 0..k {
        for j in i..k {
            let r = pearson(&corr_cols[i].1, &corr_cols[j].1);
            values[i][j] = r;
            values[j][i] = r;
        }
    }
    let correlation = Correlation {
        columns: corr_cols.into_iter().map(|(n, _)| n).collect(),
        values,
        omitted,
    };
    let distributions = features
        .iter()
        .map(|&i| distribution(table, i, &schema.labels))
        .collect();
    Exploration {
        rows: table.n_rows,
        columns: table.columns.len(),
        class_balance,
        summary,
        correlation,
        distributions,
    }
}

/// Running count, mean, sum of squared deviations (Welford), min and max of the non-NaN values.
#[derive(Clone, Copy, Debug)]
pub struct Moments {
    pub n: usize,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Moments {
    pub fn of(values: impl Iterator<Item = f64>) -> Moments {
        let mut m = Moments {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        };
        for x in values.filter(|x| !x.is_nan()) {
            m.n += 1;
            let d = x - m.mean;
            m.mean += d / m.n as f64;
            m.m2 += d * (x - m.mean);
            m.min = m.min.min(x);
            m.max = m.max.max(x);
        }
        m
    }

    /// Population standard deviation (n), as scalers use.
    pub fn pop_std(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            (self.m2 / self.n as f64).sqrt()
        }
    }
}

/// Pearson correlation over the rows where both values are present.
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let (mut n, mut ma, mut mb) = (0usize, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if !x.is_nan() && !y.is_nan() {
            n += 1;
            ma += x;
            mb += y;
        }
    }
    if n < 2 {
        return None;
    }
    ma /= n as f64;
    mb /= n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if !x.is_nan() && !y.is_nan() {
            sab += (x - ma) * (y - mb);
            saa += (x - ma) * (x - ma);
            sbb += (y - mb) * (y - mb);
        }
    }
    (saa > 0.0 && sbb > 0.0).then(|| (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0))
}

/// Quantile of sorted values by linear interpolation (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// (level, count, code) for the levels that occur, most frequent first, ties by level.
fn level_counts(codes: &[u32], levels: &[String]) -> Vec<(String, usize, u32)> {
    let mut counts = vec![0usize; levels.len()];
    for &c in codes.iter().filter(|&&c| c != MISSING) {
        counts[c as usize] += 1;
    }
    let mut out: Vec<(String, usize, u32)> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(c, &n)| (levels[c].clone(), n, c as u32))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

fn distribution(table: &Table, index: usize, labels: &[Option<bool>]) -> Distribution {
    let col = &table.columns[index];
    let positive = |row: usize| labels[row] == Some(true);
    let mut bins = Vec::new();
    let kind;
    match &col.values {
        Values::Categorical { codes, levels } => {
            kind = "levels";
            let counted = level_counts(codes, levels);
            let mut slot = HashMap::new();
            for (i, (level, count, code)) in counted.iter().enumerate() {
                let s = i.min(MAX_LEVELS_SHOWN);
                slot.insert(*code, s);
                if i < MAX_LEVELS_SHOWN {
                    bins.push(bin(level.clone(), None, None, *count));
                } else if i == MAX_LEVELS_SHOWN {
                    let others = counted.len() - MAX_LEVELS_SHOWN;
                    bins.push(bin(format!("other ({others} levels)"), None, None, 0));
                }
                if i >= MAX_LEVELS_SHOWN {
                    bins[MAX_LEVELS_SHOWN].count += count;
                }
            }
            for (row, &c) in codes.iter().enumerate() {
                if c != MISSING && positive(row) {
                    bins[slot[&c]].positives += 1;
                }
            }
        }
        Values::Numeric(v) => {
            let bits: FxHashSet<u64> = v
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x + 0.0).to_bits())
                .collect();
            let mut distinct: Vec<f64> = bits.into_iter().map(f64::from_bits).collect();
            distinct.sort_unstable_by(f64::total_cmp);
            let integer = distinct.iter().all(|x| x.fract() == 0.0);
            if integer && distinct.len() <= MAX_INTEGER_LEVELS {
                kind = "levels";
                bins = distinct
                    .iter()
                    .map(|x| bin(x.to_string(), Some(*x), Some(*x), 0))
                    .collect();
                for (row, x) in v.iter().enumerate().filter(|(_, x)| !x.is_nan()) {
                    let b = distinct.partition_point(|d| d < x);
                    bins[b].count += 1;
                    bins[b].positives += usize::from(positive(row));
                }
            } else {
                kind = "histogram";
                let present = v.iter().filter(|x| !x.is_nan()).count();
                let k = ((present.max(1) as f64).log2().ceil() as usize + 1).clamp(5, 30);
                let (lo, hi) = (distinct[0], distinct[distinct.len() - 1]);
                // Round edges ("0–5", not "0–4.207"): a step of 1, 2, 2.5 or 5 × 10ⁿ.
                let width = nice_step((hi - lo) / k as f64);
                let lo = if width > 0.0 {
                    (lo / width).floor() * width
                } else {
                    lo
                };
                let k = if width > 0.0 {
                    (((hi - lo) / width).floor() as usize + 1).min(60)
                } else {
                    1
                };
                for b in 0..k {
                    let a = lo + width * b as f64;
                    let z = lo + width * (b + 1) as f64;
                    bins.push(bin(
                        format!("{}–{}", short(a), short(z)),
                        Some(a),
                        Some(z),
                        0,
                    ));
                }
                for (row, x) in v.iter().enumerate().filter(|(_, x)| !x.is_nan()) {
                    let b = if width > 0.0 {
                        (((x - lo) / width) as usize).min(k - 1)
                    } else {
                        0
                    };
                    bins[b].count += 1;
                    bins[b].positives += usize::from(positive(row));
                }
            }
        }
    }
    Distribution {
        column: col.name.clone(),
        kind: kind.into(),
        bins,
        missing: col.missing_count(),
    }
}

fn bin(label: String, lo: Option<f64>, hi: Option<f64>, count: usize) -> Bin {
    Bin {
        label,
        lo,
        hi,
        count,
        positives: 0,
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ⁿ at least `x` (0 for no spread).
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    let unit = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * unit)
        .find(|&s| s >= x * (1.0 - 1e-12))
        .unwrap_or(10.0 * unit)
}

/// A number in at most four significant digits, for bin labels.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Two numeric columns of the rows that go into the split, point by point and split by class:
/// the scatter plot a heatmap cell opens. The target reads 0 / 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub x: String,
    pub y: String,
    /// (class, points): the stayed, then the churned.
    pub groups: Vec<(String, Vec<(f64, f64)>)>,
    /// Rows with both values, and how many of them are shown (evenly spaced).
    pub rows: usize,
    pub shown: usize,
}

/// The most points a pair's scatter plot shows.
pub const PAIR_POINTS: usize = 2_000;

pub fn pair(
    table: &Table,
    schema: &Schema,
    rows: &[usize],
    x: &str,
    y: &str,
) -> Result<Pair, Error> {
    let value = |name: &str| -> Result<Box<dyn Fn(usize) -> f64 + '_>, Error> {
        let i = table
            .find(name)
            .ok_or_else(|| Error::input(format!("there is no column '{name}'")))?;
        if i == schema.target_index {
            return Ok(Box::new(|r| schema.labels[r].map_or(f64::NAN, f64::from)));
        }
        match &table.columns[i].values {
            Values::Numeric(v) => Ok(Box::new(move |r| v[r])),
            Values::Categorical { .. } => {
                Err(Error::input(format!("'{name}' is not a numeric column")))
            }
        }
    };
    let (fx, fy) = (value(x)?, value(y)?);
    let both: Vec<usize> = rows
        .iter()
        .copied()
        .filter(|&r| !fx(r).is_nan() && !fy(r).is_nan() && schema.labels[r].is_some())
        .collect();
    let step = both.len().div_ceil(PAIR_POINTS).max(1);
    let t = &schema.target;
    let mut groups = vec![
        (format!("stayed ({})", t.negative), Vec::new()),
        (format!("churned ({})", t.positive), Vec::new()),
    ];
    for &r in both.iter().step_by(step) {
        groups[usize::from(schema.labels[r] == Some(true))]
            .1
            .push((fx(r), fy(r)));
    }
    Ok(Pair {
        x: x.into(),
        y: y.into(),
        shown: groups.iter().map(|g| g.1.len()).sum(),
        rows: both.len(),
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};
    use crate::schema::{SchemaOptions, infer};
    use approx::assert_abs_diff_eq;

    #[test]
    fn pearson_matches_hand_values_and_skips_missing_pairs() {
        let a = [1.0, 2.0, 3.0, 4.0, f64::NAN];
        let b = [2.0, 4.0, 5.0, 4.0, 100.0];
        // x̄ = 2.5, ȳ = 3.75; Sxy = 3.5, Sxx = 5, Syy = 4.75
        assert_abs_diff_eq!(
            pearson(&a, &b).unwrap(),
            3.5 / (5.0f64 * 4.75).sqrt(),
            epsilon = 1e-12
        );
        assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_abs_diff_eq!(quantile(&v, 0.25), 1.75);
        assert_abs_diff_eq!(quantile(&v, 0.5), 2.5);
        assert_abs_diff_eq!(quantile(&v, 1.0), 4.0);
    }

    #[test]
    fn summary_balance_correlation_and_distributions() {
        let text = "id,score,city,amount,Churn\n\
                    1,1,A,10.5,1\n2,2,B,20.25,0\n3,,A,30,1\n4,4,a,40,0\n5,5,B,,0\n";
        let (mut t, _) = load(text.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        let s = infer(&mut t, &SchemaOptions::default()).unwrap();
        let e = explore(&t, &s);
        assert_eq!((e.rows, e.columns), (5, 5));
        assert_eq!(e.class_balance.positives, 2);
        assert_abs_diff_eq!(e.class_balance.rate, 0.4);
        let score = &e.summary[1];
        assert_eq!((score.missing, score.unique), (1, 4));
        assert_eq!(
            (score.min, score.max, score.mean),
            (Some(1.0), Some(5.0), Some(3.0))
        );
        assert_abs_diff_eq!(score.std.unwrap(), (10.0f64 / 3.0).sqrt(), epsilon = 1e-12);
        assert_eq!(
            e.summary[2].top,
            [
                LevelCount {
                    level: "A".into(),
                    count: 2
                },
                LevelCount {
                    level: "B".into(),
                    count: 2
                },
                LevelCount {
                    level: "a".into(),
                    count: 1
                }
            ]
        );
        assert_eq!(e.correlation.columns, ["score", "amount", "Churn"]);
        assert_abs_diff_eq!(e.correlation.values[0][0].unwrap(), 1.0, epsilon = 1e-12);
        assert_eq!(e.correlation.values[0][2], e.correlation.values[2][0]);
        // score: integer levels 1, 2, 4, 5 with churners at 1.
        let d = &e.distributions[0];
        assert_eq!(d.kind, "levels");
        assert_eq!(
            d.bins.iter().map(|b| b.count).collect::<Vec<_>>(),
            [1, 1, 1, 1]
        );
        assert_eq!(d.bins[0].positives, 1);
        let amount = &e.distributions[2];
        assert_eq!(amount.kind, "histogram");
        assert_eq!(amount.bins.iter().map(|b| b.count).sum::<usize>(), 4);
        assert_eq!(amount.missing, 1);
        // Round edges, the largest value (40) in the last bin.
        let last = amount.bins.last().unwrap();
        assert!(
            last.lo.unwrap() <= 40.0 && 40.0 < last.hi.unwrap(),
            "{last:?}"
        );
        assert!(
            amount.bins.iter().all(|b| !b.label.contains('.')),
            "{:?}",
            amount.bins
        );
        assert_eq!(
            (
                nice_step(4.207),
                nice_step(0.3),
                nice_step(2.2),
                nice_step(0.0)
            ),
            (5.0, 0.5, 2.5, 0.0)
        );
        assert_eq!(
            (short(10.5), short(0.012345), short(12345.6)),
            ("10.5".into(), "0.01235".into(), "12346".into())
        );
    }
}
