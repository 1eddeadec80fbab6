//! Charts (plotters, SVG): the correlation heatmap, one distribution bar chart per feature, a
//! scatter plot of two columns, training curves and ROC curves, and the marketing charts
//! ([`marketing`]: a customer's reasons, importance, the campaign's net value). The same code
//! draws for the CLI and the page. Every chart comes with its readouts (what each bar, cell or
//! epoch shows, placed by the chart's own coordinate mapping) and its data as a table
//! ([`Chart`]).
//!
//! In the browser, plotters measures text through the DOM (`window.document`), which a Web
//! Worker lacks, so the page draws charts on its main thread.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

mod canvas;
mod marketing;
pub use canvas::{Chart, DataTable, Mark, TextBox, Theme};
pub use marketing::{importance, net_value, waterfall};

pub(crate) use canvas::failed;
use canvas::{Canvas, Frame, Ink, fit_names, mark, mesh, num, plot, whole};

use crate::Error;
use crate::explore::{Correlation, Distribution};
use crate::models::EpochStats;

/// Blue (−1) through white (0) to red (+1): a scale read with every common colour-vision
/// deficiency.
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

/// Dark text on a light fill, light text on a dark one.
fn ink_on(fill: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = fill;
    let luminance = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luminance < 140.0 { WHITE } else { BLACK }
}

/// The Pearson correlation matrix, each cell coloured and labelled with its value.
pub fn heatmap(c: &Correlation, theme: Theme) -> Result<Chart, Error> {
    let n = c.columns.len();
    let longest = c
        .columns
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(4) as u32;
    let label = (longest * 7).clamp(40, 220);
    let cell = 34u32;
    let mut table = DataTable::new(&["column"]);
    table.columns.extend(c.columns.iter().cloned());
    for (name, row) in c.columns.iter().zip(&c.values) {
        table.row(
            std::iter::once(name.clone())
                .chain(
                    row.iter()
                        .map(|v| v.map_or("–".into(), |v| format!("{v:.3}"))),
                )
                .collect(),
        );
    }
    let canvas = Canvas {
        title: format!("Correlation heatmap of {n} numeric columns (Pearson r)"),
        size: (label + 24 + cell * n as u32 + 24, 24 + cell * n as u32 + 50),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: "Correlation (Pearson)",
            caption_size: 16,
            margin: 8,
            x_labels: 24,
            y_labels: label + 24,
        };
        let mut chart = plot(root, ink, frame, 0f64..n as f64, 0f64..n as f64)?;
        // Ticks every half cell; only the centres carry a name.
        let centre_name = |x: f64, flip: bool| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() > 1e-9 || i >= n {
                return String::new();
            }
            c.columns[if flip { n - 1 - i } else { i }].clone()
        };
        mesh(&mut chart, ink)
            .disable_mesh()
            .x_labels(2 * n + 1)
            .y_labels(2 * n + 1)
            // Columns are numbered (rotated names do not lay out reliably); rows carry names.
            .x_label_formatter(&|x| {
                if centre_name(*x, false).is_empty() {
                    String::new()
                } else {
                    format!("{}", x.floor() as usize + 1)
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
            .label_style(ink.font(11))
            .draw()
            .map_err(failed)?;
        let cells: Vec<(usize, usize)> = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).collect();
        let corner = |i: usize, j: usize| (j as f64, (n - 1 - i) as f64);
        chart
            .draw_series(cells.iter().map(|&(i, j)| {
                let (x, y) = corner(i, j);
                let colour = diverging(c.values[i][j].unwrap_or(0.0));
                Rectangle::new([(x, y), (x + 1.0, y + 1.0)], colour.filled())
            }))
            .map_err(failed)?;
        let centre = Pos::new(HPos::Center, VPos::Center);
        chart
            .draw_series(cells.iter().filter_map(|&(i, j)| {
                let v = c.values[i][j]?;
                let style = (canvas::FONT, 10)
                    .into_font()
                    .color(&ink_on(diverging(v)))
                    .pos(centre);
                let (x, y) = corner(i, j);
                Some(Text::new(
                    format!("{:.2}", if v.abs() < 0.005 { 0.0 } else { v }),
                    (x + 0.5, y + 0.5),
                    style,
                ))
            }))
            .map_err(failed)?;
        Ok(cells
            .iter()
            .map(|&(i, j)| {
                let (x, y) = corner(i, j);
                let (a, b) = (&c.columns[i], &c.columns[j]);
                let value = c.values[i][j].map_or("not defined (a constant column)".into(), |v| {
                    format!("r = {v:.3}")
                });
                let mut m = mark(
                    &chart,
                    (x, y),
                    (x + 1.0, y + 1.0),
                    format!("{a} × {b}: {value}"),
                );
                m.pair = (i != j).then(|| (a.clone(), b.clone()));
                m
            })
            .collect())
    })
}

/// One feature's distribution: a bar per level or bin, split into churners and the rest.
pub fn distribution(
    d: &Distribution,
    positive: &str,
    negative: &str,
    theme: Theme,
) -> Result<Chart, Error> {
    let k = d.bins.len().max(1);
    let top = d.bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64 * 1.08;
    let mut table = DataTable::new(&["level or bin", "rows", "churned", "stayed", "churn rate"]);
    for b in &d.bins {
        table.row(vec![
            b.label.clone(),
            b.count.to_string(),
            b.positives.to_string(),
            (b.count - b.positives).to_string(),
            rate(b.positives, b.count),
        ]);
    }
    let (width, y_area, margin) = (360u32, 44u32, 6u32);
    let canvas = Canvas {
        title: format!("Distribution of {}, churned and stayed", d.column),
        size: (width, 250),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let slot = f64::from(width - y_area - 2 * margin) / k as f64;
        let labels: Vec<String> = d.bins.iter().map(|b| b.label.clone()).collect();
        let names = fit_names(root, &labels, slot, &ink.font(10));
        let frame = Frame {
            caption: &d.column,
            caption_size: 14,
            margin,
            x_labels: names.height,
            y_labels: y_area,
        };
        let mut chart = plot(root, ink, frame, 0f64..k as f64, 0f64..top)?;
        mesh(&mut chart, ink)
            .disable_x_mesh()
            .x_labels(2 * k + 1)
            .x_label_formatter(&|x| names.at(*x))
            .x_label_style(names.style(ink))
            .y_labels(6)
            .y_label_formatter(&whole)
            .y_desc("rows")
            .y_label_style(ink.font(10))
            .axis_desc_style(ink.font(10))
            .draw()
            .map_err(failed)?;
        let bars = d.bins.iter().enumerate();
        chart
            .draw_series(bars.clone().map(|(i, b)| {
                let x = i as f64;
                Rectangle::new(
                    [(x + 0.1, 0.0), (x + 0.9, (b.count - b.positives) as f64)],
                    ink.stay.filled(),
                )
            }))
            .map_err(failed)?
            .label(format!("stayed ({negative})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], ink.stay.filled()));
        chart
            .draw_series(bars.map(|(i, b)| {
                let x = i as f64;
                let base = (b.count - b.positives) as f64;
                Rectangle::new(
                    [(x + 0.1, base), (x + 0.9, b.count as f64)],
                    ink.churn.filled(),
                )
            }))
            .map_err(failed)?
            .label(format!("churned ({positive})"))
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], ink.churn.filled()));
        legend(&mut chart, ink, SeriesLabelPosition::UpperRight)?;
        Ok(d.bins
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let text = format!(
                    "{}: {} rows, {} churned ({})",
                    b.label,
                    b.count,
                    b.positives,
                    rate(b.positives, b.count)
                );
                mark(&chart, (i as f64 + 0.1, 0.0), (i as f64 + 0.9, top), text)
            })
            .collect())
    })
}

fn rate(part: usize, all: usize) -> String {
    if all == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * part as f64 / all as f64)
    }
}

/// The legend of `chart`'s named series, in the theme's colours.
fn legend<'a, 'b: 'a>(
    chart: &mut canvas::Plot<'a, 'b>,
    ink: &Ink,
    at: SeriesLabelPosition,
) -> Result<(), Error> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(ink.background.mix(0.85))
        .border_style(ink.grid)
        .label_font(ink.font(10))
        .draw()
        .map_err(failed)
}

/// Two numeric columns against each other, a colour per group (the classes, or real and
/// generated rows).
pub fn scatter(
    title: &str,
    axes: (&str, &str),
    groups: &[(String, Vec<(f64, f64)>)],
    theme: Theme,
) -> Result<Chart, Error> {
    let points = || groups.iter().flat_map(|g| g.1.iter().copied());
    let span = |pick: fn((f64, f64)) -> f64| {
        let (lo, hi) = points()
            .map(pick)
            .filter(|v| v.is_finite())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        if lo.is_finite() && hi > lo {
            let pad = (hi - lo) * 0.05;
            (lo - pad)..(hi + pad)
        } else if lo.is_finite() {
            (lo - 1.0)..(lo + 1.0)
        } else {
            0.0..1.0
        }
    };
    let mut table = DataTable::new(&["group", axes.0, axes.1]);
    for (name, pts) in groups {
        for &(x, y) in pts {
            table.row(vec![name.clone(), num(x), num(y)]);
        }
    }
    let canvas = Canvas {
        title: format!("{title}: {} against {}", axes.1, axes.0),
        size: (420, 360),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: title,
            caption_size: 14,
            margin: 8,
            x_labels: 36,
            y_labels: 48,
        };
        let mut chart = plot(root, ink, frame, span(|p| p.0), span(|p| p.1))?;
        mesh(&mut chart, ink)
            .x_desc(axes.0)
            .y_desc(axes.1)
            .draw()
            .map_err(failed)?;
        for (i, (name, pts)) in groups.iter().enumerate() {
            let colour = ink.series(i);
            chart
                .draw_series(
                    pts.iter()
                        .map(|&p| Circle::new(p, 2, colour.mix(0.65).filled())),
                )
                .map_err(failed)?
                .label(format!("{name} ({})", pts.len()))
                .legend(move |(x, y)| Circle::new((x + 5, y), 3, colour.filled()));
        }
        legend(&mut chart, ink, SeriesLabelPosition::UpperRight)?;
        Ok(Vec::new())
    })
}

/// Accuracy (left) and loss (right) per epoch, training and validation.
pub fn curves(title: &str, history: &[EpochStats], theme: Theme) -> Result<Chart, Error> {
    let epochs = history.len().max(1) as f64;
    let mut table = DataTable::new(&[
        "epoch",
        "train accuracy",
        "validation accuracy",
        "train loss",
        "validation loss",
        "D loss",
        "G loss",
        "seconds",
    ]);
    for s in history {
        let opt = |v: Option<f64>| v.map_or("–".into(), num);
        table.row(vec![
            s.epoch.to_string(),
            num(s.train_accuracy),
            num(s.val_accuracy),
            num(s.train_loss),
            num(s.val_loss),
            opt(s.d_loss),
            opt(s.g_loss),
            format!("{:.2}", s.seconds),
        ]);
    }
    let canvas = Canvas {
        title: format!("{title}: accuracy and loss over {} epochs", history.len()),
        size: (720, 260),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let (left, right) = root.split_horizontally(360);
        type Pick = fn(&EpochStats) -> (f64, f64);
        let panels: [(&canvas::Area, &str, Pick); 2] = [
            (&left, "accuracy", |s| (s.train_accuracy, s.val_accuracy)),
            (&right, "loss", |s| (s.train_loss, s.val_loss)),
        ];
        let mut marks = Vec::new();
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
            let top = epochs.max(2.0);
            let frame = Frame {
                caption: format!("{title}: {what}"),
                caption_size: 13,
                margin: 6,
                x_labels: 30,
                y_labels: 48,
            };
            let mut chart = plot(area, ink, frame, 1f64..top, (lo - pad)..(hi + pad))?;
            mesh(&mut chart, ink)
                .x_labels((top as usize).min(10))
                .x_label_formatter(&whole)
                .x_desc("epoch")
                .draw()
                .map_err(failed)?;
            for (i, (name, second)) in [("train", false), ("validation", true)]
                .into_iter()
                .enumerate()
            {
                let colour = ink.series(i);
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
            legend(&mut chart, ink, SeriesLabelPosition::LowerRight)?;
            marks.extend(history.iter().map(|s| {
                let e = s.epoch as f64;
                let (a, b) = pick(s);
                let mut text = format!(
                    "{title}, epoch {}: {what} train {}, validation {}",
                    s.epoch,
                    num(a),
                    num(b)
                );
                if let (Some(d), Some(g), "loss") = (s.d_loss, s.g_loss, what) {
                    text += &format!(", D loss {}, G loss {}", num(d), num(g));
                }
                mark(
                    &chart,
                    ((e - 0.5).max(1.0), hi + pad),
                    ((e + 0.5).min(top), lo - pad),
                    text,
                )
            }));
        }
        Ok(marks)
    })
}

/// The false positive rates at which the ROC chart's readouts and table give each curve.
const ROC_GRID: usize = 10;

/// The best true positive rate of `points` at a false positive rate of at most `fpr`.
fn tpr_at(points: &[(f64, f64)], fpr: f64) -> f64 {
    points
        .iter()
        .filter(|p| p.0 <= fpr + 1e-12)
        .map(|p| p.1)
        .fold(0.0, f64::max)
}

/// ROC curves of several models on the same test rows, with the chance diagonal.
pub fn roc(curves: &[(String, Vec<(f64, f64)>)], theme: Theme) -> Result<Chart, Error> {
    let mut table = DataTable::new(&["false positive rate"]);
    table.columns.extend(
        curves
            .iter()
            .map(|c| format!("{}: true positive rate", c.0)),
    );
    let grid: Vec<f64> = (0..=ROC_GRID).map(|k| k as f64 / ROC_GRID as f64).collect();
    for &f in &grid {
        table.row(
            std::iter::once(format!("{f:.1}"))
                .chain(curves.iter().map(|c| num(tpr_at(&c.1, f))))
                .collect(),
        );
    }
    let canvas = Canvas {
        title: format!("ROC curves of {} models on the test rows", curves.len()),
        size: (420, 400),
        theme,
        table,
    };
    canvas.draw(|root, ink| {
        let frame = Frame {
            caption: "ROC (test rows)",
            caption_size: 14,
            margin: 8,
            x_labels: 34,
            y_labels: 44,
        };
        let mut chart = plot(root, ink, frame, 0f64..1f64, 0f64..1f64)?;
        mesh(&mut chart, ink)
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                ink.neutral.mix(0.6),
            ))
            .map_err(failed)?;
        let mut marks = Vec::new();
        for (i, (name, points)) in curves.iter().enumerate() {
            let colour = ink.series(i);
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
            marks.extend(grid.iter().map(|&f| {
                let t = tpr_at(points, f);
                let mut m = mark(
                    &chart,
                    (f, t),
                    (f, t),
                    format!(
                        "{name}: true positive rate {} at a false positive rate of {f:.1}",
                        num(t)
                    ),
                );
                (m.x, m.y, m.w, m.h) = (m.x - 4, m.y - 4, 8, 8);
                m
            }));
        }
        legend(&mut chart, ink, SeriesLabelPosition::LowerRight)?;
        Ok(marks)
    })
}

#[cfg(test)]
mod tests;
