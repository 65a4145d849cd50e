//! What one password verification costs at the production Argon2id parameters, and how many
//! a machine sustains with every core hashing. Prints figures; asserts nothing.
//!
//! Run: `cargo bench --bench argon2` (optionally `-- <samples>`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

use std::time::{Duration, Instant};

use gatehouse::crypto::password::{Argon2Cost, HasherLimits, PasswordHasher, Pepper};
use gatehouse::domain::secret::secret;

mod support;

use support::{median, samples_from_args};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let samples = samples_from_args(21);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cost = Argon2Cost::default();
    let hasher = PasswordHasher::new(
        cost,
        Some(Pepper {
            id: "bench".into(),
            secret: secret("benchmark-pepper"),
        }),
        HasherLimits {
            workers: cores,
            queue: 1024,
            max_wait: std::time::Duration::ZERO,
        },
    )
    .unwrap();
    let password = secret("Correct-Horse-9");
    let stored = hasher.hash(&password).await.unwrap();

    let mut known = Vec::with_capacity(samples);
    let mut unknown = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        hasher.verify(&password, Some(&stored)).await.unwrap();
        known.push(start.elapsed());
        let start = Instant::now();
        hasher.verify(&password, None).await.unwrap();
        unknown.push(start.elapsed());
    }
    let known_min = *known.iter().min().unwrap();
    let known_max = *known.iter().max().unwrap();

    // Enough verifications for a few seconds of every core hashing.
    let batch = cores * 40;
    let start = Instant::now();
    let tasks: Vec<_> = (0..batch)
        .map(|_| {
            let hasher = hasher.clone();
            let password = password.clone();
            let stored = stored.clone();
            tokio::spawn(async move { hasher.verify(&password, Some(&stored)).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let rate = batch as f64 / start.elapsed().as_secs_f64();

    println!(
        "argon2id m={} KiB t={} p={}, {samples} sequential samples, {cores} cores",
        cost.memory_kib, cost.iterations, cost.parallelism
    );
    println!(
        "verify (real user):    median {}  (min {}, max {})",
        ms(median(&mut known)),
        ms(known_min),
        ms(known_max)
    );
    println!("verify (unknown user): median {}", ms(median(&mut unknown)));
    println!(
        "throughput with {cores} hashing workers: {rate:.1} verifications/s ({batch} verifications)"
    );
}
