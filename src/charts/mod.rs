//! Charts as SVG text (plotters): the correlation heatmap, one distribution bar chart per
//! feature, training curves and ROC curves, and the marketing charts ([`marketing`]: a
//! customer's reasons, importance, the campaign's net value). The same code draws for the CLI
//! and the page.
//!
//! In the browser, plotters measures text through the DOM (`window.document`), which a Web
//! Worker lacks, so the page draws charts on its main thread.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod marketing;
pub use marketing::{importance, net_value, waterfall};

use crate::Error;
use crate::explore::{Correlation, Distribution};
use crate::models::EpochStats;

const FONT: &str = "sans-serif";
const TRAIN: RGBColor = RGBColor(36, 87, 197);
const VALIDATION: RGBColor = RGBColor(214, 96, 39);
const CHURN: RGBColor = RGBColor(214, 96, 39);
const STAY: RGBColor = RGBColor(36, 87, 197);

fn failed<E: std::fmt::Display>(e: E) -> Error {
    Error::input(format!("chart could not be drawn: {e}"))
}

fn draw(
    size: (u32, u32),
    paint: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), Error>,
) -> Result<String, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        paint(&root)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Blue (−1) through white (0) to red (+1).
fn diverging(r: f64) -> RGBColor {
    let t = r.clamp(-1.0, 1.0);
    let mix =
        |a: u8, b: u8, w: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * w).round() as u8;
    if t < 0.0 {
        RGBColor(mix(255, 33, -t), mix(255, 102, -t), mix(255, 172, -t))
    } else {
        RGBColor(mix(255, 178, t), mix(255, 24, t), mix(255, 43, t))
    }
}

/// The Pearson correlation matrix, each cell coloured and labelled with its value.
pub fn heatmap(c: &Correlation) -> Result<String, Error> {
    let n = c.columns.len();
    let longest = c
        .columns
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(4) as u32;
    let label = (longest * 7).clamp(40, 220);
    let cell = 34u32;
    draw(
        (label + 24 + cell * n as u32 + 24, 24 + cell * n as u32 + 50),
        |root| {
            let mut chart = ChartBuilder::on(root)
                .caption("Correlation (Pearson)", (FONT, 16))
                .margin(8)
                .x_label_area_size(24)
                .y_label_area_size(label + 24)
                .build_cartesian_2d(0f64..n as f64, 0f64..n as f64)
                .map_err(failed)?;
            // Ticks every half cell; only the centres carry a name.
            let centre_name = |x: f64, flip: bool| {
                let i = x.floor() as usize;
                if (x - x.floor() - 0.5).abs() > 1e-9 || i >= n {
                    return String::new();
                }
                c.columns[if flip { n - 1 - i } else { i }].clone()
            };
            chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(2 * n + 1)
                .y_labels(2 * n + 1)
                // Columns are numbered (rotated names do not lay out reliably); rows carry names.
                .x_label_formatter(&|x| {
                    let named = !centre_name(*x, false).is_empty();
                    if named {
                        format!("{}", x.floor() as usize + 1)
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| {
                    let name = centre_name(*y, true);
                    if name.is_empty() {
                        name
                    } else {
                        format!("{name} ({})", n - y.floor() as usize)
                    }
                })
                .x_label_style((FONT, 11))
                .y_label_style((FONT, 11))
                .draw()
                .map_err(failed)?;
            let cells = (0..n).flat_map(|i| (0..n).map(move |j| (i, j)));
            chart
                .draw_series(cells.clone().map(|(i, j)| {
                    let (x, y) = (j as f64, (n - 1 - i) as f64);
                    let colour = diverging(c.values[i][j].unwrap_or(0.0));
                    Rectangle::new([(x, y), (x + 1.0, y + 1.0)], colour.filled())
                }))
                .map_err(failed)?;
            let centre = Pos::new(HPos::Center, VPos::Center);
            chart
                .draw_series(cells.filter_map(|(i, j)| {
                    let v = c.values[i][j]?;
                    let ink = if v.abs() > 0.6 { &WHITE } else { &BLACK };
                    let style = (FONT, 10).into_font().color(ink).pos(centre);
                    Some(Text::new(
                        format!("{v:.2}"),
                        (j as f64 + 0.5, (n - 1 - i) as f64 + 0.5),
                        style,
                    ))
                }))
                .map_err(failed)?;
            Ok(())
        },
    )
}

/// One feature's distribution: a bar per level or bin, split into churners and the rest.
pub fn distribution(d: &Distribution, positive: &str, negative: &str) -> Result<String, Error> {
    let k = d.bins.len().max(1);
    let top = d.bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64 * 1.08;
    draw((360, 240), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&d.column, (FONT, 14))
            .margin(6)
            .x_label_area_size(if k > 8 { 56 } else { 24 })
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..k as f64, 0f64..top)
            .map_err(failed)?;
        let label = |x: &f64| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 1e-9 {
                d.bins.get(i).map(|b| b.label.clone()).unwrap_or_default()
            } else {
                String::new()
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.disable_x_mesh()
            .x_labels(2 * k + 1)
            .x_label_formatter(&label)
            .y_desc("rows")
            .y_label_style((FONT, 10));
        if k > 8 {
            mesh.x_label_style((FONT, 9).into_font().transform(FontTransform::Rotate90));
        } else {
            mesh.x_label_style((FONT, 10));
        }
        mesh.draw().map_err(failed)?;
        let bars = d.bins.iter().enumerate();
        chart
            .draw_series(bars.clone().map(|(i, b)| {
                let x = i as f64;
                Rectangle::new(
                    [(x + 0.1, 0.0), (x + 0.9, (b.count - b.positives) as f64)],
                    STAY.filled(),
                )
            }))
            .map_err(failed)?
            .label(negative)
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], STAY.filled()));
        chart
            .draw_series(bars.map(|(i, b)| {
                let x = i as f64;
                let base = (b.count - b.positives) as f64;
                Rectangle::new([(x + 0.1, base), (x + 0.9, b.count as f64)], CHURN.filled())
            }))
            .map_err(failed)?
            .label(format!("{positive} (positive class)"))
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], CHURN.filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.8))
            .label_font((FONT, 10))
            .draw()
            .map_err(failed)?;
        Ok(())
    })
}

/// Accuracy (left) and loss (right) per epoch, training and validation.
pub fn curves(title: &str, history: &[EpochStats]) -> Result<String, Error> {
    let epochs = history.len().max(1) as f64;
    draw((720, 260), |root| {
        let (left, right) = root.split_horizontally(360);
        type Pick = fn(&EpochStats) -> (f64, f64);
        let panels: [(&DrawingArea<SVGBackend, Shift>, &str, Pick); 2] = [
            (&left, "accuracy", |s| (s.train_accuracy, s.val_accuracy)),
            (&right, "loss", |s| (s.train_loss, s.val_loss)),
        ];
        for (area, what, pick) in panels {
            let values: Vec<f64> = history
                .iter()
                .flat_map(|s| {
                    let (a, b) = pick(s);
                    [a, b]
                })
                .filter(|v| v.is_finite())
                .collect();
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let (lo, hi) = if lo.is_finite() && hi > lo {
                (lo, hi)
            } else {
                (0.0, 1.0)
            };
            let pad = (hi - lo) * 0.08;
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{title}: {what}"), (FONT, 13))
                .margin(6)
                .x_label_area_size(28)
                .y_label_area_size(44)
                .build_cartesian_2d(1f64..epochs.max(2.0), (lo - pad)..(hi + pad))
                .map_err(failed)?;
            chart
                .configure_mesh()
                // Bold grid lines only: the light ones made the page's per-epoch redraw cost
                // ~100 ms of main-thread SVG layout (365 lines).
                .max_light_lines(0)
                .x_desc("epoch")
                .label_style((FONT, 10))
                .draw()
                .map_err(failed)?;
            for (name, colour, second) in
                [("train", TRAIN, false), ("validation", VALIDATION, true)]
            {
                let points: Vec<(f64, f64)> = history
                    .iter()
                    .map(|s| {
                        let (a, b) = pick(s);
                        (s.epoch as f64, if second { b } else { a })
                    })
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .map_err(failed)?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .label_font((FONT, 10))
                .draw()
                .map_err(failed)?;
        }
        Ok(())
    })
}

/// ROC curves of several models on the same test rows, with the chance diagonal.
pub fn roc(curves: &[(String, Vec<(f64, f64)>)]) -> Result<String, Error> {
    draw((420, 400), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("ROC (test rows)", (FONT, 14))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .label_style((FONT, 10))
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
            .map_err(failed)?;
        for (i, (name, points)) in curves.iter().enumerate() {
            let colour = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(failed)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .label_font((FONT, 10))
            .draw()
            .map_err(failed)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
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
        }
    }

    #[test]
    fn every_chart_is_an_svg_with_its_labels() {
        let c = Correlation {
            columns: vec!["Tenure".into(), "Churn".into()],
            values: vec![vec![Some(1.0), Some(-0.35)], vec![Some(-0.35), Some(1.0)]],
            omitted: 0,
        };
        let svg = heatmap(&c).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("Tenure") && svg.contains("-0.35"),
            "{svg}"
        );
        let d = Distribution {
            column: "Gender".into(),
            kind: "levels".into(),
            bins: vec![
                Bin {
                    label: "Male".into(),
                    lo: None,
                    hi: None,
                    count: 30,
                    positives: 5,
                },
                Bin {
                    label: "Female".into(),
                    lo: None,
                    hi: None,
                    count: 20,
                    positives: 4,
                },
            ],
            missing: 0,
        };
        let svg = distribution(&d, "1", "0").unwrap();
        assert!(
            svg.contains("Gender") && svg.contains("Female") && svg.matches("<rect").count() >= 4
        );
        let svg = curves("GAN", &(1..=5).map(stats).collect::<Vec<_>>()).unwrap();
        assert!(
            svg.contains("GAN: accuracy")
                && svg.contains("validation")
                && svg.contains("<polyline")
        );
        let svg = roc(&[("LR".into(), vec![(0.0, 0.0), (0.2, 0.7), (1.0, 1.0)])]).unwrap();
        assert!(svg.contains("ROC") && svg.contains("LR"));
    }
}
