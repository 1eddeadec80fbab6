//! The stages that fit nothing, run over a table already read: kinds and roles (schema),
//! exploration, label cleaning and the rows kept — and the inspect report built on them.

use serde::Serialize;

use crate::Error;
use crate::clean::{CleanOptions, CleanReport, clean};
use crate::config::Checked;
use crate::explore::{Exploration, explore};
use crate::ingest::{SourceReport, Table};
use crate::preprocess::PrepReport;
use crate::schema::{Schema, SchemaOptions, infer};
use crate::split::SplitReport;
use crate::stages::{Stage, timed};

/// What `churnlab inspect` prints: one part per stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectReport {
    pub source: SourceReport,
    pub schema: Schema,
    pub exploration: Exploration,
    pub cleaning: CleanReport,
    pub split: SplitReport,
    pub preprocessing: PrepReport,
    /// Each stage's time and the peak memory by its end (the file's parse where the session
    /// read it; a preparation again after an edit shows the parse it did not repeat).
    pub stages: Vec<Stage>,
}

/// The table after the stages that fit nothing: kinds and roles (schema), exploration, label
/// cleaning and the rows kept (targets present, duplicates dropped).
#[derive(Clone)]
pub struct Prepared {
    pub source: SourceReport,
    /// The table as read, with the kinds asked for and its labels cleaned.
    pub table: Table,
    pub schema: Schema,
    pub exploration: Exploration,
    pub cleaning: CleanReport,
    /// Rows that go into the split.
    pub rows: Vec<usize>,
    /// The options that made it.
    pub schema_options: SchemaOptions,
    pub clean: CleanOptions,
    /// The times of the stages that made it.
    pub stages: Vec<Stage>,
}

impl Prepared {
    pub fn new(raw: &Table, source: &SourceReport, cfg: &Checked) -> Result<Prepared, Error> {
        let mut table = raw.clone();
        let (schema, s1) = timed("schema", || infer(&mut table, &cfg.schema));
        let schema = schema?;
        if schema.features().is_empty() {
            return Err(Error::input(
                "no feature columns to learn from: every column is the target, an ID, constant, empty or ignored",
            ));
        }
        let (exploration, s2) = timed("exploration", || explore(&table, &schema));
        let (cleaned, s3) = timed("cleaning", || clean(&mut table, &schema, &cfg.clean));
        let cleaned = cleaned?;
        Ok(Prepared {
            source: source.clone(),
            table,
            schema,
            exploration,
            cleaning: cleaned.report,
            rows: cleaned.rows,
            schema_options: cfg.schema.clone(),
            clean: cfg.clean.clone(),
            stages: vec![s1, s2, s3],
        })
    }

    /// The inspect report with a split's and its preprocessing's reports.
    pub fn report(&self, split: SplitReport, preprocessing: PrepReport) -> InspectReport {
        InspectReport {
            source: self.source.clone(),
            schema: self.schema.clone(),
            exploration: self.exploration.clone(),
            cleaning: self.cleaning.clone(),
            split,
            preprocessing,
            stages: self.stages.clone(),
        }
    }
}
