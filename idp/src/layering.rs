//! Checks the direction of dependencies between the IdP's modules: the protocol (`oidc/`) and
//! the hosted pages (`login/`) never import each other, and `authn/`, `risk/` and `privacy/`, which
//! both build on, import neither.

use std::path::{Path, PathBuf};

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The lines of the modules below `src/<module>` that name one of `forbidden`.
fn imports_of(module: &str, forbidden: &[&str]) -> Vec<String> {
    imports_below(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(module),
        forbidden,
    )
}

/// The code lines (comments aside) of the files below `root` that name one of the modules
/// `forbidden`, as `file:line: text`.
fn imports_below(root: &Path, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in sources(root) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for other in forbidden {
                let paths = [
                    format!("crate::{other}"),
                    format!("super::{other}"),
                    format!("super::super::{other}"),
                ];
                if paths.iter().any(|path| code.contains(path.as_str())) {
                    found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn oidc_does_not_import_the_pages() {
    let found = imports_of("oidc", &["login"]);
    assert!(found.is_empty(), "oidc/ imports login/:\n{}", found.join("\n"));
}

#[test]
fn the_pages_do_not_import_oidc() {
    let found = imports_of("login", &["oidc"]);
    assert!(found.is_empty(), "login/ imports oidc/:\n{}", found.join("\n"));
}

#[test]
fn authn_imports_neither_the_protocol_nor_the_pages() {
    let found = imports_of("authn", &["oidc", "login"]);
    assert!(
        found.is_empty(),
        "authn/ imports oidc/ or login/:\n{}",
        found.join("\n")
    );
}

#[test]
fn risk_imports_neither_the_protocol_nor_the_pages() {
    let found = imports_of("risk", &["oidc", "login"]);
    assert!(found.is_empty(), "risk/ imports oidc/ or login/:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_an_import_below_and_ignores_comments() {
    let dir = std::env::temp_dir().join(format!("vestibule-layering-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let text = "use super::super::login::flow;\n// crate::login in a comment\nuse crate::authn;\n";
    std::fs::write(dir.join("nested/a.rs"), text).unwrap();
    let found = imports_below(&dir, &["login"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with(":1: use super::super::login::flow;"), "{found:?}");
}

#[test]
fn privacy_imports_neither_the_protocol_nor_the_pages() {
    let found = imports_of("privacy", &["oidc", "login"]);
    assert!(
        found.is_empty(),
        "privacy/ imports oidc/ or login/:\n{}",
        found.join("\n")
    );
}
