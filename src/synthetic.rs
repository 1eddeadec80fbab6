//! Synthetic customers: generator rows decoded into the input's columns, written as CSV, and
//! measured against the real training rows (column shapes and correlations).

use std::collections::BTreeMap;

use serde::Serialize;

#[cfg(feature = "nn")]
use crate::Error;
use crate::explore::pearson;
use crate::ingest::Table;
#[cfg(feature = "nn")]
use crate::matrix::Matrix;
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
    /// Distance to the closest real customer against new real customers' (with the rows
    /// dropped for being too close).
    pub privacy: Option<crate::privacy::Privacy>,
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
    decoded: Vec<Vec<(String, Option<String>)>>,
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
                if let Some(c) = table.find(&column) {
                    row[c] = cell;
                }
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
            privacy: None,
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
    // Ordered, so that the sum (and so the score) is the same to the last digit every time.
    let mut freq: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
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

/// Synthetic customers from the GAN's generator, with their resemblance to the training rows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyntheticReport {
    pub rows: usize,
    pub churners: usize,
    pub seed: u64,
    pub quality: Quality,
    /// The rows as CSV with the input's header (IDs `SYN-1…`; formula-like text neutralised).
    #[serde(skip)]
    pub csv: String,
}

/// `rows` customers from a fitted GAN, churners in the training rows' proportion, with the
/// quality checks against the training and test rows of `split` (of the prepared table). The GAN is not
/// fitted again; the checks fit their own small detector and forests. `real_f1`, where the
/// caller already has it, is the test F1 of the forest trained on the real rows with this
/// `seed` (it does not depend on the synthetic rows), and is not computed again.
#[cfg(feature = "nn")]
pub async fn synthesize(
    prepared: &crate::prepare::Prepared,
    split: &crate::split::Split,
    pre: &crate::preprocess::Preprocessor,
    gan: &crate::models::nn::Gan,
    rows: usize,
    seed: u64,
    real_f1: Option<f64>,
) -> Result<SyntheticReport, Error> {
    let draft = draft(prepared, split, pre, gan, rows, seed).await?;
    let mut results = Vec::new();
    for check in Check::ALL {
        let known = real_f1.filter(|_| check == Check::RealForest);
        results.push((
            check,
            known.map_or_else(|| draft.check(check), |f1| Ok(Some(f1)))?,
        ));
    }
    Ok(draft.finish(&results))
}

/// The quality checks that fit models of their own: independent jobs once the rows are made
/// (the page's pool runs them on several workers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Real training rows against synthetic ones: a logistic regression's ROC-AUC.
    Detection,
    /// Test F1 of a forest trained on the synthetic rows.
    SyntheticForest,
    /// Test F1 of a forest trained on the real training rows.
    RealForest,
}

impl Check {
    pub const ALL: [Check; 3] = [Check::Detection, Check::SyntheticForest, Check::RealForest];
}

/// Synthetic customers made and screened for privacy, before the checks that fit models.
#[cfg(feature = "nn")]
pub struct Draft {
    report: SyntheticReport,
    real: Labelled,
    fake: Labelled,
    test: Labelled,
}

/// The generated rows, screened: those too close to a real customer go before any other
/// check sees them.
#[cfg(feature = "nn")]
pub async fn draft(
    prepared: &crate::prepare::Prepared,
    split: &crate::split::Split,
    pre: &crate::preprocess::Preprocessor,
    gan: &crate::models::nn::Gan,
    rows: usize,
    seed: u64,
) -> Result<Draft, Error> {
    if rows == 0 {
        return Err(Error::config("ask for at least one synthetic row"));
    }
    let (table, schema) = (&prepared.table, &prepared.schema);
    let y = schema.churned(&split.train);
    let rate = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
    let churners = ((rows as f64 * rate).round() as usize).min(rows);
    let counts = [(churners, true), (rows - churners, false)];
    let (synth, classes, x_synth) = generate(table, schema, pre, gan, &counts, seed).await?;
    let real = Labelled {
        x: pre.transform(table, &split.train)?,
        y,
    };
    let test = Labelled {
        x: pre.transform(table, &split.test)?,
        y: schema.churned(&split.test),
    };
    let (privacy, keep) = crate::privacy::assess(&x_synth, &real.x, &test.x);
    let kept: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
    if kept.is_empty() {
        return Err(Error::input(
            "every generated row was a near copy of a real customer: train the GAN longer or on more rows",
        ));
    }
    let synth = Rows {
        cells: kept.iter().map(|&i| synth.cells[i].clone()).collect(),
    };
    let fake = Labelled {
        x: x_synth.pick(&kept),
        y: kept.iter().map(|&i| classes[i]).collect(),
    };
    let mut quality = synth.quality(table, schema, &split.train);
    quality.privacy = Some(privacy);
    let report = SyntheticReport {
        rows: kept.len(),
        churners: fake.y.iter().filter(|&&b| b).count(),
        seed,
        quality,
        csv: synth.to_csv(table),
    };
    Ok(Draft {
        report,
        real,
        fake,
        test,
    })
}

#[cfg(feature = "nn")]
impl Draft {
    /// The synthesis seed.
    pub fn seed(&self) -> u64 {
        self.report.seed
    }

    /// One check here.
    pub fn check(&self, check: Check) -> Result<Option<f64>, Error> {
        run_check(check, &self.real, &self.fake, &self.test, self.report.seed)
    }

    /// The synthetic rows' model inputs and classes as bytes, for [`check_elsewhere`].
    pub fn fake_bytes(&self) -> Vec<u8> {
        let mut out = (self.fake.x.rows as u64).to_le_bytes().to_vec();
        out.extend(self.fake.y.iter().map(|&b| u8::from(b)));
        out.extend(self.fake.x.to_bytes());
        out
    }

    /// The report with the checks' results (a check left out stays unknown).
    pub fn finish(self, results: &[(Check, Option<f64>)]) -> SyntheticReport {
        let mut report = self.report;
        let q = &mut report.quality;
        for &(check, value) in results {
            match check {
                Check::Detection => {
                    q.detection_auc = value;
                    q.detection_score = value.map(|a| 1.0 - (2.0 * a.max(0.5) - 1.0));
                }
                Check::SyntheticForest => q.tstr_f1 = value,
                Check::RealForest => q.trtr_f1 = value,
            }
        }
        report
    }
}

/// One check of synthetic rows sent as [`Draft::fake_bytes`], against real training and
/// test rows `real` and `test` (model inputs and classes) made here from the same split.
#[cfg(feature = "nn")]
pub fn check_elsewhere(
    check: Check,
    real: (&Matrix, &[bool]),
    test: (&Matrix, &[bool]),
    fake: &[u8],
    seed: u64,
) -> Result<Option<f64>, Error> {
    let bad = || Error::input("the synthetic rows sent for a check are damaged");
    let n =
        u64::from_le_bytes(fake.get(..8).ok_or_else(bad)?.try_into().expect("8 bytes")) as usize;
    let y: Vec<bool> = fake
        .get(8..8 + n)
        .ok_or_else(bad)?
        .iter()
        .map(|&b| b == 1)
        .collect();
    let x = Matrix::from_bytes(n, real.0.cols, &fake[8 + n..]).ok_or_else(bad)?;
    let labelled = |(x, y): (&Matrix, &[bool])| Labelled {
        x: x.clone(),
        y: y.to_vec(),
    };
    run_check(
        check,
        &labelled(real),
        &Labelled { x, y },
        &labelled(test),
        seed,
    )
}

/// Model inputs and their classes.
#[cfg(feature = "nn")]
struct Labelled {
    x: Matrix,
    y: Vec<bool>,
}

/// One check: the detection AUC (real training rows against synthetic rows, logistic
/// regression, 30 % held out), or the test F1 of a 100-tree forest trained on synthetic rows
/// or on real rows.
#[cfg(feature = "nn")]
fn run_check(
    check: Check,
    real: &Labelled,
    fake: &Labelled,
    test: &Labelled,
    seed: u64,
) -> Result<Option<f64>, Error> {
    use crate::models::baselines::Logistic;
    use crate::models::forest::Forest;
    use crate::split::{SplitOptions, stratified};
    let f1_of = |on: &Labelled| -> Result<Option<f64>, Error> {
        let forest = Forest::fitted(&on.x, &on.y, 100, seed)?;
        Ok(Some(
            crate::metrics::evaluate(&test.y, &forest.probabilities(&test.x)?, 0.5).f1,
        ))
    };
    match check {
        Check::SyntheticForest => return f1_of(fake),
        Check::RealForest => return f1_of(real),
        Check::Detection => {}
    }
    let both = real.x.stack(&fake.x);
    let is_synth: Vec<Option<bool>> = (0..both.rows).map(|i| Some(i >= real.x.rows)).collect();
    let all: Vec<usize> = (0..both.rows).collect();
    let opts = SplitOptions {
        test_fraction: 0.3,
        seed,
    };
    let parts = stratified(&all, &is_synth, &opts)?;
    let labels = |rows: &[usize]| -> Vec<bool> { rows.iter().map(|&r| r >= real.x.rows).collect() };
    let detector = Logistic::fitted(&both.pick(&parts.train), &labels(&parts.train), 1.0)?;
    Ok(crate::metrics::roc_auc(
        &labels(&parts.test),
        &detector.probabilities(&both.pick(&parts.test))?,
    ))
}

/// Generated customers of the given `(count, churn)` classes: assembled into the table's
/// columns, their classes, and their model inputs (encoded exactly like real rows).
#[cfg(feature = "nn")]
pub async fn generate(
    table: &Table,
    schema: &Schema,
    pre: &crate::preprocess::Preprocessor,
    gan: &crate::models::nn::Gan,
    counts: &[(usize, bool)],
    seed: u64,
) -> Result<(Rows, Vec<bool>, Matrix), Error> {
    let mut decoded = Vec::new();
    let mut classes = Vec::new();
    for &(n, churn) in counts.iter().filter(|(n, _)| *n > 0) {
        let x = gan.generate(n, churn, seed ^ u64::from(churn)).await?;
        decoded.extend(pre.decode(&x));
        classes.extend(std::iter::repeat_n(churn, n));
    }
    let rows = assemble(table, schema, decoded, &classes);
    let mut alone = table.empty_like();
    let added: Vec<usize> = alone.append_rows(&rows.cells).collect();
    let x = pre.transform(&alone, &added)?;
    Ok((rows, classes, x))
}
