//! From the kept models to a campaign: reasons per customer for every model, the threshold
//! what-if, segments, the leak screen and the leakage lesson — all from what a session keeps.
// The networks are among the models explained here.
#![cfg(feature = "nn")]

use churnlab::block_on;
use churnlab::compare::Control;
use churnlab::config::Config;
use churnlab::fitted::ScoreOptions;
use churnlab::lesson::Protocol;
use churnlab::marketing::Campaign;
use churnlab::model_file;
use churnlab::models::ModelKind;
use churnlab::sample::sample_csv;
use churnlab::session::Session;

mod common;
use common::{quick, trained_on as trained};

fn explained() -> ScoreOptions {
    ScoreOptions {
        explain: true,
        ..ScoreOptions::default()
    }
}

#[test]
fn every_models_reasons_add_up_to_its_score_and_survive_a_model_file() {
    let models = [
        ModelKind::LogisticRegression,
        ModelKind::RandomForest,
        ModelKind::GradientBoosting,
        ModelKind::NaiveBayes,
        ModelKind::Mlp,
        ModelKind::Gan,
    ];
    let (s, _) = trained(&sample_csv(600, 5), &models);
    let fits = s.counts().model_fits;
    let file = model_file::read(&block_on(s.save_model(&[])).unwrap(), "m.clm").unwrap();
    for kind in models {
        let r = block_on(s.score(kind, &explained())).unwrap();
        let e = r.explanation.as_ref().expect("explained");
        assert_eq!(r.customers.len(), r.rows);
        assert_eq!(e.columns.len(), r.customers[0].reasons.len());
        for c in &r.customers {
            let sum = e.base + c.reasons.iter().map(|r| r.contribution).sum::<f64>();
            assert!(
                (sum - c.score).abs() < 1e-6,
                "{kind:?} row {}: {sum} vs {}",
                c.row,
                c.score
            );
            // The score is the model's own: the probability, or its log-odds for LR.
            let p = r.probabilities[c.row];
            let log_odds = matches!(
                kind,
                ModelKind::LogisticRegression | ModelKind::GradientBoosting
            );
            let own = if log_odds { (p / (1.0 - p)).ln() } else { p };
            assert!(
                (own - c.score).abs() < 1e-5,
                "{kind:?}: {own} vs {}",
                c.score
            );
            // Strongest first.
            assert!(
                c.reasons
                    .windows(2)
                    .all(|w| w[0].contribution.abs() >= w[1].contribution.abs())
            );
        }
        assert_eq!(
            e.method.bound.is_some(),
            !matches!(
                kind,
                ModelKind::LogisticRegression
                    | ModelKind::RandomForest
                    | ModelKind::GradientBoosting
            )
        );
        // reason_1..3 in the CSV, as the text of the three strongest.
        let header = r.csv.lines().next().unwrap();
        assert!(
            header.ends_with("risk_segment,reason_1,reason_2,reason_3"),
            "{header}"
        );
        let first = &r.customers[0].reasons[0];
        assert!(r.csv.lines().nth(1).unwrap().contains(&first.text()));
        assert!(!r.action_segments.is_empty());
        let total: usize = r.action_segments.iter().map(|g| g.customers).sum();
        assert_eq!(total, r.rows);
        // The model file explains identically (it keeps the background rows).
        let again = block_on(s.score_with(&file, kind, &explained())).unwrap();
        assert_eq!(again.customers, r.customers, "{kind:?}");
    }
    assert_eq!(s.counts().model_fits, fits, "explaining fits nothing");
}

#[test]
fn knn_scores_without_reasons_and_says_why() {
    let (s, _) = trained(&sample_csv(300, 2), &[ModelKind::Knn]);
    let r = block_on(s.score(ModelKind::Knn, &explained())).unwrap();
    assert!(r.explanation.is_none() && r.customers.is_empty());
    assert!(
        r.notes.iter().any(|n| n.contains("no reasons for KNN")),
        "{:?}",
        r.notes
    );
}

#[test]
fn the_whatif_reads_the_kept_test_scores() {
    let (s, _) = trained(&sample_csv(800, 4), &[ModelKind::RandomForest]);
    let campaign = Campaign::default();
    let w = s.whatif(ModelKind::RandomForest, 0.5, &campaign).unwrap();
    let report = &s.trained().unwrap().report;
    let scores = &report.models[0].runs[0].scores;
    // At 0.5 the what-if's confusion matrix is the comparison's own.
    assert_eq!(w.confusion, scores.confusion);
    assert_eq!(w.rows, report.inspect.split.test_rows);
    let c = &w.confusion;
    let net = c.tp as f64 * 0.3 * 200.0 - (c.tp + c.fp) as f64 * 10.0;
    assert!((w.net_value - net).abs() < 1e-9);
    assert!(w.best_net_value >= w.net_value);
    let low = s.whatif(ModelKind::RandomForest, 0.1, &campaign).unwrap();
    assert!(low.contacted >= w.contacted && low.recall >= w.recall);
    assert!(s.whatif(ModelKind::Gan, 0.5, &campaign).is_err());
}

#[test]
fn permutation_importance_ranks_the_samples_drivers() {
    let (s, _) = trained(&sample_csv(1500, 6), &[ModelKind::LogisticRegression]);
    let imp = block_on(s.importance(ModelKind::LogisticRegression)).unwrap();
    assert_eq!(imp.columns.len(), imp.auc_drop.len());
    let top = imp
        .columns
        .iter()
        .zip(&imp.auc_drop)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    assert!(*top.1 > 0.01, "{imp:?}");
}

/// The sample with a column that is the target in other words.
fn with_leak(rows: usize) -> String {
    let csv = sample_csv(rows, 7);
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let target = cols.iter().position(|c| *c == "Churn").unwrap();
    let mut out = format!("{header},AccountStatus\n");
    for line in lines {
        let churned = line.split(',').nth(target).unwrap() == "1";
        out += &format!("{line},{}\n", if churned { "closed" } else { "active" });
    }
    out
}

#[test]
fn a_leaked_column_is_left_out_by_default_and_kept_on_request() {
    let csv = with_leak(600);
    let cfg = quick(&[ModelKind::RandomForest]);
    let mut s = Session::load(csv.as_bytes(), "leak.csv", &cfg).unwrap();
    let r = s.inspect(&cfg).unwrap();
    let flags = &r.preprocessing.leaks;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].column, "AccountStatus");
    assert!(!flags[0].kept && flags[0].auc > 0.999);
    assert!(
        !r.preprocessing
            .feature_names
            .iter()
            .any(|n| n.starts_with("AccountStatus"))
    );
    block_on(s.run(&cfg, Control::none())).unwrap();
    assert!(s.trained().unwrap().report.too_good.is_none());
    // Kept on request: it is a feature again, and the scores are too good to be true.
    let mut c = Config::clone(&cfg);
    c.preprocess.keep_leaky = vec!["accountstatus".into()];
    let cfg = c.check().unwrap();
    let r = s.inspect(&cfg).unwrap();
    assert!(r.preprocessing.leaks[0].kept);
    assert!(
        r.preprocessing
            .feature_names
            .iter()
            .any(|n| n.starts_with("AccountStatus"))
    );
    let report = block_on(s.run(&cfg, Control::none())).unwrap();
    let warning = report.too_good.as_ref().expect("a too-good warning");
    assert!(
        warning
            .causes
            .iter()
            .any(|c| c.contains("'AccountStatus' is kept")),
        "{warning:?}"
    );
}

#[test]
fn leaky_protocols_inflate_the_scores_they_are_shown_beside() {
    let csv = sample_csv(1200, 8);
    let (s, cfg) = trained(&csv, &[ModelKind::RandomForest]);
    let honest = s.trained().unwrap().report.models[0].summary.clone();
    let over = block_on(s.lesson(&cfg, Protocol::OversampleBeforeSplit)).unwrap();
    assert!(over.added_rows > 0 && over.rows > s.prepared().rows.len());
    let leaky = &over.report.models[0].summary;
    assert!(
        leaky.accuracy.mean > honest.accuracy.mean + 0.02,
        "oversampled {} vs honest {}",
        leaky.accuracy.mean,
        honest.accuracy.mean
    );
    // The session keeps its leak-free models.
    assert_eq!(s.trained().unwrap().report.models[0].summary, honest);
    let dup = block_on(s.lesson(&cfg, Protocol::DuplicatesKept)).unwrap();
    assert_eq!(
        dup.rows,
        s.prepared().cleaning.rows_in - s.prepared().cleaning.missing_target_dropped
    );
    let gan = block_on(s.lesson(
        &quick(&[ModelKind::RandomForest]),
        Protocol::GanRowsBeforeSplit,
    ))
    .unwrap();
    assert!(gan.added_rows > 0);
    assert!(Protocol::parse("oversample-before-split").is_ok());
    assert!(
        Protocol::parse("peek")
            .unwrap_err()
            .message
            .contains("duplicates_kept")
    );
}

#[test]
fn a_closer_look_at_one_customer_narrows_a_sampled_explanation() {
    let (s, _) = trained(
        &sample_csv(500, 9),
        &[ModelKind::Mlp, ModelKind::RandomForest],
    );
    let table = block_on(s.score(ModelKind::Mlp, &explained())).unwrap();
    let row = table.customers[7].row;
    let (e, c) = block_on(s.explain_customer(None, ModelKind::Mlp, row, 128)).unwrap();
    assert_eq!(c.row, row);
    assert_eq!(e.method.samples, Some(128));
    let table_bound = table.explanation.unwrap().median_half_width.unwrap();
    assert!(
        e.method.bound.unwrap() < table_bound,
        "{:?} vs {table_bound}",
        e.method.bound
    );
    let sum = e.base + c.reasons.iter().map(|r| r.contribution).sum::<f64>();
    assert!((sum - c.score).abs() < 1e-9 && (c.score - table.probabilities[row]).abs() < 1e-6);
    // An exact method gives the table's own numbers.
    let rf = block_on(s.score(ModelKind::RandomForest, &explained())).unwrap();
    let (_, one) = block_on(s.explain_customer(None, ModelKind::RandomForest, 3, 128)).unwrap();
    assert_eq!(one.reasons, rf.customers[3].reasons);
    assert!(block_on(s.explain_customer(None, ModelKind::Mlp, 10_000, 16)).is_err());
}

#[test]
fn explanations_computed_in_parts_by_pool_workers_are_the_whole_tables() {
    let models = [
        ModelKind::LogisticRegression,
        ModelKind::RandomForest,
        ModelKind::NaiveBayes,
        ModelKind::Gan,
    ];
    let csv = sample_csv(700, 6);
    let (s, cfg) = trained(&csv, &models);
    // A pool worker: its own session of the same file, the kept models as a model file.
    let helper = Session::load(csv.as_bytes(), "sample.csv", &cfg).unwrap();
    let file = model_file::read(&block_on(s.save_model(&[])).unwrap(), "m.clm").unwrap();
    let whole = |r: &churnlab::fitted::ScoredReport| {
        let e = r.explanation.clone().unwrap();
        (
            r.csv.clone(),
            r.customers.clone(),
            r.action_segments.clone(),
            e.mean_abs,
            e.median_half_width,
            e.method,
            e.base,
        )
    };
    for kind in models {
        let serial = block_on(s.score(kind, &explained())).unwrap();
        let samples = explained().samples;
        let parts: Vec<Vec<u8>> = (0..3)
            .map(|k| match k {
                0 => block_on(s.explain_part(None, kind, samples, (k, 3))).unwrap(),
                _ => block_on(helper.explain_part(Some(&file), kind, samples, (k, 3))).unwrap(),
            })
            .collect();
        let opts = ScoreOptions {
            parts: parts.clone(),
            ..explained()
        };
        let pooled = block_on(s.score(kind, &opts)).unwrap();
        assert_eq!(whole(&pooled), whole(&serial), "{kind:?}");
        // Parts out of order or missing are refused.
        let short = ScoreOptions {
            parts: parts[..2].to_vec(),
            ..explained()
        };
        assert!(block_on(s.score(kind, &short)).is_err(), "{kind:?}");
    }
}
