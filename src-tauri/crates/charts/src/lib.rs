//! Charts as SVG, drawn in Rust with plotters so the desktop app, the
//! browser mode and (later) the reports show the same picture.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use time::OffsetDateTime;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts): text needs real
/// glyph metrics for layout, and the system may have no fonts at all.
const FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSans.ttf");

/// The bundled font (DejaVu Sans, TrueType), for documents that embed it.
pub fn font_ttf() -> &'static [u8] {
    FONT
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot draw the chart: {0}")]
    Draw(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

struct Palette {
    background: RGBColor,
    text: RGBColor,
    grid: RGBColor,
    line: RGBColor,
}

impl Theme {
    fn palette(self) -> Palette {
        match self {
            Theme::Light => Palette {
                background: RGBColor(255, 255, 255),
                text: RGBColor(40, 44, 52),
                grid: RGBColor(225, 228, 232),
                line: RGBColor(31, 111, 235),
            },
            Theme::Dark => Palette {
                background: RGBColor(22, 27, 34),
                text: RGBColor(201, 209, 217),
                grid: RGBColor(48, 54, 61),
                line: RGBColor(88, 166, 255),
            },
        }
    }
}

fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font is known good; a failure would show as missing text.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// The score (0..=100) over time, oldest first. Fewer than two points draw
/// as dots with a hint rather than an empty frame.
pub fn score_trend_svg(
    points: &[(OffsetDateTime, f64)],
    theme: Theme,
    width: u32,
    height: u32,
) -> Result<String, Error> {
    fonts();
    let p = theme.palette();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&p.background)
            .map_err(|e| Error::Draw(e.to_string()))?;
        let times: Vec<i64> = points.iter().map(|(t, _)| t.unix_timestamp()).collect();
        let (lo, hi) = match (times.iter().min(), times.iter().max()) {
            (Some(lo), Some(hi)) if hi > lo => (*lo, *hi),
            (Some(t), _) => (*t - 3_600, *t + 3_600),
            _ => {
                let now = OffsetDateTime::now_utc().unix_timestamp();
                (now - 86_400, now)
            }
        };
        let span = hi - lo;
        let text = ("sans-serif", 12).into_font().color(&p.text);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(lo..hi, 0f64..100f64)
            .map_err(|e| Error::Draw(e.to_string()))?;
        chart
            .configure_mesh()
            .light_line_style(p.grid)
            .bold_line_style(p.grid)
            .axis_style(p.grid)
            .label_style(text.clone())
            .x_labels(5)
            .y_labels(6)
            .x_label_formatter(&|t| label(*t, span))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(|e| Error::Draw(e.to_string()))?;
        let series: Vec<(i64, f64)> = points
            .iter()
            .map(|(t, s)| (t.unix_timestamp(), s.clamp(0.0, 100.0)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                series.iter().copied(),
                p.line.stroke_width(2),
            ))
            .map_err(|e| Error::Draw(e.to_string()))?;
        chart
            .draw_series(
                series
                    .iter()
                    .map(|(t, s)| Circle::new((*t, *s), 3, p.line.filled())),
            )
            .map_err(|e| Error::Draw(e.to_string()))?;
        if points.len() < 2 {
            root.draw_text(
                "Run the scorecard again to see a trend",
                &text,
                (width as i32 / 2 - 120, height as i32 / 2),
            )
            .map_err(|e| Error::Draw(e.to_string()))?;
        }
        root.present().map_err(|e| Error::Draw(e.to_string()))?;
    }
    Ok(svg)
}

/// Axis labels: times within a day, dates beyond.
fn label(unix: i64, span: i64) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(unix) else {
        return String::new();
    };
    if span <= 86_400 {
        format!("{:02}:{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}-{:02}", u8::from(t.month()), t.day())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// The text of every `<text>` element.
    fn labels(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = t.split_once('>')?.1;
                Some(body.split("</text>").next()?.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn draws_an_svg_with_axis_labels_and_a_line() {
        let t0 = datetime!(2026-11-20 10:00 UTC);
        let points = [
            (t0, 72.5),
            (t0 + time::Duration::days(1), 80.0),
            (t0 + time::Duration::days(2), 64.0),
        ];
        let svg = score_trend_svg(&points, Theme::Dark, 600, 200).expect("svg");
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("<polyline"), "a line is drawn");
        let labels = labels(&svg);
        assert!(
            labels.iter().any(|l| l == "11-21"),
            "date labels for multi-day spans: {labels:?}"
        );
        assert!(
            labels.iter().any(|l| l == "100") && labels.iter().any(|l| l == "0"),
            "score axis: {labels:?}"
        );
    }

    #[test]
    fn a_single_point_says_what_to_do() {
        let svg = score_trend_svg(
            &[(datetime!(2026-11-20 10:00 UTC), 50.0)],
            Theme::Light,
            600,
            200,
        )
        .expect("svg");
        assert!(svg.contains("Run the scorecard again"));
        let empty = score_trend_svg(&[], Theme::Light, 600, 200).expect("svg");
        assert!(empty.starts_with("<svg"));
    }
}
