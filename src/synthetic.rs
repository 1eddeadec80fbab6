//! Synthetic customers: generator rows decoded into the input's columns, written as CSV, and
//! measured against the real training rows (column shapes and correlations).

use std::collections::HashMap;

use serde::Serialize;

use crate::explore::pearson;
use crate::ingest::Table;
use crate::schema::{Role, Schema};

/// How alike one column is in real and synthetic rows: 1 − KS statistic (numeric) or
/// 1 − total variation distance (categorical).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnShape {
    pub column: String,
    /// `ks_complement` or `tv_complement`.
    pub metric: String,
    pub score: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quality {
    pub columns: Vec<ColumnShape>,
    /// Mean of the column scores.
    pub shape_score: f64,
    /// 1 − mean |r_real − r_synthetic| / 2 over pairs of numeric features.
    pub correlation_score: Option<f64>,
    /// ROC-AUC of a logistic regression told to separate real training rows from synthetic
    /// ones (on a held-out 30 %): 0.5 means indistinguishable.
    pub detection_auc: Option<f64>,
    /// 1 − (2·max(AUC, 0.5) − 1): 1 when the rows cannot be told apart.
    pub detection_score: Option<f64>,
    /// F1 on the real test rows of a random forest trained on the synthetic rows only…
    pub tstr_f1: Option<f64>,
    /// …and of the same forest trained on the real training rows.
    pub trtr_f1: Option<f64>,
}

/// Generated customers: cells per row in table column order (`None` = empty).
pub struct Rows {
    pub cells: Vec<Vec<Option<String>>>,
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe.
pub fn neutralize(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if cell.parse::<f64>().is_err() => {
            format!("'{cell}")
        }
        _ => cell.to_string(),
    }
}

/// Assembles full rows: IDs `SYN-1…`, the class label, decoded features, other columns empty.
pub fn assemble(
    table: &Table,
    schema: &Schema,
    decoded: Vec<Vec<(usize, Option<String>)>>,
    classes: &[bool],
) -> Rows {
    let cells = decoded
        .into_iter()
        .zip(classes)
        .enumerate()
        .map(|(k, (features, &churn))| {
            let mut row: Vec<Option<String>> = vec![None; table.columns.len()];
            for (i, info) in schema.columns.iter().enumerate() {
                row[i] = match info.role {
                    Role::Id => Some(format!("SYN-{}", k + 1)),
                    Role::Target => Some(if churn {
                        schema.target.positive.clone()
                    } else {
                        schema.target.negative.clone()
                    }),
                    _ => None,
                };
            }
            for (column, cell) in features {
                row[column] = cell;
            }
            row
        })
        .collect();
    Rows { cells }
}

impl Rows {
    pub fn to_csv(&self, table: &Table) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header: Vec<String> = table.columns.iter().map(|c| neutralize(&c.name)).collect();
        w.write_record(&header).expect("writing to memory");
        for row in &self.cells {
            let cells: Vec<String> = row
                .iter()
                .map(|c| c.as_deref().map(neutralize).unwrap_or_default())
                .collect();
            w.write_record(&cells).expect("writing to memory");
        }
        String::from_utf8(w.into_inner().expect("flushing to memory")).expect("UTF-8 cells")
    }

    /// Compares every feature column with the real `rows` of `table`.
    pub fn quality(&self, table: &Table, schema: &Schema, rows: &[usize]) -> Quality {
        let mut columns = Vec::new();
        let mut numeric: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        for c in schema.features() {
            let col = &table.columns[c];
            let real: Vec<String> = rows
                .iter()
                .filter_map(|&r| col.text(r).map(|t| t.into_owned()))
                .collect();
            let synth: Vec<&str> = self
                .cells
                .iter()
                .filter_map(|row| row[c].as_deref())
                .collect();
            let is_numeric = matches!(col.values, crate::ingest::Values::Numeric(_));
            let score = if is_numeric {
                let a: Vec<f64> = real.iter().filter_map(|t| t.parse().ok()).collect();
                let b: Vec<f64> = synth.iter().filter_map(|t| t.parse().ok()).collect();
                let aligned_real: Vec<f64> = rows
                    .iter()
                    .map(|&r| col.text(r).and_then(|t| t.parse().ok()).unwrap_or(f64::NAN))
                    .collect();
                let aligned_synth: Vec<f64> = self
                    .cells
                    .iter()
                    .map(|row| {
                        row[c]
                            .as_deref()
                            .and_then(|t| t.parse().ok())
                            .unwrap_or(f64::NAN)
                    })
                    .collect();
                numeric.push((aligned_real, aligned_synth));
                1.0 - ks(&a, &b)
            } else {
                1.0 - tv(&real.iter().map(String::as_str).collect::<Vec<_>>(), &synth)
            };
            columns.push(ColumnShape {
                column: col.name.clone(),
                metric: if is_numeric {
                    "ks_complement"
                } else {
                    "tv_complement"
                }
                .into(),
                score,
            });
        }
        let shape_score =
            columns.iter().map(|c| c.score).sum::<f64>() / columns.len().max(1) as f64;
        let mut diffs = Vec::new();
        for i in 0..numeric.len() {
            for j in i + 1..numeric.len() {
                if let (Some(r), Some(s)) = (
                    pearson(&numeric[i].0, &numeric[j].0),
                    pearson(&numeric[i].1, &numeric[j].1),
                ) {
                    diffs.push((r - s).abs() / 2.0);
                }
            }
        }
        Quality {
            columns,
            shape_score,
            correlation_score: (!diffs.is_empty())
                .then(|| 1.0 - diffs.iter().sum::<f64>() / diffs.len() as f64),
            detection_auc: None,
            detection_score: None,
            tstr_f1: None,
            trtr_f1: None,
        }
    }
}

/// Two-sample Kolmogorov–Smirnov statistic.
pub fn ks(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// Total variation distance between the level frequencies of two samples.
pub fn tv(a: &[&str], b: &[&str]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 1.0;
    }
    let mut freq: HashMap<&str, (f64, f64)> = HashMap::new();
    for x in a {
        freq.entry(x).or_default().0 += 1.0 / a.len() as f64;
    }
    for x in b {
        freq.entry(x).or_default().1 += 1.0 / b.len() as f64;
    }
    freq.values().map(|(p, q)| (p - q).abs()).sum::<f64>() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn distances_match_hand_values() {
        assert_abs_diff_eq!(ks(&[1.0, 2.0, 3.0, 4.0], &[1.0, 2.0, 3.0, 4.0]), 0.0);
        assert_abs_diff_eq!(ks(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        // F_a(2) = 1/2, F_b(2) = 1/4 … largest gap 1/4 at 2 and 3.
        assert_abs_diff_eq!(ks(&[1.0, 2.0, 3.0, 4.0], &[2.0, 3.0, 4.0, 5.0]), 0.25);
        assert_abs_diff_eq!(tv(&["a", "a", "b", "b"], &["a", "b", "b", "b"]), 0.25);
        assert_abs_diff_eq!(tv(&["a"], &["b"]), 1.0);
    }

    #[test]
    fn formulas_are_neutralized_but_numbers_are_not() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("-3.5"), "-3.5");
        assert_eq!(neutralize("Mobile Phone"), "Mobile Phone");
    }
}
