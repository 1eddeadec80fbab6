//! The `churnlab` binary as a user runs it.

use churnlab::models::ModelKind;
use std::process::{Command, Output};

mod common;
use common::untimed;

fn churnlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_churnlab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn sample_file(dir: &std::path::Path) -> String {
    let path = dir.join("sample.csv");
    let out = churnlab(&[
        "sample",
        "--rows",
        "800",
        "--seed",
        "3",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    path.to_string_lossy().into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("churnlab-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn inspect_json_has_every_documented_key() {
    let dir = temp_dir("json");
    let file = sample_file(&dir);
    let out = churnlab(&["inspect", &file, "--json", "--preset", "ecommerce-churn"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    for key in [
        "source",
        "schema",
        "exploration",
        "cleaning",
        "split",
        "preprocessing",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    assert_eq!(v["source"]["rows"], 800);
    assert_eq!(v["schema"]["target"]["column"], "Churn");
    assert_eq!(
        v["exploration"]["distributions"].as_array().unwrap().len(),
        18
    );
    let rows_out = v["cleaning"]["rows_out"].as_u64().unwrap();
    let split =
        v["split"]["train_rows"].as_u64().unwrap() + v["split"]["test_rows"].as_u64().unwrap();
    assert_eq!(rows_out, split);
    assert!(
        v["cleaning"]["duplicates_removed"].as_u64().unwrap() > 0,
        "the sample carries duplicates"
    );
    assert!(
        !v["cleaning"]["label_changes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn inspect_writes_the_model_inputs_of_both_parts_with_their_rows_and_classes() {
    let dir = temp_dir("inputs");
    let file = sample_file(&dir);
    let out_dir = dir.join("inputs");
    let out = churnlab(&[
        "inspect",
        &file,
        "--json",
        "--preset",
        "ecommerce-churn",
        "--write-inputs",
        out_dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["preprocessing"]["feature_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    // The table's own classes, by 1-based data row.
    let mut table = csv::Reader::from_path(&file).unwrap();
    let churn = table
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "Churn")
        .unwrap();
    let classes: Vec<String> = table
        .records()
        .map(|r| r.unwrap()[churn].to_string())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (part, rows) in [("train", "train_rows"), ("test", "test_rows")] {
        let mut r = csv::Reader::from_path(out_dir.join(format!("{part}.csv"))).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header[0], "row");
        assert_eq!(header[1..=names.len()], names[..]);
        assert_eq!(header.last().unwrap(), "Churn");
        let records: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(records.len() as u64, v["split"][rows].as_u64().unwrap());
        for rec in &records {
            let row: usize = rec[0].parse().unwrap();
            assert!(seen.insert(row), "row {row} is in one part only, once");
            assert_eq!(rec[rec.len() - 1], classes[row - 1], "row {row}'s class");
            for cell in rec.iter().skip(1) {
                assert!(cell.parse::<f32>().unwrap().is_finite());
            }
        }
    }
}

#[test]
fn inspect_text_names_every_stage() {
    let dir = temp_dir("text");
    let file = sample_file(&dir);
    let charts = dir.join("charts");
    let out = churnlab(&[
        "inspect",
        &file,
        "--outliers",
        "none",
        "--select",
        "top:5",
        "--charts",
        charts.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for part in [
        "800 rows × 20 columns",
        "Target:",
        "Columns",
        "Cleaning",
        "Split",
        "Fitted on the",
        "dropped",
    ] {
        assert!(text.contains(part), "no '{part}' in:\n{text}");
    }
    // One heatmap and one distribution chart per feature, each an SVG.
    let svgs: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(svgs.len(), 19);
    assert!(
        svgs.iter()
            .all(|s| s.starts_with("<svg") && s.trim_end().ends_with("</svg>"))
    );
}

#[test]
fn bad_input_and_bad_options_exit_non_zero_with_one_line() {
    let dir = temp_dir("bad");
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let file = sample_file(&dir);
    let cases: [(Vec<&str>, i32, &str); 7] = [
        (vec!["inspect", empty.to_str().unwrap()], 1, "is empty"),
        (vec!["inspect", "/no/such/file.csv"], 1, "cannot read"),
        (
            vec!["inspect", &file, "--target", "Nope"],
            2,
            "no column named 'Nope'",
        ),
        (
            vec!["inspect", &file, "--outliers", "maybe"],
            2,
            "invalid value 'maybe' for '--outliers",
        ),
        (
            vec!["inspect", &file, "--seeed", "1"],
            2,
            "a similar argument exists: '--seed'",
        ),
        (
            vec!["run", &file, "--epochs", "0"],
            2,
            "models.nn.epochs (at least 1, --epochs) is 0",
        ),
        (
            vec!["frobnicate"],
            2,
            "unrecognized subcommand 'frobnicate'",
        ),
    ];
    for (args, code, needle) in cases {
        let out = churnlab(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("churnlab: ") && err.contains(needle),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn run_compares_models_as_one_json_document() {
    let dir = temp_dir("run");
    let file = sample_file(&dir);
    let out = churnlab(&[
        "run",
        &file,
        "--json",
        "--epochs",
        "2",
        "--seeds",
        "2",
        "--models",
        "gan,lr,nb",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["seeds"], serde_json::json!([0, 1]));
    let models = v["models"].as_array().unwrap();
    let names: Vec<&str> = models
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gan", "logistic_regression", "naive_bayes"]);
    for m in models {
        assert_eq!(m["runs"].as_array().unwrap().len(), 2);
        for key in [
            "accuracy",
            "precision",
            "recall",
            "f1",
            "roc_auc",
            "pr_auc",
            "train_seconds",
        ] {
            let mean = m["summary"][key]["mean"].as_f64().unwrap();
            assert!(
                mean >= 0.0 && (key == "train_seconds" || mean <= 1.0),
                "{key} {mean}"
            );
        }
        let c = &m["runs"][0]["scores"]["confusion"];
        let total: u64 = ["tp", "fp", "tn", "fn"]
            .iter()
            .map(|k| c[k].as_u64().unwrap())
            .sum();
        assert_eq!(total, v["inspect"]["split"]["test_rows"].as_u64().unwrap());
    }
    assert_eq!(models[0]["runs"][0]["history"].as_array().unwrap().len(), 2);
    assert!(
        models[1]["runs"][0]["history"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let bad = churnlab(&["run", &file, "--models", "svm"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown model 'svm'"));
}

#[test]
fn synth_writes_valid_customers_with_the_input_header() {
    let dir = temp_dir("synth");
    let file = sample_file(&dir);
    let out_csv = dir.join("synthetic.csv");
    let out = churnlab(&[
        "synth",
        &file,
        "--rows",
        "300",
        "--epochs",
        "3",
        "--preset",
        "ecommerce-churn",
        "--json",
        "--out",
        out_csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The rows asked for, less those dropped for being near copies of a real customer.
    let (rows, dropped) = (
        v["rows"].as_u64().unwrap(),
        v["quality"]["privacy"]["dropped"].as_u64().unwrap(),
    );
    assert_eq!(rows + dropped, 300);
    assert!(dropped < 30, "{dropped} of 300 dropped");
    let q = &v["quality"];
    assert_eq!(q["columns"].as_array().unwrap().len(), 18);
    for key in [
        "shape_score",
        "correlation_score",
        "detection_auc",
        "detection_score",
        "tstr_f1",
        "trtr_f1",
    ] {
        let x = q[key].as_f64().unwrap_or_else(|| panic!("{key} missing"));
        assert!((0.0..=1.0).contains(&x), "{key} {x}");
    }

    let real = std::fs::read_to_string(&file).unwrap();
    let synth = std::fs::read_to_string(&out_csv).unwrap();
    let parse = |text: &str| -> Vec<Vec<String>> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        r.records()
            .map(|rec| rec.unwrap().iter().map(String::from).collect())
            .collect()
    };
    let (real, synth) = (parse(&real), parse(&synth));
    assert_eq!(synth[0], real[0], "same header");
    assert_eq!(synth.len() as u64, rows + 1);
    let churners = synth[1..].iter().filter(|r| r[1] == "1").count();
    assert_eq!(churners as u64, v["churners"].as_u64().unwrap());
    // After the preset, these are the only levels the real table has.
    let levels = |col: usize| -> std::collections::BTreeSet<String> {
        let map = |s: &str| match s {
            "Phone" | "Mobile" => "Mobile Phone".to_string(),
            "CC" => "Credit Card".to_string(),
            "COD" => "Cash on Delivery".to_string(),
            other => other.to_string(),
        };
        real[1..]
            .iter()
            .map(|r| map(&r[col]))
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (i, name) in real[0].iter().enumerate() {
        let values: Vec<&String> = synth[1..]
            .iter()
            .map(|r| &r[i])
            .filter(|c| !c.is_empty())
            .collect();
        match name.as_str() {
            "CustomerID" => assert!(values.iter().all(|c| c.starts_with("SYN-"))),
            "PreferredLoginDevice"
            | "PreferredPaymentMode"
            | "Gender"
            | "PreferedOrderCat"
            | "MaritalStatus" => {
                let valid = levels(i);
                assert!(
                    values.iter().all(|c| valid.contains(*c)),
                    "{name}: {values:?}"
                );
            }
            _ => {
                let real_values: Vec<f64> =
                    real[1..].iter().filter_map(|r| r[i].parse().ok()).collect();
                let (lo, hi) = real_values
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
                for c in values {
                    let x: f64 = c
                        .parse()
                        .unwrap_or_else(|_| panic!("{name}: '{c}' is not a number"));
                    assert!(x >= lo && x <= hi, "{name}: {x} outside [{lo}, {hi}]");
                }
            }
        }
    }
}

#[test]
fn augmentation_adds_one_row_per_model() {
    let dir = temp_dir("augment");
    let file = sample_file(&dir);
    let out = churnlab(&[
        "run",
        &file,
        "--json",
        "--epochs",
        "2",
        "--models",
        "lr",
        "--augment",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(String, bool)> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["label"].as_str().unwrap().to_string(),
                m["augmented"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("Logistic Regression".to_string(), false),
            ("Logistic Regression + GAN rows".to_string(), true)
        ]
    );
}

#[test]
fn score_gives_every_customer_a_probability_and_a_segment() {
    let dir = temp_dir("score");
    let file = sample_file(&dir);
    let out = churnlab(&[
        "score",
        &file,
        "--model",
        "lr",
        "--json",
        "--out",
        dir.join("s.csv").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rows"], 800);
    let total: u64 = v["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_u64().unwrap())
        .sum();
    assert_eq!(total, 800);
    let text = std::fs::read_to_string(dir.join("s.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().clone();
    assert_eq!(&header[header.len() - 2], "churn_probability");
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        let p: f64 = rec[rec.len() - 2].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(&rec[rec.len() - 1], churnlab::metrics::segment(p));
        n += 1;
    }
    assert_eq!(n, 800);
}

#[test]
fn version_and_per_command_help() {
    let out = churnlab(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("churnlab {}", env!("CARGO_PKG_VERSION"))
    );
    let out = churnlab(&["score", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success() && help.contains("--load <FILE>"),
        "{help}"
    );
}

#[test]
fn a_saved_model_scores_a_new_table_without_fitting() {
    let dir = temp_dir("model");
    let file = sample_file(&dir);
    let model = dir.join("model.clm");
    let out = churnlab(&[
        "run",
        &file,
        "--models",
        "lr,rf",
        "--save",
        model.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Next month's customers: the sample with a different seed, without its target column.
    let next = dir.join("next.csv");
    let text = churnlab::sample::sample_csv(300, 7);
    let stripped: Vec<String> = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            cells.remove(1);
            cells.join(",")
        })
        .collect();
    std::fs::write(&next, stripped.join("\n")).unwrap();
    let scored = dir.join("scored.csv");
    let out = churnlab(&[
        "score",
        next.to_str().unwrap(),
        "--load",
        model.to_str().unwrap(),
        "--model",
        "rf",
        "--out",
        scored.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("300 customers scored by Random Forest"),
        "{err}"
    );
    let csv = std::fs::read_to_string(&scored).unwrap();
    assert_eq!(csv.lines().count(), 301);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",churn_probability,risk_segment")
    );
    // A table that lacks a column the model needs is refused, naming it.
    let bad = dir.join("bad.csv");
    let lines: Vec<String> = stripped
        .iter()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != 1)
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = churnlab(&[
        "score",
        bad.to_str().unwrap(),
        "--load",
        model.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("column 'Tenure' is missing"), "{err}");
    // Not a model file.
    let out = churnlab(&["score", next.to_str().unwrap(), "--load", &file]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is not a churnlab model file"), "{err}");
}

#[test]
fn a_bad_value_in_a_config_file_is_named_by_its_option() {
    let dir = temp_dir("config");
    let file = sample_file(&dir);
    let config = dir.join("options.json");
    std::fs::write(
        &config,
        r#"{"models": {"nn": {"epochs": -3}}, "threshold": 2}"#,
    )
    .unwrap();
    let out = churnlab(&["run", &file, "--config", config.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("models.nn.epochs: invalid value: integer `-3`"),
        "{err}"
    );
}

#[test]
fn score_with_reasons_writes_reason_columns_segments_and_the_whatif() {
    let dir = temp_dir("reasons");
    let file = sample_file(&dir);
    let (scored, segments, charts) = (
        dir.join("scored.csv"),
        dir.join("segments.csv"),
        dir.join("charts"),
    );
    let out = churnlab(&[
        "score",
        &file,
        "--model",
        "rf",
        "--reasons",
        "2",
        "--segments",
        segments.to_str().unwrap(),
        "--out",
        scored.to_str().unwrap(),
        "--threshold",
        "0.3",
        "--offer-cost",
        "5",
        "--charts",
        charts.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let csv = std::fs::read_to_string(&scored).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",churn_probability,risk_segment,reason_1,reason_2")
    );
    // Every row has its two reasons, written `Column = value (+0.12)`.
    let reason = regex_free_reason(csv.lines().nth(1).unwrap());
    assert!(reason, "{}", csv.lines().nth(1).unwrap());
    let seg = std::fs::read_to_string(&segments).unwrap();
    assert!(seg.starts_with(
        "risk,dominant_reason,customers,mean_churn_probability,churn_rate,suggested_action\n"
    ));
    assert!(
        err.contains("exact (TreeSHAP) Shapley values in probability"),
        "{err}"
    );
    assert!(err.contains("threshold 0.30 on "), "{err}");
    assert!(err.contains("permutation importance"), "{err}");
    for chart in [
        "importance-contributions.svg",
        "importance-permutation.svg",
        "net-value.svg",
    ] {
        let svg = std::fs::read_to_string(charts.join(chart)).unwrap();
        assert!(svg.starts_with("<svg"), "{chart}");
    }
    let bad = churnlab(&["score", &file, "--reasons", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--reasons needs at least 1"));
    let bad = churnlab(&["score", &file, "--model", "lr", "--success-rate", "1.5"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("success rate (0 to 1) is 1.5"));
}

/// Whether the last two cells of a scored row read like reasons: `Column = value (+0.12)`.
fn regex_free_reason(row: &str) -> bool {
    row.rsplit(',').take(2).all(|cell| {
        let cell = cell.trim_matches('"');
        cell.contains(" = ") && cell.ends_with(')') && (cell.contains("(+") || cell.contains("(-"))
    })
}

#[test]
fn inspect_suggests_merges_and_flags_a_leaked_column() {
    let dir = temp_dir("leak");
    let file = sample_file(&dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let churn = header.split(',').position(|c| c == "Churn").unwrap();
    let mut leaky = format!("{header},Status\n");
    for line in lines {
        let gone = line.split(',').nth(churn) == Some("1");
        leaky += &format!("{line},{}\n", if gone { "cancelled" } else { "active" });
    }
    let path = dir.join("leaky.csv");
    std::fs::write(&path, leaky).unwrap();
    let out = churnlab(&["inspect", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        stdout.contains("suggested merge (initials): PreferredPaymentMode: 'CC'"),
        "{stdout}"
    );
    assert!(stdout.contains("LEAK? Status: ROC-AUC 1.000"), "{stdout}");
    let kept = churnlab(&["inspect", path.to_str().unwrap(), "--keep-leaky", "Status"]);
    assert!(String::from_utf8_lossy(&kept.stdout).contains("kept, as asked"));
}

#[test]
fn a_text_column_of_many_values_becomes_one_input_not_hundreds() {
    let dir = temp_dir("surnames");
    let file = sample_file(&dir);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    let mut wide = format!("{},Surname\n", lines.next().unwrap());
    for (i, line) in lines.enumerate() {
        // 300 surnames over 800 rows: repeated, so not an ID, but far too many for one-hot.
        wide += &format!("{line},Name{}\n", (i * 7) % 300);
    }
    let path = dir.join("surnames.csv");
    std::fs::write(&path, wide).unwrap();
    let out = churnlab(&["inspect", path.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json["preprocessing"];
    let surname = p["encoding"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["column"] == "Surname")
        .expect("Surname is a feature");
    assert_eq!(surname["encoding"], "frequency");
    assert!(surname["training_levels"].as_u64().unwrap() > 250);
    let names = p["feature_names"].as_array().unwrap();
    let surnames = |prefix: &str| {
        names
            .iter()
            .filter(|n| n.as_str().unwrap().starts_with(prefix))
            .count()
    };
    assert_eq!(surnames("Surname"), 1, "one input for Surname");
    let text = churnlab(&["inspect", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("frequency Surname: "));
    // With a higher bound it is one-hot again.
    let out = churnlab(&[
        "inspect",
        path.to_str().unwrap(),
        "--json",
        "--one-hot-max",
        "1000",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = json["preprocessing"]["feature_names"].as_array().unwrap();
    let one_hot = names
        .iter()
        .filter(|n| n.as_str().unwrap().starts_with("Surname="))
        .count();
    assert!(one_hot > 250, "{one_hot} inputs");
    let run = churnlab(&[
        "run",
        path.to_str().unwrap(),
        "--models",
        "lr,rf,gbdt",
        "--json",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn jobs_1_and_jobs_2_give_the_same_report() {
    let dir = temp_dir("jobs");
    let file = sample_file(&dir);
    let report = |jobs: &str| {
        let out = churnlab(&[
            "run",
            &file,
            "--json",
            "--epochs",
            "2",
            "--seeds",
            "2",
            "--augment",
            "--jobs",
            jobs,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        untimed(&mut v);
        v
    };
    let one = report("1");
    // Every model and its GAN-augmented twin on two seeds: 2 × 2 × 8 fits.
    assert_eq!(
        one["models"].as_array().unwrap().len(),
        2 * ModelKind::ALL.len()
    );
    assert_eq!(one, report("2"));
}
