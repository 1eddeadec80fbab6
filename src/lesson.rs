//! The leakage lesson: the comparison run again under a leaky protocol the user picks, to show
//! beside the leak-free results how 95–99 % churn results arise. Nothing it fits is kept.
//!
//! - `duplicates_kept`: exact duplicate rows stay, so copies of one customer land on both
//!   sides of the split.
//! - `oversample_before_split`: churners are repeated at random until the classes are even,
//!   then split — the copies of a test churner were trained on.
//! - `gan_rows_before_split`: a GAN fitted on every row (test rows too) generates churners
//!   until the classes are even, then split.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::compare::{Control, RunReport, compare, warning};
use crate::config::Checked;
use crate::ingest::Table;
use crate::prepare::Prepared;
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    DuplicatesKept,
    OversampleBeforeSplit,
    GanRowsBeforeSplit,
}

impl Protocol {
    pub fn parse(name: &str) -> Result<Protocol, Error> {
        Ok(match name.trim().replace('-', "_").as_str() {
            "duplicates_kept" => Protocol::DuplicatesKept,
            "oversample_before_split" => Protocol::OversampleBeforeSplit,
            "gan_rows_before_split" => Protocol::GanRowsBeforeSplit,
            _ => {
                return Err(Error::config(format!(
                    "unknown leaky protocol '{name}' (duplicates_kept, oversample_before_split, gan_rows_before_split)"
                )));
            }
        })
    }

    pub fn describe(self) -> &'static str {
        match self {
            Protocol::DuplicatesKept => "duplicates kept",
            Protocol::OversampleBeforeSplit => "churners oversampled before the split",
            Protocol::GanRowsBeforeSplit => {
                "GAN churners (GAN fitted on every row) added before the split"
            }
        }
    }
}

/// The comparison under a leaky protocol.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LessonReport {
    pub protocol: Protocol,
    pub description: String,
    /// Rows that went into the split, and how many of them the protocol added.
    pub rows: usize,
    pub added_rows: usize,
    pub report: RunReport,
}

/// Churners (or the minority class) repeated at random until the classes are even.
fn oversampled(p: &Prepared, seed: u64) -> Vec<usize> {
    let (pos, neg): (Vec<usize>, Vec<usize>) = p
        .rows
        .iter()
        .partition(|&&r| p.schema.labels[r] == Some(true));
    let (few, many) = if pos.len() <= neg.len() {
        (pos, neg)
    } else {
        (neg, pos)
    };
    let mut rng = Rng::new(seed ^ 0x0E45);
    let mut rows = p.rows.clone();
    if !few.is_empty() {
        rows.extend((few.len()..many.len()).map(|_| few[rng.below(few.len())]));
    }
    rows
}

/// `p` with GAN churners appended: the GAN and its preprocessing fitted on every row.
#[cfg(feature = "nn")]
async fn with_gan_rows(p: &Prepared, cfg: &Checked) -> Result<Prepared, Error> {
    use crate::models::Classifier;
    use crate::preprocess::Preprocessor;
    let all = crate::split::Split {
        train: p.rows.clone(),
        test: Vec::new(),
    };
    let pre = Preprocessor::fit(&p.table, &p.schema, &all, &cfg.preprocess)?.preprocessor;
    let x = pre.transform(&p.table, &p.rows)?;
    let y = p.schema.churned(&p.rows);
    let mut gan = crate::models::nn::Gan::new(cfg.models.nn.clone());
    gan.fit(&x, &y, cfg.split.seed, &mut crate::models::Hooks::none())
        .await?;
    let positives = y.iter().filter(|&&b| b).count();
    let missing = y.len().saturating_sub(2 * positives);
    let (rows, classes, _) = crate::synthetic::generate(
        &p.table,
        &p.schema,
        &pre,
        &gan,
        &[(missing, true)],
        cfg.split.seed ^ 0x1EA4,
    )
    .await?;
    let mut out = p.clone();
    let added = out.table.append_rows(&rows.cells);
    out.schema.labels.extend(classes.iter().map(|&c| Some(c)));
    out.rows.extend(added);
    Ok(out)
}

#[cfg(not(feature = "nn"))]
async fn with_gan_rows(_: &Prepared, _: &Checked) -> Result<Prepared, Error> {
    Err(Error::config(
        "the GAN protocol needs the GAN (feature 'nn')",
    ))
}

/// The comparison of `cfg` on the session's table under `protocol`; `raw` is the table as
/// read (duplicates kept prepares it again without deduplication).
pub async fn lesson(
    raw: &Table,
    prepared: &Prepared,
    cfg: &Checked,
    protocol: Protocol,
) -> Result<LessonReport, Error> {
    let cfg = match protocol {
        Protocol::DuplicatesKept => {
            let mut c = crate::config::Config::clone(cfg);
            c.clean.dedupe = false;
            c.check()?
        }
        _ => cfg.clone(),
    };
    let leaky = match protocol {
        Protocol::DuplicatesKept => Prepared::new(raw, &prepared.source, &cfg)?,
        Protocol::OversampleBeforeSplit => Prepared {
            rows: oversampled(prepared, cfg.split.seed),
            ..prepared.clone()
        },
        Protocol::GanRowsBeforeSplit => with_gan_rows(prepared, &cfg).await?,
    };
    let (mut report, fits) = compare(&leaky, &cfg, &mut Control::none()).await?;
    report.too_good = warning(
        &leaky,
        &report.models,
        &fits[0].prep_report,
        Some(protocol.describe()),
    );
    Ok(LessonReport {
        protocol,
        description: protocol.describe().to_string(),
        rows: leaky.rows.len(),
        added_rows: leaky.rows.len().saturating_sub(prepared.rows.len()),
        report,
    })
}
