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

/// The code's words with comments and string literals taken out: what is left is
/// identifiers, paths and keywords.
fn code_words(text: &str) -> String {
    let mut code = String::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut in_string = false;
        let mut escaped = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (in_string, c) {
                (true, _) if escaped => escaped = false,
                (true, '\\') => escaped = true,
                (true, '"') => in_string = false,
                (true, _) => {}
                (false, '"') => in_string = true,
                (false, '/') if chars.peek() == Some(&'/') => break,
                (false, _) => code.push(c),
            }
        }
        code.push('\n');
    }
    code
}

/// Files allowed to say "tenant" in code: the login API, whose `TenantName` names a pool.
/// Everywhere else the concept is a pool, Cognito's word (docs/architecture.md, "Names").
const TENANT_WORD_ALLOWED_UNDER: &str = "src/http/login_api/";
/// Files that still say "tenant" for a pool. This list only shrinks.
const TENANT_WORD_EXCEPTIONS: &[&str] = &[];

#[test]
fn the_code_says_pool_not_tenant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut offenders = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        let says_tenant = code_words(&text).to_lowercase().contains("tenant");
        if says_tenant
            && !relative.starts_with(TENANT_WORD_ALLOWED_UNDER)
            && !TENANT_WORD_EXCEPTIONS.contains(&relative.as_str())
        {
            offenders.push(relative);
        }
    }
    assert!(
        offenders.is_empty(),
        "{offenders:?} say \"tenant\" in code: call it a pool (only the login API's \
         `TenantName` and user-facing text keep the word)"
    );
    for exception in TENANT_WORD_EXCEPTIONS {
        let text = std::fs::read_to_string(root.join(exception)).unwrap_or_default();
        assert!(
            code_words(&text).to_lowercase().contains("tenant"),
            "{exception} no longer says tenant: remove it from TENANT_WORD_EXCEPTIONS"
        );
    }
}

#[test]
fn code_words_leave_out_comments_and_strings() {
    assert_eq!(code_words("// a tenant\nlet x = 1;").trim(), "let x = 1;");
    assert!(!code_words(r#"visible_alias = "tenant", x"#).contains("tenant"));
    assert!(!code_words(r#"format!("a \"tenant\" here")"#).contains("tenant"));
    assert!(code_words("fn create_tenant() {}").contains("tenant"));
    assert!(code_words(r#"let s = "x"; let tenant = 1;"#).contains("tenant"));
    assert!(!code_words("let x = 1; // the tenant").contains("tenant"));
}

/// `unsafe` is denied crate-wide with one reviewed exception: handing unused memory back to
/// the kernel (src/memory_release.rs, docs/security.md). Anything else needs the same review.
#[test]
fn unsafe_code_lives_only_in_memory_release() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let with_unsafe: Vec<_> = files
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.contains("unsafe {") || text.contains("unsafe fn") || text.contains("unsafe impl")
        })
        .map(|file| file.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    assert_eq!(with_unsafe, vec!["memory_release.rs".to_owned()]);
}
