//! The layering rule of docs/architecture.md, checked: the domain and the use cases never name
//! the web framework or the database driver, so either can change without touching them.

#![allow(clippy::unwrap_used, reason = "tests fail loudly by design")]

use std::path::Path;

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn domain_and_auth_name_no_actix_or_sqlx_type() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["domain", "auth"] {
        rust_files(&root.join(layer), &mut files);
    }
    assert!(files.len() > 5, "found the layers' files");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["actix", "sqlx", "crate::http", "crate::app"] {
            assert!(
                !text.contains(forbidden),
                "{} mentions {forbidden}: domain/ and auth/ must stay independent of HTTP and SQL",
                file.display()
            );
        }
    }
}

#[test]
fn the_domain_does_no_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in [
            "crate::store",
            "crate::crypto",
            "std::fs",
            "tokio",
            "reqwest",
        ] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}",
                file.display()
            );
        }
    }
}
