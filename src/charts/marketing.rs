//! The marketing charts: one customer's reasons as a waterfall, importance per column, and the
//! campaign's net value over the decision threshold.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{Canvas, Chart, DataTable, Frame, Theme, failed, mark, mesh, num, plot};
use super::legend;
use crate::Error;
use crate::explain::{Reason, Units};
use crate::marketing::ThresholdPoint;

/// Reasons shown one by one in a waterfall; the rest are summed in one bar.
const SHOWN: usize = 8;

fn unit_name(units: Units) -> String {
    format!("churn {}", units.name())
}

/// The name of bar `k` (from the top) at the centre of its row, where rows are drawn bottom
/// up; nothing at the ticks between rows.
fn row_label(y: f64, n: usize, name: impl Fn(usize) -> String) -> String {
    let i = y.floor() as usize;
    if (y - y.floor() - 0.5).abs() > 1e-9 || i >= n {
        return String::new();
    }
    name(n - 1 - i)
}

/// The waterfall's bars: (label, from, to), the base first and the score last.
fn steps(base: f64, score: f64, reasons: &[Reason]) -> Vec<(String, f64, f64)> {
    let mut bars: Vec<(String, f64)> = reasons
        .iter()
        .take(SHOWN)
        .map(|r| (format!("{} = {}", r.column, r.value), r.contribution))
        .collect();
    if reasons.len() > SHOWN {
        let rest: f64 = reasons[SHOWN..].iter().map(|r| r.contribution).sum();
        bars.push((format!("{} other columns", reasons.len() - SHOWN), rest));
    }
    let mut steps = vec![("base (average customer)".to_string(), 0f64.min(base), base)];
    let mut at = base;
    for (label, c) in bars {
        steps.push((label, at, at + c));
        at += c;
    }
    steps.push(("score".to_string(), 0f64.min(score), score));
    steps
}

/// One customer's score built up from the base: a bar per reason (strongest first, the rest
/// summed), orange where it raises the risk, blue where it lowers it, ending at the score.
pub fn waterfall(
    base: f64,
    score: f64,
    units: Units,
    reasons: &[Reason],
    theme: Theme,
) -> Result<Chart, Error> {
    let steps = steps(base, score, reasons);
    let lo = steps
        .iter()
        .map(|s| s.1.min(s.2))
        .fold(f64::INFINITY, f64::min);
    let hi = steps
        .iter()
        .map(|s| s.1.max(s.2))
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.12).max(1e-3);
    let n = steps.len();
    let label_width = steps
        .iter()
        .map(|s| s.0.chars().count())
        .max()
        .unwrap_or(10) as u32;
    // The base and the score are values; every other bar is a change.
    let shown = |k: usize, from: f64, to: f64| {
        if k == 0 || k == n - 1 {
            format!("{to:.3}")
        } else {
            format!("{:+.3}", to - from)
        }
    };
    let mut table = DataTable::new(&["step", "from", "to", "change"]);
    for (k, (label, from, to)) in steps.iter().enumerate() {
        table.row(vec![
            label.clone(),
            format!("{from:.3}"),
            format!("{to:.3}"),
            shown(k, *from, *to),
        ]);
    }
    let canvas = Canvas {
        title: format!(
            "Why this score: the base, {} reasons and the score ({})",
            n - 2,
            unit_name(units)
        ),
        size: (640, 40 + 26 * n as u32 + 40),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: format!("Why this score ({})", unit_name(units)),
            caption_size: 14,
            margin: 8,
            x_labels: 30,
            y_labels: (label_width * 6 + 12).clamp(80, 300),
        };
        let mut chart = plot(root, ink, frame, (lo - pad)..(hi + pad), 0f64..n as f64)?;
        mesh(&mut chart, ink)
            .disable_y_mesh()
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| row_label(*y, n, |k| steps[k].0.clone()))
            .x_desc(unit_name(units))
            .draw()
            .map_err(failed)?;
        let colour = |k: usize, from: f64, to: f64| {
            if k == 0 || k == n - 1 {
                ink.neutral
            } else if to >= from {
                ink.churn
            } else {
                ink.stay
            }
        };
        let bar = |k: usize| (n - 1 - k) as f64;
        chart
            .draw_series(steps.iter().enumerate().map(|(k, (_, from, to))| {
                Rectangle::new(
                    [(from.min(*to), bar(k) + 0.2), (from.max(*to), bar(k) + 0.8)],
                    colour(k, *from, *to).filled(),
                )
            }))
            .map_err(failed)?;
        let left = Pos::new(HPos::Left, VPos::Center);
        chart
            .draw_series(steps.iter().enumerate().map(|(k, (_, from, to))| {
                Text::new(
                    shown(k, *from, *to),
                    (from.max(*to) + pad * 0.08, bar(k) + 0.5),
                    ink.font(10).pos(left),
                )
            }))
            .map_err(failed)?;
        Ok(steps
            .iter()
            .enumerate()
            .map(|(k, (label, from, to))| {
                mark(
                    &chart,
                    (lo - pad, bar(k)),
                    (hi + pad, bar(k) + 1.0),
                    format!("{label}: {}", shown(k, *from, *to)),
                )
            })
            .collect())
    })
}

/// A horizontal bar per column, largest first (at most 20).
pub fn importance(
    title: &str,
    unit: &str,
    columns: &[String],
    values: &[f64],
    theme: Theme,
) -> Result<Chart, Error> {
    let mut bars: Vec<(&String, f64)> = columns.iter().zip(values.iter().copied()).collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut table = DataTable::new(&["column", unit]);
    for (c, v) in &bars {
        table.row(vec![c.to_string(), num(*v)]);
    }
    bars.truncate(20);
    let n = bars.len().max(1);
    let hi = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-6);
    let lo = bars.iter().map(|b| b.1).fold(0.0, f64::min);
    let label_width = columns
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(10) as u32;
    let canvas = Canvas {
        title: format!(
            "{title}: the {} largest of {} columns ({unit})",
            bars.len(),
            columns.len()
        ),
        size: (560, 40 + 20 * n as u32 + 40),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: title,
            caption_size: 14,
            margin: 8,
            x_labels: 30,
            y_labels: (label_width * 6 + 12).clamp(60, 260),
        };
        let mut chart = plot(root, ink, frame, lo..hi * 1.1, 0f64..n as f64)?;
        mesh(&mut chart, ink)
            .disable_y_mesh()
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| {
                row_label(*y, n, |k| {
                    bars.get(k).map(|b| b.0.clone()).unwrap_or_default()
                })
            })
            .x_desc(unit)
            .draw()
            .map_err(failed)?;
        let row = |k: usize| (n - 1 - k) as f64;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, (_, v))| {
                Rectangle::new(
                    [(0.0, row(k) + 0.2), (*v, row(k) + 0.8)],
                    ink.series(0).filled(),
                )
            }))
            .map_err(failed)?;
        Ok(bars
            .iter()
            .enumerate()
            .map(|(k, (c, v))| {
                mark(
                    &chart,
                    (lo, row(k)),
                    (hi * 1.1, row(k) + 1.0),
                    format!("{c}: {} {unit}", num(*v)),
                )
            })
            .collect())
    })
}

/// Thresholds between the net value chart's readouts.
const NET_STEP: f64 = 0.05;

/// The campaign's expected net value over the threshold, with the chosen and the best
/// thresholds marked.
pub fn net_value(
    curve: &[ThresholdPoint],
    chosen: f64,
    best: f64,
    theme: Theme,
) -> Result<Chart, Error> {
    let values: Vec<f64> = curve.iter().map(|p| p.net_value).collect();
    let lo = values.iter().copied().fold(0.0, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.08).max(1.0);
    // Every NET_STEP of the threshold, as far as the curve has points there.
    let shown: Vec<&ThresholdPoint> = curve
        .iter()
        .filter(|p| ((p.threshold / NET_STEP) - (p.threshold / NET_STEP).round()).abs() < 1e-6)
        .collect();
    let mut table = DataTable::new(&["threshold", "net value", "precision", "recall", "F1"]);
    for p in &shown {
        table.row(vec![
            format!("{:.2}", p.threshold),
            num(p.net_value),
            num(p.precision),
            num(p.recall),
            num(p.f1),
        ]);
    }
    let canvas = Canvas {
        title: format!("Campaign net value by threshold; chosen {chosen:.2}, best {best:.2}"),
        size: (560, 260),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: "Campaign net value by threshold (test rows)",
            caption_size: 14,
            margin: 8,
            x_labels: 30,
            y_labels: 56,
        };
        let mut chart = plot(root, ink, frame, 0f64..1f64, (lo - pad)..(hi + pad))?;
        mesh(&mut chart, ink)
            .x_desc("threshold")
            .y_desc("net value")
            .draw()
            .map_err(failed)?;
        let points: Vec<(f64, f64)> = curve.iter().map(|p| (p.threshold, p.net_value)).collect();
        chart
            .draw_series(LineSeries::new(points, ink.series(0).stroke_width(2)))
            .map_err(failed)?;
        for (x, colour, name) in [(best, ink.churn, "best"), (chosen, ink.text, "chosen")] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo - pad), (x, hi + pad)],
                    colour.stroke_width(1),
                )))
                .map_err(failed)?
                .label(format!("{name} {x:.2}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], colour));
        }
        legend(&mut chart, ink, SeriesLabelPosition::UpperRight)?;
        Ok(shown
            .iter()
            .map(|p| {
                let t = p.threshold;
                let text = format!(
                    "threshold {t:.2}: net value {}, precision {}, recall {}",
                    num(p.net_value),
                    num(p.precision),
                    num(p.recall)
                );
                mark(
                    &chart,
                    ((t - NET_STEP / 2.0).max(0.0), hi + pad),
                    ((t + NET_STEP / 2.0).min(1.0), lo - pad),
                    text,
                )
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(column: &str, c: f64) -> Reason {
        Reason {
            column: column.into(),
            value: "1".into(),
            contribution: c,
            high: None,
            theme: String::new(),
        }
    }

    #[test]
    fn the_marketing_charts_are_svgs_with_their_labels_readouts_and_tables() {
        let reasons: Vec<Reason> = (0..10)
            .map(|k| reason(&format!("C{k}"), 0.1 - 0.02 * k as f64))
            .collect();
        let score = 0.2 + reasons.iter().map(|r| r.contribution).sum::<f64>();
        let w = waterfall(0.2, score, Units::Probability, &reasons, Theme::Light).unwrap();
        assert!(
            w.svg.starts_with("<svg")
                && w.svg.contains("C0 = 1")
                && w.svg.contains("2 other columns")
        );
        assert!(w.svg.contains("+0.100") && w.svg.contains("churn probability"));
        // base, 8 reasons, the rest, the score.
        assert_eq!(w.marks.len(), 11);
        assert_eq!(w.marks[1].text, "C0 = 1: +0.100");
        assert_eq!(w.table.rows.len(), 11);
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let i = importance(
            "Importance",
            "mean |contribution|",
            &names,
            &[0.1, 0.3],
            Theme::Dark,
        )
        .unwrap();
        assert!(
            i.svg.contains("\na\n") && i.svg.contains("\nb\n"),
            "{}",
            i.svg
        );
        assert_eq!(i.marks[0].text, "b: 0.3 mean |contribution|");
        // The largest bar is the top one.
        assert!(i.marks[0].y < i.marks[1].y);
        let curve: Vec<ThresholdPoint> = (0..=100)
            .map(|k| ThresholdPoint {
                threshold: f64::from(k) / 100.0,
                precision: 0.5,
                recall: 0.5,
                f1: 0.5,
                net_value: f64::from(k) - 30.0,
            })
            .collect();
        let v = net_value(&curve, 0.5, 1.0, Theme::Light).unwrap();
        assert!(v.svg.contains("best 1.00") && v.svg.contains("chosen 0.50"));
        assert_eq!(v.table.rows.len(), 21);
        assert!(
            v.marks[10].text.starts_with("threshold 0.50: net value 20"),
            "{}",
            v.marks[10].text
        );
    }
}
