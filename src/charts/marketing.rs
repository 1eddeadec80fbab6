//! The marketing charts: one customer's reasons as a waterfall, importance per column, and the
//! campaign's net value over the decision threshold.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{CHURN, FONT, STAY, TRAIN, draw, failed};
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

/// One customer's score built up from the base: a bar per reason (strongest first, the rest
/// summed), orange where it raises the risk, blue where it lowers it, ending at the score.
pub fn waterfall(base: f64, score: f64, units: Units, reasons: &[Reason]) -> Result<String, Error> {
    let mut bars: Vec<(String, f64)> = reasons
        .iter()
        .take(SHOWN)
        .map(|r| (format!("{} = {}", r.column, r.value), r.contribution))
        .collect();
    if reasons.len() > SHOWN {
        let rest: f64 = reasons[SHOWN..].iter().map(|r| r.contribution).sum();
        bars.push((format!("{} other columns", reasons.len() - SHOWN), rest));
    }
    // (label, from, to) for every bar, the base first and the score last.
    let mut steps = vec![("base (average customer)".to_string(), 0f64.min(base), base)];
    let mut at = base;
    for (label, c) in bars {
        steps.push((label, at, at + c));
        at += c;
    }
    steps.push(("score".to_string(), 0f64.min(score), score));
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
    draw((640, 40 + 26 * n as u32 + 40), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Why this score ({})", unit_name(units)), (FONT, 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size((label_width * 6 + 12).clamp(80, 300))
            .build_cartesian_2d((lo - pad)..(hi + pad), 0f64..n as f64)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| row_label(*y, n, |k| steps[k].0.clone()))
            .x_desc(unit_name(units))
            .label_style((FONT, 10))
            .draw()
            .map_err(failed)?;
        let colour = |k: usize, from: f64, to: f64| {
            if k == 0 || k == n - 1 {
                RGBColor(110, 110, 110)
            } else if to >= from {
                CHURN
            } else {
                STAY
            }
        };
        chart
            .draw_series(steps.iter().enumerate().map(|(k, (_, from, to))| {
                let y = (n - 1 - k) as f64;
                Rectangle::new(
                    [(from.min(*to), y + 0.2), (from.max(*to), y + 0.8)],
                    colour(k, *from, *to).filled(),
                )
            }))
            .map_err(failed)?;
        let left = Pos::new(HPos::Left, VPos::Center);
        chart
            .draw_series(steps.iter().enumerate().map(|(k, (_, from, to))| {
                let y = (n - 1 - k) as f64 + 0.5;
                let text = if k == 0 || k == n - 1 {
                    format!("{to:.3}")
                } else {
                    format!("{:+.3}", to - from)
                };
                Text::new(
                    text,
                    (from.max(*to) + pad * 0.08, y),
                    (FONT, 10).into_font().color(&BLACK).pos(left),
                )
            }))
            .map_err(failed)?;
        Ok(())
    })
}

/// A horizontal bar per column, largest first (at most 20).
pub fn importance(
    title: &str,
    unit: &str,
    columns: &[String],
    values: &[f64],
) -> Result<String, Error> {
    let mut bars: Vec<(&String, f64)> = columns.iter().zip(values.iter().copied()).collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    bars.truncate(20);
    let n = bars.len().max(1);
    let hi = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-6);
    let lo = bars.iter().map(|b| b.1).fold(0.0, f64::min);
    let label_width = columns
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(10) as u32;
    draw((560, 40 + 20 * n as u32 + 40), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size((label_width * 6 + 12).clamp(60, 260))
            .build_cartesian_2d(lo..hi * 1.1, 0f64..n as f64)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .y_labels(2 * n + 1)
            .y_label_formatter(&|y| {
                row_label(*y, n, |k| {
                    bars.get(k).map(|b| b.0.clone()).unwrap_or_default()
                })
            })
            .x_desc(unit)
            .label_style((FONT, 10))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(k, (_, v))| {
                let y = (n - 1 - k) as f64;
                Rectangle::new([(0.0, y + 0.2), (*v, y + 0.8)], TRAIN.filled())
            }))
            .map_err(failed)?;
        Ok(())
    })
}

/// The campaign's expected net value over the threshold, with the chosen and the best
/// thresholds marked.
pub fn net_value(curve: &[ThresholdPoint], chosen: f64, best: f64) -> Result<String, Error> {
    let values: Vec<f64> = curve.iter().map(|p| p.net_value).collect();
    let lo = values.iter().copied().fold(0.0, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.08).max(1.0);
    draw((560, 260), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Campaign net value by threshold (test rows)", (FONT, 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..1f64, (lo - pad)..(hi + pad))
            .map_err(failed)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("threshold")
            .y_desc("net value")
            .label_style((FONT, 10))
            .draw()
            .map_err(failed)?;
        let points: Vec<(f64, f64)> = curve.iter().map(|p| (p.threshold, p.net_value)).collect();
        chart
            .draw_series(LineSeries::new(points, TRAIN.stroke_width(2)))
            .map_err(failed)?;
        for (x, colour, name) in [(best, CHURN, "best"), (chosen, BLACK, "chosen")] {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo - pad), (x, hi + pad)],
                    colour.stroke_width(1),
                )))
                .map_err(failed)?
                .label(format!("{name} {x:.2}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], colour));
        }
        chart
            .configure_series_labels()
            .border_style(BLACK)
            .background_style(WHITE)
            .label_font((FONT, 10))
            .draw()
            .map_err(failed)?;
        Ok(())
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
    fn the_marketing_charts_are_svgs_with_their_labels() {
        let reasons: Vec<Reason> = (0..10)
            .map(|k| reason(&format!("C{k}"), 0.1 - 0.02 * k as f64))
            .collect();
        let score = 0.2 + reasons.iter().map(|r| r.contribution).sum::<f64>();
        let svg = waterfall(0.2, score, Units::Probability, &reasons).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("C0 = 1") && svg.contains("2 other columns")
        );
        assert!(svg.contains("+0.100") && svg.contains("churn probability"));
        let names: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let svg = importance("Importance", "mean |contribution|", &names, &[0.1, 0.3]).unwrap();
        assert!(svg.contains("\na\n") && svg.contains("\nb\n"), "{svg}");
        let curve: Vec<ThresholdPoint> = (0..=100)
            .map(|k| ThresholdPoint {
                threshold: f64::from(k) / 100.0,
                precision: 0.5,
                recall: 0.5,
                f1: 0.5,
                net_value: f64::from(k) - 30.0,
            })
            .collect();
        let svg = net_value(&curve, 0.5, 1.0).unwrap();
        assert!(svg.contains("best 1.00") && svg.contains("chosen 0.50"));
    }
}
