//! Password hashing: Argon2id with an optional pepper (Argon2's secret input), run on the
//! blocking pool behind a bounded admission queue, with a dummy verification for users that
//! do not exist so they cost the same as users that do.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use argon2::{Algorithm, Argon2, Block, Params, PasswordHasher as _, Version};
use password_hash::phc::PasswordHash;
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::Zeroize;

use crate::domain::secret::secret;
use crate::domain::telemetry::{NoTelemetry, Telemetry};
use crate::domain::user::StoredPasswordHash;

/// OWASP's and ASVS's floor for Argon2id with two passes.
pub const MIN_MEMORY_KIB: u32 = 19_456;
pub const MIN_ITERATIONS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Cost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Cost {
    fn default() -> Self {
        Self {
            memory_kib: MIN_MEMORY_KIB,
            iterations: MIN_ITERATIONS,
            parallelism: 1,
        }
    }
}

impl Argon2Cost {
    pub fn is_below_floor(&self) -> bool {
        self.memory_kib < MIN_MEMORY_KIB || self.iterations < MIN_ITERATIONS
    }
}

/// A pepper and the id stored beside each hash made with it, so peppers can be rotated.
pub struct Pepper {
    pub id: String,
    pub secret: SecretString,
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pepper")
            .field("id", &self.id)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct HasherLimits {
    /// Hashes computed at once (each holds `memory_kib` of RAM).
    pub workers: usize,
    /// Requests allowed to wait for a worker; beyond this, callers are told to back off.
    pub queue: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the password hashing queue is full")]
    Overloaded,
    #[error("password hashing failed: {0}")]
    Internal(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Match {
        /// The stored hash uses weaker parameters or another pepper than configured now.
        needs_rehash: bool,
    },
    Mismatch,
}

struct Inner {
    params: Params,
    pepper: Option<Pepper>,
    /// Earlier peppers, still able to verify hashes made with them until those are rehashed.
    retired_peppers: Vec<Pepper>,
    /// A real hash at current cost, verified against when the user does not exist.
    dummy: String,
    /// Argon2 working memory (`memory_kib` each), kept for the next verification instead of
    /// freed: at most one per worker ever exists. Allocating and freeing 19 MiB per sign-in
    /// on the blocking pool's changing threads left the allocator holding hundreds of MiB.
    memory: Mutex<Vec<Vec<Block>>>,
}

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
    /// Permits for everyone admitted: running plus waiting.
    admission: Arc<Semaphore>,
    capacity: usize,
    workers: Arc<Semaphore>,
    worker_count: usize,
    /// Told how long each hash waited for a worker.
    telemetry: Arc<dyn Telemetry>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.inner.params)
            .field("pepper", &self.inner.pepper)
            .finish_non_exhaustive()
    }
}

/// A place in the hashing queue, held for the duration of one hash.
pub struct Admission(#[allow(dead_code, reason = "held for its Drop")] OwnedSemaphorePermit);

impl PasswordHasher {
    pub fn new(
        cost: Argon2Cost,
        pepper: Option<Pepper>,
        limits: HasherLimits,
    ) -> Result<Self, HashError> {
        Self::with_retired_peppers(cost, pepper, Vec::new(), limits)
    }

    /// Like [`Self::new`], also verifying hashes made with earlier peppers; a successful
    /// sign-in rehashes them with the current one, so old peppers can be retired.
    pub fn with_retired_peppers(
        cost: Argon2Cost,
        pepper: Option<Pepper>,
        retired_peppers: Vec<Pepper>,
        limits: HasherLimits,
    ) -> Result<Self, HashError> {
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| HashError::Internal(format!("invalid Argon2 parameters: {e}")))?;
        let mut inner = Inner {
            params,
            pepper,
            retired_peppers,
            dummy: String::new(),
            memory: Mutex::default(),
        };
        let dummy_password = crate::crypto::opaque::OpaqueToken::generate()
            .map_err(|e| HashError::Internal(e.to_string()))?;
        inner.dummy = hash_blocking(&inner, dummy_password.value.expose_secret())?;
        let workers = limits.workers.max(1);
        Ok(Self {
            inner: Arc::new(inner),
            admission: Arc::new(Semaphore::new(workers + limits.queue)),
            capacity: workers + limits.queue,
            workers: Arc::new(Semaphore::new(workers)),
            worker_count: workers,
            telemetry: Arc::new(NoTelemetry),
        })
    }

    /// The same hasher, reporting how long each hash waits for a worker.
    #[must_use]
    pub fn observed_by(mut self, telemetry: Arc<dyn Telemetry>) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// Takes a place in the queue, or fails at once when it is full.
    pub fn admit(&self) -> Result<Admission, HashError> {
        self.admission
            .clone()
            .try_acquire_owned()
            .map(Admission)
            .map_err(|_| HashError::Overloaded)
    }

    /// Sign-ins admitted (hashing or waiting) and the most that may be, for metrics.
    pub fn occupancy(&self) -> (usize, usize) {
        let available = self.admission.available_permits();
        (self.capacity - available, self.capacity)
    }

    /// Admitted sign-ins and hashes still waiting for a worker, for metrics.
    pub fn queued(&self) -> usize {
        let (admitted, _) = self.occupancy();
        let hashing = self.worker_count - self.workers.available_permits();
        admitted.saturating_sub(hashing)
    }

    pub fn pepper_id(&self) -> Option<&str> {
        self.inner.pepper.as_ref().map(|p| p.id.as_str())
    }

    /// Hashes a new password with a fresh 128-bit salt.
    pub async fn hash(&self, password: &SecretString) -> Result<StoredPasswordHash, HashError> {
        let admission = self.admit()?;
        let password = password.expose_secret().to_owned();
        let inner = self.inner.clone();
        let phc = self
            .run(admission, move || hash_blocking(&inner, &password))
            .await??;
        Ok(StoredPasswordHash {
            phc: secret(phc),
            pepper_id: self.pepper_id().map(str::to_owned),
        })
    }

    /// Verifies a password; with no stored hash (unknown user or tenant) it verifies against
    /// the dummy hash so the caller spends the same time, and reports a mismatch.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&StoredPasswordHash>,
    ) -> Result<Verification, HashError> {
        let admission = self.admit()?;
        self.verify_admitted(admission, password, stored).await
    }

    pub async fn verify_admitted(
        &self,
        admission: Admission,
        password: &SecretString,
        stored: Option<&StoredPasswordHash>,
    ) -> Result<Verification, HashError> {
        let password = password.expose_secret().to_owned();
        let inner = self.inner.clone();
        let stored = stored.map(|s| (s.phc.expose_secret().to_owned(), s.pepper_id.clone()));
        self.run(admission, move || {
            let (phc, pepper_id) = match &stored {
                Some((phc, pepper_id)) => (phc.as_str(), pepper_id.as_deref()),
                None => (
                    inner.dummy.as_str(),
                    inner.pepper.as_ref().map(|p| p.id.as_str()),
                ),
            };
            let matched = verify_blocking(&inner, &password, phc, pepper_id)?;
            Ok(match (matched, &stored) {
                (true, Some(_)) => Verification::Match {
                    needs_rehash: needs_rehash(&inner, phc, pepper_id),
                },
                _ => Verification::Mismatch,
            })
        })
        .await?
    }

    async fn run<T: Send + 'static>(
        &self,
        admission: Admission,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let waiting_since = Instant::now();
        let worker = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| HashError::Internal(e.to_string()))?;
        self.telemetry.hashing_waited(waiting_since.elapsed());
        let result = tokio::task::spawn_blocking(move || {
            let outcome = job();
            drop(worker);
            drop(admission);
            outcome
        })
        .await
        .map_err(|e| HashError::Internal(format!("hashing task failed: {e}")))?;
        Ok(result)
    }
}

fn argon2_for<'k>(params: Params, pepper: Option<&'k Pepper>) -> Result<Argon2<'k>, HashError> {
    match pepper {
        Some(p) => Argon2::new_with_secret(
            p.secret.expose_secret().as_bytes(),
            Algorithm::Argon2id,
            Version::V0x13,
            params,
        )
        .map_err(|e| HashError::Internal(e.to_string())),
        None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
    }
}

fn hash_blocking(inner: &Inner, password: &str) -> Result<String, HashError> {
    let argon2 = argon2_for(inner.params.clone(), inner.pepper.as_ref())?;
    argon2
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError::Internal(e.to_string()))
}

/// `Ok(false)` for a wrong password; `Err` only for a hash that cannot be checked at all.
fn verify_blocking(
    inner: &Inner,
    password: &str,
    phc: &str,
    pepper_id: Option<&str>,
) -> Result<bool, HashError> {
    let pepper = match pepper_id {
        None => None,
        Some(id) => Some(
            inner
                .pepper
                .iter()
                .chain(&inner.retired_peppers)
                .find(|p| p.id == id)
                .ok_or_else(|| {
                    HashError::Internal(format!(
                        "a stored hash uses pepper {id:?}, which is not configured \
                         (add it to GATEHOUSE_RETIRED_PEPPERS)"
                    ))
                })?,
        ),
    };
    let stored_hash_error =
        |e: &dyn std::fmt::Display| HashError::Internal(format!("stored hash: {e}"));
    let parsed = PasswordHash::new(phc).map_err(|e| stored_hash_error(&e))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Err(stored_hash_error(&"no salt or no hash"));
    };
    // The stored hash names its own algorithm, version and cost, as the crate's own
    // verification reads them; only the working memory is ours.
    let algorithm =
        Algorithm::try_from(parsed.algorithm.as_str()).map_err(|e| stored_hash_error(&e))?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| stored_hash_error(&e))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| stored_hash_error(&e))?;
    let blocks = params.block_count();
    let argon2 = match pepper {
        Some(p) => Argon2::new_with_secret(
            p.secret.expose_secret().as_bytes(),
            algorithm,
            version,
            params,
        )
        .map_err(|e| HashError::Internal(e.to_string()))?,
        None => Argon2::new(algorithm, version, params),
    };
    let mut computed = vec![0u8; expected.len()];
    let mut memory = inner
        .memory
        .lock()
        .ok()
        .and_then(|mut kept| kept.pop())
        .unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let hashed = argon2.hash_password_into_with_memory(
        password.as_bytes(),
        salt.as_ref(),
        &mut computed,
        &mut memory[..blocks],
    );
    // As the crate does when it frees its own: no password-derived state stays in memory.
    memory.iter_mut().for_each(Zeroize::zeroize);
    if let Ok(mut kept) = inner.memory.lock() {
        kept.push(memory);
    }
    hashed.map_err(|e| stored_hash_error(&e))?;
    Ok(bool::from(computed.ct_eq(expected.as_bytes())))
}

fn needs_rehash(inner: &Inner, phc: &str, pepper_id: Option<&str>) -> bool {
    let current_pepper = inner.pepper.as_ref().map(|p| p.id.as_str());
    if pepper_id != current_pepper {
        return true;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    match Params::try_from(&parsed) {
        Ok(stored) => {
            stored.m_cost() < inner.params.m_cost()
                || stored.t_cost() < inner.params.t_cost()
                || stored.p_cost() != inner.params.p_cost()
                || parsed.algorithm.as_str() != "argon2id"
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tests use cheap parameters; production cost is exercised by the benchmark.
    fn cheap(pepper: Option<Pepper>, limits: HasherLimits) -> PasswordHasher {
        let cost = Argon2Cost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        PasswordHasher::new(cost, pepper, limits).unwrap()
    }

    fn limits() -> HasherLimits {
        HasherLimits {
            workers: 2,
            queue: 4,
        }
    }

    fn pepper(id: &str, value: &str) -> Option<Pepper> {
        Some(Pepper {
            id: id.into(),
            secret: secret(value),
        })
    }

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hasher = cheap(pepper("p1", "pepper-one"), limits());
        let stored = hasher.hash(&secret("Correct-Horse-9")).await.unwrap();
        assert!(stored.phc.expose_secret().starts_with("$argon2id$v=19$"));
        assert_eq!(stored.pepper_id.as_deref(), Some("p1"));
        assert_eq!(
            hasher
                .verify(&secret("Correct-Horse-9"), Some(&stored))
                .await
                .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher
                .verify(&secret("wrong"), Some(&stored))
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn unknown_users_are_a_mismatch_after_real_work() {
        let hasher = cheap(None, limits());
        assert_eq!(
            hasher.verify(&secret("anything"), None).await.unwrap(),
            Verification::Mismatch
        );
    }

    #[tokio::test]
    async fn the_pepper_is_part_of_the_hash() {
        let one = cheap(pepper("p1", "pepper-one"), limits());
        let stored = one.hash(&secret("Correct-Horse-9")).await.unwrap();
        let other_value_same_id = cheap(pepper("p1", "pepper-two"), limits());
        assert_eq!(
            other_value_same_id
                .verify(&secret("Correct-Horse-9"), Some(&stored))
                .await
                .unwrap(),
            Verification::Mismatch
        );
        let unknown_pepper = cheap(pepper("p2", "pepper-two"), limits());
        assert!(
            unknown_pepper
                .verify(&secret("Correct-Horse-9"), Some(&stored))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn weaker_stored_parameters_ask_for_a_rehash() {
        let weak = cheap(None, limits());
        let stored = weak.hash(&secret("Correct-Horse-9")).await.unwrap();
        let stronger = PasswordHasher::new(
            Argon2Cost {
                memory_kib: 128,
                iterations: 2,
                parallelism: 1,
            },
            None,
            limits(),
        )
        .unwrap();
        assert_eq!(
            stronger
                .verify(&secret("Correct-Horse-9"), Some(&stored))
                .await
                .unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = cheap(
            None,
            HasherLimits {
                workers: 1,
                queue: 1,
            },
        );
        let _a = hasher.admit().unwrap();
        let _b = hasher.admit().unwrap();
        assert!(matches!(
            hasher.verify(&secret("x"), None).await,
            Err(HashError::Overloaded)
        ));
    }

    #[test]
    fn floor_is_owasps() {
        assert!(!Argon2Cost::default().is_below_floor());
        assert!(
            Argon2Cost {
                memory_kib: 19_455,
                ..Argon2Cost::default()
            }
            .is_below_floor()
        );
    }

    #[tokio::test]
    async fn retired_peppers_still_verify_and_ask_for_a_rehash() {
        let old = cheap(pepper("p1", "pepper-one"), limits());
        let stored = old.hash(&secret("Correct-Horse-9")).await.unwrap();
        let rotated = PasswordHasher::with_retired_peppers(
            Argon2Cost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            pepper("p2", "pepper-two"),
            pepper("p1", "pepper-one").into_iter().collect(),
            limits(),
        )
        .unwrap();
        assert_eq!(
            rotated
                .verify(&secret("Correct-Horse-9"), Some(&stored))
                .await
                .unwrap(),
            Verification::Match { needs_rehash: true }
        );
        let rehashed = rotated.hash(&secret("Correct-Horse-9")).await.unwrap();
        assert_eq!(rehashed.pepper_id.as_deref(), Some("p2"));
    }

    #[test]
    fn debug_never_shows_the_pepper() {
        let hasher = cheap(pepper("p1", "super-secret-pepper"), limits());
        let shown = format!("{hasher:?}");
        assert!(!shown.contains("super-secret-pepper"), "{shown}");
    }
}
