//! Ingest: the bytes of a CSV file or a spreadsheet → a columnar [`Table`].
//!
//! The format is recognised from the content, not the file name (a `.csv` that is really an
//! `.xlsx` still loads, with a note). CSV input is streamed record by record into one builder per
//! column, so a large file is held once as bytes and once as columns: numeric columns as `f64`
//! (NaN = missing), text columns dictionary-encoded as `u32` codes.

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Code of a missing cell in a categorical column.
pub const MISSING: u32 = u32::MAX;

/// Texts that mean "no value" (compared trimmed and case-insensitively).
const MISSING_MARKERS: [&str; 10] = [
    "", "na", "n/a", "nan", "null", "none", "?", "-", "#n/a", "nil",
];

/// A numeric column keeps at most this share of non-numeric texts (treated as missing and
/// reported); with more it is read as categorical.
pub(crate) const MAX_STRAY_SHARE: f64 = 0.05;

#[derive(Clone, Debug)]
pub enum Values {
    /// NaN marks a missing cell.
    Numeric(Vec<f64>),
    /// `codes[row]` indexes `levels`; [`MISSING`] marks a missing cell.
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

/// Equal cell by cell, where two missing cells are equal (NaN == NaN here).
impl PartialEq for Values {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Values::Numeric(a), Values::Numeric(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            (
                Values::Categorical {
                    codes: a,
                    levels: la,
                },
                Values::Categorical {
                    codes: b,
                    levels: lb,
                },
            ) => a == b && la == lb,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

impl Column {
    pub fn len(&self) -> usize {
        match &self.values {
            Values::Numeric(v) => v.len(),
            Values::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match &self.values {
            Values::Numeric(v) => v[row].is_nan(),
            Values::Categorical { codes, .. } => codes[row] == MISSING,
        }
    }

    pub fn missing_count(&self) -> usize {
        (0..self.len()).filter(|&r| self.is_missing(r)).count()
    }

    /// The cell as text (`None` when missing).
    pub fn text(&self, row: usize) -> Option<Cow<'_, str>> {
        match &self.values {
            Values::Numeric(v) => (!v[row].is_nan()).then(|| Cow::Owned(v[row].to_string())),
            Values::Categorical { codes, levels } => {
                (codes[row] != MISSING).then(|| Cow::Borrowed(levels[codes[row] as usize].as_str()))
            }
        }
    }

    /// Re-reads a numeric column as categorical (each distinct number becomes a level).
    pub fn make_categorical(&mut self) {
        if let Values::Numeric(nums) = &self.values {
            let mut dict = Dict::default();
            let codes = nums
                .iter()
                .map(|x| {
                    if x.is_nan() {
                        MISSING
                    } else {
                        dict.intern(&x.to_string())
                    }
                })
                .collect();
            self.values = Values::Categorical {
                codes,
                levels: dict.levels,
            };
        }
    }

    /// Re-reads a categorical column as numeric. Levels that are not numbers become missing;
    /// returns how many cells that affected and up to five of those texts.
    pub fn make_numeric(&mut self) -> (usize, Vec<String>) {
        let Values::Categorical { codes, levels } = &self.values else {
            return (0, Vec::new());
        };
        let parsed: Vec<Option<f64>> = levels.iter().map(|l| parse_number(l.trim())).collect();
        let mut lost = 0;
        let mut examples: Vec<String> = Vec::new();
        let nums = codes
            .iter()
            .map(|&c| {
                if c == MISSING {
                    return f64::NAN;
                }
                parsed[c as usize].unwrap_or_else(|| {
                    let level = &levels[c as usize];
                    if !is_missing_marker(level) {
                        lost += 1;
                        if examples.len() < 5 && !examples.contains(level) {
                            examples.push(level.clone());
                        }
                    }
                    f64::NAN
                })
            })
            .collect();
        self.values = Values::Numeric(nums);
        (lost, examples)
    }
}

/// A table held column by column. Columns are shared between copies (a clone copies no cell);
/// changing one copies that column first (`Arc::make_mut`), so a session's cleaned table holds
/// only the columns cleaning changed beside the table as read.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Arc<Column>>,
    pub n_rows: usize,
}

impl Table {
    /// Finds a column by name: exactly, else ignoring case and surrounding spaces.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                let wanted = name.trim().to_lowercase();
                self.columns
                    .iter()
                    .position(|c| c.name.trim().to_lowercase() == wanted)
            })
    }

    pub fn names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The same columns (and levels) with no rows.
    pub fn empty_like(&self) -> Table {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                Arc::new(Column {
                    name: c.name.clone(),
                    values: match &c.values {
                        Values::Numeric(_) => Values::Numeric(Vec::new()),
                        Values::Categorical { levels, .. } => Values::Categorical {
                            codes: Vec::new(),
                            levels: levels.clone(),
                        },
                    },
                })
            })
            .collect();
        Table { columns, n_rows: 0 }
    }

    /// Appends rows of cells (one per column, `None` = missing) and returns their indices.
    /// Texts are read as each column already is: numbers parsed (else missing), levels matched
    /// to the existing ones (new levels are added).
    pub fn append_rows(&mut self, rows: &[Vec<Option<String>>]) -> std::ops::Range<usize> {
        let start = self.n_rows;
        for (c, col) in self.columns.iter_mut().enumerate() {
            match &mut Arc::make_mut(col).values {
                Values::Numeric(v) => v.extend(rows.iter().map(|r| {
                    r[c].as_deref()
                        .and_then(|t| parse_number(t.trim()))
                        .unwrap_or(f64::NAN)
                })),
                Values::Categorical { codes, levels } => {
                    let mut index: FxHashMap<String, u32> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i as u32))
                        .collect();
                    for r in rows {
                        codes.push(match &r[c] {
                            None => MISSING,
                            Some(t) => *index.entry(t.clone()).or_insert_with(|| {
                                levels.push(t.clone());
                                (levels.len() - 1) as u32
                            }),
                        });
                    }
                }
            }
        }
        self.n_rows += rows.len();
        start..self.n_rows
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "snake_case", deny_unknown_fields)]
pub struct IngestOptions {
    /// Spreadsheet sheet to read; by default the one with the most cells.
    pub sheet: Option<String>,
    /// CSV delimiter; by default detected among `,` `;` tab `|`.
    pub delimiter: Option<char>,
}

/// Where a value sits: `row` counts data rows from 1 (the header is row 0).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Cell {
    pub row: usize,
    pub value: String,
}

/// A mostly numeric column in which some cells held text that is not a number.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StrayValues {
    pub column: String,
    pub count: usize,
    pub examples: Vec<Cell>,
}

/// What ingest found and did.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SourceReport {
    pub file_name: String,
    /// `csv`, `xlsx`, `xls` or `ods`.
    pub format: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub sheet: Option<String>,
    pub sheets: Vec<String>,
    pub rows: usize,
    pub columns: usize,
    /// Numeric columns with a few non-numeric texts, read as missing.
    pub non_numeric: Vec<StrayValues>,
    /// Everything else worth knowing: renamed headers, ragged rows, re-decoded text, format notes.
    pub notes: Vec<String>,
}

/// Reads a table from the bytes of a CSV or spreadsheet file.
pub fn load(
    bytes: &[u8],
    file_name: &str,
    opts: &IngestOptions,
) -> Result<(Table, SourceReport), Error> {
    if bytes.is_empty() {
        return Err(Error::input(format!("'{file_name}' is empty")));
    }
    let lower = file_name.to_lowercase();
    let named_sheet = [".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"]
        .iter()
        .any(|e| lower.ends_with(e));
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let mut notes = Vec::new();
    let (table, mut report) = if zip || ole {
        if !named_sheet {
            notes.push(format!(
                "'{file_name}' is a spreadsheet, not text: read as one"
            ));
        }
        load_sheet(bytes, opts)?
    } else {
        if named_sheet {
            notes.push(format!(
                "'{file_name}' is named like a spreadsheet but holds text: read as CSV"
            ));
        }
        load_csv(bytes, opts)?
    };
    notes.append(&mut report.notes);
    report.notes = notes;
    report.file_name = file_name.to_string();
    Ok((table, report))
}

fn is_missing_marker(s: &str) -> bool {
    let t = s.trim();
    MISSING_MARKERS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// A finite number, or `None`. `inf` and `NaN` literals are not numbers here.
pub(crate) fn parse_number(t: &str) -> Option<f64> {
    let first = t.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// `-12,5` → -12.5: one comma between digits, no point (European decimal notation).
fn decimal_comma_number(t: &str) -> Option<f64> {
    let (int, frac) = t.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = int.strip_prefix(['-', '+']).unwrap_or(int);
    (digits(unsigned) && digits(frac))
        .then(|| format!("{int}.{frac}").parse().ok())
        .flatten()
}

#[derive(Default)]
struct Dict {
    map: FxHashMap<String, u32>,
    levels: Vec<String>,
}

impl Dict {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.map.get(s) {
            return c;
        }
        let c = self.levels.len() as u32;
        self.levels.push(s.to_string());
        self.map.insert(s.to_string(), c);
        c
    }
}

enum State {
    /// Numbers so far, plus the few texts that were not numbers (`(row, code)` into `dict`).
    Numeric {
        nums: Vec<f64>,
        strays: Vec<(usize, u32)>,
        dict: Dict,
        present: usize,
    },
    Text {
        codes: Vec<u32>,
        dict: Dict,
    },
}

/// Builds one column from a stream of cells.
struct ColumnBuilder {
    name: String,
    state: State,
    /// `inf`, `-Infinity`, `1e999`…: numbers no model can use, read as missing.
    infinite: usize,
    /// Whether `12,5` may be a number (files whose fields are not separated by commas).
    decimal_comma: bool,
    /// Cells read as numbers through their decimal comma.
    comma_decimals: usize,
}

impl ColumnBuilder {
    fn new(name: String) -> Self {
        ColumnBuilder {
            name,
            infinite: 0,
            decimal_comma: false,
            comma_decimals: 0,
            state: State::Numeric {
                nums: Vec::new(),
                strays: Vec::new(),
                dict: Dict::default(),
                present: 0,
            },
        }
    }

    fn push_missing(&mut self) {
        match &mut self.state {
            State::Numeric { nums, .. } => nums.push(f64::NAN),
            State::Text { codes, .. } => codes.push(MISSING),
        }
    }

    fn push_number(&mut self, x: f64) {
        match &mut self.state {
            State::Numeric { nums, present, .. } => {
                nums.push(x);
                *present += 1;
            }
            State::Text { codes, dict } => codes.push(dict.intern(&x.to_string())),
        }
    }

    fn push_text(&mut self, s: &str) {
        if is_missing_marker(s) {
            return self.push_missing();
        }
        if matches!(self.state, State::Numeric { .. })
            && s.trim().parse::<f64>().is_ok_and(f64::is_infinite)
        {
            self.infinite += 1;
            return self.push_missing();
        }
        match &mut self.state {
            State::Numeric {
                nums,
                strays,
                dict,
                present,
            } => {
                *present += 1;
                let t = s.trim();
                if let Some(x) = parse_number(t) {
                    nums.push(x);
                } else if let Some(x) = self
                    .decimal_comma
                    .then(|| decimal_comma_number(t))
                    .flatten()
                {
                    self.comma_decimals += 1;
                    nums.push(x);
                } else {
                    strays.push((nums.len(), dict.intern(s)));
                    nums.push(f64::NAN);
                    // Mostly text: stop paying for the numeric buffer.
                    if strays.len() >= 64 && strays.len() * 2 > *present {
                        self.switch_to_text();
                    }
                }
            }
            State::Text { codes, dict } => codes.push(dict.intern(s)),
        }
    }

    fn switch_to_text(&mut self) {
        let State::Numeric {
            nums, strays, dict, ..
        } = &mut self.state
        else {
            return;
        };
        let mut dict = std::mem::take(dict);
        let mut strays = strays.iter().peekable();
        let codes = nums
            .iter()
            .enumerate()
            .map(|(row, x)| {
                if let Some(&(_, code)) = strays.next_if(|(r, _)| *r == row) {
                    code
                } else if x.is_nan() {
                    MISSING
                } else {
                    dict.intern(&x.to_string())
                }
            })
            .collect();
        self.state = State::Text { codes, dict };
    }

    fn finish(mut self) -> (Column, Option<StrayValues>) {
        let mut stray_report = None;
        if let State::Numeric {
            strays,
            present,
            dict,
            ..
        } = &self.state
        {
            let mostly_numbers =
                !strays.is_empty() && (strays.len() as f64) <= MAX_STRAY_SHARE * (*present as f64);
            if mostly_numbers {
                stray_report = Some(StrayValues {
                    column: self.name.clone(),
                    count: strays.len(),
                    examples: strays
                        .iter()
                        .take(5)
                        .map(|&(row, code)| Cell {
                            row: row + 1,
                            value: dict.levels[code as usize].clone(),
                        })
                        .collect(),
                });
            } else if !strays.is_empty() {
                self.switch_to_text();
            }
        }
        let values = match self.state {
            State::Numeric { nums, .. } => Values::Numeric(nums),
            State::Text { codes, dict } => Values::Categorical {
                codes,
                levels: dict.levels,
            },
        };
        (
            Column {
                name: self.name,
                values,
            },
            stray_report,
        )
    }
}

/// Turns header texts into unique, non-empty column names, noting every change.
fn column_names(raw: Vec<String>, notes: &mut Vec<String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let mut name = r.trim().to_string();
        if name.is_empty() {
            name = format!("column_{}", i + 1);
            notes.push(format!("column {} has no header: named '{name}'", i + 1));
        }
        if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            let base = name.clone();
            let mut k = 2;
            while names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                name = format!("{base}_{k}");
                k += 1;
            }
            notes.push(format!(
                "header '{base}' appears more than once: column {} renamed '{name}'",
                i + 1
            ));
        }
        names.push(name);
    }
    names
}

fn finish_table(
    names: Vec<String>,
    builders: Vec<ColumnBuilder>,
    n_rows: usize,
    mut report: SourceReport,
) -> Result<(Table, SourceReport), Error> {
    if n_rows == 0 {
        return Err(Error::input(format!(
            "the table has a header ({} columns) but no data rows",
            names.len()
        )));
    }
    for b in builders.iter().filter(|b| b.infinite > 0) {
        report.notes.push(format!(
            "'{}' has {} infinite values (inf): read as missing",
            b.name, b.infinite
        ));
    }
    for b in builders.iter().filter(|b| b.comma_decimals > 0) {
        report.notes.push(format!(
            "'{}': {} numbers with a decimal comma (\"12,5\") read as 12.5 …",
            b.name, b.comma_decimals
        ));
    }
    let mut columns = Vec::with_capacity(builders.len());
    for b in builders {
        let (column, strays) = b.finish();
        if let Some(s) = strays {
            report.non_numeric.push(s);
        }
        columns.push(Arc::new(column));
    }
    report.rows = n_rows;
    report.columns = columns.len();
    Ok((Table { columns, n_rows }, report))
}

fn decode_utf16(bytes: &[u8]) -> Option<(String, &'static str)> {
    let (enc, name) = if bytes.starts_with(&[0xFF, 0xFE]) {
        (encoding_rs::UTF_16LE, "UTF-16LE")
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        (encoding_rs::UTF_16BE, "UTF-16BE")
    } else {
        return None;
    };
    let (text, _) = enc.decode_with_bom_removal(bytes);
    Some((text.into_owned(), name))
}

/// Picks the delimiter that splits the first lines into the most, equally long, records.
fn sniff_delimiter(sample: &[u8]) -> u8 {
    let cut = sample
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(sample, |p| &sample[..p]);
    let mut best = (0usize, b',');
    for d in [b',', b';', b'\t', b'|'] {
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(d)
            .flexible(true)
            .has_headers(false)
            .from_reader(cut);
        let counts: Vec<usize> = rdr
            .byte_records()
            .take(100)
            .filter_map(|r| r.ok())
            .map(|r| r.len())
            .collect();
        let Some(&header) = counts.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let same = counts.iter().filter(|&&c| c == header).count();
        let score = same * 1000 / counts.len() * 10_000 + header;
        if score > best.0 {
            best = (score, d);
        }
    }
    best.1
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

fn load_csv(bytes: &[u8], opts: &IngestOptions) -> Result<(Table, SourceReport), Error> {
    let mut notes = Vec::new();
    let utf16 = decode_utf16(bytes);
    let (text, mut encoding): (&[u8], String) = match &utf16 {
        Some((s, name)) => (s.as_bytes(), format!("{name} (BOM)")),
        None if bytes.starts_with(b"\xEF\xBB\xBF") => (&bytes[3..], "UTF-8 (BOM)".into()),
        None => (bytes, "UTF-8".into()),
    };
    let head = &text[..text.len().min(64 * 1024)];
    if let Some(pos) = head.iter().position(|&b| b == 0) {
        return Err(Error::input(format!(
            "this is not a text table: byte {pos} is a NUL byte (a binary file?)"
        )));
    }
    let delimiter = csv_delimiter(opts.delimiter, head)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut cells = Cells { not_utf8: 0 };
    if !read_record(&mut rdr, &mut record)? {
        return Err(Error::input("the file holds no text rows"));
    }
    let header: Vec<String> = record.iter().map(|f| cells.decode(f)).collect();
    let names = column_names(header, &mut notes);
    let mut builders: Vec<ColumnBuilder> = names.iter().cloned().map(ColumnBuilder::new).collect();
    for b in &mut builders {
        b.decimal_comma = delimiter != b',';
    }
    let shapes = read_body(&mut rdr, &mut builders, &mut cells)?;
    // A quote that never closes swallows the rest of the file into the last field.
    if shapes.last_field_spans_lines && text.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
        return Err(Error::input(format!(
            "the file has an unterminated quote: a \" opened in data row {} or before is never closed",
            shapes.rows.max(1)
        )));
    }
    if cells.not_utf8 > 0 {
        encoding = "Windows-1252 (not valid UTF-8)".into();
        notes.push(format!(
            "{} cells were not valid UTF-8 and were decoded as Windows-1252 (Latin-1)",
            cells.not_utf8
        ));
    }
    notes.extend(shapes.notes(names.len()));
    let report = SourceReport {
        file_name: String::new(),
        format: "csv".into(),
        encoding: Some(encoding),
        delimiter: Some(delimiter_name(delimiter)),
        sheet: None,
        sheets: Vec::new(),
        rows: 0,
        columns: 0,
        non_numeric: Vec::new(),
        notes,
    };
    finish_table(names, builders, shapes.rows, report)
}

/// The delimiter asked for (ASCII only), or the one `head` suggests.
fn csv_delimiter(asked: Option<char>, head: &[u8]) -> Result<u8, Error> {
    match asked {
        Some(c) if c.is_ascii() => Ok(c as u8),
        Some(c) => Err(Error::input(format!(
            "delimiter '{c}' is not an ASCII character"
        ))),
        None => Ok(sniff_delimiter(head)),
    }
}

fn read_record(rdr: &mut csv::Reader<&[u8]>, rec: &mut csv::ByteRecord) -> Result<bool, Error> {
    rdr.read_byte_record(rec)
        .map_err(|e| Error::input(format!("CSV could not be read: {e}")))
}

/// Cells as text: UTF-8, or Windows-1252 where a cell is not valid UTF-8 (counted).
struct Cells {
    not_utf8: usize,
}

impl Cells {
    fn decode(&mut self, field: &[u8]) -> String {
        match std::str::from_utf8(field) {
            Ok(s) => s.to_string(),
            Err(_) => {
                self.not_utf8 += 1;
                encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(field)
                    .0
                    .into_owned()
            }
        }
    }
}

/// The data rows as read: how many, which had too few or too many fields, the blank lines
/// skipped, and whether the last row's fields span lines (a sign of an unclosed quote).
struct RowShapes {
    rows: usize,
    short: Vec<usize>,
    long: Vec<usize>,
    blank: usize,
    last_field_spans_lines: bool,
}

impl RowShapes {
    /// The notes for the reader: rows of the wrong width, blank lines.
    fn notes(&self, width: usize) -> Vec<String> {
        let rows_list = |rows: &[usize]| {
            let shown: Vec<String> = rows.iter().take(5).map(|r| r.to_string()).collect();
            let more = if rows.len() > 5 { ", …" } else { "" };
            format!("{}{more}", shown.join(", "))
        };
        let mut notes = Vec::new();
        if !self.short.is_empty() {
            notes.push(format!(
                "{} rows have fewer than {width} fields (rows {}): the missing fields are read as missing",
                self.short.len(),
                rows_list(&self.short)
            ));
        }
        if !self.long.is_empty() {
            notes.push(format!(
                "{} rows have more than {width} fields (rows {}): the extra fields are ignored",
                self.long.len(),
                rows_list(&self.long)
            ));
        }
        if self.blank > 0 {
            notes.push(format!("{} blank lines skipped", self.blank));
        }
        notes
    }
}

/// Every data row after the header into `builders` (a missing field: a missing cell).
fn read_body(
    rdr: &mut csv::Reader<&[u8]>,
    builders: &mut [ColumnBuilder],
    cells: &mut Cells,
) -> Result<RowShapes, Error> {
    let width = builders.len();
    let mut shapes = RowShapes {
        rows: 0,
        short: Vec::new(),
        long: Vec::new(),
        blank: 0,
        last_field_spans_lines: false,
    };
    let mut record = csv::ByteRecord::new();
    while read_record(rdr, &mut record)? {
        shapes.last_field_spans_lines = record.iter().any(|f| f.contains(&b'\n'));
        if record
            .iter()
            .all(|f| f.iter().all(|b| b.is_ascii_whitespace()))
            && width > 1
        {
            shapes.blank += 1;
            continue;
        }
        shapes.rows += 1;
        if record.len() < width {
            shapes.short.push(shapes.rows);
        } else if record.len() > width
            && record
                .iter()
                .skip(width)
                .any(|f| !f.trim_ascii().is_empty())
        {
            shapes.long.push(shapes.rows);
        }
        for (i, b) in builders.iter_mut().enumerate() {
            match record.get(i) {
                Some(f) => match std::str::from_utf8(f) {
                    Ok(s) => b.push_text(s),
                    Err(_) => b.push_text(&cells.decode(f)),
                },
                None => b.push_missing(),
            }
        }
    }
    Ok(shapes)
}

/// An Excel date serial (days since 1899-12-30) as ISO text.
fn excel_date(serial: f64) -> String {
    let days = serial.floor() as i64;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    // Civil-from-days (H. Hinnant), shifted from the Unix epoch to Excel's.
    let z = days - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// Copies the value of each merged range's top-left cell into the range's other cells (what
/// the spreadsheet shows), within the sheet's used area. Returns the number of ranges filled.
fn fill_merged(
    range: &mut calamine::Range<calamine::Data>,
    merged: &[calamine::Dimensions],
) -> usize {
    let (Some(start), Some(end)) = (range.start(), range.end()) else {
        return 0;
    };
    // Hostile files may declare huge or overlapping ranges: never write more cells than the area.
    let mut budget = range.get_size().0 * range.get_size().1;
    let mut filled = 0;
    for m in merged {
        let Some(value) = range.get_value(m.start).cloned() else {
            continue;
        };
        if matches!(value, calamine::Data::Empty) {
            continue;
        }
        filled += 1;
        for r in m.start.0.max(start.0)..=m.end.0.min(end.0) {
            for c in m.start.1.max(start.1)..=m.end.1.min(end.1) {
                if (r, c) != m.start && budget > 0 {
                    budget -= 1;
                    range.set_value((r, c), value.clone());
                }
            }
        }
    }
    filled
}

fn load_sheet(bytes: &[u8], opts: &IngestOptions) -> Result<(Table, SourceReport), Error> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| Error::input(format!("the spreadsheet could not be read: {e}")))?;
    let sheets = book.sheet_names();
    if sheets.is_empty() {
        return Err(Error::input("the spreadsheet has no sheets"));
    }
    let (sheet, range) = match &opts.sheet {
        Some(wanted) => named_sheet(&mut book, &sheets, wanted)?,
        None => largest_sheet(&mut book, &sheets)?,
    };
    let merged = match &mut book {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(&sheet).unwrap_or_default(),
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(&sheet).unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut range = range;
    let filled = fill_merged(&mut range, &merged);
    let format = match &book {
        calamine::Sheets::Xlsx(_) => "xlsx",
        calamine::Sheets::Xlsb(_) => "xlsb",
        calamine::Sheets::Xls(_) => "xls",
        calamine::Sheets::Ods(_) => "ods",
    };
    let mut notes = Vec::new();
    let empty = |row: &[Data]| row.iter().all(|c| matches!(c, Data::Empty));
    let mut rows = range.rows().skip_while(|r| empty(r));
    let header_row = rows
        .next()
        .ok_or_else(|| Error::input(format!("sheet '{sheet}' is empty")))?;
    let header: Vec<String> = header_row.iter().map(|c| c.to_string()).collect();
    let width = header.len();
    let names = column_names(header, &mut notes);
    let mut builders: Vec<ColumnBuilder> = names.iter().cloned().map(ColumnBuilder::new).collect();
    let (n_rows, errors, dates) = read_sheet_rows(rows, &mut builders, width);
    if errors > 0 {
        notes.push(format!(
            "{errors} cells hold spreadsheet errors (#DIV/0! …): read as missing"
        ));
    }
    if dates > 0 {
        notes.push(format!("{dates} date cells read as ISO dates (text)"));
    }
    if filled > 0 {
        notes.push(format!(
            "{filled} merged cell ranges: each cell of a range holds the range's value"
        ));
    }
    if sheets.len() > 1 && opts.sheet.is_none() {
        notes.push(format!(
            "read sheet '{sheet}', the largest of {} (sheets: {})",
            sheets.len(),
            sheets.join(", ")
        ));
    }
    let report = SourceReport {
        file_name: String::new(),
        format: format.into(),
        encoding: None,
        delimiter: None,
        sheet: Some(sheet),
        sheets,
        rows: 0,
        columns: 0,
        non_numeric: Vec::new(),
        notes,
    };
    finish_table(names, builders, n_rows, report)
}

/// The sheet named `wanted` (exactly, else ignoring ASCII case) and its cells.
fn named_sheet<R: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<R>,
    sheets: &[String],
    wanted: &str,
) -> Result<(String, calamine::Range<calamine::Data>), Error> {
    use calamine::Reader;
    let name = sheets
        .iter()
        .find(|s| *s == wanted)
        .or_else(|| sheets.iter().find(|s| s.eq_ignore_ascii_case(wanted)))
        .ok_or_else(|| {
            Error::input(format!(
                "no sheet named '{wanted}' (sheets: {})",
                sheets.join(", ")
            ))
        })?
        .clone();
    let range = book
        .worksheet_range(&name)
        .map_err(|e| Error::input(format!("sheet '{name}' could not be read: {e}")))?;
    Ok((name, range))
}

/// The readable sheet with the most non-empty cells, and its cells.
fn largest_sheet<R: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<R>,
    sheets: &[String],
) -> Result<(String, calamine::Range<calamine::Data>), Error> {
    use calamine::{Data, Reader};
    let mut best: Option<(usize, String, calamine::Range<Data>)> = None;
    for name in sheets {
        let Ok(range) = book.worksheet_range(name) else {
            continue;
        };
        let cells = range
            .used_cells()
            .filter(|(_, _, c)| !matches!(c, Data::Empty))
            .count();
        if best.as_ref().is_none_or(|b| cells > b.0) {
            best = Some((cells, name.clone(), range));
        }
    }
    let (_, name, range) =
        best.ok_or_else(|| Error::input("no sheet of the spreadsheet could be read"))?;
    Ok((name, range))
}

/// The rows after the header into `builders` (empty rows skipped): how many rows, how many
/// cells held spreadsheet errors, how many dates.
fn read_sheet_rows<'a>(
    rows: impl Iterator<Item = &'a [calamine::Data]>,
    builders: &mut [ColumnBuilder],
    width: usize,
) -> (usize, usize, usize) {
    use calamine::Data;
    let empty = |row: &[Data]| row.iter().all(|c| matches!(c, Data::Empty));
    let (mut n_rows, mut errors, mut dates) = (0usize, 0usize, 0usize);
    for row in rows {
        if empty(row) {
            continue;
        }
        n_rows += 1;
        for (i, b) in builders.iter_mut().enumerate().take(width) {
            match row.get(i).unwrap_or(&Data::Empty) {
                Data::Int(v) => b.push_number(*v as f64),
                Data::Float(v) => b.push_number(*v),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => b.push_text(s),
                Data::Bool(v) => b.push_text(if *v { "True" } else { "False" }),
                Data::DateTime(d) => {
                    dates += 1;
                    if d.is_duration() {
                        b.push_number(d.as_f64());
                    } else {
                        b.push_text(&excel_date(d.as_f64()));
                    }
                }
                Data::Error(_) => {
                    errors += 1;
                    b.push_missing();
                }
                Data::Empty => b.push_missing(),
            }
        }
    }
    (n_rows, errors, dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> (Table, SourceReport) {
        load(text.as_bytes(), "t.csv", &IngestOptions::default()).unwrap()
    }

    fn nums(t: &Table, i: usize) -> &[f64] {
        match &t.columns[i].values {
            Values::Numeric(v) => v,
            other => panic!("not numeric: {other:?}"),
        }
    }

    fn levels(t: &Table, i: usize) -> Vec<Option<String>> {
        (0..t.n_rows)
            .map(|r| t.columns[i].text(r).map(|s| s.into_owned()))
            .collect()
    }

    #[test]
    fn detects_each_delimiter_with_quotes_bom_and_crlf() {
        for d in [",", ";", "\t", "|"] {
            let text = format!(
                "\u{feff}id{d}name{d}score\r\n1{d}\"Smith{d} \"\"J\"\"\nx\"{d} 2.5 \r\n2{d}Lee{d}3\r\n"
            );
            let (t, rep) = csv(&text);
            assert_eq!(t.names(), ["id", "name", "score"], "delimiter {d:?}");
            assert_eq!(t.n_rows, 2);
            assert_eq!(
                levels(&t, 1)[0].as_deref(),
                Some(format!("Smith{d} \"J\"\nx").as_str())
            );
            assert_eq!(nums(&t, 2), [2.5, 3.0]);
            assert_eq!(rep.encoding.as_deref(), Some("UTF-8 (BOM)"));
            assert_eq!(
                rep.delimiter.as_deref(),
                Some(if d == "\t" { "tab" } else { d })
            );
        }
    }

    #[test]
    fn missing_markers_are_missing_in_numeric_and_text_columns() {
        let (t, _) = csv("a,b\n1,x\nNA,N/A\n nan ,null\nNone,?\n-,\n , y\n");
        assert_eq!(t.n_rows, 6);
        let a = nums(&t, 0);
        assert_eq!(a[0], 1.0);
        assert!(a[1..].iter().all(|x| x.is_nan()));
        assert_eq!(
            levels(&t, 1),
            [Some("x".into()), None, None, None, None, Some(" y".into())]
        );
    }

    #[test]
    fn a_few_stray_strings_are_reported_not_fatal() {
        let mut text = String::from("n,label\n");
        for i in 0..40 {
            text.push_str(&format!("{},a\n", i));
        }
        text.push_str("oops,a\n");
        let (t, rep) = csv(&text);
        assert!(matches!(t.columns[0].values, Values::Numeric(_)));
        assert_eq!(
            rep.non_numeric,
            [StrayValues {
                column: "n".into(),
                count: 1,
                examples: vec![Cell {
                    row: 41,
                    value: "oops".into()
                }]
            }]
        );
        assert_eq!(t.columns[0].missing_count(), 1);
    }

    #[test]
    fn mostly_text_columns_are_categorical_and_keep_their_numbers_as_levels() {
        let mut text = String::from("v\n");
        for i in 0..200 {
            text.push_str(if i % 3 == 0 { "7\n" } else { "seven\n" });
        }
        let (t, rep) = csv(&text);
        assert!(rep.non_numeric.is_empty());
        let l = levels(&t, 0);
        assert_eq!(l[0].as_deref(), Some("7"));
        assert_eq!(l[1].as_deref(), Some("seven"));
        // A short column switches only at the end.
        let (t, _) = csv("v\n1\nx\ny\n");
        assert_eq!(
            levels(&t, 0),
            [Some("1".into()), Some("x".into()), Some("y".into())]
        );
    }

    #[test]
    fn decimal_commas_are_numbers_only_where_commas_do_not_separate_fields() {
        assert_eq!(decimal_comma_number("-12,5"), Some(-12.5));
        assert_eq!(decimal_comma_number("0,25"), Some(0.25));
        for not in ["1,2,3", "1,", ",5", "1.000,5", "a,5", "1 ,5", ""] {
            assert_eq!(decimal_comma_number(not), None, "{not}");
        }
        let (t, r) = csv("x;y\n1,5;a\n-2,25;b\n3;c\n");
        assert_eq!(t.columns[0].values, Values::Numeric(vec![1.5, -2.25, 3.0]));
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("2 numbers with a decimal comma"))
        );
        // With commas as separators, "1,5" is two fields.
        let (t, _) = csv("x,y\n1,5\n2,6\n");
        assert_eq!(t.columns[0].values, Values::Numeric(vec![1.0, 2.0]));
    }

    #[test]
    fn inf_is_not_a_number_and_signs_and_exponents_are() {
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("-.5"), Some(-0.5));
        assert_eq!(parse_number("+2"), Some(2.0));
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("1,234"), None);
    }

    #[test]
    fn ragged_rows_blank_lines_and_bad_headers_are_noted() {
        let (t, rep) = csv("a,,a\n1,2,3\n4\n   \n5,6,7,8\n");
        assert_eq!(t.names(), ["a", "column_2", "a_2"]);
        assert_eq!(t.n_rows, 3);
        assert!(nums(&t, 1)[1].is_nan());
        let notes = rep.notes.join("\n");
        assert!(notes.contains("no header"), "{notes}");
        assert!(notes.contains("more than once"), "{notes}");
        assert!(notes.contains("fewer than 3 fields (rows 2)"), "{notes}");
        assert!(notes.contains("more than 3 fields (rows 3)"), "{notes}");
        assert!(notes.contains("1 blank lines"), "{notes}");
    }

    #[test]
    fn latin1_and_utf16_text_is_decoded() {
        let (t, rep) = load(b"name,v\ncaf\xe9,1\n", "l.csv", &IngestOptions::default()).unwrap();
        assert_eq!(levels(&t, 0)[0].as_deref(), Some("café"));
        assert!(rep.encoding.unwrap().starts_with("Windows-1252"));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "a;b\n1;é\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let (t, rep) = load(&utf16, "u.csv", &IngestOptions::default()).unwrap();
        assert_eq!(t.names(), ["a", "b"]);
        assert_eq!(levels(&t, 1)[0].as_deref(), Some("é"));
        assert_eq!(rep.encoding.as_deref(), Some("UTF-16LE (BOM)"));
    }

    #[test]
    fn bad_files_give_clear_errors() {
        let err = |b: &[u8]| {
            load(b, "f.csv", &IngestOptions::default())
                .unwrap_err()
                .to_string()
        };
        assert!(err(b"").contains("empty"));
        assert!(err(b"a,b,c\n").contains("no data rows"));
        assert!(err(b"\x00\x01\x02binary").contains("NUL"));
        assert!(err(b"PK\x03\x04garbage").contains("spreadsheet could not be read"));
    }

    #[test]
    fn conversions_between_kinds() {
        let (mut t, _) = csv("a,b\n1,2\n,x\n3,4\n");
        Arc::make_mut(&mut t.columns[0]).make_categorical();
        assert_eq!(levels(&t, 0), [Some("1".into()), None, Some("3".into())]);
        let (lost, ex) = Arc::make_mut(&mut t.columns[1]).make_numeric();
        assert_eq!((lost, ex), (1, vec!["x".to_string()]));
        assert_eq!(nums(&t, 1)[2], 4.0);
    }

    #[test]
    fn appended_rows_are_read_like_the_column() {
        let (mut t, _) = csv("n,c\n1,a\n2,b\n");
        let r = t.append_rows(&[
            vec![Some(" 3 ".into()), Some("b".into())],
            vec![Some("x".into()), Some("new".into())],
        ]);
        assert_eq!(r, 2..4);
        assert_eq!(nums(&t, 0)[2], 3.0);
        assert!(nums(&t, 0)[3].is_nan());
        assert_eq!(
            levels(&t, 1),
            [
                Some("a".into()),
                Some("b".into()),
                Some("b".into()),
                Some("new".into())
            ]
        );
    }

    #[test]
    fn infinite_values_are_missing_and_unterminated_quotes_are_refused() {
        let (t, rep) = csv("a,b\n1,x\ninf,y\n-Infinity,z\n4,w\n");
        assert!(nums(&t, 0)[1].is_nan() && nums(&t, 0)[2].is_nan());
        assert!(
            rep.notes.iter().any(|n| n.contains("2 infinite values")),
            "{:?}",
            rep.notes
        );
        let e = load(b"a,b\n1,\"abc\n2,x\n", "q.csv", &IngestOptions::default()).unwrap_err();
        assert!(e.to_string().contains("unterminated quote"), "{e}");
        // A lone inch mark inside an unquoted field is text, not an open quote.
        let (t, _) = csv("item,n\n27\" monitor,1\nlamp,2\n");
        assert_eq!(levels(&t, 0)[0].as_deref(), Some("27\" monitor"));
    }

    #[test]
    fn excel_serials_become_iso_dates() {
        assert_eq!(excel_date(45_292.0), "2024-01-01");
        assert_eq!(excel_date(1.5), "1899-12-31 12:00:00");
    }
}
