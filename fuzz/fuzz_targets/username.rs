//! Username validation and normalisation (`domain/username.rs`): NFKC, then lower case.
//!
//! Invariants: the lookup key is in NFKC and a fixed point (normalising a key changes
//! nothing), case and compatibility forms do not change it, and validation is consistent:
//! an accepted name keeps its spelling and is accepted in every prefix, and a refused one
//! is too long, empty, or holds a character that is refused on its own.

#![no_main]

use gatehouse::domain::username::{MAX_USERNAME_CHARS, Username};
use gatehouse::fuzzing::username_key;
use libfuzzer_sys::fuzz_target;
use unicode_normalization::{UnicodeNormalization, is_nfkc};

fuzz_target!(|data: &[u8]| {
    // Usernames reach the server inside JSON strings, which are always valid UTF-8.
    let raw = String::from_utf8_lossy(data);
    let raw = raw.as_ref();

    let key = username_key(raw);
    assert!(is_nfkc(&key), "the key of {raw:?} is not NFKC: {key:?}");
    assert_eq!(
        username_key(&key),
        key,
        "normalising the key of {raw:?} changed it"
    );
    // Lower case is Unicode's mapping, whose one contextual rule (Final_Sigma: Σ becomes ς at
    // the end of a word) sees a different context once NFKC has rewritten the neighbours
    // (ₕΣ becomes hΣ). So lower-casing first may change a σ into ς or back, and nothing else.
    assert_eq!(
        without_final_sigma(&username_key(&raw.to_lowercase())),
        without_final_sigma(&key),
        "lower-casing {raw:?} changed its key"
    );
    assert_eq!(
        username_key(&raw.nfkc().collect::<String>()),
        key,
        "the NFKC form of {raw:?} has another key"
    );
    assert_eq!(raw.is_empty(), key.is_empty());

    let chars = raw.chars().count();
    match Username::parse(raw) {
        Ok(username) => {
            assert_eq!(username.as_str(), raw, "the spelling is kept");
            assert_eq!(username.key().as_str(), key);
            assert!((1..=MAX_USERNAME_CHARS).contains(&chars));
            assert!(!raw.chars().any(|c| c.is_whitespace() || c.is_control()));
            // Validation is per character and per length: every prefix passes too.
            for (end, _) in raw.char_indices().skip(1) {
                assert!(Username::parse(&raw[..end]).is_ok(), "prefix of {raw:?}");
            }
        }
        Err(message) => {
            assert!(!message.is_empty());
            let explained = chars == 0
                || chars > MAX_USERNAME_CHARS
                || raw
                    .chars()
                    .any(|c| Username::parse(c.encode_utf8(&mut [0; 4])).is_err());
            assert!(explained, "{raw:?} refused without a reason: {message}");
        }
    }
});

fn without_final_sigma(key: &str) -> String {
    key.replace('ς', "σ")
}
