//! What every chart is drawn on: the theme's colours, an SVG backend that records where each
//! text went (plotters' own text measurement: the page's DOM in the browser, an estimate
//! natively), and the [`Chart`] a drawing returns — the SVG, the regions a reader can hover or
//! focus with what each shows, and the data behind it as a table.

use std::cell::RefCell;
use std::rc::Rc;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
};
use serde::{Deserialize, Serialize};

use crate::Error;

pub const FONT: &str = "sans-serif";

/// The page's light or dark theme; the command line draws light charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// A theme's colours. The classes and series are the Okabe–Ito palette, told apart with every
/// common colour-vision deficiency; the dark theme takes its lighter members.
#[derive(Clone, Copy, Debug)]
pub struct Ink {
    pub background: RGBColor,
    pub text: RGBColor,
    pub grid: RGBColor,
    /// The positive class (churned) and the negative one (stayed).
    pub churn: RGBColor,
    pub stay: RGBColor,
    /// Lines of several models, in order.
    pub series: [RGBColor; 6],
    /// The base and score bars of a waterfall, the chance line.
    pub neutral: RGBColor,
}

impl Theme {
    pub fn ink(self) -> Ink {
        match self {
            Theme::Light => Ink {
                background: WHITE,
                text: RGBColor(29, 35, 48),
                grid: RGBColor(200, 205, 214),
                churn: RGBColor(213, 94, 0),
                stay: RGBColor(0, 114, 178),
                series: [
                    RGBColor(0, 114, 178),
                    RGBColor(213, 94, 0),
                    RGBColor(0, 158, 115),
                    RGBColor(204, 121, 167),
                    RGBColor(230, 159, 0),
                    RGBColor(86, 180, 233),
                ],
                neutral: RGBColor(110, 110, 110),
            },
            Theme::Dark => Ink {
                background: RGBColor(27, 31, 39),
                text: RGBColor(230, 232, 236),
                grid: RGBColor(70, 78, 94),
                churn: RGBColor(230, 159, 0),
                stay: RGBColor(86, 180, 233),
                series: [
                    RGBColor(86, 180, 233),
                    RGBColor(230, 159, 0),
                    RGBColor(0, 158, 115),
                    RGBColor(204, 121, 167),
                    RGBColor(240, 228, 66),
                    RGBColor(213, 94, 0),
                ],
                neutral: RGBColor(160, 164, 172),
            },
        }
    }
}

impl Ink {
    /// Text of `size` pixels in the theme's colour.
    pub fn font(&self, size: u32) -> TextStyle<'static> {
        (FONT, size).into_font().color(&self.text)
    }

    pub fn series(&self, i: usize) -> RGBColor {
        self.series[i % self.series.len()]
    }
}

/// A region of a chart (pixels of its SVG) and what it shows: the page's hover and focus
/// readouts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mark {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    pub text: String,
    /// A heatmap cell's two columns (the page opens their scatter plot).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<(String, String)>,
}

/// The data behind a chart, for its "show as table" view.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl DataTable {
    pub fn new(columns: &[&str]) -> DataTable {
        DataTable {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

/// Where one text was drawn: its box in pixels, as plotters measured it.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    pub text: String,
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl TextBox {
    pub fn overlaps(&self, other: &TextBox) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }
}

/// A drawn chart.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub svg: String,
    pub width: u32,
    pub height: u32,
    /// Its text alternative.
    pub title: String,
    pub marks: Vec<Mark>,
    pub table: DataTable,
    /// Every text drawn (for tests of the layout).
    #[serde(skip)]
    pub texts: Vec<TextBox>,
}

impl Chart {
    /// Every pair of texts whose boxes overlap (none in a readable chart).
    pub fn overlapping_texts(&self) -> Vec<(&TextBox, &TextBox)> {
        let t = &self.texts;
        (0..t.len())
            .flat_map(|i| (i + 1..t.len()).map(move |j| (&t[i], &t[j])))
            .filter(|(a, b)| a.overlaps(b))
            .collect()
    }
}

/// plotters' SVG backend, recording the box of every text it draws.
pub struct Recorder<'a> {
    svg: SVGBackend<'a>,
    texts: Rc<RefCell<Vec<TextBox>>>,
}

type Failure = DrawingErrorKind<std::io::Error>;

impl DrawingBackend for Recorder<'_> {
    type ErrorType = std::io::Error;

    fn get_size(&self) -> (u32, u32) {
        self.svg.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.svg.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure> {
        self.svg.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure> {
        self.svg.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.svg.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.svg.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.svg.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.svg.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.svg.fill_polygon(vert, style)
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        if !text.is_empty() && style.color().alpha > 0.0 {
            let layout = style
                .layout_box(text)
                .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
            self.texts
                .borrow_mut()
                .push(text_box(text, style, pos, layout));
        }
        self.svg.draw_text(text, style, pos)
    }

    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), Failure> {
        self.svg.estimate_text_size(text, style)
    }
}

/// The box of `text` drawn at `pos`: its measured layout moved by its anchor and turned by its
/// rotation, as plotters places it.
fn text_box<T: BackendTextStyle>(
    text: &str,
    style: &T,
    pos: BackendCoord,
    ((x0, y0), (x1, y1)): ((i32, i32), (i32, i32)),
) -> TextBox {
    let (w, h) = (x1 - x0, y1 - y0);
    let anchor = style.anchor();
    let dx = match anchor.h_pos {
        HPos::Left => 0,
        HPos::Right => -w,
        HPos::Center => -w / 2,
    };
    let dy = match anchor.v_pos {
        VPos::Top => 0,
        VPos::Center => -h / 2,
        VPos::Bottom => -h,
    };
    let turn = style.transform();
    let corners = [(dx, dy), (dx + w, dy + h)].map(|(x, y)| turn.transform(x, y));
    TextBox {
        text: text.to_string(),
        x0: pos.0 + corners[0].0.min(corners[1].0),
        y0: pos.1 + corners[0].1.min(corners[1].1),
        x1: pos.0 + corners[0].0.max(corners[1].0),
        y1: pos.1 + corners[0].1.max(corners[1].1),
    }
}

pub type Area<'a> = DrawingArea<Recorder<'a>, Shift>;
/// A chart of two numeric axes on the recording backend.
pub type Plot<'a, 'b> = ChartContext<'a, Recorder<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

pub fn failed<E: std::fmt::Display>(e: E) -> Error {
    Error::input(format!("chart could not be drawn: {e}"))
}

/// What a chart is, before it is drawn.
pub struct Canvas {
    pub title: String,
    pub size: (u32, u32),
    pub theme: Theme,
    pub table: DataTable,
}

impl Canvas {
    /// Draws with `paint` (which returns the chart's marks) on the theme's background.
    pub fn draw(
        self,
        paint: impl FnOnce(&Area, &Ink) -> Result<Vec<Mark>, Error>,
    ) -> Result<Chart, Error> {
        let ink = self.theme.ink();
        let texts = Rc::new(RefCell::new(Vec::new()));
        let mut svg = String::new();
        let marks = {
            let backend = Recorder {
                svg: SVGBackend::with_string(&mut svg, self.size),
                texts: Rc::clone(&texts),
            };
            let root = backend.into_drawing_area();
            root.fill(&ink.background).map_err(failed)?;
            let marks = paint(&root, &ink)?;
            root.present().map_err(failed)?;
            marks
        };
        let texts = texts.borrow().clone();
        Ok(Chart {
            svg,
            width: self.size.0,
            height: self.size.1,
            title: self.title,
            marks,
            table: self.table,
            texts,
        })
    }
}

/// Where a plot sits in its area: its caption (and its size) and the space of its margin and
/// axis labels, in pixels.
pub struct Frame<T: AsRef<str>> {
    pub caption: T,
    pub caption_size: u32,
    pub margin: u32,
    pub x_labels: u32,
    pub y_labels: u32,
}

/// A plot of `x` against `y` on `area`, captioned in the theme's ink.
pub fn plot<'a, 'b, T: AsRef<str>>(
    area: &'a Area<'b>,
    ink: &Ink,
    frame: Frame<T>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<Plot<'a, 'b>, Error> {
    ChartBuilder::on(area)
        .caption(frame.caption, ink.font(frame.caption_size))
        .margin(frame.margin)
        .x_label_area_size(frame.x_labels)
        .y_label_area_size(frame.y_labels)
        .build_cartesian_2d(x, y)
        .map_err(failed)
}

/// `chart`'s mesh in the theme: axes, labels and bold grid lines in its ink; no light lines
/// (they made the page's per-epoch redraw of the curves cost ~100 ms of SVG layout).
pub fn mesh<'m, 'a, 'b>(
    chart: &'m mut Plot<'a, 'b>,
    ink: &Ink,
) -> MeshStyle<'a, 'm, RangedCoordf64, RangedCoordf64, Recorder<'b>> {
    let mut m = chart.configure_mesh();
    m.max_light_lines(0)
        .bold_line_style(ink.grid)
        .axis_style(ink.grid)
        .label_style(ink.font(10))
        .axis_desc_style(ink.font(10));
    m
}

/// The region between two points of `plot`'s coordinates, in pixels.
pub fn mark(plot: &Plot, a: (f64, f64), b: (f64, f64), text: String) -> Mark {
    let (p, q) = (plot.backend_coord(&a), plot.backend_coord(&b));
    Mark {
        x: p.0.min(q.0),
        y: p.1.min(q.1),
        w: (p.0 - q.0).abs().max(1),
        h: (p.1 - q.1).abs().max(1),
        text,
        pair: None,
    }
}

/// A tick label for counts and epochs: whole numbers only, never "1800.0".
pub fn whole(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        String::new()
    }
}

/// A number for a readout or a table cell: at most four significant digits.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x == 0.0 || (x.abs() >= 1.0 && x.fract() == 0.0) {
        return format!("{}", x as i64);
    }
    let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{x:.decimals$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How the names under a row of `n` equal slots fit: level, or turned upright and thinned to
/// every `every`-th, each cut to fit the label area (whose height is returned).
pub struct AxisNames {
    pub names: Vec<String>,
    pub upright: bool,
    pub every: usize,
    pub height: u32,
}

/// The longest upright name, in pixels.
const MAX_NAME: u32 = 96;

pub fn fit_names(area: &Area, names: &[String], slot: f64, style: &TextStyle) -> AxisNames {
    let width = |s: &str| area.estimate_text_size(s, style).map_or(0, |(w, _)| w);
    let widest = names.iter().map(|s| width(s)).max().unwrap_or(0);
    if f64::from(widest) + 6.0 <= slot {
        return AxisNames {
            names: names.to_vec(),
            upright: false,
            every: 1,
            height: 24,
        };
    }
    let line = area.estimate_text_size("Ag", style).map_or(12, |(_, h)| h);
    let every = ((f64::from(line) + 3.0) / slot.max(1e-9)).ceil().max(1.0) as usize;
    let names: Vec<String> = names.iter().map(|s| cut(s, MAX_NAME, &width)).collect();
    let tallest = names.iter().map(|s| width(s)).max().unwrap_or(0);
    AxisNames {
        names,
        upright: true,
        every,
        height: tallest + 12,
    }
}

/// `s`, shortened with "…" until it is at most `max` pixels wide.
fn cut(s: &str, max: u32, width: &impl Fn(&str) -> u32) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut keep = chars.len();
    while keep > 1 {
        keep -= 1;
        let t: String = chars[..keep].iter().collect::<String>() + "…";
        if width(&t) <= max {
            return t;
        }
    }
    "…".into()
}

impl AxisNames {
    /// The name at tick `x` of slots at `i + 0.5`; nothing between slots or for a thinned one.
    pub fn at(&self, x: f64) -> String {
        let i = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() > 1e-9 || !i.is_multiple_of(self.every) {
            return String::new();
        }
        self.names.get(i).cloned().unwrap_or_default()
    }

    pub fn style(&self, ink: &Ink) -> TextStyle<'static> {
        let font = ink.font(10);
        if self.upright {
            font.transform(FontTransform::Rotate90)
        } else {
            font
        }
    }
}
