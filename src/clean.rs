//! Clean: the row-level steps that fit nothing and so may run before the split: category labels
//! made consistent, rows without a target dropped, exact duplicates dropped. Every step reports
//! what it changed.

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ingest::{MISSING, Table, Values};
use crate::schema::{Role, Schema};

/// One preset entry: `(column, from, to)`.
pub type PresetEntry = (&'static str, &'static str, &'static str);

/// Named label mappings for known tables.
pub const PRESETS: [(&str, &[PresetEntry]); 1] = [(
    "ecommerce-churn",
    &[
        ("PreferredLoginDevice", "Phone", "Mobile Phone"),
        ("PreferredPaymentMode", "CC", "Credit Card"),
        ("PreferredPaymentMode", "COD", "Cash on Delivery"),
        ("PreferedOrderCat", "Mobile", "Mobile Phone"),
    ],
)];

/// One synonym to merge: `from` becomes `to` in `column` (in every categorical feature when
/// `column` is absent). Labels match ignoring case and spacing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelMap {
    #[serde(default)]
    pub column: Option<String>,
    pub from: String,
    pub to: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct CleanOptions {
    /// Trim, collapse spaces and merge labels that differ only in case.
    pub normalize_labels: bool,
    pub label_map: Vec<LabelMap>,
    /// A named mapping from [`PRESETS`], applied before `label_map`.
    pub preset: Option<String>,
    pub dedupe: bool,
}

impl Default for CleanOptions {
    fn default() -> Self {
        CleanOptions {
            normalize_labels: true,
            label_map: Vec::new(),
            preset: None,
            dedupe: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabelChange {
    pub column: String,
    pub from: String,
    pub to: String,
    pub rows: usize,
    /// `spacing/case` or `mapping`.
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CleanReport {
    pub rows_in: usize,
    pub label_changes: Vec<LabelChange>,
    /// Mappings that matched no label.
    pub unused_mappings: Vec<String>,
    pub missing_target_dropped: usize,
    pub duplicates_removed: usize,
    /// The first few removed rows (1-based data rows) and the earlier row each repeats.
    pub duplicate_examples: Vec<(usize, usize)>,
    /// Columns compared to find duplicates (every column but the IDs).
    pub duplicate_columns: Vec<String>,
    pub rows_out: usize,
    /// Levels that look like one thing written two ways, to merge with one click.
    pub suggested_merges: Vec<crate::merges::MergeSuggestion>,
}

/// The rows that survive cleaning, in table order.
pub struct Cleaned {
    pub rows: Vec<usize>,
    pub report: CleanReport,
}

/// A label's identity for matching: trimmed, inner spaces collapsed, lower case.
pub(crate) fn label_key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrites a categorical column so that old level `i` reads `new_labels[i]`; equal labels merge.
fn relabel(codes: &mut [u32], levels: &mut Vec<String>, new_labels: Vec<String>) {
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut next: Vec<String> = Vec::new();
    let remap: Vec<u32> = new_labels
        .into_iter()
        .map(|l| {
            *index.entry(l.clone()).or_insert_with(|| {
                next.push(l);
                (next.len() - 1) as u32
            })
        })
        .collect();
    for c in codes.iter_mut().filter(|c| **c != MISSING) {
        *c = remap[*c as usize];
    }
    *levels = next;
}

fn counts(codes: &[u32], n_levels: usize) -> Vec<usize> {
    let mut n = vec![0usize; n_levels];
    for &c in codes.iter().filter(|&&c| c != MISSING) {
        n[c as usize] += 1;
    }
    n
}

fn normalize_column(
    name: &str,
    codes: &mut [u32],
    levels: &mut Vec<String>,
    out: &mut Vec<LabelChange>,
) {
    let n = counts(codes, levels.len());
    // The most frequent spelling of each key wins (ties: the first seen).
    let mut best: HashMap<String, usize> = HashMap::new();
    for (i, level) in levels.iter().enumerate() {
        let e = best.entry(label_key(level)).or_insert(i);
        if n[i] > n[*e] {
            *e = i;
        }
    }
    let new_labels: Vec<String> = levels
        .iter()
        .map(|l| tidy(&levels[best[&label_key(l)]]))
        .collect();
    for (i, (old, new)) in levels.iter().zip(&new_labels).enumerate() {
        if old != new && n[i] > 0 {
            out.push(LabelChange {
                column: name.to_string(),
                from: old.clone(),
                to: new.clone(),
                rows: n[i],
                why: "spacing/case".into(),
            });
        }
    }
    relabel(codes, levels, new_labels);
}

/// Applies one mapping to a column; returns whether it matched.
fn map_column(
    name: &str,
    codes: &mut [u32],
    levels: &mut Vec<String>,
    m: &LabelMap,
    out: &mut Vec<LabelChange>,
) -> bool {
    let from = label_key(&m.from);
    let to_key = label_key(&m.to);
    if from == to_key {
        return false;
    }
    let n = counts(codes, levels.len());
    // Merge into an existing spelling of `to`, else introduce `to` as written.
    let to = levels
        .iter()
        .find(|l| label_key(l) == to_key)
        .cloned()
        .unwrap_or_else(|| tidy(&m.to));
    let mut matched = false;
    let new_labels = levels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if label_key(l) == from {
                matched = true;
                out.push(LabelChange {
                    column: name.to_string(),
                    from: l.clone(),
                    to: to.clone(),
                    rows: n[i],
                    why: "mapping".into(),
                });
                to.clone()
            } else {
                l.clone()
            }
        })
        .collect();
    relabel(codes, levels, new_labels);
    matched
}

fn mappings(opts: &CleanOptions) -> Result<Vec<LabelMap>, Error> {
    let mut all = Vec::new();
    if let Some(name) = &opts.preset {
        let (_, entries) = PRESETS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
                Error::config(format!(
                    "no preset named '{name}' (presets: {})",
                    names.join(", ")
                ))
            })?;
        all.extend(entries.iter().map(|(c, f, t)| LabelMap {
            column: Some(c.to_string()),
            from: f.to_string(),
            to: t.to_string(),
        }));
    }
    all.extend(opts.label_map.iter().cloned());
    Ok(all)
}

/// Label tidying and mappings over the categorical columns for which `feature` holds: what
/// changed, and the mappings that matched nothing. With `strict`, a mapping that names a
/// missing or non-categorical column is an error (a scored table may lack such a column).
pub fn relabel_features(
    table: &mut Table,
    feature: &dyn Fn(usize) -> bool,
    opts: &CleanOptions,
    strict: bool,
) -> Result<(Vec<LabelChange>, Vec<String>), Error> {
    let maps = mappings(opts)?;
    for c in maps
        .iter()
        .filter_map(|m| m.column.as_ref())
        .filter(|_| strict)
    {
        let i = table.find(c).ok_or_else(|| {
            Error::config(format!(
                "label mapping: no column named '{c}' (columns: {})",
                table.names().join(", ")
            ))
        })?;
        if !matches!(table.columns[i].values, Values::Categorical { .. }) {
            return Err(Error::config(format!(
                "label mapping: column '{c}' is not categorical"
            )));
        }
    }
    let mut label_changes = Vec::new();
    let mut used = vec![false; maps.len()];
    for (i, col) in table.columns.iter_mut().enumerate() {
        if !feature(i) || !matches!(col.values, Values::Categorical { .. }) {
            continue;
        }
        // A copy of this column for the cleaned table (the table as read keeps its own).
        let col = Arc::make_mut(col);
        let Values::Categorical { codes, levels } = &mut col.values else {
            continue;
        };
        if opts.normalize_labels {
            normalize_column(&col.name, codes, levels, &mut label_changes);
        }
        for (k, m) in maps.iter().enumerate() {
            let applies = m
                .column
                .as_ref()
                .is_none_or(|c| c.trim().eq_ignore_ascii_case(col.name.trim()));
            if applies && map_column(&col.name, codes, levels, m, &mut label_changes) {
                used[k] = true;
            }
        }
    }
    let unused = maps
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(m, _)| match &m.column {
            Some(c) => format!("{c}: '{}' → '{}'", m.from, m.to),
            None => format!("'{}' → '{}'", m.from, m.to),
        })
        .collect();
    Ok((label_changes, unused))
}

pub fn clean(table: &mut Table, schema: &Schema, opts: &CleanOptions) -> Result<Cleaned, Error> {
    let feature = |i: usize| schema.columns[i].role == Role::Feature;
    let (label_changes, unused_mappings) = relabel_features(table, &feature, opts, true)?;
    let with_target: Vec<usize> = (0..table.n_rows)
        .filter(|&r| schema.labels[r].is_some())
        .collect();
    let missing_target_dropped = table.n_rows - with_target.len();
    let compared: Vec<usize> = (0..table.columns.len())
        .filter(|&i| schema.columns[i].role != Role::Id)
        .collect();
    let (rows, duplicate_examples, duplicates_removed) = if opts.dedupe {
        dedupe(table, &compared, &with_target)
    } else {
        (with_target, Vec::new(), 0)
    };
    Ok(Cleaned {
        report: CleanReport {
            rows_in: table.n_rows,
            label_changes,
            unused_mappings,
            missing_target_dropped,
            duplicates_removed,
            duplicate_examples,
            duplicate_columns: compared
                .iter()
                .map(|&i| table.columns[i].name.clone())
                .collect(),
            rows_out: rows.len(),
            suggested_merges: crate::merges::suggest(table, schema, &rows),
        },
        rows,
    })
}

fn cell_bits(table: &Table, col: usize, row: usize) -> u64 {
    match &table.columns[col].values {
        Values::Numeric(v) if v[row].is_nan() => u64::MAX,
        // +0.0 and -0.0 are the same value.
        Values::Numeric(v) => (v[row] + 0.0).to_bits(),
        Values::Categorical { codes, .. } => u64::from(codes[row]) | 1 << 63,
    }
}

/// Keeps the first of each group of rows equal in `columns`; returns kept rows, examples, count.
fn dedupe(
    table: &Table,
    columns: &[usize],
    rows: &[usize],
) -> (Vec<usize>, Vec<(usize, usize)>, usize) {
    let hash = |row: usize| {
        columns.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &c| {
            (h ^ cell_bits(table, c, row))
                .wrapping_mul(0x0000_0100_0000_01B3)
                .rotate_left(17)
        })
    };
    let same = |a: usize, b: usize| {
        columns
            .iter()
            .all(|&c| cell_bits(table, c, a) == cell_bits(table, c, b))
    };
    // First row of each hash, and for the rare hash shared by unequal rows, a chain of them.
    let mut first: FxHashMap<u64, usize> = FxHashMap::default();
    first.reserve(rows.len());
    let mut chain: FxHashMap<usize, usize> = FxHashMap::default();
    let mut kept = Vec::with_capacity(rows.len());
    let mut examples = Vec::new();
    let mut removed = 0;
    for &row in rows {
        let mut candidate = first.get(&hash(row)).copied();
        while let Some(c) = candidate {
            if same(c, row) {
                break;
            }
            candidate = chain.get(&c).copied();
        }
        match candidate {
            Some(earlier) => {
                removed += 1;
                if examples.len() < 5 {
                    examples.push((row + 1, earlier + 1));
                }
            }
            None => {
                if let Some(head) = first.insert(hash(row), row) {
                    chain.insert(row, head);
                }
                kept.push(row);
            }
        }
    }
    (kept, examples, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};
    use crate::schema::{SchemaOptions, infer};

    fn run(text: &str, opts: &CleanOptions) -> (Table, Cleaned) {
        let (mut t, _) = load(text.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        let s = infer(&mut t, &SchemaOptions::default()).unwrap();
        let c = clean(&mut t, &s, opts).unwrap();
        (t, c)
    }

    fn texts(t: &Table, col: usize) -> Vec<String> {
        (0..t.n_rows)
            .map(|r| t.columns[col].text(r).unwrap_or_default().into_owned())
            .collect()
    }

    #[test]
    fn labels_are_tidied_and_case_variants_merge_into_the_common_spelling() {
        let (t, c) = run(
            "dev,Churn\nMobile Phone,1\nmobile  phone,0\n Mobile Phone ,1\nMobile Phone,0\nPC,1\n",
            &CleanOptions::default(),
        );
        assert_eq!(
            texts(&t, 0),
            [
                "Mobile Phone",
                "Mobile Phone",
                "Mobile Phone",
                "Mobile Phone",
                "PC"
            ]
        );
        let changed: Vec<(String, usize)> = c
            .report
            .label_changes
            .iter()
            .map(|l| (l.from.clone(), l.rows))
            .collect();
        assert_eq!(
            changed,
            [
                ("mobile  phone".to_string(), 1),
                (" Mobile Phone ".to_string(), 1)
            ]
        );
    }

    #[test]
    fn mappings_merge_synonyms_and_report_unused_ones() {
        let opts = CleanOptions {
            label_map: vec![
                LabelMap {
                    column: Some("pay".into()),
                    from: "cc".into(),
                    to: "Credit Card".into(),
                },
                LabelMap {
                    column: None,
                    from: "COD".into(),
                    to: "Cash on Delivery".into(),
                },
                LabelMap {
                    column: None,
                    from: "zzz".into(),
                    to: "y".into(),
                },
            ],
            ..Default::default()
        };
        let (t, c) = run("pay,Churn\nCC,1\nCredit Card,0\nCOD,1\nUPI,0\n", &opts);
        assert_eq!(
            texts(&t, 0),
            ["Credit Card", "Credit Card", "Cash on Delivery", "UPI"]
        );
        assert_eq!(c.report.unused_mappings, ["'zzz' → 'y'"]);
        assert_eq!(c.report.label_changes.len(), 2);
        let bad = CleanOptions {
            preset: Some("nope".into()),
            ..Default::default()
        };
        let (mut t, _) = load(b"a,Churn\nx,1\ny,0\n", "t.csv", &IngestOptions::default()).unwrap();
        let s = infer(&mut t, &SchemaOptions::default()).unwrap();
        let e = clean(&mut t, &s, &bad).err().unwrap().to_string();
        assert!(e.contains("no preset named 'nope'"), "{e}");
    }

    #[test]
    fn duplicates_ignore_ids_but_not_the_target_and_missing_targets_drop() {
        let text = "CustomerID,a,b,Churn\n1,1,x,1\n2,1,x,1\n3,1,x,0\n4,,x,1\n5,,x,1\n6,2,y,\n7,-0,y,0\n8,0,y,0\n";
        let (_, c) = run(text, &CleanOptions::default());
        assert_eq!(c.report.missing_target_dropped, 1);
        assert_eq!(c.report.duplicates_removed, 3);
        assert_eq!(c.report.duplicate_examples, [(2, 1), (5, 4), (8, 7)]);
        assert_eq!(c.rows, [0, 2, 3, 6]);
        assert_eq!(c.report.duplicate_columns, ["a", "b", "Churn"]);
        let (_, c) = run(
            text,
            &CleanOptions {
                dedupe: false,
                ..Default::default()
            },
        );
        assert_eq!(c.rows.len(), 7);
    }
}
