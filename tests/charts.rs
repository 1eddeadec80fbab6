//! The charts' layout: no two texts of a chart overlap (boxes as plotters measures them) on the
//! real table's 19 charts and on the first 60 charts of a 10,000-column table, in both themes;
//! the readouts say what the report says.

use std::path::PathBuf;

use churnlab::charts::{self, Chart, Theme};
use churnlab::config::Config;
use churnlab::prepare::InspectReport;
use churnlab::session::Session;

fn inspect(bytes: &[u8], name: &str) -> InspectReport {
    let cfg = Config::default().check().unwrap();
    Session::load(bytes, name, &cfg)
        .unwrap()
        .inspect(&cfg)
        .unwrap()
}

/// The heatmap and the first `n` distribution charts of `r`.
fn explore_charts(r: &InspectReport, n: usize, theme: Theme) -> Vec<Chart> {
    let t = &r.schema.target;
    std::iter::once(charts::heatmap(&r.exploration.correlation, theme).unwrap())
        .chain(
            r.exploration
                .distributions
                .iter()
                .take(n)
                .map(|d| charts::distribution(d, &t.positive, &t.negative, theme).unwrap()),
        )
        .collect()
}

fn assert_readable(charts: &[Chart]) {
    for c in charts {
        let o = c.overlapping_texts();
        assert!(
            o.is_empty(),
            "{}: {} overlapping texts, e.g. {:?}",
            c.title,
            o.len(),
            o[0]
        );
        assert!(!c.texts.is_empty() && !c.marks.is_empty(), "{}", c.title);
        for m in &c.marks {
            assert!(
                m.x >= 0 && m.y >= 0 && m.x + m.w <= c.width as i32 && m.y + m.h <= c.height as i32,
                "{}: {m:?}",
                c.title
            );
        }
    }
}

#[test]
fn the_real_tables_19_charts_have_no_overlapping_labels_and_readouts_from_the_report() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/ecommerce-churn/ecommerce_churn.csv");
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!(
            "\n*** SKIPPED: the real table is not at {} ***\n",
            path.display()
        );
        return;
    };
    let r = inspect(&bytes, "ecommerce_churn.csv");
    for theme in [Theme::Light, Theme::Dark] {
        let charts = explore_charts(&r, usize::MAX, theme);
        assert_eq!(charts.len(), 19);
        assert_readable(&charts);
        // Every heatmap cell reads its r; every bar its rows and churners.
        let c = &r.exploration.correlation;
        let n = c.columns.len();
        assert_eq!(charts[0].marks.len(), n * n);
        let (i, j) = (1, 2);
        let v = c.values[i][j].unwrap();
        assert_eq!(
            charts[0].marks[i * n + j].text,
            format!("{} × {}: r = {v:.3}", c.columns[i], c.columns[j])
        );
        for (chart, d) in charts[1..].iter().zip(&r.exploration.distributions) {
            assert_eq!(chart.marks.len(), d.bins.len());
            let b = &d.bins[0];
            assert!(chart.marks[0].text.starts_with(&format!(
                "{}: {} rows, {} churned",
                b.label, b.count, b.positives
            )));
            assert_eq!(chart.table.rows.len(), d.bins.len());
        }
    }
}

#[test]
fn a_10000_column_tables_first_60_charts_have_no_overlapping_labels() {
    let columns = 10_000;
    let header: Vec<String> = (0..columns)
        .map(|j| match j % 3 {
            0 => format!("measured_quantity_with_a_long_name_{j}"),
            1 => format!("category_{j}"),
            _ => format!("c{j}"),
        })
        .collect();
    let mut csv = header.join(",") + ",Churn\n";
    for i in 0..300usize {
        let row: Vec<String> = (0..columns)
            .map(|j| match j % 3 {
                0 => format!("{:.3}", ((i * 37 + j * 11) % 1000) as f64 * 0.731 - 12.0),
                1 => format!("a long level name {}", (i + j) % (3 + j % 17)),
                _ => ((i * 7 + j) % 40).to_string(),
            })
            .collect();
        csv += &format!("{},{}\n", row.join(","), i % 3 == 0);
    }
    let r = inspect(csv.as_bytes(), "wide.csv");
    for theme in [Theme::Light, Theme::Dark] {
        let charts = explore_charts(&r, 60, theme);
        assert_eq!(charts.len(), 61);
        assert_readable(&charts);
    }
}
