//! Error fidelity: every operation Gatehouse serves answers the errors Cognito's API
//! reference documents, in Cognito's situations, with HTTP 400. The cases are one table,
//! `tests/clients/error_cases.json` (a list per operation), driven through boto3 and the AWS
//! SDK for JavaScript v3 unchanged, one after the other against one server per backend
//! (docs/cognito-compatibility.md, "Errors by operation").

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{ADMIN_KEY_ID, ADMIN_SECRET, TestApp, python_with, run_client};
use crate::on_both_backends;
use crate::support::Db;

on_both_backends!(every_operation_answers_its_documented_errors_to_boto3_and_the_js_sdk);

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The operations the Cognito API routes, read from its dispatch (`"Name" => handler`).
fn routed_operations() -> BTreeSet<String> {
    let dispatch = std::fs::read_to_string(format!("{ROOT}/src/http/cognito/mod.rs")).unwrap();
    dispatch
        .lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix('"')?;
            let (name, after) = rest.split_once('"')?;
            let routed = after.trim_start().starts_with("=>")
                && name.chars().all(|c| c.is_ascii_alphanumeric());
            routed.then(|| name.to_owned())
        })
        .collect()
}

fn js_clients_installed() -> bool {
    let installed = std::path::Path::new(ROOT)
        .join("tests/clients/js/node_modules/@aws-sdk/client-cognito-identity-provider")
        .exists();
    let node = Command::new("node").arg("--version").output().is_ok();
    if !(installed && node) {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install the JS clients: run ./scripts/test"
        );
        eprintln!("node or tests/clients/js/node_modules missing: JS client check skipped");
    }
    installed && node
}

async fn every_operation_answers_its_documented_errors_to_boto3_and_the_js_sdk(backend: Db) {
    // The table leaves no operation out, and names none the server does not serve.
    let table: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{ROOT}/tests/clients/error_cases.json")).unwrap(),
    )
    .unwrap();
    let operations = table["operations"].as_object().unwrap();
    let covered: BTreeSet<String> = operations.keys().cloned().collect();
    let routed = routed_operations();
    assert!(routed.len() > 60, "the dispatch was read: {routed:?}");
    assert_eq!(covered, routed, "error_cases.json against the dispatch");
    for (operation, cases) in operations {
        assert!(
            !cases.as_array().unwrap().is_empty(),
            "{operation} has no error case"
        );
    }

    let app = TestApp::spawn(backend).await;
    if let Some(python) = python_with("boto3") {
        let mut boto3 = Command::new(python);
        boto3
            .arg(format!("{ROOT}/tests/clients/boto3_errors.py"))
            .args([&app.address, ADMIN_KEY_ID, ADMIN_SECRET]);
        run_client(boto3, "boto3 errors: all checks passed").await;
    }
    if js_clients_installed() {
        let mut node = Command::new("node");
        node.arg("errors_sdk.mjs")
            .args([&app.address, ADMIN_KEY_ID, ADMIN_SECRET])
            .current_dir(format!("{ROOT}/tests/clients/js"));
        run_client(node, "js errors: all checks passed").await;
    }
    app.stop().await;
}
