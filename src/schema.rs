//! Schema inference: each column's kind (numeric or categorical) and role (target, ID, feature,
//! ignored), and the binary target with its positive class. Every guess says why, and each can be
//! overridden through [`SchemaOptions`].

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::ingest::{Column, MISSING, Table, Values};

/// Target column names tried in this order (case-insensitive), before any name containing "churn".
const TARGET_NAMES: [&str; 7] = [
    "churn",
    "exited",
    "attrition",
    "revenue",
    "target",
    "label",
    "y",
];
/// Labels read as the positive class (churned) and as the negative one. Two numbers need no
/// list: the larger is positive (so 1 in 0/1).
const POSITIVE_WORDS: [&str; 13] = [
    "yes",
    "y",
    "true",
    "t",
    "churn",
    "churned",
    "exited",
    "attrited",
    "attrited customer",
    "left",
    "lost",
    "positive",
    "pos",
];
const NEGATIVE_WORDS: [&str; 12] = [
    "no",
    "n",
    "false",
    "f",
    "stayed",
    "retained",
    "existing customer",
    "active",
    "negative",
    "neg",
    "no churn",
    "not churned",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Numeric,
    Categorical,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Target,
    Id,
    Feature,
    Ignored,
}

/// Overrides for what inference would decide. Column names match ignoring case.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct SchemaOptions {
    pub target: Option<String>,
    /// The label (or number) of the positive (churn) class.
    pub positive: Option<String>,
    pub categorical: Vec<String>,
    pub numeric: Vec<String>,
    pub ignore: Vec<String>,
    pub ids: Vec<String>,
    /// Columns kept as features even where they look like IDs or are ignored otherwise.
    pub features: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: Kind,
    pub role: Role,
    /// Why the column has this role and kind (empty for plain features).
    pub reason: String,
    pub missing: usize,
    pub unique: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetInfo {
    pub column: String,
    pub positive: String,
    pub negative: String,
    pub positives: usize,
    pub negatives: usize,
    /// Rows whose target is missing (they are dropped before training).
    pub missing: usize,
    /// How the column was chosen and how the positive class was decided.
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Schema {
    pub columns: Vec<ColumnInfo>,
    pub target: TargetInfo,
    /// Index of the target column in the table.
    #[serde(skip)]
    pub target_index: usize,
    /// Per row: `Some(true)` for the positive class, `None` when the target is missing.
    #[serde(skip)]
    pub labels: Vec<Option<bool>>,
    /// Kind conversions asked for, and their effects.
    pub notes: Vec<String>,
}

impl Schema {
    /// Indices of the feature columns, in table order.
    pub fn features(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.role == Role::Feature)
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether each of `rows` is in the positive (churn) class; a missing target counts as not.
    pub fn churned(&self, rows: &[usize]) -> Vec<bool> {
        rows.iter().map(|&r| self.labels[r] == Some(true)).collect()
    }

    pub fn ids(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.role == Role::Id)
            .map(|(i, _)| i)
            .collect()
    }
}

fn matches_any(name: &str, list: &[String]) -> bool {
    list.iter()
        .any(|n| n.trim().eq_ignore_ascii_case(name.trim()))
}

fn check_names(table: &Table, opts: &SchemaOptions) -> Result<(), Error> {
    let lists = [
        ("categorical", &opts.categorical),
        ("numeric", &opts.numeric),
        ("ignore", &opts.ignore),
        ("ids", &opts.ids),
        ("features", &opts.features),
    ];
    for (what, list) in lists {
        for n in list {
            if table.find(n).is_none() {
                return Err(Error::config(format!(
                    "{what}: no column named '{n}' (columns: {})",
                    table.names().join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Looks like an ID by its name: `CustomerID`, `customer_id`, `userId`, `id`, `RowNumber`, `index`.
fn id_like_name(name: &str) -> bool {
    let t = name.trim();
    let lower = t.to_lowercase();
    let camel_id = ["ID", "Id"].iter().any(|id| {
        t.strip_suffix(id)
            .and_then(|head| head.chars().last())
            .is_some_and(char::is_lowercase)
    });
    lower == "id"
        || t.ends_with("ID")
        || camel_id
        || ["_id", " id", "-id", ".id"]
            .iter()
            .any(|s| lower.ends_with(s))
        || [
            "index",
            "rownumber",
            "row_number",
            "row number",
            "unnamed: 0",
        ]
        .contains(&lower.as_str())
}

fn unique_count(values: &Values) -> usize {
    match values {
        Values::Numeric(v) => v
            .iter()
            .filter(|x| !x.is_nan())
            .map(|x| x.to_bits())
            .collect::<FxHashSet<_>>()
            .len(),
        Values::Categorical { codes, .. } => codes
            .iter()
            .filter(|&&c| c != MISSING)
            .collect::<FxHashSet<_>>()
            .len(),
    }
}

/// Infers the schema. Kind overrides are applied to `table` itself.
pub fn infer(table: &mut Table, opts: &SchemaOptions) -> Result<Schema, Error> {
    check_names(table, opts)?;
    let mut notes = Vec::new();
    for col in &mut table.columns {
        if matches_any(&col.name, &opts.categorical) && matches!(col.values, Values::Numeric(_)) {
            Arc::make_mut(col).make_categorical();
            notes.push(format!("'{}' read as categorical, as asked", col.name));
        }
        if matches_any(&col.name, &opts.numeric) && matches!(col.values, Values::Categorical { .. })
        {
            let (lost, examples) = Arc::make_mut(col).make_numeric();
            let mut note = format!("'{}' read as numeric, as asked", col.name);
            if lost > 0 {
                note += &format!(
                    ": {lost} cells were not numbers and are now missing (e.g. {})",
                    examples.join(", ")
                );
            }
            notes.push(note);
        }
    }
    let target_index = find_target(table, opts)?;
    let (labels, target) = read_target(table, target_index, opts)?;
    let n = table.n_rows;
    let columns = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let kind = match col.values {
                Values::Numeric(_) => Kind::Numeric,
                Values::Categorical { .. } => Kind::Categorical,
            };
            let missing = col.missing_count();
            let unique = unique_count(&col.values);
            let integer_valued = match &col.values {
                Values::Numeric(v) => v.iter().all(|x| x.is_nan() || x.fract() == 0.0),
                Values::Categorical { .. } => true,
            };
            let (role, reason) = if i == target_index {
                (Role::Target, target.reason.clone())
            } else if matches_any(&col.name, &opts.ids) {
                (Role::Id, "an ID, as asked".to_string())
            } else if matches_any(&col.name, &opts.ignore) {
                (Role::Ignored, "ignored, as asked".to_string())
            } else if matches_any(&col.name, &opts.features) {
                (Role::Feature, "a feature, as asked".to_string())
            } else if missing == n {
                (Role::Ignored, "every value is missing".to_string())
            } else if unique == 1 {
                (Role::Ignored, "the same value in every row".to_string())
            } else if unique == n && integer_valued && id_like_name(&col.name) {
                (
                    Role::Id,
                    "named like an ID and unique in every row".to_string(),
                )
            } else if unique == n && kind == Kind::Categorical && n >= 20 {
                (
                    Role::Ignored,
                    "a different text in every row (a name or key?)".to_string(),
                )
            } else {
                (Role::Feature, String::new())
            };
            ColumnInfo {
                name: col.name.clone(),
                kind,
                role,
                reason,
                missing,
                unique,
            }
        })
        .collect();
    Ok(Schema {
        columns,
        target,
        target_index,
        labels,
        notes,
    })
}

fn find_target(table: &Table, opts: &SchemaOptions) -> Result<usize, Error> {
    if let Some(name) = &opts.target {
        return table.find(name).ok_or_else(|| {
            Error::config(format!(
                "no column named '{name}' for the target (columns: {})",
                table.names().join(", ")
            ))
        });
    }
    TARGET_NAMES
        .iter()
        .find_map(|t| table.columns.iter().position(|c| c.name.trim().eq_ignore_ascii_case(t)))
        .or_else(|| {
            table
                .columns
                .iter()
                .position(|c| c.name.to_lowercase().contains("churn"))
        })
        .ok_or_else(|| {
            Error::input(format!(
                "no target column found (looked for {} or a name containing 'churn'): {} (columns: {})",
                TARGET_NAMES.join(", "),
                crate::advice::say("name it with --target", "type its name in Target column below"),
                table.names().join(", ")
            ))
        })
}

/// One class of the target: its display label and rows.
struct Class {
    label: String,
    key: String,
    number: Option<f64>,
    count: usize,
}

fn read_target(
    table: &Table,
    index: usize,
    opts: &SchemaOptions,
) -> Result<(Vec<Option<bool>>, TargetInfo), Error> {
    let col = &table.columns[index];
    let (classes, row_class) = target_classes(col, table.n_rows);
    let name = &col.name;
    two_classes(name, &classes)?;
    let how = if opts.target.is_some() {
        format!("'{name}' is the target, as asked")
    } else {
        format!("'{name}' is the target by its name")
    };
    let (positive, why) = pick_positive(&classes, opts.positive.as_deref(), name)?;
    let negative = 1 - positive;
    let labels = row_class.iter().map(|c| c.map(|c| c == positive)).collect();
    let info = TargetInfo {
        column: name.clone(),
        positive: classes[positive].label.clone(),
        negative: classes[negative].label.clone(),
        positives: classes[positive].count,
        negatives: classes[negative].count,
        missing: row_class.iter().filter(|c| c.is_none()).count(),
        reason: format!("{how}; positive class '{}' {why}", classes[positive].label),
    };
    Ok((labels, info))
}

/// The target's classes (numbers equal as numbers, levels equal ignoring case and spacing;
/// each shown in its most common spelling) and each row's class (none where missing).
fn target_classes(col: &Column, n_rows: usize) -> (Vec<Class>, Vec<Option<usize>>) {
    let mut classes: Vec<Class> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    // Each distinct cell (number or level) is read once: (class, label as written, rows).
    let mut cells: Vec<(usize, String, usize)> = Vec::new();
    let mut cell_of: FxHashMap<u64, usize> = FxHashMap::default();
    let mut row_class: Vec<Option<usize>> = Vec::with_capacity(n_rows);
    for row in 0..n_rows {
        let identity = match &col.values {
            Values::Numeric(v) => (!v[row].is_nan()).then(|| v[row].to_bits()),
            Values::Categorical { codes, .. } => {
                (codes[row] != MISSING).then(|| u64::from(codes[row]))
            }
        };
        let Some(identity) = identity else {
            row_class.push(None);
            continue;
        };
        let cell = *cell_of.entry(identity).or_insert_with(|| {
            let text = col.text(row).unwrap_or_default();
            let label = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let number = match &col.values {
                Values::Numeric(v) => Some(v[row]),
                Values::Categorical { .. } => crate::ingest::parse_number(&label),
            };
            let key = match number {
                Some(x) => x.to_string(),
                None => label.to_lowercase(),
            };
            let next = classes.len();
            let class = *by_key.entry(key.clone()).or_insert(next);
            if class == next {
                classes.push(Class {
                    label: label.clone(),
                    key,
                    number,
                    count: 0,
                });
            }
            cells.push((class, label, 0));
            cells.len() - 1
        });
        cells[cell].2 += 1;
        row_class.push(Some(cells[cell].0));
    }
    let mut spellings: Vec<HashMap<String, usize>> = vec![HashMap::new(); classes.len()];
    for (class, label, rows) in cells {
        classes[class].count += rows;
        *spellings[class].entry(label).or_default() += rows;
    }
    // Show each class in its most common spelling.
    for (class, spell) in classes.iter_mut().zip(&spellings) {
        if let Some((s, _)) = spell.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
            class.label = s.clone();
        }
    }
    (classes, row_class)
}

/// An error unless the target column `name` has exactly two classes.
fn two_classes(name: &str, classes: &[Class]) -> Result<(), Error> {
    let listing = |classes: &[Class]| {
        let mut sorted: Vec<&Class> = classes.iter().collect();
        sorted.sort_by_key(|c| std::cmp::Reverse(c.count));
        let shown: Vec<String> = sorted
            .iter()
            .take(6)
            .map(|c| format!("'{}': {}", c.label, c.count))
            .collect();
        let more = if sorted.len() > 6 { ", …" } else { "" };
        format!("{}{more}", shown.join(", "))
    };
    match classes.len() {
        0 => Err(Error::input(format!("target '{name}' has no values"))),
        1 => Err(Error::input(format!(
            "target '{name}' has only one class ({}): a churn model needs two",
            listing(classes)
        ))),
        2 => Ok(()),
        k => Err(Error::input(format!(
            "target '{name}' has {k} classes ({}), not two: {}",
            listing(classes),
            crate::advice::say(
                "choose a binary column with --target",
                "type a two-class column's name in Target column below"
            )
        ))),
    }
}

fn pick_positive(
    classes: &[Class],
    asked: Option<&str>,
    name: &str,
) -> Result<(usize, String), Error> {
    if let Some(asked) = asked {
        let key = match crate::ingest::parse_number(asked.trim()) {
            Some(x) => x.to_string(),
            None => asked.trim().to_lowercase(),
        };
        let found = classes.iter().position(|c| c.key == key).ok_or_else(|| {
            Error::config(format!(
                "positive class '{asked}' is not a value of '{name}' (its values: '{}', '{}')",
                classes[0].label, classes[1].label
            ))
        })?;
        return Ok((found, "as asked".into()));
    }
    let is_in = |c: &Class, words: &[&str]| words.contains(&c.key.as_str());
    for i in 0..2 {
        if is_in(&classes[i], &POSITIVE_WORDS) && !is_in(&classes[1 - i], &POSITIVE_WORDS) {
            return Ok((i, "by its label".into()));
        }
    }
    for i in 0..2 {
        if is_in(&classes[i], &NEGATIVE_WORDS) && !is_in(&classes[1 - i], &NEGATIVE_WORDS) {
            return Ok((1 - i, "as the label that is not a 'no'".into()));
        }
    }
    if let (Some(a), Some(b)) = (classes[0].number, classes[1].number) {
        return Ok((usize::from(b > a), "as the larger number".into()));
    }
    let minority = if classes[0].count == classes[1].count {
        usize::from(classes[1].label > classes[0].label)
    } else {
        usize::from(classes[1].count < classes[0].count)
    };
    Ok((
        minority,
        crate::advice::say(
            "as the rarer class (override with --positive)",
            "as the rarer class",
        )
        .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};

    fn schema(text: &str, opts: &SchemaOptions) -> Result<Schema, Error> {
        let (mut t, _) = load(text.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        infer(&mut t, opts)
    }

    fn table_with(target: &str, values: &[&str]) -> String {
        let mut s = format!("CustomerID,x,{target}\n");
        for (i, v) in values.iter().enumerate() {
            s += &format!("{},{},{v}\n", 100 + i, i % 3);
        }
        s
    }

    #[test]
    fn finds_target_by_name_and_positive_class_by_label() {
        let cases: [(&str, &[&str], &str); 6] = [
            ("Churn", &["0", "1", "0"], "1"),
            ("exited", &["No", "Yes", "no "], "Yes"),
            ("Attrition", &["False", "TRUE", " true"], "TRUE"),
            ("label", &["stayed", "stayed", "gone"], "gone"),
            ("y", &["1", "2", "2"], "2"),
            (
                "Target",
                &[
                    "Existing Customer",
                    "Attrited Customer",
                    "Existing Customer",
                ],
                "Attrited Customer",
            ),
        ];
        for (name, values, positive) in cases {
            let s = schema(&table_with(name, values), &SchemaOptions::default()).unwrap();
            assert_eq!(s.target.column, name);
            assert_eq!(s.target.positive, positive, "{name}: {}", s.target.reason);
            assert_eq!(s.columns[2].role, Role::Target);
        }
    }

    #[test]
    fn positive_class_can_be_overridden_and_must_exist() {
        let text = table_with("Churn", &["Yes", "No", "No"]);
        let opts = SchemaOptions {
            positive: Some("no".into()),
            ..Default::default()
        };
        let s = schema(&text, &opts).unwrap();
        assert_eq!((s.target.positive.as_str(), s.target.positives), ("No", 2));
        assert_eq!(s.labels, [Some(false), Some(true), Some(true)]);
        let opts = SchemaOptions {
            positive: Some("maybe".into()),
            ..Default::default()
        };
        let e = schema(&text, &opts).unwrap_err().to_string();
        assert!(e.contains("'maybe' is not a value of 'Churn'"), "{e}");
    }

    #[test]
    fn one_or_three_classes_or_no_target_are_clear_errors() {
        let e = schema(
            &table_with("Churn", &["1", "1", ""]),
            &SchemaOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("only one class ('1': 2)"), "{e}");
        let e = schema(
            &table_with("Churn", &["a", "b", "c"]),
            &SchemaOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("3 classes"), "{e}");
        let e = schema("a,b\n1,2\n", &SchemaOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("no target column found"), "{e}");
        let opts = SchemaOptions {
            target: Some("nope".into()),
            ..Default::default()
        };
        let e = schema("a,b\n1,2\n", &opts).unwrap_err().to_string();
        assert!(e.contains("no column named 'nope'"), "{e}");
    }

    #[test]
    fn ids_constants_and_keys_are_not_features() {
        let mut text = String::from("CustomerID,userId,Paid,Name,const,empty,Churn\n");
        for i in 0..30 {
            text += &format!("{},{},{},person{i},k,,{}\n", 1000 + i, 5 + i, i, i % 2);
        }
        let s = schema(&text, &SchemaOptions::default()).unwrap();
        let roles: Vec<Role> = s.columns.iter().map(|c| c.role).collect();
        assert_eq!(
            roles,
            [
                Role::Id,
                Role::Id,
                Role::Feature,
                Role::Ignored,
                Role::Ignored,
                Role::Ignored,
                Role::Target
            ]
        );
        assert_eq!(s.features(), [2]);
        assert!(id_like_name("customer_id") && !id_like_name("Android") && !id_like_name("Valid"));
        // Byte-index slicing once panicked on names ending in a multi-byte character (fuzzing).
        assert!(!id_like_name("\u{ffff}d") && !id_like_name("é") && id_like_name("éId"));
    }

    #[test]
    fn kinds_and_roles_can_be_overridden() {
        let text = "CustomerID,tier,code,Churn\n1,1,7,0\n2,2,x,1\n3,3,9,0\n";
        let opts = SchemaOptions {
            categorical: vec!["TIER".into()],
            numeric: vec!["code".into()],
            features: vec!["customerid".into()],
            ..Default::default()
        };
        let s = schema(text, &opts).unwrap();
        assert_eq!(s.columns[0].role, Role::Feature);
        assert_eq!(s.columns[1].kind, Kind::Categorical);
        assert_eq!(s.columns[2].kind, Kind::Numeric);
        assert_eq!(s.columns[2].missing, 1);
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("1 cells were not numbers"))
        );
        let bad = SchemaOptions {
            ignore: vec!["nothere".into()],
            ..Default::default()
        };
        assert!(
            schema(text, &bad)
                .unwrap_err()
                .to_string()
                .contains("ignore: no column named 'nothere'")
        );
    }
}
