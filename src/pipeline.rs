//! The one entry point that the CLI and the web page share: bytes of a table in, every stage's
//! report out (and, for the models, the fitted preprocessing and the split).

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::clean::{CleanOptions, CleanReport, clean};
use crate::explore::{Exploration, explore};
use crate::ingest::{IngestOptions, SourceReport, Table, load};
use crate::preprocess::{Matrix, PrepOptions, PrepReport, Preprocessor};
use crate::schema::{Schema, SchemaOptions, infer};
use crate::split::{Split, SplitOptions, SplitReport, stratified};

/// Every stage's options; each part and field may be left out (defaults apply).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case")]
pub struct Config {
    pub ingest: IngestOptions,
    pub schema: SchemaOptions,
    pub clean: CleanOptions,
    pub split: SplitOptions,
    pub preprocess: PrepOptions,
}

/// What `churnlab inspect` prints: one part per stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectReport {
    pub source: SourceReport,
    pub schema: Schema,
    pub exploration: Exploration,
    pub cleaning: CleanReport,
    pub split: SplitReport,
    pub preprocessing: PrepReport,
}

/// A table taken through every stage up to the model inputs.
pub struct Prepared {
    pub table: Table,
    pub schema: Schema,
    pub preprocessor: Preprocessor,
    /// Training rows (after any outlier drop) and test rows, as table row indices.
    pub split: Split,
    pub report: InspectReport,
}

impl Prepared {
    pub fn labels(&self, rows: &[usize]) -> Vec<bool> {
        rows.iter()
            .map(|&r| self.schema.labels[r] == Some(true))
            .collect()
    }

    pub fn train_inputs(&self) -> Matrix {
        self.preprocessor.transform(&self.table, &self.split.train)
    }

    pub fn test_inputs(&self) -> Matrix {
        self.preprocessor.transform(&self.table, &self.split.test)
    }
}

/// Runs ingest → schema → explore → clean → split → preprocess.
pub fn prepare(bytes: &[u8], file_name: &str, cfg: &Config) -> Result<Prepared, Error> {
    let (mut table, source) = load(bytes, file_name, &cfg.ingest)?;
    let schema = infer(&mut table, &cfg.schema)?;
    let exploration = explore(&table, &schema);
    let cleaned = clean(&mut table, &schema, &cfg.clean)?;
    let split = stratified(&cleaned.rows, &schema.labels, &cfg.split)?;
    let split_report = split.report(&schema.labels, &cfg.split);
    let fitted = Preprocessor::fit(&table, &schema, &split, &cfg.preprocess)?;
    let split = Split {
        train: fitted.train,
        test: split.test,
    };
    Ok(Prepared {
        report: InspectReport {
            source,
            schema: schema.clone(),
            exploration,
            cleaning: cleaned.report,
            split: split_report,
            preprocessing: fitted.report,
        },
        table,
        schema,
        preprocessor: fitted.preprocessor,
        split,
    })
}

/// The report of [`prepare`], for `churnlab inspect` and the page's first screens.
pub fn inspect(bytes: &[u8], file_name: &str, cfg: &Config) -> Result<InspectReport, Error> {
    prepare(bytes, file_name, cfg).map(|p| p.report)
}
