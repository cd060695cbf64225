//! The proof of work of Vestibule's challenged sign-in form, solved as `/assets/challenge.js`
//! solves it in a browser: the first decimal counter (0, 1, 2, …) such that
//! SHA-256(challenge || counter) starts with `difficulty` zero bits.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::BenchError;
use super::browser::Puzzle;

/// The hidden field the answer goes in.
pub const COUNTER_FIELD: &str = "challenge_counter";

/// The zero bits `digest` starts with.
fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    bits
}

/// The first counter solving `puzzle`.
pub fn solve(puzzle: &Puzzle) -> String {
    let prefix = Sha256::new().chain_update(puzzle.challenge.as_bytes());
    (0_u64..)
        .map(|counter| counter.to_string())
        .find(|counter| {
            let digest = prefix.clone().chain_update(counter.as_bytes()).finalize();
            leading_zero_bits(&digest) >= puzzle.difficulty
        })
        .unwrap_or_default()
}

/// Solves `puzzle` on a blocking thread (tens of milliseconds of one core at the default
/// difficulty); the counter and how long it took.
pub async fn solve_off_runtime(puzzle: Puzzle) -> Result<(String, Duration), BenchError> {
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let counter = solve(&puzzle);
        (counter, started.elapsed())
    })
    .await
    .map_err(|e| BenchError::setup("solving a proof of work", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vestibule_idp::risk::proof_of_work::solves;

    #[test]
    fn the_counter_found_is_accepted_by_the_idp() {
        let challenge = "q".repeat(43);
        let puzzle = Puzzle {
            challenge: challenge.clone(),
            difficulty: 12,
        };
        let counter = solve(&puzzle);
        assert!(solves(&challenge, &counter, 12), "{counter}");
        assert!(!solves(&challenge, &counter, 40));
    }
}
