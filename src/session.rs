//! The session: a table read once, the cleaning the user chose, and the models trained on it,
//! all kept. Every later request — another look with a column's role changed, scores, synthetic
//! customers, a model file — starts from what it holds: the file is parsed once, and nothing
//! that was fitted is fitted again.

use std::cell::RefCell;
use std::rc::Rc;

use serde::Serialize;

use crate::Error;
use crate::compare::{Control, Job, RunReport, SeedFit, SeedInputs, adopt, compare, split_and_fit};
use crate::config::Checked;
use crate::explain::Customer;
use crate::explain::{Groups, Importance, permutation_importance};
use crate::fitted::{ExplanationSummary, ScoreOptions, ScoredReport};
use crate::ingest::{IngestOptions, Table, load};
use crate::lesson::{LessonReport, Protocol};
use crate::marketing::{Campaign, WhatIf};
use crate::model_file::ModelFile;
use crate::models::ModelKind;
use crate::prepare::{InspectReport, Prepared};
use crate::preprocess::Preprocessor;
use crate::split::Split;

/// How often the session did its expensive work, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Files parsed.
    pub parses: usize,
    /// Schema inference, exploration and cleaning run over the kept table.
    pub preparations: usize,
    /// Preprocessing fitted on a split's training rows.
    pub preprocessor_fits: usize,
    /// Models fitted (every model of every seed, and the GAN that makes augmentation rows).
    /// A run on the page's pool counts its fits where they are adopted, not where they ran.
    pub model_fits: usize,
}

/// What a run trained: its report, and per seed the split and the fitted pipeline, with the
/// prepared table they were fitted on (kept while a later edit changes the session's own).
pub struct Trained {
    pub report: RunReport,
    pub fits: Vec<SeedFit>,
    pub table: Rc<Prepared>,
    /// Per synthesis seed, the test F1 of the quality check's forest on the real training rows
    /// (the same for every batch of synthetic customers, so made once).
    #[cfg_attr(not(feature = "nn"), allow(dead_code))]
    real_f1: RefCell<Vec<(u64, f64)>>,
    /// Synthetic customers made, waiting for their checks from the page's pool.
    #[cfg(feature = "nn")]
    draft: RefCell<Option<crate::synthetic::Draft>>,
}

/// One loaded table and what was trained on it.
pub struct Session {
    raw: Table,
    /// The file's parse (done once).
    parse: crate::stages::Stage,
    ingest: IngestOptions,
    prepared: Rc<Prepared>,
    trained: Option<Trained>,
    /// A pool worker's last seed inputs, and the options and table they were made for.
    job_inputs: Option<(Checked, Rc<Prepared>, SeedInputs)>,
    counts: Counts,
}

impl Session {
    /// Parses `bytes` (a CSV or spreadsheet named `file_name`) and prepares it with `cfg`.
    pub fn load(bytes: &[u8], file_name: &str, cfg: &Checked) -> Result<Session, Error> {
        let (loaded, parse) = crate::stages::timed("parse", || load(bytes, file_name, &cfg.ingest));
        let (raw, source) = loaded?;
        let prepared = Prepared::new(&raw, &source, cfg)?;
        Ok(Session {
            raw,
            parse,
            ingest: cfg.ingest.clone(),
            prepared: Rc::new(prepared),
            trained: None,
            job_inputs: None,
            counts: Counts {
                parses: 1,
                preparations: 1,
                ..Counts::default()
            },
        })
    }

    /// Prepares the kept table again with `cfg`'s schema and cleaning options, unless they are
    /// the ones it has. The file is not parsed again; on an error the session stays as it was.
    /// Trained models stay (they score with their own pipeline).
    pub fn edit(&mut self, cfg: &Checked) -> Result<(), Error> {
        if cfg.ingest != self.ingest {
            return Err(Error::config(
                "the sheet and the delimiter are chosen when the file is read: load it again",
            ));
        }
        let p = &self.prepared;
        if p.schema_options == cfg.schema && p.clean == cfg.clean {
            return Ok(());
        }
        let prepared = Prepared::new(&self.raw, &p.source, cfg)?;
        self.prepared = Rc::new(prepared);
        self.counts.preparations += 1;
        Ok(())
    }

    /// Every stage's report up to the model inputs, for `cfg` (edited first if it changes the
    /// table options).
    pub fn inspect(&mut self, cfg: &Checked) -> Result<InspectReport, Error> {
        Ok(self.inspect_fitted(cfg)?.0)
    }

    /// The inspect report, and the model inputs of its split as CSV, training rows and test
    /// rows (see [`crate::compare::inputs_csv`]): one split and one preprocessing fit.
    pub fn inspect_with_inputs(
        &mut self,
        cfg: &Checked,
    ) -> Result<(InspectReport, [String; 2]), Error> {
        let (report, split, pre) = self.inspect_fitted(cfg)?;
        let inputs = crate::compare::inputs_csv(&self.prepared, &split, &pre)?;
        Ok((report, inputs))
    }

    /// The inspect report with the split and the preprocessing it reports on.
    fn inspect_fitted(
        &mut self,
        cfg: &Checked,
    ) -> Result<(InspectReport, Split, Preprocessor), Error> {
        self.edit(cfg)?;
        let (fitted, stage) = crate::stages::timed("split and preprocessing", || {
            split_and_fit(&self.prepared, cfg, cfg.split.seed)
        });
        let (split, split_report, pre, prep) = fitted?;
        self.counts.preprocessor_fits += 1;
        let mut report = self.prepared.report(split_report, prep);
        report.stages.insert(0, self.parse.clone());
        report.stages.push(stage);
        Ok((report, split, pre))
    }

    /// Two numeric columns of the kept table against each other, split by class (the page's
    /// scatter plot of a heatmap cell).
    pub fn pair(&self, x: &str, y: &str) -> Result<crate::explore::Pair, Error> {
        let p = &self.prepared;
        crate::explore::pair(&p.table, &p.schema, &p.rows, x, y)
    }

    /// Trains and compares the models of `cfg` and keeps them; the report of the run.
    pub async fn run(
        &mut self,
        cfg: &Checked,
        mut control: Control<'_>,
    ) -> Result<&RunReport, Error> {
        self.edit(cfg)?;
        let table = Rc::clone(&self.prepared);
        let (report, fits) = compare(&table, cfg, &mut control).await?;
        self.counts.preprocessor_fits += fits.len();
        // Every model of every seed, and per seed the GAN that made augmentation rows.
        let models: usize = fits.iter().map(|f| f.pipeline.models.len()).sum();
        self.counts.model_fits += models + if cfg.augment { fits.len() } else { 0 };
        Ok(self.keep(report, fits, table))
    }

    /// Seconds per GAN training step of `cfg`'s networks on `backend` (on the training inputs
    /// of the split of seed 0), and the steps of one epoch of that training: what the page's
    /// Auto backend choice compares.
    #[cfg(feature = "nn")]
    pub async fn step_seconds(
        &self,
        cfg: &Checked,
        backend: crate::models::Backend,
    ) -> Result<(f64, usize), Error> {
        let p = &self.prepared;
        let (split, _, pre, _) = split_and_fit(p, cfg, 0)?;
        let x = pre.transform(&p.table, &split.train)?;
        let y = p.schema.churned(&split.train);
        let o = crate::models::NnOptions {
            backend,
            ..cfg.models.nn.clone()
        };
        let seconds = crate::models::nn::step_seconds(&o, &x, &y, 4).await?;
        let rows = (x.rows as f64 * (1.0 - o.validation_fraction)).ceil() as usize;
        Ok((seconds, rows.div_ceil(o.batch_size.max(1))))
    }

    /// One fit of a run of `cfg` (a pool worker's job), packed for the session's worker to
    /// [`Session::adopt`]. The seed's inputs are kept for the next job of the same seed.
    pub async fn fit_job(
        &mut self,
        cfg: &Checked,
        job: Job,
        mut control: Control<'_>,
    ) -> Result<Vec<u8>, Error> {
        let (table, mut inputs) = self.inputs_for(cfg, job.seed)?;
        let fitted = inputs
            .fit_job(&table, job, cfg.threshold, &mut control)
            .await;
        self.job_inputs = Some((cfg.clone(), table, inputs));
        let (model, run) = fitted?;
        let record = crate::compare::FitRecord {
            train_seconds: run.train_seconds,
            predict_seconds: run.predict_seconds,
            history: run.history,
            note: run.note,
            threshold: run.tuned.map(|t| t.threshold),
        };
        crate::model_file::pack_fit(&model, &record, &run.test_probabilities).await
    }

    /// A pool job's inputs: split `seed` of `cfg` on the table edited to `cfg`, the kept ones
    /// when they are of these options, this table and seed, else made (and counted). The job
    /// gives them back to `job_inputs` when it is done.
    fn inputs_for(
        &mut self,
        cfg: &Checked,
        seed: u64,
    ) -> Result<(Rc<Prepared>, SeedInputs), Error> {
        self.edit(cfg)?;
        let table = Rc::clone(&self.prepared);
        let kept = self
            .job_inputs
            .take()
            .filter(|(c, t, i)| **c == **cfg && Rc::ptr_eq(t, &table) && i.seed() == seed);
        let inputs = match kept {
            Some((_, _, inputs)) => inputs,
            None => {
                self.counts.preprocessor_fits += 1;
                SeedInputs::new(&table, cfg, seed)?
            }
        };
        Ok((table, inputs))
    }

    /// Keeps the run of `cfg` whose fits were made by pool workers (`packets` in the order of
    /// [`crate::compare::jobs`]), as if [`Session::run`] had made them; `seconds` is the
    /// run's wall time. Nothing is fitted here.
    pub fn adopt(
        &mut self,
        cfg: &Checked,
        packets: &[Vec<u8>],
        seconds: f64,
    ) -> Result<&RunReport, Error> {
        self.edit(cfg)?;
        let table = Rc::clone(&self.prepared);
        let (jobs, _) = crate::compare::jobs(cfg);
        if packets.len() != jobs.len() {
            return Err(Error::config(format!(
                "a run of these options has {} fits, not {}",
                jobs.len(),
                packets.len()
            )));
        }
        let unpack = |i: usize, width| crate::model_file::unpack_fit(&packets[i], width);
        let (report, fits) = adopt(&table, cfg, unpack, seconds)?;
        self.counts.preprocessor_fits += fits.len();
        // Every fit adopted, and per seed the GAN that made augmentation rows (once at least).
        self.counts.model_fits += packets.len() + if cfg.augment { fits.len() } else { 0 };
        Ok(self.keep(report, fits, table))
    }

    /// Keeps a run's report and fits (made on the prepared `table`).
    fn keep(&mut self, report: RunReport, fits: Vec<SeedFit>, table: Rc<Prepared>) -> &RunReport {
        let trained = self.trained.insert(Trained {
            report,
            fits,
            table,
            real_f1: RefCell::default(),
            #[cfg(feature = "nn")]
            draft: RefCell::default(),
        });
        &trained.report
    }

    /// What the last run trained.
    pub fn trained(&self) -> Result<&Trained, Error> {
        self.trained
            .as_ref()
            .ok_or_else(|| Error::config("no model is trained yet: train and compare first"))
    }

    /// Every row of the table scored by the kept model of `kind` (its first seed's fit).
    pub async fn score(&self, kind: ModelKind, opts: &ScoreOptions) -> Result<ScoredReport, Error> {
        let fit = &self.trained()?.fits[0];
        fit.pipeline.score(&self.raw, kind, opts).await
    }

    /// Every row of the table scored by a model file's model of `kind`.
    pub async fn score_with(
        &self,
        file: &ModelFile,
        kind: ModelKind,
        opts: &ScoreOptions,
    ) -> Result<ScoredReport, Error> {
        file.pipeline.score(&self.raw, kind, opts).await
    }

    /// Part `part` of `parts` of the explanations a score of every customer by the kept
    /// model of `kind` (or a model file's) computes, as bytes: the page's pool workers compute
    /// the parts, and [`ScoreOptions::parts`] takes them.
    pub async fn explain_part(
        &self,
        file: Option<&ModelFile>,
        kind: ModelKind,
        samples: usize,
        part: (usize, usize),
    ) -> Result<Vec<u8>, Error> {
        let pipeline = match file {
            Some(f) => &f.pipeline,
            None => &self.trained()?.fits[0].pipeline,
        };
        pipeline.explain_part(&self.raw, kind, samples, part).await
    }

    /// One customer (data row `row`) explained by the kept model of `kind` (first seed), or by
    /// a model file's, with `samples` column orders where the explanation samples.
    pub async fn explain_customer(
        &self,
        file: Option<&ModelFile>,
        kind: ModelKind,
        row: usize,
        samples: usize,
    ) -> Result<(ExplanationSummary, Customer), Error> {
        let pipeline = match file {
            Some(f) => &f.pipeline,
            None => &self.trained()?.fits[0].pipeline,
        };
        pipeline
            .explain_customer(&self.raw, kind, row, samples)
            .await
    }

    /// The test rows' labels and the kept model's probabilities for them (first seed).
    fn test_scores(&self, kind: ModelKind) -> Result<(Vec<bool>, &[f64]), Error> {
        let trained = self.trained()?;
        let run = trained
            .report
            .models
            .iter()
            .find(|m| m.model == kind && !m.augmented)
            .and_then(|m| m.runs.first())
            .ok_or_else(|| Error::config(format!("no trained {} here", kind.label())))?;
        let y = trained.table.schema.churned(&trained.fits[0].split.test);
        Ok((y, &run.test_probabilities))
    }

    /// The decision threshold's what-if on the test rows of the kept model of `kind`.
    pub fn whatif(
        &self,
        kind: ModelKind,
        threshold: f64,
        campaign: &Campaign,
    ) -> Result<WhatIf, Error> {
        let (y, p) = self.test_scores(kind)?;
        crate::marketing::whatif(&y, p, threshold, campaign)
    }

    /// Permutation importance of the kept model of `kind` on its test rows (first seed).
    pub async fn importance(&self, kind: ModelKind) -> Result<Importance, Error> {
        let trained = self.trained()?;
        let fit = &trained.fits[0];
        let model = fit.pipeline.model(kind)?;
        let pre = &fit.pipeline.preprocessor;
        let x = pre.transform(&trained.table.table, &fit.split.test)?;
        let y = trained.table.schema.churned(&fit.split.test);
        let groups = Groups::of(pre);
        let repeats = 3;
        let drops =
            permutation_importance(model, &x, &y, &groups, repeats, fit.pipeline.seed).await?;
        Ok(Importance {
            model: kind,
            columns: groups.names,
            auc_drop: drops,
            repeats,
            test_rows: x.rows,
        })
    }

    /// The comparison of `cfg` again under a leaky `protocol`; nothing of it is kept.
    pub async fn lesson(&self, cfg: &Checked, protocol: Protocol) -> Result<LessonReport, Error> {
        crate::lesson::lesson(&self.raw, &self.prepared, cfg, protocol).await
    }

    /// `rows` synthetic customers from the kept GAN (first seed), with every quality check.
    #[cfg(feature = "nn")]
    pub async fn synthesize(
        &self,
        rows: usize,
        seed: u64,
    ) -> Result<crate::synthetic::SyntheticReport, Error> {
        self.synthesize_draft(rows, seed).await?;
        self.finish_synthesis(&[])
    }

    /// The first part of [`Session::synthesize`]: the customers made and screened, kept here
    /// until [`Session::finish_synthesis`]. Returns them as bytes for checks elsewhere, the
    /// split seed those need, and the checks still to do (the real rows' forest is made once
    /// per seed).
    #[cfg(feature = "nn")]
    pub async fn synthesize_draft(
        &self,
        rows: usize,
        seed: u64,
    ) -> Result<(Vec<u8>, u64, Vec<crate::synthetic::Check>), Error> {
        let trained = self.trained()?;
        let fit = &trained.fits[0];
        let gan = fit
            .pipeline
            .model(ModelKind::Gan)?
            .gan()
            .ok_or_else(|| Error::config("the GAN's generator is not kept"))?;
        let (table, pre) = (&trained.table, &fit.pipeline.preprocessor);
        let draft = crate::synthetic::draft(table, &fit.split, pre, gan, rows, seed).await?;
        let bytes = draft.fake_bytes();
        trained.draft.replace(Some(draft));
        let known = self.real_f1(seed)?.is_some();
        let mut checks = crate::synthetic::Check::ALL.to_vec();
        checks.retain(|c| !(known && *c == crate::synthetic::Check::RealForest));
        Ok((bytes, fit.pipeline.seed, checks))
    }

    /// The real rows' forest F1 for the synthesis seed `seed`, where it was made already.
    #[cfg(feature = "nn")]
    fn real_f1(&self, seed: u64) -> Result<Option<f64>, Error> {
        let known = self.trained()?.real_f1.borrow();
        Ok(known.iter().find(|(s, _)| *s == seed).map(|k| k.1))
    }

    /// One check of the synthetic customers of [`Session::synthesize_draft`]: of this
    /// session's draft (`fake: None`), or (a pool worker) of the rows `fake` sent from there,
    /// against this session's split `split_seed` of the run options `cfg`.
    #[cfg(feature = "nn")]
    pub fn synthetic_check(
        &mut self,
        check: crate::synthetic::Check,
        fake: Option<(&[u8], &Checked, u64)>,
        seed: u64,
    ) -> Result<Option<f64>, Error> {
        let Some((bytes, cfg, split_seed)) = fake else {
            let trained = self.trained()?;
            let draft = trained.draft.borrow();
            let draft = draft
                .as_ref()
                .ok_or_else(|| Error::config("make the synthetic customers first"))?;
            return draft.check(check);
        };
        let (table, inputs) = self.inputs_for(cfg, split_seed)?;
        let result =
            crate::synthetic::check_elsewhere(check, inputs.train(), inputs.test(), bytes, seed);
        self.job_inputs = Some((cfg.clone(), table, inputs));
        result
    }

    /// The synthetic customers' report, with the checks `done` elsewhere; the others (and the
    /// real rows' forest where it is not known yet) are made here.
    #[cfg(feature = "nn")]
    pub fn finish_synthesis(
        &self,
        done: &[(crate::synthetic::Check, Option<f64>)],
    ) -> Result<crate::synthetic::SyntheticReport, Error> {
        use crate::synthetic::Check;
        let trained = self.trained()?;
        let draft = trained
            .draft
            .take()
            .ok_or_else(|| Error::config("make the synthetic customers first"))?;
        let seed = draft.seed();
        let known = self.real_f1(seed)?;
        let mut results = Vec::new();
        for check in Check::ALL {
            let value = match done.iter().find(|(c, _)| *c == check) {
                Some(&(_, v)) => v,
                None if check == Check::RealForest && known.is_some() => known,
                None => draft.check(check)?,
            };
            results.push((check, value));
        }
        let report = draft.finish(&results);
        if let (None, Some(f1)) = (known, report.quality.trtr_f1) {
            trained.real_f1.borrow_mut().push((seed, f1));
        }
        Ok(report)
    }

    /// A model file of the first seed's pipeline with the models `kinds` (all when empty).
    pub async fn save_model(&self, kinds: &[ModelKind]) -> Result<Vec<u8>, Error> {
        let trained = self.trained()?;
        crate::model_file::write(&trained.fits[0].pipeline, &trained.report, kinds).await
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The table as read.
    pub fn table(&self) -> &Table {
        &self.raw
    }

    pub fn prepared(&self) -> &Prepared {
        &self.prepared
    }
}
