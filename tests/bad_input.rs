//! Awkward and bad tables, generated here, each with the outcome it must have: read sensibly
//! (and checked), or refused with a message that names the problem. Never a panic.

use churnlab::config::Config;
use churnlab::prepare::InspectReport;
use churnlab::session::Session;

fn inspect(bytes: &[u8], file: &str, cfg: &Config) -> Result<InspectReport, churnlab::Error> {
    let cfg = cfg.clone().check()?;
    Session::load(bytes, file, &cfg)?.inspect(&cfg)
}

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

/// A cell of a generated spreadsheet.
enum Cell {
    N(f64),
    S(String),
    /// An Excel date serial, styled as a date.
    D(f64),
    /// A formula error such as `#DIV/0!`.
    E,
    Blank,
}

fn col_letters(mut c: usize) -> String {
    let mut s = String::new();
    loop {
        s.insert(0, (b'A' + (c % 26) as u8) as char);
        if c < 26 {
            return s;
        }
        c = c / 26 - 1;
    }
}

/// A worksheet: name, rows of cells, merged ranges such as `"A2:A4"`.
type Sheet<'a> = (&'a str, Vec<Vec<Cell>>, &'a [&'a str]);

/// A minimal .xlsx file with these worksheets.
fn xlsx(sheets: &[Sheet]) -> Vec<u8> {
    use std::io::Write;
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut parts = vec![
        (
            "_rels/.rels".to_string(),
            format!(
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/styles.xml".into(),
            format!(
                r#"<styleSheet xmlns="{NS}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        ),
    ];
    let (mut entries, mut rels, mut types) = (String::new(), String::new(), String::new());
    for (i, (name, rows, merged)) in sheets.iter().enumerate() {
        let n = i + 1;
        entries += &format!(r#"<sheet name="{name}" sheetId="{n}" r:id="s{n}"/>"#);
        rels += &format!(
            r#"<Relationship Id="s{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
        types += &format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        let mut xml = format!(r#"<worksheet xmlns="{NS}"><sheetData>"#);
        for (r, row) in rows.iter().enumerate() {
            xml += &format!(r#"<row r="{}">"#, r + 1);
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", col_letters(c), r + 1);
                xml += &match cell {
                    Cell::N(x) => format!(r#"<c r="{at}"><v>{x}</v></c>"#),
                    Cell::S(t) => format!(r#"<c r="{at}" t="inlineStr"><is><t>{t}</t></is></c>"#),
                    Cell::D(x) => format!(r#"<c r="{at}" s="1"><v>{x}</v></c>"#),
                    Cell::E => format!(r#"<c r="{at}" t="e"><v>#DIV/0!</v></c>"#),
                    Cell::Blank => String::new(),
                };
            }
            xml += "</row>";
        }
        xml += "</sheetData>";
        if !merged.is_empty() {
            xml += &format!(r#"<mergeCells count="{}">"#, merged.len());
            for m in *merged {
                xml += &format!(r#"<mergeCell ref="{m}"/>"#);
            }
            xml += "</mergeCells>";
        }
        xml += "</worksheet>";
        parts.push((format!("xl/worksheets/sheet{n}.xml"), xml));
    }
    rels += &format!(r#"<Relationship Id="st" Type="{REL}/styles" Target="styles.xml"/>"#);
    parts.push((
        "xl/workbook.xml".into(),
        format!(r#"<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>{entries}</sheets></workbook>"#),
    ));
    parts.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
        ),
    ));
    parts.push((
        "[Content_Types].xml".into(),
        format!(
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{types}</Types>"#
        ),
    ));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in parts {
        zip.start_file(name, stored).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Header + `n` rows of a small churn table as spreadsheet cells: `id, spend, Churn`.
fn sheet_rows(n: usize) -> Vec<Vec<Cell>> {
    let mut rows = vec![vec![
        Cell::S("id".into()),
        Cell::S("spend".into()),
        Cell::S("Churn".into()),
    ]];
    for i in 0..n {
        rows.push(vec![
            Cell::N(i as f64),
            Cell::N((i * 7 % 13) as f64),
            Cell::S(if i % 3 == 0 { "Yes" } else { "No" }.into()),
        ]);
    }
    rows
}

/// `(case, file name, bytes, outcome)`.
type Case = (&'static str, &'static str, Vec<u8>, Expect);

fn cases() -> Vec<Case> {
    let ok_rows = |n: usize| -> fn(&InspectReport) -> Option<String> {
        match n {
            40 => |r| (r.source.rows != 40).then(|| format!("{} rows", r.source.rows)),
            _ => |_| None,
        }
    };
    vec![
        ("empty file", "t.csv", Vec::new(), Expect::Err("is empty")),
        (
            "header only",
            "t.csv",
            b"a,b,Churn\n".to_vec(),
            Expect::Err("no data rows"),
        ),
        (
            "one data row",
            "t.csv",
            b"a,Churn\n1,0\n".to_vec(),
            Expect::Err("only one class"),
        ),
        (
            "only the target column",
            "t.csv",
            rows("Churn", 40, |i| (i % 2).to_string()),
            Expect::Err("no feature columns"),
        ),
        (
            "binary file named .csv",
            "t.csv",
            vec![0, 159, 146, 150, 0, 1, 2, 3],
            Expect::Err("NUL byte"),
        ),
        (
            "zip that is not a spreadsheet",
            "t.csv",
            b"PK\x03\x04not really".to_vec(),
            Expect::Err("spreadsheet could not be read"),
        ),
        (
            "text named .xlsx",
            "t.xlsx",
            rows("a,Churn", 40, |i| format!("{i},{}", i % 2)),
            Expect::Ok(ok_rows(40)),
        ),
        (
            "ragged rows",
            "t.csv",
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
            "t.csv",
            b"a,b,Churn\n1,\"abc,0\n2,x,1\n".to_vec(),
            Expect::Err("unterminated quote"),
        ),
        (
            "duplicate and empty headers",
            "t.csv",
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
            "t.csv",
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
            "t.csv",
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
            "t.csv",
            rows("a,Churn", 40, |i| format!("{i},No")),
            Expect::Err("only one class ('No': 40)"),
        ),
        (
            "target with three classes",
            "t.csv",
            rows("a,Churn", 40, |i| format!("{i},{}", ["a", "b", "c"][i % 3])),
            Expect::Err("3 classes"),
        ),
        (
            "target missing in many rows",
            "t.csv",
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
            "t.csv",
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
            "t.csv",
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
            "t.csv",
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
            "t.csv",
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
            "t.csv",
            rows("a,b,Churn", 40, |i| format!("{0},{0},{0}", i % 2)),
            Expect::Err("1 row(s) after cleaning"),
        ),
        (
            "a huge integer",
            "t.csv",
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
            "t.csv",
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
            "t.csv",
            utf16(&String::from_utf8(rows("a;Churn", 40, |i| format!("{i};{}", i % 2))).unwrap()),
            Expect::Ok(ok_rows(40)),
        ),
        (
            "only one column, no target",
            "t.csv",
            rows("customer", 40, |i| format!("c{i}")),
            Expect::Err("no target column found"),
        ),
        (
            "\"N/A\" and \"-\" in a numeric column",
            "t.csv",
            rows("a,b,Churn", 40, |i| {
                let a = match i {
                    2 => "N/A".to_string(),
                    4 => "-".into(),
                    _ => (i * 3).to_string(),
                };
                format!("{a},{i},{}", i % 2)
            }),
            Expect::Ok(|r| {
                let a = &r.schema.columns[0];
                (a.kind != churnlab::schema::Kind::Numeric || a.missing != 2)
                    .then(|| format!("{:?}, {} missing", a.kind, a.missing))
            }),
        ),
        (
            "10,000 columns, 20 rows",
            "t.csv",
            rows(
                &((0..10_000)
                    .map(|i| format!("c{i}"))
                    .collect::<Vec<_>>()
                    .join(",")
                    + ",Churn"),
                20,
                |i| {
                    (0..10_000)
                        .map(|j| ((i * 7 + j) % 11).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                        + &format!(",{}", i % 2)
                },
            ),
            Expect::Ok(|r| {
                // The correlation matrix keeps the 39 features most related to the target.
                let c = &r.exploration.correlation;
                (r.source.columns != 10_001 || c.columns.len() != 40 || c.omitted != 9_961)
                    .then(|| format!("{} columns, {} omitted", r.source.columns, c.omitted))
            }),
        ),
        (
            "a spreadsheet named .csv",
            "t.csv",
            xlsx(&[("Data", sheet_rows(40), &[])]),
            Expect::Ok(|r| {
                (r.source.rows != 40
                    || !r
                        .source
                        .notes
                        .iter()
                        .any(|n| n.contains("is a spreadsheet")))
                .then(|| format!("{} rows, notes {:?}", r.source.rows, r.source.notes))
            }),
        ),
        (
            "xlsx with several sheets",
            "t.xlsx",
            xlsx(&[
                ("Notes", vec![vec![Cell::S("exported 2026".into())]], &[]),
                ("Customers", sheet_rows(40), &[]),
                ("Empty", Vec::new(), &[]),
            ]),
            Expect::Ok(|r| {
                (r.source.sheet.as_deref() != Some("Customers")
                    || r.source.rows != 40
                    || !r.source.notes.iter().any(|n| n.contains("largest of 3")))
                .then(|| format!("{:?}, {:?}", r.source.sheet, r.source.notes))
            }),
        ),
        (
            "xlsx with merged cells",
            "t.xlsx",
            xlsx(&[(
                "Data",
                {
                    // "region" spans four rows at a time; the "spend" header spans two columns.
                    let mut rows = vec![vec![
                        Cell::S("region".into()),
                        Cell::S("spend".into()),
                        Cell::Blank,
                        Cell::S("Churn".into()),
                    ]];
                    for i in 0..40 {
                        rows.push(vec![
                            if i % 4 == 0 {
                                Cell::S(["North", "South"][i / 4 % 2].into())
                            } else {
                                Cell::Blank
                            },
                            Cell::N(i as f64),
                            Cell::N((i % 5) as f64),
                            Cell::N((i % 2) as f64),
                        ]);
                    }
                    rows
                },
                &[
                    "B1:C1", "A2:A5", "A6:A9", "A10:A13", "A14:A17", "A18:A21", "A22:A25",
                    "A26:A29", "A30:A33", "A34:A37", "A38:A41",
                ],
            )]),
            Expect::Ok(|r| {
                let names: Vec<&str> = r.schema.columns.iter().map(|c| c.name.as_str()).collect();
                let region = &r.schema.columns[0];
                (names != ["region", "spend", "spend_2", "Churn"]
                    || region.missing != 0
                    || !r.source.notes.iter().any(|n| n.contains("11 merged")))
                .then(|| {
                    format!(
                        "{names:?}, region missing {}, {:?}",
                        region.missing, r.source.notes
                    )
                })
            }),
        ),
        (
            "xlsx with dates and an error cell",
            "t.xlsx",
            xlsx(&[(
                "Data",
                {
                    let mut rows = vec![vec![
                        Cell::S("signup".into()),
                        Cell::S("ratio".into()),
                        Cell::S("Churn".into()),
                    ]];
                    for i in 0..40 {
                        rows.push(vec![
                            Cell::D(45_000.0 + (i % 3) as f64),
                            if i == 7 {
                                Cell::E
                            } else {
                                Cell::N(i as f64 / 10.0)
                            },
                            Cell::N((i % 2) as f64),
                        ]);
                    }
                    rows
                },
                &[],
            )]),
            Expect::Ok(|r| {
                let top = &r.exploration.summary[0].top;
                (r.schema.columns[1].missing != 1
                    || !top.iter().any(|l| l.level == "2023-03-15")
                    || !r.source.notes.iter().any(|n| n.contains("40 date cells")))
                .then(|| format!("{top:?}, {:?}", r.source.notes))
            }),
        ),
        (
            "xlsx whose only sheet is empty",
            "t.xlsx",
            xlsx(&[("Sheet1", Vec::new(), &[])]),
            Expect::Err("is empty"),
        ),
        (
            "UTF-8 BOM and CRLF line ends",
            "t.csv",
            {
                let mut b = b"\xEF\xBB\xBF".to_vec();
                b.extend(rows("tenure,Churn\r", 40, |i| format!("{i},{}\r", i % 2)));
                b
            },
            Expect::Ok(|r| {
                let n = &r.schema.columns[0].name;
                (n != "tenure" || r.source.rows != 40).then(|| format!("{n:?}"))
            }),
        ),
        (
            "tabs, with a quoted line break",
            "t.tsv",
            rows("note\tn\tChurn", 40, |i| {
                if i == 1 {
                    "\"two\nlines\"\t1\t1".into()
                } else {
                    format!("x{}\t{i}\t{}", i % 3, i % 2)
                }
            }),
            Expect::Ok(|r| {
                (r.source.rows != 40 || r.source.delimiter.as_deref() != Some("tab"))
                    .then(|| format!("{} rows, {:?}", r.source.rows, r.source.delimiter))
            }),
        ),
        (
            "a target with no values at all",
            "t.csv",
            rows("a,b,Churn", 40, |i| format!("{i},{},", i % 3)),
            Expect::Err("target 'Churn' has no values"),
        ),
        (
            "blank header names",
            "t.csv",
            rows(" ,\t,Churn", 40, |i| format!("{i},{},{}", i % 3, i % 2)),
            Expect::Ok(|r| {
                let names: Vec<&str> = r.schema.columns.iter().map(|c| c.name.as_str()).collect();
                (names != ["column_1", "column_2", "Churn"]).then(|| format!("{names:?}"))
            }),
        ),
        (
            "True/False target, semicolons, decimal commas",
            "t.csv",
            rows("spend;Churn", 40, |i| {
                format!("{},5;{}", i, ["False", "True"][i % 2])
            }),
            Expect::Ok(|r| {
                let s = &r.schema.columns[0];
                (s.kind != churnlab::schema::Kind::Numeric || r.schema.target.positive != "True")
                    .then(|| format!("{:?}, {:?}", s.kind, r.schema.target.positive))
            }),
        ),
    ]
}

#[test]
fn every_awkward_table_is_read_sensibly_or_refused_by_name() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 30, "{} cases", all.len());
    for (name, file, bytes, expect) in all {
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

/// The CLI on the same corpus: exit 0 for a readable table; for a refused one, exit 1 and one
/// line on stderr that carries the library's message (no panic, no backtrace).
#[test]
fn the_cli_reads_or_refuses_the_same_tables_in_one_line() {
    let dir = std::env::temp_dir().join(format!("churnlab-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (i, (name, file, bytes, expect)) in cases().into_iter().enumerate() {
        let path = dir.join(format!("case{i}-{file}"));
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_churnlab"))
            .arg("inspect")
            .arg(&path)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let problem = match expect {
            Expect::Ok(_) => {
                (!out.status.success()).then(|| format!("exit {:?}: {err}", out.status.code()))
            }
            Expect::Err(want) => (out.status.code() != Some(1)
                || err.trim_end().lines().count() != 1
                || !err.contains(want))
            .then(|| format!("exit {:?}, stderr {err:?}", out.status.code())),
        };
        if let Some(p) = problem {
            failures.push(format!("{name}: {p}"));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
