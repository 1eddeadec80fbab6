//! The session: a table parsed once, models fitted once and kept, and the model file that
//! carries a fitted pipeline to another table.
// The networks are among the models every test here trains.
#![cfg(feature = "nn")]

use churnlab::block_on;
use churnlab::compare::Control;
use churnlab::config::Checked;
use churnlab::metrics::evaluate;
use churnlab::model_file::{self, FORMAT_VERSION, MAGIC};
use churnlab::models::ModelKind;
use churnlab::sample::sample_csv;
use churnlab::session::Session;

/// Scores without explanations.
fn plain() -> churnlab::fitted::ScoreOptions {
    churnlab::fitted::ScoreOptions::default()
}

mod common;
use common::quick;

fn trained(rows: usize, models: &[ModelKind]) -> (Session, Checked) {
    common::trained_on(&sample_csv(rows, 3), models)
}

const ALL: [ModelKind; 8] = ModelKind::ALL;

#[test]
fn one_parse_and_one_fit_serve_inspect_edit_run_score_and_synthesize() {
    let cfg = quick(&ALL);
    let bytes = sample_csv(600, 3).into_bytes();
    let mut s = Session::load(&bytes, "sample.csv", &cfg).unwrap();
    let first = s.inspect(&cfg).unwrap();
    // An edit: one column left out. The kept table is prepared again; the file is not parsed.
    let mut edited = (*cfg).clone();
    edited.schema.ignore = vec!["Tenure".into()];
    let edited = edited.check().unwrap();
    let second = s.inspect(&edited).unwrap();
    assert!(
        first
            .preprocessing
            .feature_names
            .contains(&"Tenure".to_string())
    );
    assert!(
        !second
            .preprocessing
            .feature_names
            .contains(&"Tenure".to_string())
    );
    let report = block_on(s.run(&edited, Control::none())).unwrap().clone();
    let after_run = s.counts();
    assert_eq!(after_run.model_fits, ALL.len());
    for kind in ALL {
        block_on(s.score(kind, &plain())).unwrap();
    }
    let synth = block_on(s.synthesize(50, 1)).unwrap();
    assert_eq!(synth.rows, 50);
    // Again: the real rows' forest of the quality check is not fitted again, same report.
    assert_eq!(block_on(s.synthesize(50, 1)).unwrap(), synth);
    block_on(s.save_model(&[])).unwrap();
    let counts = s.counts();
    assert_eq!(counts.parses, 1, "{counts:?}");
    assert_eq!(counts.preparations, 2, "{counts:?}");
    assert_eq!(
        counts.model_fits, after_run.model_fits,
        "scoring and generating fit nothing"
    );
    assert_eq!(counts.preprocessor_fits, after_run.preprocessor_fits);
    assert!(
        !report
            .inspect
            .preprocessing
            .feature_names
            .contains(&"Tenure".to_string())
    );
}

#[test]
fn the_kept_models_score_exactly_as_the_comparison_reported() {
    let (s, cfg) = trained(800, &ALL);
    let trained = s.trained().unwrap();
    let test = &trained.fits[0].split.test;
    let truth = trained.table.schema.churned(test);
    for m in &trained.report.models {
        let scored = block_on(s.score(m.model, &plain())).unwrap();
        let p: Vec<f64> = test.iter().map(|&r| scored.probabilities[r]).collect();
        assert_eq!(
            evaluate(&truth, &p, cfg.threshold),
            m.runs[0].scores,
            "{}",
            m.label
        );
    }
}

#[test]
fn a_model_file_round_trip_gives_identical_probabilities() {
    let (s, _) = trained(700, &ALL);
    let bytes = block_on(s.save_model(&[])).unwrap();
    assert!(bytes.starts_with(MAGIC));
    let file = model_file::read(&bytes, "m.clm").unwrap();
    assert_eq!(file.info.models.len(), ALL.len());
    assert_eq!(file.info.format_version, FORMAT_VERSION);
    for kind in ALL {
        let kept = block_on(s.score(kind, &plain())).unwrap();
        let loaded = block_on(s.score_with(&file, kind, &plain())).unwrap();
        assert_eq!(kept.probabilities, loaded.probabilities, "{}", kind.label());
        assert_eq!(kept.csv, loaded.csv);
    }
    // Only the models asked for.
    let one = block_on(s.save_model(&[ModelKind::RandomForest])).unwrap();
    let file = model_file::read(&one, "rf.clm").unwrap();
    assert_eq!(file.info.models.len(), 1);
    let e = block_on(s.score_with(&file, ModelKind::Gan, &plain())).unwrap_err();
    assert!(
        e.message.contains("no trained GAN (semi-supervised) here"),
        "{e}"
    );
}

/// The sample's CSV with `edit` applied to each line's cells (the header included).
fn edited_sample(edit: impl Fn(usize, &mut Vec<String>)) -> Vec<u8> {
    let text = sample_csv(300, 11);
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
            edit(i, &mut cells);
            cells.join(",")
        })
        .collect();
    lines.join("\n").into_bytes()
}

fn score_table(
    file: &model_file::ModelFile,
    bytes: &[u8],
) -> Result<churnlab::fitted::ScoredReport, churnlab::Error> {
    let (raw, _) = churnlab::ingest::load(bytes, "next.csv", &Default::default())?;
    block_on(
        file.pipeline
            .score(&raw, ModelKind::LogisticRegression, &plain()),
    )
}

#[test]
fn a_table_that_does_not_fit_the_model_is_told_what_differs() {
    let (s, _) = trained(600, &[ModelKind::LogisticRegression]);
    let file = model_file::read(&block_on(s.save_model(&[])).unwrap(), "m.clm").unwrap();
    let header = sample_csv(1, 0)
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect::<Vec<_>>();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Next month's table, without the target: scored, every row.
    let no_target = edited_sample(|_, c| {
        c.remove(at("Churn"));
    });
    assert_eq!(score_table(&file, &no_target).unwrap().rows, 300);
    // A column dropped, another renamed, a numeric column now text.
    let broken = edited_sample(|i, c| {
        if i == 0 {
            c[at("CityTier")] = "Tier".into();
        } else {
            c[at("Tenure")] = "long".into();
        }
        c.remove(at("Complain"));
    });
    let e = score_table(&file, &broken).unwrap_err().message;
    for named in [
        "column 'CityTier' is missing",
        "column 'Complain' is missing",
        "column 'Tenure' was numeric in training but holds text here (e.g. long)",
        "columns the model does not know: Tier",
    ] {
        assert!(e.contains(named), "{named} in {e}");
    }
    // A level training never saw is encoded as none of the training levels, and counted.
    let unseen = edited_sample(|i, c| {
        if i % 3 == 1 {
            c[at("PreferredPaymentMode")] = "Crypto".into();
        }
    });
    let r = score_table(&file, &unseen).unwrap();
    assert!(
        r.notes.iter().any(|n| n
            .contains("'PreferredPaymentMode': 100 rows with levels training never saw (Crypto)")),
        "{:?}",
        r.notes
    );
}

#[test]
fn corrupt_truncated_foreign_and_future_model_files_are_refused_by_name() {
    let (s, _) = trained(500, &ALL);
    let good = block_on(s.save_model(&[])).unwrap();
    let refused = |bytes: &[u8]| model_file::read(bytes, "m.clm").err().map(|e| e.message);
    assert!(
        refused(b"CustomerID,Churn\n1,0\n")
            .unwrap()
            .contains("is not a churnlab model file")
    );
    assert!(
        refused(&good[..10])
            .unwrap()
            .contains("is not a churnlab model file")
    );
    for cut in [20, 40, good.len() / 2, good.len() - 1] {
        let e = refused(&good[..cut]).unwrap();
        assert!(
            e.contains("cut short") || e.contains("checksum"),
            "cut at {cut}: {e}"
        );
    }
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert!(refused(&flipped).unwrap().contains("is damaged"));
    let mut future = good.clone();
    future[16..20].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let e = refused(&future).unwrap();
    assert!(
        e.contains(&format!("model format version {}", FORMAT_VERSION + 1))
            && e.contains("newer churnlab"),
        "{e}"
    );
    // Every single-byte corruption of the header and manifest is refused or, where the bytes
    // still read, loads: never a panic.
    for i in (0..good.len().min(4000)).step_by(37) {
        let mut b = good.clone();
        b[i] = b[i].wrapping_add(1);
        let _ = std::panic::catch_unwind(|| model_file::read(&b, "m.clm").err()).expect("no panic");
    }
}

#[test]
fn scoring_or_generating_before_training_says_to_train_first() {
    let cfg = quick(&ALL);
    let s = Session::load(sample_csv(300, 1).as_bytes(), "s.csv", &cfg).unwrap();
    let e = block_on(s.score(ModelKind::Gan, &plain())).unwrap_err();
    assert!(e.message.contains("train and compare first"), "{e}");
    assert!(block_on(s.synthesize(10, 0)).is_err());
}

/// A report as JSON without what depends on the clock or the process.
fn untimed(report: &churnlab::compare::RunReport) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap();
    common::untimed(&mut v);
    v
}

#[test]
fn fits_made_by_pool_workers_and_adopted_give_the_serial_report_and_models() {
    let mut c = (*quick(&ALL)).clone();
    c.seeds = 3;
    c.augment = true;
    c.jobs = 1;
    let cfg = c.check().unwrap();
    let bytes = sample_csv(500, 3).into_bytes();
    let mut serial = Session::load(&bytes, "sample.csv", &cfg).unwrap();
    let expected = untimed(block_on(serial.run(&cfg, Control::none())).unwrap());
    // Two "workers", each with its own session of the same file, take the jobs in start order.
    let (jobs, order) = churnlab::compare::jobs(&cfg);
    assert_eq!(jobs.len(), 3 * 2 * ALL.len());
    let mut workers: Vec<Session> = (0..2)
        .map(|_| Session::load(&bytes, "sample.csv", &cfg).unwrap())
        .collect();
    let mut packets = vec![Vec::new(); jobs.len()];
    for (k, &i) in order.iter().enumerate() {
        let w = &mut workers[k % 2];
        packets[i] = block_on(w.fit_job(&cfg, jobs[i], Control::none())).unwrap();
    }
    let mut main = Session::load(&bytes, "sample.csv", &cfg).unwrap();
    let adopted = untimed(main.adopt(&cfg, &packets, 1.0).unwrap());
    assert_eq!(adopted, expected);
    // The adopted models score every customer as the serial session's own do.
    for kind in ALL {
        let a = block_on(main.score(kind, &plain())).unwrap();
        let b = block_on(serial.score(kind, &plain())).unwrap();
        assert_eq!(a.probabilities, b.probabilities, "{kind:?}");
        assert_eq!(a.csv, b.csv);
    }
    // Adopting fits nothing, but counts what the pool fitted for the session (and per seed
    // the augmenting GAN).
    assert_eq!(main.counts().model_fits, jobs.len() + 3);
    assert_eq!(main.counts().model_fits, serial.counts().model_fits);
    // Fits in the wrong order are refused by name.
    packets.swap(0, 1);
    let err = main.adopt(&cfg, &packets, 1.0).unwrap_err();
    assert!(err.message.contains("another model's"), "{}", err.message);
    assert!(main.adopt(&cfg, &packets[1..], 1.0).is_err());
}

#[test]
fn synthetic_checks_made_by_pool_workers_give_the_same_report() {
    use churnlab::synthetic::Check;
    let csv = sample_csv(600, 4);
    let (main, cfg) = common::trained_on(&csv, &[ModelKind::Gan]);
    let (alone, _) = common::trained_on(&csv, &[ModelKind::Gan]);
    let expected = block_on(alone.synthesize(300, 2)).unwrap();
    // The pool: the rows made in the session's worker, each check on a helper of its own.
    let (packet, split_seed, checks) = block_on(main.synthesize_draft(300, 2)).unwrap();
    assert_eq!(checks, Check::ALL);
    let done: Vec<(Check, Option<f64>)> = checks
        .iter()
        .map(|&c| {
            let mut helper = Session::load(csv.as_bytes(), "sample.csv", &cfg).unwrap();
            let fake = Some((packet.as_slice(), &cfg, split_seed));
            (c, helper.synthetic_check(c, fake, 2).unwrap())
        })
        .collect();
    let pooled = main.finish_synthesis(&done).unwrap();
    assert_eq!(pooled, expected);
    assert_eq!(pooled.csv, expected.csv);
    // Again with the same seed: the real rows' forest is known now, so not asked for.
    let (_, _, checks) = block_on(main.synthesize_draft(300, 2)).unwrap();
    assert_eq!(checks, [Check::Detection, Check::SyntheticForest]);
    assert_eq!(main.finish_synthesis(&[]).unwrap(), expected);
    assert!(main.finish_synthesis(&[]).is_err(), "no draft waiting");
}

#[test]
fn f1_thresholds_are_chosen_on_validation_rows_and_reported_beside_the_default() {
    let csv = sample_csv(1500, 4);
    let mut c = (*quick(&[ModelKind::LogisticRegression, ModelKind::RandomForest])).clone();
    c.f1_thresholds = true;
    c.seeds = 2;
    let cfg = c.check().unwrap();
    let mut s = Session::load(csv.as_bytes(), "sample.csv", &cfg).unwrap();
    let report = block_on(s.run(&cfg, Control::none())).unwrap().clone();
    for m in &report.models {
        for run in &m.runs {
            let t = run.tuned.as_ref().expect("a validation threshold per run");
            assert!((0.01..=0.99).contains(&t.threshold), "{}", t.threshold);
            // The test scores at it, on the same test rows as those at 0.5.
            assert_eq!(
                run.scores.confusion.tp + run.scores.confusion.fn_,
                t.scores.confusion.tp + t.scores.confusion.fn_
            );
        }
        let tuned = m.summary.tuned.as_ref().unwrap();
        assert_eq!(
            tuned.f1.mean,
            (m.runs[0].tuned.as_ref().unwrap().scores.f1
                + m.runs[1].tuned.as_ref().unwrap().scores.f1)
                / 2.0
        );
    }
    // Off by default: no second fit, nothing reported.
    let plain = quick(&[ModelKind::LogisticRegression]);
    let mut s = Session::load(csv.as_bytes(), "sample.csv", &plain).unwrap();
    let report = block_on(s.run(&plain, Control::none())).unwrap();
    assert!(report.models[0].runs[0].tuned.is_none() && report.models[0].summary.tuned.is_none());
}
