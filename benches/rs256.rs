//! What one RS256 token signature costs with the key type and signing path the server uses
//! (2048-bit RSA, `crypto::jwt::sign`), alone and with every core signing at once. Every
//! sign-in and refresh signs two tokens, so the refresh limit of a machine is the all-cores
//! signature rate / 2 (cores / (2 x the time of one) only where cores do not slow each other
//! down, which virtual machines do not promise). Prints figures; asserts nothing.
//!
//! Run: `cargo bench --bench rs256` (optionally `-- <samples>`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark fails loudly"
)]

use std::time::Instant;

use gatehouse::crypto::jwt;
use gatehouse::crypto::keys::{generate_rsa, signing_key};
use secrecy::ExposeSecret;

mod support;

use support::{median, samples_from_args};

fn main() {
    let samples = samples_from_args(201);
    let generated = generate_rsa().unwrap();
    let key = signing_key(generated.private_der.expose_secret()).unwrap();
    // Claims the size of a real access token.
    let claims = serde_json::json!({
        "sub": "4b1d2c1e-8f7a-4d5e-9b0c-2a3f4e5d6c7b",
        "iss": "http://127.0.0.1:8080/us-east-1_BenchPool",
        "client_id": "benchclient000000000000001",
        "origin_jti": "0d6f6c1e-3b4a-4c5d-8e9f-a0b1c2d3e4f5",
        "event_id": "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": 1_800_000_000,
        "exp": 1_800_003_600,
        "iat": 1_800_000_000,
        "jti": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "username": "benchuser00001",
    });
    // Warm up caches and any lazily built state before timing.
    for _ in 0..5 {
        jwt::sign(&claims, &generated.kid, &key).unwrap();
    }
    let mut timings = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        jwt::sign(&claims, &generated.kid, &key).unwrap();
        timings.push(start.elapsed());
    }
    let min = *timings.iter().min().unwrap();
    let median = median(&mut timings);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Every core signing at once, each thread about two seconds of signatures.
    let per_core = (2.0 / median.as_secs_f64()).ceil().max(1.0) as usize;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..cores {
            scope.spawn(|| {
                for _ in 0..per_core {
                    jwt::sign(&claims, &generated.kid, &key).unwrap();
                }
            });
        }
    });
    let all_cores_rate = (per_core * cores) as f64 / start.elapsed().as_secs_f64();

    println!("rs256 2048-bit, {samples} sequential signatures, {cores} cores");
    println!(
        "sign: median {:.3} ms  (min {:.3} ms)",
        median.as_secs_f64() * 1000.0,
        min.as_secs_f64() * 1000.0
    );
    println!(
        "all cores: {all_cores_rate:.0} signatures/s ({} signatures on {cores} threads)",
        per_core * cores
    );
    println!(
        "refresh limit (all-cores rate / 2): {:.0} refreshes/s  (cores / (2 x median): {:.0})",
        all_cores_rate / 2.0,
        cores as f64 / (2.0 * median.as_secs_f64())
    );
}
