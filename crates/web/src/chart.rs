//! Small bar charts as inline SVG, drawn on the server: no script, no image request, a
//! few kilobytes each, and colours from the stylesheet (so dark mode follows). Each chart
//! is an `img` with a title and a description that says what the bars say, and each bar
//! carries its own `<title>` (a tooltip, and what a screen reader reads).

use std::fmt::Write as _;

use crate::html::escape;

/// One bar: its label under or beside it, and its value.
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// Read by a screen reader and shown as a tooltip, e.g. "week of 2026-11-02: 3 runs".
    pub tip: String,
}

/// A round top for the value axis: 1, 2, 5, 10, 20, 50... at or above `max`.
fn nice_max(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// Vertical bars, left to right (e.g. runs per week). `id` makes the title and
/// description ids unique on the page.
pub fn columns(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    const W: i64 = 640;
    const H: i64 = 200;
    const LEFT: i64 = 36;
    const BOTTOM: i64 = 24;
    const TOP: i64 = 8;
    let top = nice_max(bars.iter().map(|b| b.value).max().unwrap_or(0));
    let n = i64::try_from(bars.len().max(1)).unwrap_or(1);
    let plot_w = W - LEFT - 4;
    let plot_h = H - BOTTOM - TOP;
    let slot = plot_w / n;
    let mut svg = open(id, title, desc, W, H);
    // The value axis: zero, half and the top, with light guide lines.
    for v in [0, top / 2, top] {
        let y = TOP + plot_h - plot_h * v / top;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{W}\" y1=\"{y}\" y2=\"{y}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            LEFT - 4,
            y + 4
        );
    }
    let every = (bars.len() / 6).max(1);
    for (i, b) in bars.iter().enumerate() {
        let i64i = i64::try_from(i).unwrap_or(0);
        let x = LEFT + slot * i64i + slot / 6;
        let h = plot_h * b.value.max(0) / top;
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{h}\"><title>{}</title></rect>",
            TOP + plot_h - h,
            slot * 2 / 3,
            escape(&b.tip)
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + slot / 3,
                H - 6,
                escape(&b.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars, top to bottom (e.g. runs per dungeon), each with its label on the
/// left and its value at its end.
pub fn rows(id: &str, title: &str, desc: &str, bars: &[Bar]) -> String {
    const W: i64 = 640;
    const ROW: i64 = 24;
    const LABEL: i64 = 200;
    let n = i64::try_from(bars.len()).unwrap_or(0);
    let h = (ROW * n + 8).max(32);
    let top = nice_max(bars.iter().map(|b| b.value).max().unwrap_or(0));
    let plot_w = W - LABEL - 48;
    let mut svg = open(id, title, desc, W, h);
    for (i, b) in bars.iter().enumerate() {
        let y = 4 + ROW * i64::try_from(i).unwrap_or(0);
        let w = plot_w * b.value.max(0) / top;
        let label: String = b.label.chars().take(22).collect();
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{LABEL}\" y=\"{}\" width=\"{w}\" height=\"{}\"><title>{}</title></rect>\
             <text class=\"axis\" x=\"{}\" y=\"{}\">{}</text>",
            LABEL - 6,
            y + 15,
            escape(&label),
            y + 3,
            ROW - 8,
            escape(&b.tip),
            LABEL + w + 4,
            y + 15,
            b.value
        );
    }
    svg.push_str("</svg>");
    svg
}

fn open(id: &str, title: &str, desc: &str, w: i64, h: i64) -> String {
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(desc)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            tip: format!("{label}: {value}"),
        }
    }

    #[test]
    fn the_value_axis_ends_on_a_round_number() {
        assert_eq!(
            [0, 1, 2, 3, 7, 11, 40, 51].map(nice_max),
            [1, 1, 2, 5, 10, 20, 50, 100]
        );
    }

    #[test]
    fn bars_are_as_tall_as_their_share_and_names_are_escaped() {
        let svg = columns("w", "Runs", "3 runs", &[bar("a", 1), bar("<b>", 2)]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        // Top 2: the second bar fills the 168-unit plot, the first half of it.
        assert!(svg.contains("height=\"168\""), "{svg}");
        assert!(svg.contains("height=\"84\""), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        let svg = rows("d", "By dungeon", "", &[bar("Shatters", 4), bar("Nest", 0)]);
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains("width=\"0\""), "an empty bar: {svg}");
    }
}
