//! What one RS256 token signature costs with the key type and signing path the server uses
//! (2048-bit RSA, `crypto::jwt::sign`). Every sign-in and refresh signs two tokens, so the
//! refresh limit of a machine is cores / (2 x this time). Prints figures; asserts nothing.
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
    println!("rs256 2048-bit, {samples} sequential signatures, {cores} cores");
    println!(
        "sign: median {:.3} ms  (min {:.3} ms)",
        median.as_secs_f64() * 1000.0,
        min.as_secs_f64() * 1000.0
    );
    println!(
        "refresh limit (cores / (2 x median)): {:.0} refreshes/s",
        cores as f64 / (2.0 * median.as_secs_f64())
    );
}
