//! The page frame and HTML escaping. Every text that came from a person (names, reasons,
//! notes) goes through [`escape`].

use std::fmt::Write as _;

/// Text made safe for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who is logged in, for the page header (their name and the log-out form).
pub struct Header<'a> {
    pub user_name: &'a str,
    pub csrf: &'a str,
}

/// A whole page: header with navigation, `body` (already HTML) in `<main>`.
pub fn layout(title: &str, header: Option<&Header<'_>>, body: &str) -> String {
    let mut page = String::with_capacity(body.len() + 1200);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · raidbot</title>\
         <link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body>\
         <a class=\"skip\" href=\"#main\">Skip to content</a>\
         <header><nav aria-label=\"Site\"><a class=\"brand\" href=\"/\">raidbot</a>",
        title = escape(title)
    );
    if let Some(h) = header {
        let _ = write!(
            page,
            "<span class=\"who\">Logged in as <strong>{}</strong></span>\
             <form method=\"post\" action=\"/logout\" class=\"inline\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Log out</button></form>",
            escape(h.user_name),
            escape(h.csrf)
        );
    }
    let _ = write!(
        page,
        "</nav></header><main id=\"main\"><h1>{}</h1>{body}</main></body></html>",
        escape(title)
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_shown_as_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
