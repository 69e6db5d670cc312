//! PNG charts of raid statistics, drawn in Rust: plotters' bitmap backend into an RGB
//! buffer, text in DejaVu Sans (embedded; its license is in `fonts/DejaVuSans.LICENSE`),
//! encoded with the `png` crate. No I/O: bytes in memory, ready to attach to a message.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use domain::analytics::Summary;
use domain::catalog::catalog;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The `/raidstats` image: 1000×600 pixels.
pub const RAIDSTATS_SIZE: (u32, u32) = (1000, 600);
/// The `/stats member` image: 600×220 pixels.
pub const MEMBER_SIZE: (u32, u32) = (600, 220);

const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// Why a chart could not be drawn (a bug or a broken font, never bad data).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError("the embedded font is invalid".to_owned()))
    }
}

/// The dungeon colours, in series order, then grey for "other".
const PALETTE: [RGBColor; 6] = [
    RGBColor(88, 101, 242),
    RGBColor(235, 69, 158),
    RGBColor(87, 242, 135),
    RGBColor(254, 231, 92),
    RGBColor(237, 66, 69),
    RGBColor(52, 152, 219),
];
const OTHER: RGBColor = RGBColor(150, 150, 150);
const COMPLETED: RGBColor = RGBColor(67, 181, 129);
const AUTO_ENDED: RGBColor = RGBColor(250, 166, 26);
const CANCELLED: RGBColor = RGBColor(237, 66, 69);
const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
const INK: RGBColor = RGBColor(35, 39, 42);

/// A dungeon's display name (its code if the catalog does not know it).
pub fn dungeon_name(code: Option<&str>) -> String {
    match code {
        None => "Other".to_owned(),
        Some(c) => catalog()
            .dungeon(c)
            .map_or_else(|| c.to_owned(), |d| d.name.clone()),
    }
}

fn week_label(w: &DateTime<Utc>) -> String {
    w.format("%b %d").to_string()
}

/// Minutes as "1 h 05 min" or "42 min".
pub fn minutes_text(secs: f64) -> String {
    let m = (secs / 60.0).round() as i64;
    if m >= 60 {
        format!("{} h {:02} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

fn encode(buf: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, ChartError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(buf).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// A chart's title line: the span and the dungeon filter.
fn span_text(s: &Summary) -> String {
    let last_day = s.to - chrono::Duration::days(1);
    let what = match &s.dungeon {
        Some(d) => dungeon_name(Some(d)),
        None => "All dungeons".to_owned(),
    };
    format!(
        "{what}: runs per week, {} to {}",
        s.from.format("%Y-%m-%d"),
        last_day.format("%Y-%m-%d")
    )
}

/// The `/raidstats` chart as PNG bytes ([`RAIDSTATS_SIZE`]): stacked bars of runs per
/// week by dungeon with a legend, a bar of how finished runs ended (completed, auto-ended,
/// cancelled) and the average length and attendance.
pub fn raidstats_png(s: &Summary) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let size = RAIDSTATS_SIZE;
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&BACKGROUND).map_err(err)?;
        let (top, bottom) = root.split_vertically(470);
        let (bars, legend) = top.split_horizontally(780);

        let weeks = s.weeks.len().max(1);
        let max = s.per_week.iter().copied().max().unwrap_or(0).max(1);
        let y_max = (max as f64 * 1.1).ceil() as i64;
        let mut chart = ChartBuilder::on(&bars)
            .caption(span_text(s), (FONT, 20).into_font().color(&INK))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(0f64..weeks as f64, 0i64..y_max)
            .map_err(err)?;
        let step = weeks.div_ceil(12).max(1);
        let labels = s.weeks.clone();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(weeks.min(52) + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor()).abs() < f64::EPSILON && i.is_multiple_of(step) {
                    labels.get(i).map(week_label).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_labels((y_max as usize).min(10) + 1)
            .y_desc("Runs")
            .label_style((FONT, 13).into_font().color(&INK))
            .axis_desc_style((FONT, 14).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        let mut base = vec![0i64; weeks];
        for (k, series) in s.series.iter().enumerate() {
            let color = if series.dungeon_code.is_none() {
                OTHER
            } else {
                PALETTE[k % PALETTE.len()]
            };
            let rects: Vec<_> = series
                .per_week
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| {
                    let y0 = base[i];
                    base[i] += n;
                    Rectangle::new(
                        [(i as f64 + 0.12, y0), (i as f64 + 0.88, base[i])],
                        color.filled(),
                    )
                })
                .collect();
            chart.draw_series(rects).map_err(err)?;
        }

        // The legend: one swatch and name per series, with its total.
        let text = (FONT, 14).into_font().color(&INK);
        legend
            .draw(&Text::new(
                "Dungeons",
                (8, 40),
                (FONT, 16).into_font().color(&INK),
            ))
            .map_err(err)?;
        for (k, series) in s.series.iter().enumerate() {
            let color = if series.dungeon_code.is_none() {
                OTHER
            } else {
                PALETTE[k % PALETTE.len()]
            };
            let y = 70 + k as i32 * 26;
            legend
                .draw(&Rectangle::new([(8, y), (24, y + 16)], color.filled()))
                .map_err(err)?;
            let mut name = dungeon_name(series.dungeon_code.as_deref());
            if name.chars().count() > 18 {
                name = name.chars().take(17).collect::<String>() + "…";
            }
            legend
                .draw(&Text::new(
                    format!("{name} ({})", series.total),
                    (30, y + 1),
                    text.clone(),
                ))
                .map_err(err)?;
        }
        if s.series.is_empty() {
            legend
                .draw(&Text::new("No runs", (8, 70), text.clone()))
                .map_err(err)?;
        }

        // How finished runs ended: one horizontal bar, 100 % wide.
        let finished = s.finished();
        let (x0, x1, y0, y1) = (60, 940, 40, 76);
        bottom
            .draw(&Text::new(
                format!("How {finished} finished runs ended"),
                (x0, 10),
                (FONT, 16).into_font().color(&INK),
            ))
            .map_err(err)?;
        if finished > 0 {
            let mut x = x0;
            let parts = [
                (s.completed, COMPLETED),
                (s.auto_ended, AUTO_ENDED),
                (s.cancelled, CANCELLED),
            ];
            for (i, (n, color)) in parts.iter().enumerate() {
                let w = if i == parts.len() - 1 {
                    x1 - x
                } else {
                    ((x1 - x0) as f64 * *n as f64 / finished as f64).round() as i32
                };
                if w > 0 {
                    bottom
                        .draw(&Rectangle::new([(x, y0), (x + w, y1)], color.filled()))
                        .map_err(err)?;
                }
                x += w;
            }
        } else {
            bottom
                .draw(&Rectangle::new(
                    [(x0, y0), (x1, y1)],
                    OTHER.mix(0.3).filled(),
                ))
                .map_err(err)?;
        }
        let pct = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{v:.1} %"));
        let keys = [
            (
                format!("Completed {} ({})", s.completed, pct(s.completion_rate())),
                COMPLETED,
            ),
            (
                format!("Auto-ended {} ({})", s.auto_ended, pct(s.auto_end_rate())),
                AUTO_ENDED,
            ),
            (
                format!("Cancelled {} ({})", s.cancelled, pct(s.cancel_rate())),
                CANCELLED,
            ),
        ];
        for (i, (label, color)) in keys.iter().enumerate() {
            let x = x0 + i as i32 * 300;
            bottom
                .draw(&Rectangle::new([(x, 88), (x + 16, 104)], color.filled()))
                .map_err(err)?;
            bottom
                .draw(&Text::new(label.clone(), (x + 22, 89), text.clone()))
                .map_err(err)?;
        }
        let length = s
            .avg_length_secs
            .map_or_else(|| "–".to_owned(), minutes_text);
        let attendance = s
            .avg_attendance
            .map_or_else(|| "–".to_owned(), |a| format!("{a:.1} raiders"));
        bottom
            .draw(&Text::new(
                format!(
                    "Average length: {length}    Average attendance: {attendance}    Runs: {}{}",
                    s.total,
                    if s.active > 0 {
                        format!(" ({} still open)", s.active)
                    } else {
                        String::new()
                    }
                ),
                (x0, 114),
                (FONT, 15).into_font().color(&INK),
            ))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    encode(&buf, size)
}

/// The `/stats member` chart as PNG bytes ([`MEMBER_SIZE`]): runs completed per week.
pub fn member_weeks_png(weeks: &[(DateTime<Utc>, i64)]) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let size = MEMBER_SIZE;
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&BACKGROUND).map_err(err)?;
        let n = weeks.len().max(1);
        let max = weeks.iter().map(|w| w.1).max().unwrap_or(0).max(1);
        let y_max = (max as f64 * 1.15).ceil() as i64;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "Runs completed per week",
                (FONT, 16).into_font().color(&INK),
            )
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(36)
            .build_cartesian_2d(0f64..n as f64, 0i64..y_max)
            .map_err(err)?;
        let labels: Vec<DateTime<Utc>> = weeks.iter().map(|w| w.0).collect();
        let step = n.div_ceil(6).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - x.floor()).abs() < f64::EPSILON && i.is_multiple_of(step) {
                    labels.get(i).map(week_label).unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_labels((y_max as usize).min(5) + 1)
            .label_style((FONT, 12).into_font().color(&INK))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                weeks
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.1 > 0)
                    .map(|(i, w)| {
                        Rectangle::new(
                            [(i as f64 + 0.15, 0), (i as f64 + 0.85, w.1)],
                            PALETTE[0].filled(),
                        )
                    }),
            )
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    encode(&buf, size)
}

/// The width and height a PNG's header states (for tests and checks).
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Some((be(&bytes[16..20]), be(&bytes[20..24])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use domain::analytics::{RunWeek, StatsPeriod};

    fn summary(weeks: i64, dungeons: usize) -> Summary {
        let now = DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let period = match weeks {
            4 => StatsPeriod::Weeks4,
            12 => StatsPeriod::Weeks12,
            _ => StatsPeriod::Weeks52,
        };
        let (from, to) = period.span(now);
        let codes: Vec<String> = catalog()
            .dungeons
            .iter()
            .take(dungeons)
            .map(|d| d.code.clone())
            .collect();
        let mut rows = Vec::new();
        for w in 0..period.weeks() {
            for (k, code) in codes.iter().enumerate() {
                let n = (w + k as i64 * 3) % 7 + 1;
                rows.push(RunWeek {
                    week: from + Duration::weeks(w),
                    dungeon_code: code.clone(),
                    completed: n,
                    auto_ended: 1,
                    cancelled: (w % 2),
                    active: 0,
                    length_secs: (n + 1) as f64 * 1800.0,
                    timed: n + 1,
                    attendance: (n + 1) * 12,
                    attended: n + 1,
                });
            }
        }
        Summary::build(from, to, None, &rows)
    }

    #[test]
    fn raidstats_chart_is_a_1000_by_600_png_well_under_discords_limit() {
        for (weeks, dungeons) in [(4, 1), (12, 9), (52, 20)] {
            let png = raidstats_png(&summary(weeks, dungeons)).expect("png");
            assert_eq!(png_size(&png), Some(RAIDSTATS_SIZE));
            assert!(png.len() < 1024 * 1024, "{} bytes", png.len());
            if let Ok(dir) = std::env::var("CHARTS_DUMP") {
                std::fs::write(format!("{dir}/raidstats-{weeks}.png"), &png).expect("dump");
            }
        }
    }

    #[test]
    fn an_empty_span_still_draws() {
        let from = DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let s = Summary::build(from, from + Duration::weeks(1), None, &[]);
        let png = raidstats_png(&s).expect("png");
        assert_eq!(png_size(&png), Some(RAIDSTATS_SIZE));
    }

    #[test]
    fn member_chart_is_600_by_220() {
        let from = DateTime::parse_from_rfc3339("2026-09-14T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let weeks: Vec<_> = (0..12)
            .map(|i| (from + Duration::weeks(i), i % 4))
            .collect();
        let png = member_weeks_png(&weeks).expect("png");
        assert_eq!(png_size(&png), Some(MEMBER_SIZE));
        if let Ok(dir) = std::env::var("CHARTS_DUMP") {
            std::fs::write(format!("{dir}/member.png"), &png).expect("dump");
        }
    }

    #[test]
    fn minutes_read_naturally() {
        assert_eq!(minutes_text(42.0 * 60.0), "42 min");
        assert_eq!(minutes_text(65.0 * 60.0), "1 h 05 min");
    }
}
