//! The model file: one fitted pipeline — the table it expects, its preprocessing and the chosen
//! models' parameters — in one file that scores a new table with no fitting.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! magic     16 bytes  "churnlab-model\n\0"
//! version   u32       FORMAT_VERSION of the writer
//! manifest  u64 length, then JSON: creator, source file, seed, the table spec, the
//!           preprocessing, and per model its label, test scores and parameters
//! blobs     u32 count, then per blob a u64 length and its bytes (networks as burn's records,
//!           KNN's rows, the forest's nodes)
//! checksum  u64       FNV-1a of everything before it
//! ```
//!
//! A reader takes every version up to its own and refuses a later one by name, as it refuses a
//! file that is not a model file, is cut short or whose checksum does not match.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::compare::{FitRecord, RunReport};
use crate::fitted::{FittedModel, Pipeline, TableSpec};
use crate::matrix::Matrix;
use crate::models::{Blob, Blobs, ModelKind, Saved};
use crate::preprocess::Preprocessor;

pub const MAGIC: &[u8; 16] = b"churnlab-model\n\0";
/// The format this build writes and the newest it reads.
/// Version 2 added the explanations' background rows.
pub const FORMAT_VERSION: u32 = 2;
/// A network wider than this in a model file is refused before anything is allocated.
const MAX_WIDTH: usize = 1 << 16;

/// What a model file says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    pub format_version: u32,
    pub created_by: String,
    /// The file it was trained on.
    pub source: String,
    pub seed: u64,
    /// The feature columns a table must have.
    pub features: Vec<String>,
    pub models: Vec<ModelSummary>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSummary {
    pub model: ModelKind,
    pub label: String,
    /// On the test rows of its training run.
    pub test_accuracy: f64,
    pub test_f1: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    info: ModelInfo,
    spec: TableSpec,
    preprocessor: Preprocessor,
    models: Vec<Saved>,
    /// The explanations' background rows (format 2 on): their count, and a blob of
    /// little-endian f32 as wide as the preprocessing's output.
    #[serde(default)]
    background: Option<(usize, Blob)>,
}

/// A model file read back: what it says, and the pipeline, ready to score.
pub struct ModelFile {
    pub info: ModelInfo,
    pub pipeline: Pipeline,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The model file of `pipeline` with its models of `kinds` (all but augmented ones when empty).
pub async fn write(
    pipeline: &Pipeline,
    report: &RunReport,
    kinds: &[ModelKind],
) -> Result<Vec<u8>, Error> {
    let chosen: Vec<&FittedModel> = pipeline
        .models
        .iter()
        .filter(|m| !m.augmented && (kinds.is_empty() || kinds.contains(&m.kind)))
        .collect();
    if let Some(k) = kinds.iter().find(|k| !chosen.iter().any(|m| m.kind == **k)) {
        return Err(Error::config(format!(
            "no trained {} to save: train it first",
            k.label()
        )));
    }
    let mut blobs = Blobs::default();
    let mut models = Vec::new();
    let mut summaries = Vec::new();
    for m in chosen {
        models.push(m.model.save(&mut blobs).await?);
        let run = report
            .models
            .iter()
            .find(|r| r.model == m.kind && !r.augmented)
            .and_then(|r| r.runs.iter().find(|s| s.seed == pipeline.seed));
        summaries.push(ModelSummary {
            model: m.kind,
            label: m.kind.label().to_string(),
            test_accuracy: run.map_or(f64::NAN, |r| r.scores.accuracy),
            test_f1: run.map_or(f64::NAN, |r| r.scores.f1),
        });
    }
    let background = Some((
        pipeline.background.rows,
        blobs.push(pipeline.background.to_bytes()),
    ));
    let manifest = Manifest {
        info: ModelInfo {
            format_version: FORMAT_VERSION,
            created_by: format!("churnlab {}", env!("CARGO_PKG_VERSION")),
            source: report.inspect.source.file_name.clone(),
            seed: pipeline.seed,
            features: pipeline.spec.features_named(),
            models: summaries,
        },
        spec: pipeline.spec.clone(),
        preprocessor: pipeline.preprocessor.clone(),
        models,
        background,
    };
    let json = serde_json::to_vec(&manifest).map_err(|e| Error::input(e.to_string()))?;
    let mut out = Vec::with_capacity(json.len() + blobs.0.iter().map(Vec::len).sum::<usize>() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    write_body(&mut out, &json, &blobs);
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Ok(out)
}

/// The start of a fit packet: one fitted model with its record, as a pool worker sends it.
const FIT_MAGIC: &[u8; 16] = b"churnlab-fit\n\0\0\0";

#[derive(Serialize, Deserialize)]
struct FitManifest {
    record: FitRecord,
    augmented: bool,
    model: Saved,
    /// The test rows' probabilities: a blob of little-endian f64.
    probabilities: Blob,
}

/// One fitted model, its record and its test probabilities as bytes (a pool worker's answer;
/// the same layout as a model file, without the checksum).
pub async fn pack_fit(
    model: &FittedModel,
    record: &FitRecord,
    probabilities: &[f64],
) -> Result<Vec<u8>, Error> {
    let mut blobs = Blobs::default();
    let manifest = FitManifest {
        record: record.clone(),
        augmented: model.augmented,
        model: model.model.save(&mut blobs).await?,
        probabilities: blobs.push(probabilities.iter().flat_map(|p| p.to_le_bytes()).collect()),
    };
    let json = serde_json::to_vec(&manifest).map_err(|e| Error::input(e.to_string()))?;
    let mut out = FIT_MAGIC.to_vec();
    write_body(&mut out, &json, &blobs);
    Ok(out)
}

/// The manifest (its length, then the JSON) and the blobs (their count, then each one's
/// length and bytes).
fn write_body(out: &mut Vec<u8>, json: &[u8], blobs: &Blobs) {
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(&(blobs.0.len() as u32).to_le_bytes());
    for b in &blobs.0 {
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
}

/// A fit packet read back, its model restored for rows `inputs` wide.
pub fn unpack_fit(
    bytes: &[u8],
    inputs: usize,
) -> Result<(FittedModel, FitRecord, Vec<f64>), Error> {
    let bad = || Error::input("a pool worker's answer is damaged");
    if !bytes.starts_with(FIT_MAGIC) {
        return Err(bad());
    }
    let mut r = Reader {
        bytes,
        at: FIT_MAGIC.len(),
    };
    let (json, blobs) = r.body()?;
    let m: FitManifest = serde_json::from_slice(json).map_err(|_| bad())?;
    let probabilities = blobs
        .get(m.probabilities)?
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    let model = FittedModel {
        kind: m.model.kind(),
        augmented: m.augmented,
        model: m.model.restore(&blobs, inputs)?,
    };
    Ok((model, m.record, probabilities))
}

/// Reads the parts of a model file in order, each check naming what is wrong.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| Error::input("the model file is cut short"))?;
        let part = &self.bytes[self.at..end];
        self.at = end;
        Ok(part)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// What [`write_body`] wrote: the manifest's JSON and the blobs.
    fn body(&mut self) -> Result<(&'a [u8], Blobs), Error> {
        let n = self.len()?;
        let json = self.take(n)?;
        let mut blobs = Blobs::default();
        for _ in 0..self.u32()? {
            let n = self.len()?;
            blobs.push(self.take(n)?.to_vec());
        }
        Ok((json, blobs))
    }

    fn len(&mut self) -> Result<usize, Error> {
        let b = self.take(8)?;
        let n = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        usize::try_from(n).map_err(|_| Error::input("the model file is cut short"))
    }
}

/// Reads a model file (`name` is for messages): refused by name if it is not one, was written
/// by a newer churnlab, is cut short or damaged.
pub fn read(bytes: &[u8], name: &str) -> Result<ModelFile, Error> {
    if !bytes.starts_with(MAGIC) {
        let save = crate::advice::say("'churnlab run --save'", "Save model");
        return Err(Error::input(format!(
            "'{name}' is not a churnlab model file (save one with {save})"
        )));
    }
    let mut r = Reader {
        bytes,
        at: MAGIC.len(),
    };
    let version = r.u32()?;
    if version > FORMAT_VERSION || version == 0 {
        return Err(Error::input(format!(
            "'{name}' has model format version {version}; this churnlab reads versions 1 to {FORMAT_VERSION}: use a newer churnlab"
        )));
    }
    let cut = |e: Error| Error::input(format!("'{name}': {e}"));
    let (json, blobs) = r.body().map_err(cut)?;
    let body = r.at;
    let sum = r.take(8).map_err(cut)?;
    if r.at != bytes.len()
        || fnv1a(&bytes[..body]) != u64::from_le_bytes(sum.try_into().expect("8 bytes"))
    {
        return Err(Error::input(format!(
            "'{name}' is damaged: its checksum does not match its contents"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(json)
        .map_err(|e| Error::input(format!("'{name}' is damaged: {e}")))?;
    restore(manifest, &blobs).map_err(|e| Error::input(format!("'{name}': {e}")))
}

fn restore(m: Manifest, blobs: &Blobs) -> Result<ModelFile, Error> {
    let preprocessor = m.preprocessor.checked()?;
    let inputs = preprocessor.feature_names().len();
    if m.models.is_empty() || m.models.len() != m.info.models.len() {
        return Err(Error::input(
            "its list of models does not match their parameters",
        ));
    }
    let mut models = Vec::new();
    for saved in m.models {
        if let Saved::Mlp { opts, .. } | Saved::Gan { opts, .. } | Saved::GanAblation { opts, .. } =
            &saved
            && (opts.hidden > MAX_WIDTH || opts.noise > MAX_WIDTH)
        {
            return Err(Error::input("a network in it is implausibly wide"));
        }
        models.push(FittedModel {
            kind: saved.kind(),
            augmented: false,
            model: saved.restore(blobs, inputs)?,
        });
    }
    let background = match m.background {
        None => Matrix::default(),
        Some((rows, blob)) => Matrix::from_bytes(rows, inputs, blobs.get(blob)?)
            .ok_or_else(|| Error::input("its background rows are cut short"))?,
    };
    Ok(ModelFile {
        pipeline: Pipeline {
            spec: m.spec,
            preprocessor,
            seed: m.info.seed,
            models,
            background,
        },
        info: m.info,
    })
}
