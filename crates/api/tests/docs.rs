//! The API viewer at `/docs`: served from the binary, referencing only this server.

// A failed unwrap is a failed test, with its line.
#![allow(clippy::unwrap_used)]

mod common;

use common::spawn_app;
use reqwest::StatusCode;

/// The values of every `attr="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn the_viewer_is_served_from_the_binary_and_loads_only_local_assets() {
    let app = spawn_app().await;
    // No key needed, like the document it shows.
    let page = app.send(app.client.get(app.url("/docs"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let content_type = page.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    let html = &page.text;
    let sources = attribute_values(html, "src");
    let links = attribute_values(html, "href");
    assert!(sources.contains(&"/docs/viewer.js"), "{sources:?}");
    assert!(links.contains(&"/docs/viewer.css"), "{links:?}");
    for value in sources.iter().chain(&links) {
        assert!(
            value.starts_with('/') && !value.starts_with("//"),
            "`{value}` is not an asset of this server"
        );
    }
    assert!(!html.contains("://"), "the page names another host");

    for (path, kind) in [
        ("/docs/viewer.js", "text/javascript"),
        ("/docs/viewer.css", "text/css"),
    ] {
        let asset = app.send(app.client.get(app.url(path))).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        let content_type = asset.headers["content-type"].to_str().unwrap();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(!asset.text.contains("://"), "{path} names another host");
        assert!(!asset.text.contains("@import"), "{path} imports something");
    }
    // The script renders this server's document, which lists the viewer too.
    let script = app.send(app.client.get(app.url("/docs/viewer.js"))).await;
    assert!(script.text.contains("\"/v1/openapi.json\""));
    let doc = app.send(app.client.get(app.url("/v1/openapi.json"))).await;
    assert!(doc.body["paths"]["/docs"]["get"].is_object());
    // What the viewer groups by: every operation has a tag the document describes.
    let tags: Vec<&str> = doc.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let tag = op["tags"][0].as_str().unwrap_or_default();
            assert!(
                tags.contains(&tag),
                "{method} {path}: tag `{tag}` is not described"
            );
        }
    }
    app.stop().await;
}
