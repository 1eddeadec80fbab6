//! Awkward and bad tables, generated here, each with the outcome it must have: read sensibly
//! (and checked), or refused with a message that names the problem. Never a panic.

use churnlab::pipeline::{Config, InspectReport, inspect};

enum Expect {
    /// Read; the check returns what is wrong, if anything.
    Ok(fn(&InspectReport) -> Option<String>),
    /// Refused with a message containing this text.
    Err(&'static str),
}

fn rows(header: &str, n: usize, row: impl Fn(usize) -> String) -> Vec<u8> {
    let mut s = format!("{header}\n");
    for i in 0..n {
        s += &row(i);
        s.push('\n');
    }
    s.into_bytes()
}

fn utf16(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b
}

fn cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let ok_rows = |n: usize| -> fn(&InspectReport) -> Option<String> {
        match n {
            40 => |r| (r.source.rows != 40).then(|| format!("{} rows", r.source.rows)),
            _ => |_| None,
        }
    };
    vec![
        ("empty file", Vec::new(), Expect::Err("is empty")),
        (
            "header only",
            b"a,b,Churn\n".to_vec(),
            Expect::Err("no data rows"),
        ),
        (
            "one data row",
            b"a,Churn\n1,0\n".to_vec(),
            Expect::Err("only one class"),
        ),
        (
            "only the target column",
            rows("Churn", 40, |i| (i % 2).to_string()),
            Expect::Err("no feature columns"),
        ),
        (
            "binary file named .csv",
            vec![0, 159, 146, 150, 0, 1, 2, 3],
            Expect::Err("NUL byte"),
        ),
        (
            "zip that is not a spreadsheet",
            b"PK\x03\x04not really".to_vec(),
            Expect::Err("spreadsheet could not be read"),
        ),
        (
            "text named .xlsx",
            rows("a,Churn", 40, |i| format!("{i},{}", i % 2)),
            Expect::Ok(ok_rows(40)),
        ),
        (
            "ragged rows",
            rows("a,b,Churn", 40, |i| {
                if i == 3 {
                    "1,0".into()
                } else {
                    format!("{i},{},{}", i % 3, i % 2)
                }
            }),
            Expect::Ok(|r| {
                (!r.source
                    .notes
                    .iter()
                    .any(|n| n.contains("fewer than 3 fields")))
                .then(|| "no note".into())
            }),
        ),
        (
            "unterminated quote",
            b"a,b,Churn\n1,\"abc,0\n2,x,1\n".to_vec(),
            Expect::Err("unterminated quote"),
        ),
        (
            "duplicate and empty headers",
            rows("a,,a,Churn", 40, |i| {
                format!("{i},{},{},{}", i % 3, i % 5, i % 2)
            }),
            Expect::Ok(|r| {
                let names: Vec<&str> = r.schema.columns.iter().map(|c| c.name.as_str()).collect();
                (names != ["a", "column_2", "a_2", "Churn"]).then(|| format!("{names:?}"))
            }),
        ),
        (
            "2,000 columns, 40 rows",
            rows(
                &((0..2000)
                    .map(|i| format!("c{i}"))
                    .collect::<Vec<_>>()
                    .join(",")
                    + ",Churn"),
                40,
                |i| {
                    (0..2000)
                        .map(|j| ((i + j) % 7).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                        + &format!(",{}", i % 2)
                },
            ),
            Expect::Ok(|r| {
                (r.preprocessing.feature_names.len() < 2000).then(|| "features lost".into())
            }),
        ),
        (
            "a 1 MB cell",
            rows("note,n,Churn", 40, |i| {
                format!(
                    "{},{i},{}",
                    if i == 0 {
                        "x".repeat(1 << 20)
                    } else {
                        "y".into()
                    },
                    i % 2
                )
            }),
            Expect::Ok(ok_rows(40)),
        ),
        (
            "target with one class",
            rows("a,Churn", 40, |i| format!("{i},No")),
            Expect::Err("only one class ('No': 40)"),
        ),
        (
            "target with three classes",
            rows("a,Churn", 40, |i| format!("{i},{}", ["a", "b", "c"][i % 3])),
            Expect::Err("3 classes"),
        ),
        (
            "target missing in many rows",
            rows("a,Churn", 60, |i| {
                format!(
                    "{i},{}",
                    if i % 3 == 0 {
                        ""
                    } else if i % 2 == 0 {
                        "Yes"
                    } else {
                        "No"
                    }
                )
            }),
            Expect::Ok(|r| {
                (r.cleaning.missing_target_dropped != 20)
                    .then(|| format!("{}", r.cleaning.missing_target_dropped))
            }),
        ),
        (
            "numeric column with stray text",
            rows("a,b,Churn", 40, |i| {
                format!(
                    "{},{i},{}",
                    if i == 5 {
                        "\"1,234\""
                    } else if i == 9 {
                        "12 %"
                    } else {
                        "7"
                    },
                    i % 2
                )
            }),
            Expect::Ok(|r| {
                let s = r.source.non_numeric.first()?;
                (s.count != 2 || s.examples[0].row != 6).then(|| format!("{s:?}"))
            }),
        ),
        (
            "inf and NaN literals",
            rows("a,b,Churn", 40, |i| {
                format!("{},{i},{}", ["inf", "NaN", "-inf", "3"][i % 4], i % 2)
            }),
            Expect::Ok(|r| {
                (r.schema.columns[0].missing != 30)
                    .then(|| format!("{}", r.schema.columns[0].missing))
            }),
        ),
        (
            "all-missing and constant columns",
            rows("empty,same,x,Churn", 40, |i| format!(",5,{i},{}", i % 2)),
            Expect::Ok(|r| {
                let roles: Vec<_> = r
                    .schema
                    .columns
                    .iter()
                    .map(|c| format!("{:?}", c.role))
                    .collect();
                (roles != ["Ignored", "Ignored", "Feature", "Target"]).then(|| format!("{roles:?}"))
            }),
        ),
        (
            "more features than rows",
            rows(
                &((0..60)
                    .map(|i| format!("f{i}"))
                    .collect::<Vec<_>>()
                    .join(",")
                    + ",Churn"),
                20,
                |i| {
                    (0..60)
                        .map(|j| ((i * 31 + j * 17) % 11).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                        + &format!(",{}", i % 2)
                },
            ),
            Expect::Ok(|r| {
                (r.preprocessing.feature_names.len() != 60).then(|| "feature count".into())
            }),
        ),
        (
            "every row a duplicate",
            rows("a,b,Churn", 40, |i| format!("{0},{0},{0}", i % 2)),
            Expect::Err("1 row(s) after cleaning"),
        ),
        (
            "a huge integer",
            rows("a,b,Churn", 40, |i| {
                format!(
                    "{},{i},{}",
                    if i == 3 {
                        "1".repeat(40)
                    } else {
                        i.to_string()
                    },
                    i % 2
                )
            }),
            Expect::Ok(|r| {
                (r.schema.columns[0].kind != churnlab::schema::Kind::Numeric)
                    .then(|| "not numeric".into())
            }),
        ),
        (
            "Latin-1 text",
            {
                let mut b = b"city,n,Churn\n".to_vec();
                for i in 0..40 {
                    b.extend_from_slice(if i % 2 == 0 {
                        b"M\xfcnchen"
                    } else {
                        b"K\xf6ln"
                    });
                    b.extend_from_slice(format!(",{i},{}\n", i % 2).as_bytes());
                }
                b
            },
            Expect::Ok(|r| {
                let top = &r.exploration.summary[0].top;
                (!top.iter().any(|l| l.level == "München")).then(|| format!("{top:?}"))
            }),
        ),
        (
            "UTF-16 with BOM, semicolons",
            utf16(&String::from_utf8(rows("a;Churn", 40, |i| format!("{i};{}", i % 2))).unwrap()),
            Expect::Ok(ok_rows(40)),
        ),
    ]
}

#[test]
fn every_awkward_table_is_read_sensibly_or_refused_by_name() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 20);
    for (name, bytes, expect) in all {
        let file = if name == "text named .xlsx" {
            "t.xlsx"
        } else {
            "t.csv"
        };
        let got = std::panic::catch_unwind(|| inspect(&bytes, file, &Config::default()));
        let problem = match (got, expect) {
            (Err(_), _) => Some("panicked".to_string()),
            (Ok(Ok(r)), Expect::Ok(check)) => check(&r),
            (Ok(Err(e)), Expect::Ok(_)) => Some(format!("refused: {e}")),
            (Ok(Ok(_)), Expect::Err(want)) => {
                Some(format!("accepted, wanted an error with '{want}'"))
            }
            (Ok(Err(e)), Expect::Err(want)) => {
                (!e.to_string().contains(want)).then(|| format!("message '{e}' lacks '{want}'"))
            }
        };
        if let Some(p) = problem {
            failures.push(format!("{name}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
