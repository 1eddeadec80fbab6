//! A fitted pipeline: what one seed's training learned, held so that it can score any table
//! without fitting anything again — the session's own table, or next month's customers through
//! a model file. It starts from the table as read (never a cleaned copy), so a session and a
//! model file score the same file identically.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clean::{CleanOptions, label_key, relabel_features};
use crate::explain::{Contributions, Customer, Groups, Method, contributions_from, customers};
use crate::ingest::{MAX_STRAY_SHARE, Table, Values};
use crate::marketing::{Segment, segments};
use crate::matrix::Matrix;
use crate::models::{Classifier, ModelKind};
use crate::preprocess::Preprocessor;
use crate::schema::{Kind, Role, Schema};

/// One column as training saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    pub name: String,
    pub kind: Kind,
    pub role: Role,
}

/// The table a model expects: every column's kind and role, and the label cleaning it saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub columns: Vec<ColumnSpec>,
    pub target: String,
    pub positive: String,
    pub clean: CleanOptions,
}

impl TableSpec {
    pub fn of(schema: &Schema, clean: &CleanOptions) -> TableSpec {
        TableSpec {
            columns: schema
                .columns
                .iter()
                .map(|c| ColumnSpec {
                    name: c.name.clone(),
                    kind: c.kind,
                    role: c.role,
                })
                .collect(),
            target: schema.target.column.clone(),
            positive: schema.target.positive.clone(),
            clean: clean.clone(),
        }
    }

    fn features(&self) -> impl Iterator<Item = &ColumnSpec> {
        self.columns.iter().filter(|c| c.role == Role::Feature)
    }

    /// Each row's known outcome, where `table` (conformed) has the target column.
    pub fn labels(&self, table: &Table) -> Option<Vec<Option<bool>>> {
        let col = &table.columns[table.find(&self.target)?];
        let positive = label_key(&self.positive);
        Some(
            (0..table.n_rows)
                .map(|r| col.text(r).map(|t| label_key(&t) == positive))
                .collect(),
        )
    }

    /// The names of the feature columns.
    pub fn features_named(&self) -> Vec<String> {
        self.features().map(|c| c.name.clone()).collect()
    }

    /// `raw` in the form training saw: each known column converted to its kind and the
    /// features' labels tidied and mapped. An error names every feature column that is missing
    /// or holds text where training had numbers; the notes say what else differs.
    pub fn conform(&self, raw: &Table) -> Result<(Table, Vec<String>), Error> {
        let mut table = raw.clone();
        let (mut problems, mut notes) = (Vec::new(), Vec::new());
        // Per column of the table: whether the model knows it, and whether it is a feature.
        let (mut known, mut feature) = (
            vec![false; raw.columns.len()],
            vec![false; raw.columns.len()],
        );
        for spec in &self.columns {
            let is_feature = spec.role == Role::Feature;
            let Some(c) = table.find(&spec.name) else {
                if is_feature {
                    problems.push(format!("column '{}' is missing", spec.name));
                }
                continue;
            };
            (known[c], feature[c]) = (true, is_feature);
            let col = &mut table.columns[c];
            match (spec.kind, &col.values) {
                (Kind::Categorical, Values::Numeric(_)) => Arc::make_mut(col).make_categorical(),
                (Kind::Numeric, Values::Categorical { .. }) => {
                    let present = col.len() - col.missing_count();
                    let (lost, examples) = Arc::make_mut(col).make_numeric();
                    let examples = examples.join(", ");
                    let share = lost as f64 / present.max(1) as f64;
                    if is_feature && share > MAX_STRAY_SHARE {
                        problems.push(format!(
                            "column '{}' was numeric in training but holds text here (e.g. {examples})",
                            spec.name
                        ));
                    } else if is_feature && lost > 0 {
                        notes.push(format!(
                            "'{}': {lost} cells are not numbers, read as missing (e.g. {examples})",
                            spec.name
                        ));
                    }
                }
                _ => {}
            }
        }
        let unknown: Vec<&str> = raw
            .columns
            .iter()
            .zip(&known)
            .filter(|(_, k)| !**k)
            .map(|(c, _)| c.name.as_str())
            .collect();
        if !problems.is_empty() {
            let extra = if unknown.is_empty() {
                String::new()
            } else {
                format!(" (columns the model does not know: {})", unknown.join(", "))
            };
            return Err(Error::input(format!(
                "the table does not fit the model: {}{extra}",
                problems.join("; ")
            )));
        }
        if !unknown.is_empty() {
            notes.push(format!("not used by the model: {}", unknown.join(", ")));
        }
        relabel_features(&mut table, &|i| feature[i], &self.clean, false)?;
        Ok((table, notes))
    }
}

/// One fitted model of a pipeline.
pub struct FittedModel {
    pub kind: ModelKind,
    /// Trained on the training rows plus GAN-generated churners.
    pub augmented: bool,
    pub model: Box<dyn Classifier>,
}

/// What one seed's training learned: the table it expects, the preprocessing fitted on its
/// training rows, and every model fitted on them.
pub struct Pipeline {
    pub spec: TableSpec,
    pub preprocessor: Preprocessor,
    pub seed: u64,
    pub models: Vec<FittedModel>,
    /// Model inputs of a fixed sample of training rows: the reference customers explanations
    /// are measured against ([`crate::explain`]). Empty in model files older than format 2.
    pub background: Matrix,
}

/// Training rows kept as the explanations' background.
pub const BACKGROUND_ROWS: usize = 64;

/// A seeded sample of at most [`BACKGROUND_ROWS`] rows of `x`.
pub fn background(x: &Matrix, seed: u64) -> Matrix {
    let mut idx: Vec<usize> = (0..x.rows).collect();
    crate::rng::Rng::new(seed ^ 0xBAC6_0000).shuffle(&mut idx);
    idx.truncate(BACKGROUND_ROWS);
    x.pick(&idx)
}

/// What a score run adds beyond probabilities.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreOptions {
    /// Explain every score: reasons per customer, segments with actions.
    pub explain: bool,
    /// `reason_1..N` columns in the CSV (with `explain`).
    pub reasons: usize,
    /// Column orders per customer of the sampling estimator (models without exact Shapley
    /// values).
    pub samples: usize,
    /// The explained rows' contributions computed elsewhere (the page's pool of workers), one
    /// [`Pipeline::explain_part`] answer per part in order; empty: computed here.
    pub parts: Vec<Vec<u8>>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            explain: false,
            reasons: 3,
            samples: 16,
            parts: Vec::new(),
        }
    }
}

/// How the scores were explained, and what the explanations show overall.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExplanationSummary {
    pub method: Method,
    /// The mean score of the background rows, in `method.units`.
    pub base: f64,
    pub columns: Vec<String>,
    /// Per column, its mean |contribution| over the explained customers.
    pub mean_abs: Vec<f64>,
    /// Sampling: the median over customers of their largest 95 % half-width.
    pub median_half_width: Option<f64>,
    /// Customers explained.
    pub rows: usize,
    pub seconds: f64,
}

/// Every customer of a table scored by one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoredReport {
    pub model: ModelKind,
    pub rows: usize,
    /// Rows per risk segment: `high` (p ≥ 0.5), `medium` (0.2 ≤ p < 0.5), `low`.
    pub segments: [(String, usize); 3],
    /// What differs from the training table: columns it does not use, cells that are not
    /// numbers, levels training never saw (encoded as none of the training levels).
    pub notes: Vec<String>,
    /// Every row's churn probability, in table order.
    #[serde(skip)]
    pub probabilities: Vec<f64>,
    /// The input's columns plus `churn_probability` and `risk_segment` (formula-like text
    /// neutralised), and `reason_1..N` when explained.
    #[serde(skip)]
    pub csv: String,
    /// With explanations: how they were made.
    pub explanation: Option<ExplanationSummary>,
    /// With explanations: customers by risk and dominant reason, each with an action.
    pub action_segments: Vec<Segment>,
    /// With explanations: every customer's reasons, in table order.
    #[serde(skip)]
    pub customers: Vec<Customer>,
    /// The decision threshold's what-if, where the caller has labelled rows for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub whatif: Option<crate::marketing::WhatIf>,
}

impl Pipeline {
    /// The fitted model of `kind` (not the augmented variant).
    pub fn model(&self, kind: ModelKind) -> Result<&dyn Classifier, Error> {
        self.models
            .iter()
            .find(|m| m.kind == kind && !m.augmented)
            .map(|m| m.model.as_ref())
            .ok_or_else(|| {
                let have: Vec<&str> = self
                    .models
                    .iter()
                    .filter(|m| !m.augmented)
                    .map(|m| m.kind.label())
                    .collect();
                Error::config(format!(
                    "no trained {} here (trained: {}): train it first",
                    kind.label(),
                    have.join(", ")
                ))
            })
    }

    /// Every row of `raw` (the table as read) scored by the model of `kind`, explained if
    /// asked; nothing is fitted.
    pub async fn score(
        &self,
        raw: &Table,
        kind: ModelKind,
        opts: &ScoreOptions,
    ) -> Result<ScoredReport, Error> {
        let model = self.model(kind)?;
        let (table, mut notes) = self.spec.conform(raw)?;
        let all: Vec<usize> = (0..table.n_rows).collect();
        let encoded = self.preprocessor.encode(&table, &all)?;
        notes.extend(encoded.unseen.iter().map(|u| {
            format!(
                "'{}': {} rows with levels training never saw ({}), encoded as none of its levels",
                u.column,
                u.rows,
                u.levels.join(", ")
            )
        }));
        let p = model.predict_proba(&encoded.x).await?;
        let refused = opts.explain.then(|| model.unexplained()).flatten();
        let (explanation, customers) = if let Some(why) = refused {
            notes.push(format!(
                "no reasons for {}: {why}; choose another model for reasons",
                kind.label()
            ));
            (None, Vec::new())
        } else if opts.explain {
            let (summary, customers) = self.explain(model, &encoded.x, &table, &p, opts).await?;
            if customers.len() < p.len() {
                notes.push(format!(
                    "reasons for the {} customers at highest risk of {} (at most {MAX_EXPLAINED} are explained)",
                    customers.len(),
                    p.len()
                ));
            }
            (Some(summary), customers)
        } else {
            (None, Vec::new())
        };
        let reasons = if opts.explain { opts.reasons } else { 0 };
        let (csv, counts) = scored_csv(&table, &p, &customers, reasons)?;
        let action_segments = if customers.is_empty() {
            Vec::new()
        } else {
            segments(&customers, self.spec.labels(&table).as_deref())
        };
        Ok(ScoredReport {
            model: kind,
            rows: p.len(),
            segments: std::array::from_fn(|k| (crate::metrics::SEGMENTS[k].to_string(), counts[k])),
            notes,
            probabilities: p,
            csv,
            explanation,
            action_segments,
            customers,
            whatif: None,
        })
    }
}

impl Pipeline {
    /// Reasons for the customers of `table` (model inputs `x`, probabilities `p`): every one,
    /// or the [`MAX_EXPLAINED`] at highest risk.
    async fn explain(
        &self,
        model: &dyn Classifier,
        x: &Matrix,
        table: &Table,
        p: &[f64],
        opts: &ScoreOptions,
    ) -> Result<(ExplanationSummary, Vec<Customer>), Error> {
        let rows = explained(p);
        let x = if rows.len() == x.rows {
            x.clone()
        } else {
            x.pick(&rows)
        };
        let mine: Vec<f64> = rows.iter().map(|&r| p[r]).collect();
        let start = crate::now();
        let c = if opts.parts.is_empty() {
            self.contributions(model, &x, opts.samples, 0).await?
        } else {
            Contributions::from_parts(&opts.parts)?
        };
        if c.score.len() != rows.len() {
            return Err(Error::input("the pool's explanations are of another table"));
        }
        Ok(self.summarize(c, &x, &rows, table, &mine, start))
    }

    /// Part `part` of `parts` of what [`Pipeline::score`] with explanations computes for
    /// `raw`: the contributions of a share of the explained rows, as bytes for its `parts`.
    pub async fn explain_part(
        &self,
        raw: &Table,
        kind: ModelKind,
        samples: usize,
        (part, parts): (usize, usize),
    ) -> Result<Vec<u8>, Error> {
        let model = self.model(kind)?;
        let (table, _) = self.spec.conform(raw)?;
        let all: Vec<usize> = (0..table.n_rows).collect();
        let x = self.preprocessor.encode(&table, &all)?.x;
        let p = model.predict_proba(&x).await?;
        let rows = explained(&p);
        let groups = Groups::of(&self.preprocessor);
        let mine =
            crate::explain::part(rows.len(), &self.background, &groups, samples, part, parts);
        let x = x.pick(&rows[mine.clone()]);
        let c = self.contributions(model, &x, samples, mine.start).await?;
        Ok(c.to_bytes())
    }

    /// One customer (the data row `row` of `raw`, the table as read) explained by the model of
    /// `kind` with `samples` column orders where it samples: a closer look than a whole table's
    /// explanation affords.
    pub async fn explain_customer(
        &self,
        raw: &Table,
        kind: ModelKind,
        row: usize,
        samples: usize,
    ) -> Result<(ExplanationSummary, Customer), Error> {
        let model = self.model(kind)?;
        let (table, _) = self.spec.conform(raw)?;
        if row >= table.n_rows {
            return Err(Error::config(format!(
                "there is no row {} (the table has {})",
                row + 1,
                table.n_rows
            )));
        }
        let x = self.preprocessor.transform(&table, &[row])?;
        let p = model.predict_proba(&x).await?;
        let start = crate::now();
        let c = self.contributions(model, &x, samples, 0).await?;
        let (summary, mut customers) = self.summarize(c, &x, &[row], &table, &p, start);
        Ok((summary, customers.remove(0)))
    }

    /// The contributions of the rows `x` (the first being row `first` of those explained).
    async fn contributions(
        &self,
        model: &dyn Classifier,
        x: &Matrix,
        samples: usize,
        first: usize,
    ) -> Result<Contributions, Error> {
        let groups = Groups::of(&self.preprocessor);
        contributions_from(model, x, &self.background, &groups, samples, first)
            .await
            .map_err(|e| match self.background.rows {
                0 => Error::input("this model file has no background rows to explain against (saved before format 2): save it again"),
                _ => e,
            })
    }

    /// The data rows `rows` of `table` (model inputs `x`, churn probabilities `p`) explained
    /// by their contributions `c`; `start`: when the explaining began.
    fn summarize(
        &self,
        c: Contributions,
        x: &Matrix,
        rows: &[usize],
        table: &Table,
        p: &[f64],
        start: std::time::Duration,
    ) -> (ExplanationSummary, Vec<Customer>) {
        let groups = Groups::of(&self.preprocessor);
        let customers = customers(&c, x, rows, &self.background, &self.preprocessor, table, p);
        let summary = ExplanationSummary {
            mean_abs: c.mean_abs(),
            median_half_width: c.method.bound.map(|_| median(&c.half_width)),
            method: c.method,
            base: c.base,
            columns: groups.names,
            rows: rows.len(),
            seconds: (crate::now() - start).as_secs_f64(),
        };
        (summary, customers)
    }
}

/// The rows explained of a table scored `p`: every one, or the [`MAX_EXPLAINED`] at highest
/// risk (in table order).
fn explained(p: &[f64]) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..p.len()).collect();
    if rows.len() > MAX_EXPLAINED {
        rows.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
        rows.truncate(MAX_EXPLAINED);
        rows.sort_unstable();
    }
    rows
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

/// Customers explained at most per score (the highest-risk ones beyond).
pub const MAX_EXPLAINED: usize = 20_000;

/// The table's columns plus each row's probability and segment (and its `reasons` strongest
/// reasons), and the rows per segment.
fn scored_csv(
    table: &Table,
    p: &[f64],
    customers: &[Customer],
    reasons: usize,
) -> Result<(String, [usize; 3]), Error> {
    let fail = |e: &dyn std::fmt::Display| Error::input(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = table
        .columns
        .iter()
        .map(|c| crate::synthetic::neutralize(&c.name))
        .collect();
    header.extend(["churn_probability".into(), "risk_segment".into()]);
    header.extend((1..=reasons).map(|k| format!("reason_{k}")));
    w.write_record(&header).map_err(|e| fail(&e))?;
    let mut counts = [0usize; 3];
    // The next explained customer (they are in table order).
    let mut next = 0;
    for (row, &prob) in p.iter().enumerate() {
        let mut cells: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                c.text(row)
                    .map(|t| crate::synthetic::neutralize(&t))
                    .unwrap_or_default()
            })
            .collect();
        let k = crate::metrics::segment_index(prob);
        counts[k] += 1;
        cells.extend([
            format!("{prob:.4}"),
            crate::metrics::SEGMENTS[k].to_string(),
        ]);
        if reasons > 0 {
            let c = customers.get(next).filter(|c| c.row == row);
            next += usize::from(c.is_some());
            cells.extend((0..reasons).map(|k| {
                c.and_then(|c| c.reasons.get(k))
                    .map(|r| crate::synthetic::neutralize(&r.text()))
                    .unwrap_or_default()
            }));
        }
        w.write_record(&cells).map_err(|e| fail(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| fail(&e))?;
    Ok((String::from_utf8(bytes).map_err(|e| fail(&e))?, counts))
}
