//! What the figure-printing benches share: the sample count from the command line and the
//! median of the timings.

use std::time::Duration;

/// The first numeric argument (`cargo bench --bench <name> -- <samples>`), else `default`.
pub fn samples_from_args(default: usize) -> usize {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}
