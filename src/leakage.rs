//! Too good to be true: before training, a feature that alone separates the target almost
//! perfectly on the training rows (a column computed from the outcome, a status written after
//! the customer left) is flagged by name and left out unless the user keeps it; after training,
//! test scores no honest churn model reaches get a warning with the likely causes.

use serde::Serialize;

use crate::ingest::{MISSING, Table, Values};
use crate::metrics::roc_auc;
use crate::schema::{Role, Schema};

/// A feature that alone predicts the target too well.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeakFlag {
    pub column: String,
    /// ROC-AUC of the column alone on the training rows (the larger of AUC and 1 − AUC).
    pub auc: f64,
    /// How the column was scored: its values (numbers; an empty cell below every number), or
    /// its levels' churn rates measured on the other half of the training rows.
    pub how: String,
    /// Kept as a feature because the user asked for it.
    pub kept: bool,
}

/// Out-of-fold churn rate of each row's level: rates from the other half of `rows` (by
/// position), smoothed towards the overall rate with one pseudo-row.
fn level_scores(codes: &[u32], levels: usize, rows: &[usize], y: &[bool]) -> Vec<f64> {
    let prior = y.iter().filter(|&&b| b).count() as f64 / y.len().max(1) as f64;
    let mut counts = vec![[(0usize, 0usize); 2]; levels + 1];
    let slot = |c: u32| if c == MISSING { levels } else { c as usize };
    for (k, (&r, &t)) in rows.iter().zip(y).enumerate() {
        let e = &mut counts[slot(codes[r])][k % 2];
        e.0 += 1;
        e.1 += usize::from(t);
    }
    rows.iter()
        .enumerate()
        .map(|(k, &r)| {
            let (n, pos) = counts[slot(codes[r])][1 - k % 2];
            (pos as f64 + prior) / (n as f64 + 1.0)
        })
        .collect()
}

/// Training rows the screen reads at most (every k-th beyond): an AUC's standard error there is
/// below 0.002, and a 1,000,000-row table is screened in a fraction of its load.
const MAX_SCREENED: usize = 100_000;

/// The single-feature AUC of every feature column on the training rows `train` (at most
/// [`MAX_SCREENED`] of them, evenly spaced), and the flags of those at or above `threshold`;
/// `keep` names columns the user keeps anyway (matched ignoring case).
pub fn screen(
    table: &Table,
    schema: &Schema,
    train: &[usize],
    threshold: f64,
    keep: &[String],
) -> Vec<LeakFlag> {
    let step = train.len().div_ceil(MAX_SCREENED).max(1);
    let train: Vec<usize> = train.iter().step_by(step).copied().collect();
    let train = train.as_slice();
    let y = schema.churned(train);
    let mut flags = Vec::new();
    for c in schema.features() {
        let col = &table.columns[c];
        let (scores, how) = match &col.values {
            Values::Numeric(v) => (
                train
                    .iter()
                    .map(|&r| {
                        if v[r].is_nan() {
                            f64::NEG_INFINITY
                        } else {
                            v[r]
                        }
                    })
                    .collect(),
                "its values alone",
            ),
            Values::Categorical { codes, levels } => (
                level_scores(codes, levels.len(), train, &y),
                "its levels' out-of-fold churn rates",
            ),
        };
        let Some(auc) = roc_auc(&y, &scores) else {
            continue;
        };
        let auc = auc.max(1.0 - auc);
        if auc >= threshold {
            flags.push(LeakFlag {
                column: col.name.clone(),
                auc,
                how: how.to_string(),
                kept: keep.iter().any(|k| k.eq_ignore_ascii_case(&col.name)),
            });
        }
    }
    flags
}

/// `schema` with the flagged columns that are not kept no longer features.
pub fn without_leaks(schema: &Schema, flags: &[LeakFlag]) -> Schema {
    let mut s = schema.clone();
    for c in s.columns.iter_mut() {
        if flags.iter().any(|f| !f.kept && f.column == c.name) {
            c.role = Role::Ignored;
            c.reason = "left out: it alone predicts the target almost perfectly (a leak?)".into();
        }
    }
    s
}

/// Test accuracy at or above this looks too good for churn data.
pub const TOO_GOOD_ACCURACY: f64 = 0.99;
/// …and so does a test ROC-AUC at or above this.
pub const TOO_GOOD_AUC: f64 = 0.995;

/// What a run tells about itself when its scores are too good to be true.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TooGood {
    pub message: String,
    pub causes: Vec<String>,
}

/// What the run did that can inflate test scores, for [`too_good`].
pub struct RunFacts<'a> {
    pub deduplicated: bool,
    pub duplicates_removed: usize,
    pub flags: &'a [LeakFlag],
    /// The leaky protocol it ran under, if any (the leakage lesson).
    pub protocol: Option<&'a str>,
}

/// A warning when any model's mean test accuracy or ROC-AUC is too good, `(label, accuracy,
/// auc)` per model, with the likely causes (those the run shows first).
pub fn too_good(models: &[(String, f64, f64)], facts: &RunFacts) -> Option<TooGood> {
    let suspicious: Vec<String> = models
        .iter()
        .filter(|(_, acc, auc)| *acc >= TOO_GOOD_ACCURACY || *auc >= TOO_GOOD_AUC)
        .map(|(label, acc, auc)| format!("{label} ({:.1} %, AUC {auc:.3})", acc * 100.0))
        .collect();
    if suspicious.is_empty() {
        return None;
    }
    let mut causes = Vec::new();
    if let Some(p) = facts.protocol {
        causes.push(format!("this run used a leaky protocol on purpose: {p}"));
    }
    if !facts.deduplicated {
        causes.push(
            "duplicates are kept: a repeated customer can be in the training and the test rows"
                .into(),
        );
    }
    for f in facts.flags.iter().filter(|f| f.kept) {
        causes.push(format!(
            "'{}' is kept although it alone predicts the target (AUC {:.3}): a leaked column?",
            f.column, f.auc
        ));
    }
    causes.push("a column computed from the outcome (a cancellation date, a status, a churn score) still among the features".into());
    causes.push(
        "rows oversampled or generated before the split, so that copies reach the test rows".into(),
    );
    if facts.deduplicated && facts.duplicates_removed == 0 {
        causes.push("near-duplicate customers (the same person under two IDs)".into());
    }
    Some(TooGood {
        message: format!(
            "Too good to be true? Test scores this high are rare on churn data: {}.",
            suspicious.join(", ")
        ),
        causes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};
    use crate::schema::{SchemaOptions, infer};

    #[test]
    fn a_column_derived_from_the_target_is_flagged_and_an_id_like_one_is_not() {
        let mut csv = String::from("id,score,status,code,churn\n");
        for i in 0..200 {
            let churn = i % 3 == 0;
            // `status` is the outcome in other words; `code` is unique per row; `score` is noisy.
            csv += &format!(
                "{i},{},{},C{i},{}\n",
                (i * 7919) % 100,
                if churn { "closed" } else { "open" },
                if churn { "Yes" } else { "No" }
            );
        }
        let (mut t, _) = load(csv.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        let opts = SchemaOptions {
            target: Some("churn".into()),
            categorical: vec!["code".into()],
            features: vec!["code".into()],
            ..SchemaOptions::default()
        };
        let s = infer(&mut t, &opts).unwrap();
        let train: Vec<usize> = (0..140).collect();
        let flags = screen(&t, &s, &train, 0.99, &[]);
        let names: Vec<&str> = flags.iter().map(|f| f.column.as_str()).collect();
        assert_eq!(names, ["status"], "{flags:?}");
        assert!(flags[0].auc > 0.999 && !flags[0].kept);
        let kept = screen(&t, &s, &train, 0.99, &["STATUS".into()]);
        assert!(kept[0].kept);
        let without = without_leaks(&s, &flags);
        let status = without.columns.iter().find(|c| c.name == "status").unwrap();
        assert_eq!(status.role, Role::Ignored);
        assert_eq!(without_leaks(&s, &kept).features(), s.features());
    }

    #[test]
    fn too_good_scores_get_causes_and_honest_ones_nothing() {
        let facts = RunFacts {
            deduplicated: false,
            duplicates_removed: 0,
            flags: &[],
            protocol: None,
        };
        assert!(too_good(&[("RF".into(), 0.95, 0.98)], &facts).is_none());
        let w = too_good(&[("RF".into(), 0.995, 0.999)], &facts).unwrap();
        assert!(w.message.contains("RF (99.5 %"), "{}", w.message);
        assert!(w.causes[0].starts_with("duplicates are kept"));
        assert!(too_good(&[("LR".into(), 0.9, 0.996)], &facts).is_some());
    }
}
