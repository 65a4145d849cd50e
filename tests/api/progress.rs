//! The command line's progress bar: drawn on a terminal, absent from piped output.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::cli::Cli;
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(seeding_shows_progress_on_a_terminal_only);

fn seed_file(cli: &Cli, name: &str, users: usize) -> std::path::PathBuf {
    let path = cli.dir.path().join(format!("{name}.json"));
    let users: Vec<_> = (0..users)
        .map(|i| json!({"Username": format!("user{i}"), "Password": "Correct-Horse-9"}))
        .collect();
    std::fs::write(
        &path,
        json!({"Pools": [{"Name": name, "Users": users}]}).to_string(),
    )
    .unwrap();
    path
}

async fn seeding_shows_progress_on_a_terminal_only(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);

    let piped = cli.run(
        &["seed", seed_file(&cli, "piped", 20).to_str().unwrap()],
        "",
    );
    assert!(piped.status.success());
    let stderr = String::from_utf8(piped.stderr).unwrap();
    assert!(!stderr.contains("seeding users"), "{stderr}");
    assert!(!stderr.contains('\r'), "no redrawn lines: {stderr:?}");
    assert!(
        String::from_utf8(piped.stdout)
            .unwrap()
            .starts_with("seed applied: 1 tenants created, 0 clients created, 20 users created")
    );

    // script(1) runs the command on a pseudo-terminal, as an operator's shell would.
    let on_terminal = format!(
        "{} seed {}",
        env!("CARGO_BIN_EXE_gatehouse"),
        seed_file(&cli, "terminal", 20).display()
    );
    let Ok(output) = Command::new("script")
        .args(["-qec", &on_terminal, "/dev/null"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // indicatif draws nothing on a terminal that names no type (or `dumb`).
        .env("TERM", "xterm")
        .envs(cli.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cli.dir.path())
        .stdin(Stdio::null())
        .output()
    else {
        eprintln!("script(1) is not installed: the terminal half of this test was skipped");
        return;
    };
    assert!(output.status.success());
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("seeding users"), "{shown}");
    assert!(shown.contains("20 users created"), "{shown}");
}
