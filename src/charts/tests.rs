use super::*;
use crate::explore::Bin;

fn stats(epoch: usize) -> EpochStats {
    EpochStats {
        epoch,
        train_loss: 1.0 / epoch as f64,
        train_accuracy: 0.8 + 0.01 * epoch as f64,
        val_loss: 1.1 / epoch as f64,
        val_accuracy: 0.79 + 0.01 * epoch as f64,
        d_loss: None,
        g_loss: None,
        seconds: 0.1,
        steps: 4,
        glimpse: None,
    }
}

fn bin(label: &str, count: usize, positives: usize) -> Bin {
    Bin {
        label: label.into(),
        lo: None,
        hi: None,
        count,
        positives,
    }
}

fn no_overlaps(chart: &Chart) {
    let o = chart.overlapping_texts();
    assert!(o.is_empty(), "{}: {o:?}", chart.title);
}

#[test]
fn every_chart_is_an_svg_with_its_labels_readouts_and_table() {
    let c = Correlation {
        columns: vec!["Tenure".into(), "Churn".into()],
        values: vec![vec![Some(1.0), Some(-0.35)], vec![Some(-0.35), Some(1.0)]],
        omitted: 0,
    };
    let h = heatmap(&c, Theme::Light).unwrap();
    assert!(
        h.svg.starts_with("<svg") && h.svg.contains("Tenure") && h.svg.contains("-0.35"),
        "{}",
        h.svg
    );
    assert_eq!(h.marks.len(), 4);
    assert_eq!(h.marks[1].text, "Tenure × Churn: r = -0.350");
    assert_eq!(h.marks[1].pair, Some(("Tenure".into(), "Churn".into())));
    assert_eq!(h.marks[0].pair, None);
    // The second cell of the first row is right of the first, the first of the second row below.
    assert!(h.marks[1].x > h.marks[0].x && h.marks[2].y > h.marks[0].y);
    assert_eq!(h.table.rows[0], ["Tenure", "1.000", "-0.350"]);
    no_overlaps(&h);
    let d = Distribution {
        column: "Gender".into(),
        kind: "levels".into(),
        bins: vec![bin("Male", 30, 5), bin("Female", 20, 4)],
        missing: 0,
    };
    let g = distribution(&d, "1", "0", Theme::Dark).unwrap();
    assert!(
        g.svg.contains("Gender") && g.svg.contains("Female") && g.svg.matches("<rect").count() >= 4
    );
    assert!(g.svg.contains("churned (1)") && g.svg.contains("stayed (0)"));
    assert_eq!(g.marks[1].text, "Female: 20 rows, 4 churned (20.0 %)");
    assert_eq!(g.table.rows[0], ["Male", "30", "5", "25", "16.7 %"]);
    no_overlaps(&g);
    let history: Vec<EpochStats> = (1..=5).map(stats).collect();
    let k = curves("GAN", &history, Theme::Light).unwrap();
    assert!(
        k.svg.contains("GAN: accuracy")
            && k.svg.contains("validation")
            && k.svg.contains("<polyline")
    );
    assert_eq!(k.marks.len(), 10);
    assert!(
        k.marks[2]
            .text
            .starts_with("GAN, epoch 3: accuracy train 0.83"),
        "{}",
        k.marks[2].text
    );
    no_overlaps(&k);
    let r = roc(
        &[("LR".into(), vec![(0.0, 0.0), (0.2, 0.7), (1.0, 1.0)])],
        Theme::Light,
    )
    .unwrap();
    assert!(r.svg.contains("ROC") && r.svg.contains("LR"));
    assert_eq!(r.table.rows[2], ["0.2", "0.7"]);
    no_overlaps(&r);
    let s = scatter(
        "Tenure and Churn",
        ("Tenure", "Score"),
        &[
            ("stayed".into(), vec![(1.0, 2.0)]),
            ("churned".into(), vec![(3.0, 1.0)]),
        ],
        Theme::Light,
    )
    .unwrap();
    assert!(s.svg.contains("<circle") && s.svg.contains("churned (1)"));
    assert_eq!(s.table.rows.len(), 2);
}

#[test]
fn counts_and_epochs_have_whole_ticks() {
    let d = Distribution {
        column: "Complain".into(),
        kind: "levels".into(),
        bins: vec![bin("0", 1800, 200), bin("1", 3, 1)],
        missing: 0,
    };
    let g = distribution(&d, "1", "0", Theme::Light).unwrap();
    assert!(
        !g.svg.contains("1800.0") && !g.svg.contains(".5\n"),
        "{}",
        g.svg
    );
    assert!(
        g.texts
            .iter()
            .any(|t| t.text == "1800" || t.text == "1500" || t.text == "1000")
    );
    let k = curves("MLP", &[stats(1), stats(2)], Theme::Light).unwrap();
    let ticks: Vec<&str> = k
        .texts
        .iter()
        .map(|t| t.text.as_str())
        .filter(|t| t.parse::<f64>().is_ok_and(|v| v >= 1.0))
        .collect();
    assert!(
        ticks.contains(&"1")
            && ticks.contains(&"2")
            && !k.svg.contains("\n1.5\n")
            && !k.svg.contains("2.0\n"),
        "{ticks:?}"
    );
}

#[test]
fn many_long_bin_names_are_turned_thinned_and_cut_never_overlapping() {
    let bins: Vec<Bin> = (0..31)
        .map(|i| bin(&format!("a rather long level name number {i}"), 10 + i, i))
        .collect();
    let d = Distribution {
        column: "Levels".into(),
        kind: "levels".into(),
        bins,
        missing: 0,
    };
    let g = distribution(&d, "Yes", "No", Theme::Light).unwrap();
    no_overlaps(&g);
    assert!(g.svg.contains("rotate(90"), "long names are turned upright");
    assert!(
        g.svg.contains('…'),
        "names longer than the label area are cut"
    );
    // Readouts keep every bar's full name.
    assert_eq!(g.marks.len(), 31);
    assert!(
        g.marks[30]
            .text
            .starts_with("a rather long level name number 30:")
    );
}

#[test]
fn overlapping_texts_are_found() {
    let chart = canvas::Canvas {
        title: "two labels".into(),
        size: (200, 100),
        theme: Theme::Light,
        table: DataTable::default(),
    }
    .draw(|root, ink| {
        for (text, x) in [("first label", 20), ("second label", 40), ("apart", 150)] {
            root.draw(&Text::new(text, (x, 50), ink.font(12)))
                .map_err(failed)?;
        }
        Ok(Vec::new())
    })
    .unwrap();
    let o = chart.overlapping_texts();
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!(
        (o[0].0.text.as_str(), o[0].1.text.as_str()),
        ("first label", "second label")
    );
}
