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

/// Whether `text` names the store as code: the identifier `store` on its own (a field, a
/// module path), not inside another word (`open_store`, "stored"), not a header value
/// (`no-store`), not an atomic's `.store(…)` method, and not in a comment.
fn names_the_store(text: &str) -> bool {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .any(|line| {
            line.match_indices("store").any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let after = line[at + "store".len()..].chars().next();
                let part_of_word =
                    |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !part_of_word(before)
                    && !part_of_word(after)
                    && before != Some('-')
                    && after != Some('(')
            })
        })
}

/// Files under src/http/ and src/cli/ that still reach past the use cases into the store.
/// This list only shrinks: route the call through a use case on `Services`, then delete the
/// entry.
const STORE_EXCEPTIONS: &[&str] = &[];

#[test]
fn http_and_the_cli_reach_the_store_only_through_use_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for layer in ["src/http", "src/cli"] {
        rust_files(&root.join(layer), &mut files);
    }
    files.push(root.join("src/main.rs"));
    assert!(files.len() > 20, "found the layers' files");
    let mut offenders = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        if names_the_store(&text) && !STORE_EXCEPTIONS.contains(&relative.as_str()) {
            offenders.push(relative);
        }
    }
    assert!(
        offenders.is_empty(),
        "{offenders:?} name the store: handlers and commands call a use case on Services \
         (src/auth/, src/manage/), which calls the store"
    );
    for exception in STORE_EXCEPTIONS {
        let text = std::fs::read_to_string(root.join(exception)).unwrap_or_default();
        assert!(
            names_the_store(&text),
            "{exception} no longer names the store: remove it from STORE_EXCEPTIONS"
        );
    }
}

#[test]
fn the_store_check_sees_what_it_should() {
    assert!(names_the_store("services\n    .store\n    .list_pools()"));
    assert!(names_the_store("use crate::store::GroupRecord;"));
    assert!(names_the_store("let pool = services.store.connections();"));
    assert!(!names_the_store(
        ".insert_header((CACHE_CONTROL, \"no-store\"))"
    ));
    assert!(!names_the_store(
        "drain.draining.store(true, Ordering::SeqCst);"
    ));
    assert!(names_the_store("let store = app::open_store(settings);"));
    assert!(!names_the_store("// the store keeps sessions"));
    assert!(!names_the_store("the stored attributes"));
}
