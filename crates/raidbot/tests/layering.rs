//! The adapters stay adapters: `bot`, `api` and `web` reach the database only through `service`,
//! so neither may depend on `store` or on the database driver itself. They may share the
//! wording crate `messages`, which sits on `service` and `domain` and never below them
//! either. The compiler keeps that true once their manifests say so; this test keeps the
//! manifests saying so. (Dev-dependencies are allowed: tests create fresh databases through
//! `store`.)

use std::process::Command;

/// Crates that translate between the outside world and `service`.
const ADAPTERS: [&str; 3] = ["bot", "api", "web"];
/// Crates the adapters share that sit above `service` too (the words of refusals).
const SHARED_ABOVE_SERVICE: [&str; 1] = ["messages"];
/// What they must not depend on directly.
const BELOW_SERVICE: [&str; 2] = ["store", "sqlx"];

#[test]
fn adapters_and_messages_do_not_depend_on_the_store_or_the_database_driver() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .args(["--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let packages = metadata["packages"].as_array().expect("a list of packages");

    let mut seen = Vec::new();
    let mut offending = Vec::new();
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        if !ADAPTERS.contains(&name) && !SHARED_ABOVE_SERVICE.contains(&name) {
            continue;
        }
        seen.push(name.to_owned());
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            // `kind` is null for [dependencies], "dev" or "build" otherwise.
            let normal = dep["kind"].is_null();
            if normal && BELOW_SERVICE.contains(&dep_name) {
                offending.push(format!("{name} -> {dep_name}"));
            }
            // The words are shared by the adapters, so they cannot lean on one of them.
            if normal && name == "messages" && ADAPTERS.contains(&dep_name) {
                offending.push(format!("{name} -> {dep_name}"));
            }
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["api", "bot", "messages", "web"],
        "all three adapters and the wording crate are in the workspace"
    );
    assert!(
        offending.is_empty(),
        "adapters must reach the database through `service` only; found {offending:?} in \
         [dependencies] (re-export what they need from `service` instead)"
    );
}

/// Refusals are typed in `service` (an enum per area) and worded in `messages`: a use case
/// never builds one of `ServiceError`'s untyped variants (a code and a sentence), which are
/// for the adapters' own refusals. This reads `service`'s sources for their constructors
/// (`error.rs`, where they are defined, aside).
#[test]
fn service_words_no_refusal_of_its_own() {
    const UNTYPED: [&str; 6] = [
        "ServiceError::conflict(",
        "ServiceError::invalid(",
        "ServiceError::NotFound(",
        "ServiceError::Forbidden(",
        "ServiceError::Conflict {",
        "ServiceError::Invalid {",
    ];
    let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../service/src"));
    let mut files = vec![src.to_path_buf()];
    let mut read = 0;
    let mut found = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("service/src is readable") {
                files.push(entry.expect("a directory entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path == src.join("error.rs") {
            continue;
        }
        read += 1;
        let text = std::fs::read_to_string(&path).expect("a source file is text");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if !code.starts_with("//") && UNTYPED.iter().any(|u| code.contains(u)) {
                found.push(format!("{}:{}: {code}", path.display(), n + 1));
            }
        }
    }
    assert!(read > 40, "read {read} files of service/src");
    assert!(
        found.is_empty(),
        "service refuses with a typed reason (RunError, HeadcountError, ...) that `messages` \
         words, not with a sentence of its own:\n{}",
        found.join("\n")
    );
}
