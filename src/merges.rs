//! Suggested label merges: levels of a categorical feature that look like one thing written
//! two ways — `Phone` / `Mobile Phone` (one contained in the other), `CC` / `Credit Card` and
//! `COD` / `Cash on Delivery` (initials), `E-mail` / `Email` (punctuation and spacing). They are
//! only suggested, with their counts: the user applies them (as label mappings), never this
//! module.

use serde::Serialize;

use crate::ingest::{MISSING, Table, Values};
use crate::schema::{Role, Schema};

/// Columns with more levels than this are not searched (the pairs grow with the square).
const MAX_LEVELS: usize = 60;

/// Small words initials may leave out (`Cash on Delivery` is `COD` or `CD`).
const SMALL_WORDS: [&str; 8] = ["of", "on", "and", "the", "for", "in", "at", "&"];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MergeSuggestion {
    pub column: String,
    pub from: String,
    pub to: String,
    pub from_rows: usize,
    pub to_rows: usize,
    /// `spelling`, `contained` or `initials`.
    pub why: String,
}

fn words(label: &str) -> Vec<String> {
    label
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn squeezed(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `short` appears in `long` as whole consecutive words (and is shorter).
fn contained(short: &[String], long: &[String]) -> bool {
    !short.is_empty() && short.len() < long.len() && long.windows(short.len()).any(|w| w == short)
}

/// Whether `short` (one word of letters) is the initials of `long`'s words, with or without
/// its small words.
fn initials(short: &str, long: &[String]) -> bool {
    let s = short.to_lowercase();
    if long.len() < 2 || !(2..=6).contains(&s.len()) || !s.chars().all(char::is_alphabetic) {
        return false;
    }
    let all: String = long.iter().filter_map(|w| w.chars().next()).collect();
    let big: String = long
        .iter()
        .filter(|w| !SMALL_WORDS.contains(&w.as_str()))
        .filter_map(|w| w.chars().next())
        .collect();
    s == all || s == big
}

/// Why `a` may be another way to write `b`, if it may.
fn relation(a: &str, b: &str, others_containing_a: usize) -> Option<&'static str> {
    let (wa, wb) = (words(a), words(b));
    if squeezed(a) == squeezed(b) {
        Some("spelling")
    } else if contained(&wa, &wb) && others_containing_a == 1 {
        Some("contained")
    } else if wa.len() == 1 && initials(a, &wb) {
        Some("initials")
    } else {
        None
    }
}

/// The suggestions for every categorical feature of `table` (counts over `rows`).
pub fn suggest(table: &Table, schema: &Schema, rows: &[usize]) -> Vec<MergeSuggestion> {
    let mut out = Vec::new();
    for (i, info) in schema.columns.iter().enumerate() {
        let Values::Categorical { codes, levels } = &table.columns[i].values else {
            continue;
        };
        if info.role != Role::Feature || levels.len() > MAX_LEVELS {
            continue;
        }
        let mut n = vec![0usize; levels.len()];
        for &r in rows {
            if codes[r] != MISSING {
                n[codes[r] as usize] += 1;
            }
        }
        let present: Vec<usize> = (0..levels.len()).filter(|&l| n[l] > 0).collect();
        let mut taken = vec![false; levels.len()];
        for &a in &present {
            let wa = words(&levels[a]);
            let holders = present
                .iter()
                .filter(|&&b| b != a && contained(&wa, &words(&levels[b])))
                .count();
            for &b in present.iter().filter(|&&b| b != a) {
                let Some(why) = relation(&levels[a], &levels[b], holders) else {
                    continue;
                };
                // Spelling variants go to the more frequent spelling; the others to the longer.
                if taken[a] || (why == "spelling" && (n[a], b) > (n[b], a)) {
                    continue;
                }
                taken[a] = true;
                out.push(MergeSuggestion {
                    column: info.name.clone(),
                    from: levels[a].clone(),
                    to: levels[b].clone(),
                    from_rows: n[a],
                    to_rows: n[b],
                    why: why.to_string(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, load};
    use crate::schema::{SchemaOptions, infer};

    #[test]
    fn contained_initials_and_spelling_are_suggested_and_ambiguity_is_not() {
        let mut csv = String::from("pay,device,kind,y\n");
        let pay = [
            "CC",
            "Credit Card",
            "COD",
            "Cash on Delivery",
            "UPI",
            "Debit Card",
        ];
        let device = [
            "Phone",
            "Mobile Phone",
            "Computer",
            "E-mail",
            "Email",
            "Email",
        ];
        let kind = ["Card", "Credit Card", "Debit Card", "Gift", "Gift", "Gift"];
        for i in 0..60 {
            csv += &format!(
                "{},{},{},{}\n",
                pay[i % 6],
                device[i % 6],
                kind[i % 6],
                i % 2
            );
        }
        let (mut t, _) = load(csv.as_bytes(), "t.csv", &IngestOptions::default()).unwrap();
        let s = infer(&mut t, &SchemaOptions::default()).unwrap();
        let rows: Vec<usize> = (0..t.n_rows).collect();
        let got: Vec<(String, String, String, String)> = suggest(&t, &s, &rows)
            .into_iter()
            .map(|m| (m.column, m.from, m.to, m.why))
            .collect();
        let has = |c: &str, f: &str, to: &str, why: &str| {
            got.contains(&(c.into(), f.into(), to.into(), why.into()))
        };
        assert!(has("pay", "CC", "Credit Card", "initials"), "{got:?}");
        assert!(has("pay", "COD", "Cash on Delivery", "initials"), "{got:?}");
        assert!(
            has("device", "Phone", "Mobile Phone", "contained"),
            "{got:?}"
        );
        assert!(has("device", "E-mail", "Email", "spelling"), "{got:?}");
        // "Card" is in two other levels: which one it means is not clear.
        assert!(!got.iter().any(|g| g.1 == "Card"), "{got:?}");
        assert!(
            !got.iter().any(|g| g.1 == "UPI" || g.1 == "Gift"),
            "{got:?}"
        );
    }
}
