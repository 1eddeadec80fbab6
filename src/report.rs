//! Report: the stages' results as plain text for a terminal (`churnlab inspect` without `--json`).

use std::fmt::Write;

use crate::prepare::InspectReport;
use crate::schema::{Kind, Role};

fn pct(part: usize, whole: usize) -> String {
    format!("{:.2} %", 100.0 * part as f64 / whole.max(1) as f64)
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e12 => format!("{v}"),
        Some(v) => format!("{v:.3}"),
        None => "–".into(),
    }
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::Numeric => "numeric",
        Kind::Categorical => "categorical",
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Target => "target",
        Role::Id => "id",
        Role::Feature => "feature",
        Role::Ignored => "ignored",
    }
}

/// The whole inspect report as text.
pub fn inspect_text(r: &InspectReport) -> String {
    let mut o = String::new();
    source_text(&mut o, r);
    target_text(&mut o, r);
    columns_text(&mut o, r);
    correlation_text(&mut o, r);
    cleaning_text(&mut o, r);
    split_text(&mut o, r);
    fitted_text(&mut o, r);
    encoding_text(&mut o, r);
    selection_text(&mut o, r);
    stages_text(&mut o, r);
    o
}

/// The width of the column names' column.
fn name_width(r: &InspectReport) -> usize {
    let names = r.exploration.summary.iter().map(|c| c.name.chars().count());
    names.max().unwrap_or(4).max(6)
}

/// The file: how it was read, its size and the notes of reading it and of its schema.
fn source_text(o: &mut String, r: &InspectReport) {
    let s = &r.source;
    let mut how = vec![s.format.clone()];
    how.extend(s.delimiter.as_ref().map(|d| format!("delimiter '{d}'")));
    how.extend(s.encoding.clone());
    how.extend(s.sheet.as_ref().map(|n| format!("sheet '{n}'")));
    let _ = writeln!(o, "{} ({})", s.file_name, how.join(", "));
    let _ = writeln!(o, "{} rows × {} columns", s.rows, s.columns);
    for n in &s.notes {
        let _ = writeln!(o, "  note: {n}");
    }
    for v in &s.non_numeric {
        let ex: Vec<String> = v
            .examples
            .iter()
            .map(|c| format!("row {}: '{}'", c.row, c.value))
            .collect();
        let _ = writeln!(
            o,
            "  note: '{}' has {} non-numeric values, read as missing ({})",
            v.column,
            v.count,
            ex.join(", ")
        );
    }
    for n in &r.schema.notes {
        let _ = writeln!(o, "  note: {n}");
    }
}

/// The target column and its classes.
fn target_text(o: &mut String, r: &InspectReport) {
    let t = &r.schema.target;
    let total = t.positives + t.negatives;
    let _ = writeln!(o, "\nTarget: {}", t.reason);
    let _ = writeln!(
        o,
        "  positive '{}': {} ({}), negative '{}': {}{}",
        t.positive,
        t.positives,
        pct(t.positives, total),
        t.negative,
        t.negatives,
        if t.missing > 0 {
            format!(", missing: {}", t.missing)
        } else {
            String::new()
        }
    );
}

/// One line per column: kind, role, missing, distinct values, range, top levels or why.
fn columns_text(o: &mut String, r: &InspectReport) {
    let _ = writeln!(o, "\nColumns");
    let w = name_width(r);
    let _ = writeln!(
        o,
        "  {:<w$}  {:<11}  {:<7}  {:>7}  {:>6}  {:>9}  {:>9}  {:>9}  {:>9}  top levels / why",
        "column", "kind", "role", "missing", "unique", "min", "max", "mean", "std"
    );
    for (c, info) in r.exploration.summary.iter().zip(&r.schema.columns) {
        let mut extra: Vec<String> = c
            .top
            .iter()
            .take(4)
            .map(|l| format!("{} {}", l.level, l.count))
            .collect();
        if c.top.len() > 4 {
            extra.push("…".into());
        }
        let mut tail = extra.join(", ");
        if !info.reason.is_empty() && info.role != Role::Target {
            tail = if tail.is_empty() {
                info.reason.clone()
            } else {
                format!("{tail}; {}", info.reason)
            };
        }
        let _ = writeln!(
            o,
            "  {:<w$}  {:<11}  {:<7}  {:>7}  {:>6}  {:>9}  {:>9}  {:>9}  {:>9}  {tail}",
            c.name,
            kind(c.kind),
            role(c.role),
            c.missing,
            c.unique,
            num(c.min),
            num(c.max),
            num(c.mean),
            num(c.std)
        );
    }
}

/// The features' correlations with the target, strongest first.
fn correlation_text(o: &mut String, r: &InspectReport) {
    let corr = &r.exploration.correlation;
    if let Some(last) = corr.values.last() {
        let mut pairs: Vec<(&String, f64)> = corr
            .columns
            .iter()
            .zip(last)
            .take(corr.columns.len() - 1)
            .filter_map(|(n, v)| v.map(|v| (n, v)))
            .collect();
        pairs.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
        let shown: Vec<String> = pairs
            .iter()
            .take(8)
            .map(|(n, v)| format!("{n} {v:+.3}"))
            .collect();
        let _ = writeln!(
            o,
            "\nCorrelation with '{}' (Pearson, strongest first): {}",
            r.schema.target.column,
            shown.join(", ")
        );
        if corr.omitted > 0 {
            let _ = writeln!(
                o,
                "  (the matrix holds the {} numeric features most correlated with it; {} more are left out)",
                corr.columns.len() - 1,
                corr.omitted
            );
        }
    }
}

/// What cleaning changed: labels, rows without a target, duplicates, suggested merges.
fn cleaning_text(o: &mut String, r: &InspectReport) {
    let c = &r.cleaning;
    let _ = writeln!(o, "\nCleaning ({} rows in, {} out)", c.rows_in, c.rows_out);
    if c.label_changes.is_empty() {
        let _ = writeln!(o, "  labels: nothing to change");
    }
    for l in &c.label_changes {
        let _ = writeln!(
            o,
            "  labels: {}: '{}' → '{}' ({} rows, {})",
            l.column, l.from, l.to, l.rows, l.why
        );
    }
    for m in &c.unused_mappings {
        let _ = writeln!(o, "  labels: mapping {m} matched nothing");
    }
    if c.missing_target_dropped > 0 {
        let _ = writeln!(
            o,
            "  {} rows without a target dropped",
            c.missing_target_dropped
        );
    }
    let ex: Vec<String> = c
        .duplicate_examples
        .iter()
        .map(|(a, b)| format!("row {a} = row {b}"))
        .collect();
    let _ = writeln!(
        o,
        "  duplicates: {} rows removed (all columns but IDs compared){}",
        c.duplicates_removed,
        if ex.is_empty() {
            String::new()
        } else {
            format!(", e.g. {}", ex.join(", "))
        }
    );
    for m in &c.suggested_merges {
        let _ = writeln!(
            o,
            "  suggested merge ({}): {}: '{}' ({} rows) = '{}' ({} rows); apply with --map \"{}:{}={}\"",
            m.why, m.column, m.from, m.from_rows, m.to, m.to_rows, m.column, m.from, m.to
        );
    }
}

/// The split.
fn split_text(o: &mut String, r: &InspectReport) {
    let sp = &r.split;
    let _ = writeln!(
        o,
        "\nSplit (stratified, test {:.0} %, seed {}): train {} rows ({} positive), test {} rows ({} positive)",
        sp.test_fraction * 100.0,
        sp.seed,
        sp.train_rows,
        sp.train_positives,
        sp.test_rows,
        sp.test_positives
    );
}

/// What was fitted on the training rows: imputation and outlier fences.
fn fitted_text(o: &mut String, r: &InspectReport) {
    let p = &r.preprocessing;
    let _ = writeln!(o, "\nFitted on the {} training rows only", p.train_rows);
    for i in &p.imputation {
        let _ = writeln!(
            o,
            "  impute {}: {} missing in train, {} in test → {}{}",
            i.column,
            i.train_missing,
            i.test_missing,
            i.fill,
            if i.indicator {
                " (+ missing indicator)"
            } else {
                ""
            }
        );
    }
    let out = &p.outliers;
    let _ = writeln!(o, "  outliers: {:?} at {}×IQR", out.method, out.k);
    for ch in &out.columns {
        let _ = writeln!(
            o,
            "    {}: fences [{}, {}], outside: {} train, {} test",
            ch.column,
            num(Some(ch.lo)),
            num(Some(ch.hi)),
            ch.train_outside,
            ch.test_outside
        );
    }
    if !out.skipped.is_empty() {
        let _ = writeln!(
            o,
            "    left alone (IQR 0 or ≤ 2 values): {}",
            out.skipped.join(", ")
        );
    }
    if out.train_rows_dropped > 0 {
        let _ = writeln!(o, "    {} training rows dropped", out.train_rows_dropped);
    }
}

/// Each categorical column's encoding.
fn encoding_text(o: &mut String, r: &InspectReport) {
    let p = &r.preprocessing;
    for e in &p.encoding {
        let unseen = if e.unseen_test_rows > 0 {
            format!(
                "; {} test rows have unseen levels ({})",
                e.unseen_test_rows,
                e.unseen_levels.join(", ")
            )
        } else {
            String::new()
        };
        if e.encoding == "frequency" {
            let _ = writeln!(
                o,
                "  frequency {}: {} levels, more than one input each can carry (--one-hot-max): one input, each level's share of the training rows{unseen}",
                e.column, e.training_levels
            );
        } else {
            let other = if e.other_levels.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} levels under {} training rows share one 'other' input ({}; --min-level-rows)",
                    e.other_levels.len(),
                    e.min_level_rows,
                    e.other_levels.join(", ")
                )
            };
            let _ = writeln!(
                o,
                "  one-hot {}: {} levels{other}{unseen}",
                e.column, e.training_levels
            );
        }
    }
}

/// Likely leaks, the feature scores and the model inputs.
fn selection_text(o: &mut String, r: &InspectReport) {
    let p = &r.preprocessing;
    for l in &p.leaks {
        let _ = writeln!(
            o,
            "  LEAK? {}: ROC-AUC {:.3} alone on the training rows ({}); {}",
            l.column,
            l.auc,
            l.how,
            if l.kept {
                "kept, as asked"
            } else {
                "left out (keep it with --keep-leaky)"
            }
        );
    }
    let sel = &p.selection;
    let w = name_width(r);
    let _ = writeln!(
        o,
        "  feature scores ({:?}, keep {:?}):",
        sel.score_by, sel.keep
    );
    for f in &sel.scores {
        let _ = writeln!(
            o,
            "    {:<w$}  MI {:.4}  |r| {:.3}  {}",
            f.column,
            f.mutual_information,
            f.correlation,
            if f.kept { "kept" } else { "dropped" }
        );
    }
    let _ = writeln!(
        o,
        "  model inputs: {} columns{}",
        p.feature_names.len(),
        if p.scaled { ", standardised" } else { "" }
    );
}

/// Each stage's time and peak memory.
fn stages_text(o: &mut String, r: &InspectReport) {
    let _ = writeln!(o, "\nStages (time; peak memory by the end)");
    for st in &r.stages {
        let peak = st
            .peak_mib
            .map_or(String::new(), |m| format!("; {m:.0} MiB"));
        let _ = writeln!(o, "  {:<24} {:>8.3} s{peak}", st.name, st.seconds);
    }
}

fn cell(m: &crate::compare::MeanStd, percent: bool, seeds: usize) -> String {
    let k = if percent { 100.0 } else { 1.0 };
    if seeds > 1 {
        format!("{:.2} ± {:.2}", m.mean * k, m.std * k)
    } else {
        format!("{:.2}", m.mean * k)
    }
}

/// The comparison table of `churnlab run` (Table 3 of the paper, measured leak-free).
pub fn run_text(r: &crate::compare::RunReport) -> String {
    let mut o = String::new();
    let s = &r.inspect.split;
    let _ = writeln!(
        o,
        "{}: {} rows after cleaning; per seed {} training / {} test rows; seeds {:?}; churn at p ≥ {}",
        r.inspect.source.file_name,
        r.inspect.cleaning.rows_out,
        s.train_rows,
        s.test_rows,
        r.seeds,
        r.threshold
    );
    scores_table(&mut o, r);
    for note in r
        .models
        .iter()
        .filter_map(|m| m.runs.first()?.note.as_ref())
    {
        let _ = writeln!(o, "note: {note}");
    }
    tuned_and_paired(&mut o, r);
    confusions_and_warning(&mut o, r);
    let _ = writeln!(o, "\ntotal {:.2} s", r.total_seconds);
    o
}

/// Each model's test scores and times, mean ± std over the seeds, and the majority class.
fn scores_table(o: &mut String, r: &crate::compare::RunReport) {
    let seeds = r.seeds.len();
    let _ = writeln!(
        o,
        "\n{:<34}  {:>15}  {:>15}  {:>15}  {:>15}  {:>15}  {:>12}  {:>12}",
        "model (test rows, %)",
        "accuracy",
        "precision",
        "recall",
        "F1",
        "ROC-AUC",
        "train s",
        "predict s"
    );
    for m in &r.models {
        let x = &m.summary;
        let _ = writeln!(
            o,
            "{:<34}  {:>15}  {:>15}  {:>15}  {:>15}  {:>15}  {:>12}  {:>12}",
            m.label,
            cell(&x.accuracy, true, seeds),
            cell(&x.precision, true, seeds),
            cell(&x.recall, true, seeds),
            cell(&x.f1, true, seeds),
            cell(&x.roc_auc, true, seeds),
            cell(&x.train_seconds, false, seeds),
            cell(&x.predict_seconds, false, seeds)
        );
    }
    let _ = writeln!(
        o,
        "{:<34}  {:>15.2}",
        "majority class",
        r.majority_accuracy * 100.0
    );
}

/// Each model's scores at its F1-optimal threshold (where asked) and its paired difference.
fn tuned_and_paired(o: &mut String, r: &crate::compare::RunReport) {
    for m in &r.models {
        if let Some(t) = &m.summary.tuned {
            let _ = writeln!(
                o,
                "{:<34}  at its F1-optimal threshold {:.2} ± {:.2} (chosen on validation rows): accuracy {:.2} ± {:.2} %, precision {:.2}, recall {:.2}, F1 {:.2} ± {:.2}",
                m.label,
                t.threshold.mean,
                t.threshold.std,
                100.0 * t.accuracy.mean,
                100.0 * t.accuracy.std,
                100.0 * t.precision.mean,
                100.0 * t.recall.mean,
                100.0 * t.f1.mean,
                100.0 * t.f1.std
            );
        }
    }
    for m in &r.models {
        if let Some(p) = &m.paired {
            let _ = writeln!(
                o,
                "{:<34}  paired with {} per seed: accuracy {:+.2} ± {:.2} points, F1 {:+.2} ± {:.2}; higher F1 on {} of {} seeds",
                m.label,
                p.against,
                p.accuracy.mean,
                p.accuracy.std,
                p.f1.mean,
                p.f1.std,
                p.wins,
                m.runs.len()
            );
        }
    }
}

/// The first seed's confusion matrices, and the too-good-to-be-true warning.
fn confusions_and_warning(o: &mut String, r: &crate::compare::RunReport) {
    for m in &r.models {
        let c = &m.runs[0].scores.confusion;
        let _ = writeln!(
            o,
            "\nconfusion, {} (seed {}): TP {}  FP {}  FN {}  TN {}",
            m.label, m.runs[0].seed, c.tp, c.fp, c.fn_, c.tn
        );
    }
    if let Some(w) = &r.too_good {
        let _ = writeln!(o, "\n{} Likely causes:", w.message);
        for c in &w.causes {
            let _ = writeln!(o, "  - {c}");
        }
    }
}
