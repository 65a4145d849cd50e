//! Password hashing: Argon2id with an optional pepper (Argon2's secret input), with a dummy
//! verification for users that do not exist so they cost the same as users that do.
//!
//! Every Argon2 computation (sign-in verification, the dummy one, and every password set)
//! runs here, on at most `workers` dedicated threads, each reusing one working-memory buffer.
//! Memory is therefore bounded by `workers` buffers plus a constant, whatever the load: hashing
//! on the blocking pool's changing threads with fresh buffers each time left the allocator
//! holding gigabytes after bursts of password sets. A thread idle for [`IDLE_RELEASE`] frees its
//! buffer and stops, so an idle server holds none.
//!
//! In front of the threads is a bounded queue: `workers + queue` callers may be admitted
//! (computing or waiting for a thread); a caller finding it full waits at most `max_wait` for
//! a place and is then refused with [`HashError::Overloaded`] (Cognito's 429).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::Zeroize;

use crate::domain::error_chain::Context;
use crate::domain::secret::secret;
use crate::domain::telemetry::{NoTelemetry, Telemetry};
use crate::domain::user::StoredPasswordHash;

/// OWASP's and ASVS's floor for Argon2id with two passes.
pub const MIN_MEMORY_KIB: u32 = 19_456;
pub const MIN_ITERATIONS: u32 = 2;

/// How long a hashing thread stays, with its buffer, after its last job. Long enough that a
/// steady trickle of sign-ins reuses warm buffers; short enough that memory goes back to the
/// system within seconds of a burst.
pub const IDLE_RELEASE: Duration = Duration::from_secs(2);

/// The smallest Argon2 buffer reserved, in blocks: just over 32 MiB. glibc serves every
/// allocation of 32 MiB or more (its `DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit, see mallopt(3))
/// with its own mapping, which `free` unmaps. Smaller ones raise its dynamic mmap threshold
/// when freed, after which the next 19 MiB buffers came from thread arenas that glibc never
/// trims: that is where the gigabytes of issue #18 stayed. Only the pages Argon2 writes
/// become resident, so the reservation costs address space, not memory.
const ALWAYS_MAPPED_BLOCKS: usize = (32 << 20) / std::mem::size_of::<Block>() + 1;

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
    /// Hashes computed at once: dedicated threads, each holding `memory_kib` of RAM.
    pub workers: usize,
    /// Callers allowed to wait for a worker; beyond this, callers wait for a place.
    pub queue: usize,
    /// How long a caller may wait for a place in a full queue before it is told to back off.
    pub max_wait: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("the password hashing queue is full")]
    Overloaded,
    #[error("password hashing failed")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl HashError {
    /// A failure of the hashing itself (an error, or a message saying what went wrong).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self::Internal(cause.into())
    }
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
}

#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
    /// Permits for everyone admitted: computing plus waiting for a worker.
    admission: Arc<Semaphore>,
    capacity: usize,
    max_wait: Duration,
    workers: Arc<Semaphore>,
    worker_count: usize,
    threads: Arc<HashingThreads>,
    in_flight: Arc<InFlight>,
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
            .map_err(|e| HashError::internal(format!("invalid Argon2 parameters: {e}")))?;
        let mut inner = Inner {
            params,
            pepper,
            retired_peppers,
            dummy: String::new(),
        };
        let dummy_password =
            crate::crypto::opaque::OpaqueToken::generate().map_err(HashError::internal)?;
        // Once, at start-up, on the caller's thread: its buffer is freed straight after.
        inner.dummy = hash_blocking(
            &inner,
            dummy_password.value.expose_secret(),
            &mut Vec::new(),
        )?;
        let workers = limits.workers.max(1);
        Ok(Self {
            inner: Arc::new(inner),
            admission: Arc::new(Semaphore::new(workers + limits.queue)),
            capacity: workers + limits.queue,
            max_wait: limits.max_wait,
            workers: Arc::new(Semaphore::new(workers)),
            worker_count: workers,
            threads: Arc::new(HashingThreads::new(workers)),
            in_flight: Arc::default(),
            telemetry: Arc::new(NoTelemetry),
        })
    }

    /// The same hasher, reporting how long each hash waits for a worker.
    #[must_use]
    pub fn observed_by(mut self, telemetry: Arc<dyn Telemetry>) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// Takes a place in the queue; when it is full, waits at most `max_wait` for one, then
    /// fails with [`HashError::Overloaded`]. The wait is bounded in time, so a flood costs
    /// each refused caller at most `max_wait` and never grows the queue.
    pub async fn admit(&self) -> Result<Admission, HashError> {
        if let Ok(admission) = self.try_admit() {
            return Ok(admission);
        }
        match tokio::time::timeout(self.max_wait, self.admission.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Admission(permit)),
            Ok(Err(_)) | Err(_) => Err(HashError::Overloaded),
        }
    }

    /// Takes a place in the queue if one is free now, without waiting.
    pub fn try_admit(&self) -> Result<Admission, HashError> {
        self.admission
            .clone()
            .try_acquire_owned()
            .map(Admission)
            .map_err(|_| HashError::Overloaded)
    }

    /// Callers admitted (hashing or waiting) and the most that may be, for metrics.
    pub fn occupancy(&self) -> (usize, usize) {
        let available = self.admission.available_permits();
        (self.capacity - available, self.capacity)
    }

    /// Admitted callers still waiting for a worker, for metrics.
    pub fn queued(&self) -> usize {
        let (admitted, _) = self.occupancy();
        let hashing = self.worker_count - self.workers.available_permits();
        admitted.saturating_sub(hashing)
    }

    /// Argon2 computations running now, and the most ever run at once (never above
    /// `workers`), for metrics and for the tests that hold the bound to account.
    pub fn in_flight(&self) -> (usize, usize) {
        (
            self.in_flight.now.load(Ordering::SeqCst),
            self.in_flight.peak.load(Ordering::SeqCst),
        )
    }

    /// Hashes computed at once, as configured.
    pub fn workers(&self) -> usize {
        self.worker_count
    }

    pub fn pepper_id(&self) -> Option<&str> {
        self.inner.pepper.as_ref().map(|p| p.id.as_str())
    }

    /// Hashes a new password with a fresh 128-bit salt.
    pub async fn hash(&self, password: &SecretString) -> Result<StoredPasswordHash, HashError> {
        let admission = self.admit().await?;
        let password = password.expose_secret().to_owned();
        let inner = self.inner.clone();
        let phc = self
            .run(admission, move |memory| {
                hash_blocking(&inner, &password, memory)
            })
            .await??;
        Ok(StoredPasswordHash {
            phc: secret(phc),
            pepper_id: self.pepper_id().map(str::to_owned),
            // Made beside it by `Services::new_password_credential` (auth/password_credential.rs).
            srp_verifier: None,
        })
    }

    /// Verifies a password; with no stored hash (unknown user or pool) it verifies against
    /// the dummy hash so the caller spends the same time, and reports a mismatch.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&StoredPasswordHash>,
    ) -> Result<Verification, HashError> {
        let admission = self.admit().await?;
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
        self.run(admission, move |memory| {
            let (phc, pepper_id) = match &stored {
                Some((phc, pepper_id)) => (phc.as_str(), pepper_id.as_deref()),
                None => (
                    inner.dummy.as_str(),
                    inner.pepper.as_ref().map(|p| p.id.as_str()),
                ),
            };
            let matched = verify_blocking(&inner, &password, phc, pepper_id, memory)?;
            Ok(match (matched, &stored) {
                (true, Some(_)) => Verification::Match {
                    needs_rehash: needs_rehash(&inner, phc, pepper_id),
                },
                _ => Verification::Mismatch,
            })
        })
        .await?
    }

    /// Runs other password-derived arithmetic (SRP's modular exponentiations, a few
    /// milliseconds each) on a hashing thread under the same admission, so it shares the
    /// bounded queue and back-pressure instead of blocking the async executor.
    pub async fn compute<T: Send + 'static>(
        &self,
        admission: Admission,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        self.run(admission, move |_memory| job()).await
    }

    /// Waits for a worker (the queue bounds how many wait), then computes on a hashing thread.
    /// A caller that gives up meanwhile does not free its worker early: the computation runs
    /// to its end, so the bound holds even against clients that disconnect.
    async fn run<T: Send + 'static>(
        &self,
        admission: Admission,
        job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let waiting_since = Instant::now();
        let worker = self
            .workers
            .clone()
            .acquire_owned()
            .await
            .map_err(HashError::internal)?;
        self.telemetry.hashing_waited(waiting_since.elapsed());
        let (done, outcome) = tokio::sync::oneshot::channel();
        let in_flight = self.in_flight.clone();
        self.threads.submit(Box::new(move |memory| {
            let computing = in_flight.start();
            let result = job(memory);
            // Counted out before the worker is handed on, so the peak never shows a
            // hand-over as one computation too many.
            drop(computing);
            drop(worker);
            drop(admission);
            // The caller may have gone; its result is simply dropped.
            let _ = done.send(result);
        }))?;
        outcome
            .await
            .map_err(|_| HashError::internal("a hashing thread stopped mid-hash"))
    }
}

/// Argon2 computations in progress and the most there have been at once.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    fn start(self: &Arc<Self>) -> Computing {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Computing(self.clone())
    }
}

struct Computing(Arc<InFlight>);

impl Drop for Computing {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// At most `max` threads, started when work arrives and stopped after [`IDLE_RELEASE`]
/// without any. Each keeps one Argon2 buffer for all its jobs. Callers submit only while
/// holding a worker permit, so there are never more jobs than threads to run them.
struct HashingThreads {
    max: usize,
    state: Arc<(Mutex<ThreadsState>, Condvar)>,
}

#[derive(Default)]
struct ThreadsState {
    jobs: VecDeque<Job>,
    /// Threads alive, and of those the ones running a job.
    live: usize,
    busy: usize,
}

impl HashingThreads {
    fn new(max: usize) -> Self {
        Self {
            max,
            state: Arc::default(),
        }
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        let (lock, ready) = &*self.state;
        let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        state.jobs.push_back(job);
        let free_threads = state.live - state.busy;
        if state.jobs.len() <= free_threads || state.live >= self.max {
            ready.notify_one();
            return Ok(());
        }
        state.live += 1;
        let shared = self.state.clone();
        let started = std::thread::Builder::new()
            .name("gatehouse-argon2".into())
            .spawn(move || hashing_thread(&shared));
        if let Err(error) = started {
            state.live -= 1;
            if state.live == 0 {
                // Nobody would ever run it: refuse rather than hang the caller.
                state.jobs.pop_back();
            }
            return Err(HashError::internal(Context::new(
                "could not start a hashing thread",
                error,
            )));
        }
        Ok(())
    }
}

fn hashing_thread(shared: &(Mutex<ThreadsState>, Condvar)) {
    let (lock, ready) = shared;
    let mut memory: Vec<Block> = Vec::new();
    let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if let Some(job) = state.jobs.pop_front() {
            state.busy += 1;
            drop(state);
            // A job that panics loses its result (its caller sees an error), not the thread.
            let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory)));
            state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            state.busy -= 1;
            continue;
        }
        let (woken, wait) = ready
            .wait_timeout(state, IDLE_RELEASE)
            .unwrap_or_else(PoisonError::into_inner);
        state = woken;
        if wait.timed_out() && state.jobs.is_empty() {
            state.live -= 1;
            break;
        }
    }
    drop(state);
    // Zeroized after every job already; now handed back to the allocator.
    drop(memory);
}

/// Runs Argon2 in `memory` (grown to the cost's size when smaller), then wipes it, as the
/// crate does with the memory it allocates itself: no password-derived state stays behind.
fn argon2_in(
    argon2: &Argon2<'_>,
    blocks: usize,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> argon2::Result<()> {
    if memory.len() < blocks {
        if memory.capacity() < blocks {
            // Address space only: the pages become resident as `resize` writes them.
            *memory = Vec::with_capacity(blocks.max(ALWAYS_MAPPED_BLOCKS));
        }
        memory.resize(blocks, Block::default());
    }
    let hashed = argon2.hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out,
        &mut memory[..blocks],
    );
    memory[..blocks].iter_mut().for_each(Zeroize::zeroize);
    hashed
}

fn argon2_for<'k>(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    pepper: Option<&'k Pepper>,
) -> Result<Argon2<'k>, HashError> {
    match pepper {
        Some(p) => Argon2::new_with_secret(
            p.secret.expose_secret().as_bytes(),
            algorithm,
            version,
            params,
        )
        .map_err(|e| HashError::internal(e.to_string())),
        None => Ok(Argon2::new(algorithm, version, params)),
    }
}

/// A new PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) at the configured cost, the
/// same string the crate's own `hash_password` makes, computed in the kept `memory`.
fn hash_blocking(
    inner: &Inner,
    password: &str,
    memory: &mut Vec<Block>,
) -> Result<String, HashError> {
    let failed = |e: &dyn std::fmt::Display| HashError::internal(e.to_string());
    let salt = Salt::generate();
    hash_with_salt(inner, password, &salt, memory).map_err(|e| failed(&e))
}

fn hash_with_salt(
    inner: &Inner,
    password: &str,
    salt: &Salt,
    memory: &mut Vec<Block>,
) -> Result<String, Box<dyn std::error::Error>> {
    let params = inner.params.clone();
    let algorithm = Algorithm::Argon2id;
    let version = Version::V0x13;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let blocks = params.block_count();
    let argon2 = argon2_for(algorithm, version, params.clone(), inner.pepper.as_ref())?;
    argon2_in(&argon2, blocks, password, salt.as_ref(), &mut out, memory)?;
    let phc = PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: ParamsString::try_from(&params)?,
        salt: Some(*salt),
        hash: Some(Output::new(&out)?),
    };
    Ok(phc.to_string())
}

/// `Ok(false)` for a wrong password; `Err` only for a hash that cannot be checked at all.
fn verify_blocking(
    inner: &Inner,
    password: &str,
    phc: &str,
    pepper_id: Option<&str>,
    memory: &mut Vec<Block>,
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
                    HashError::internal(format!(
                        "a stored hash uses pepper {id:?}, which is not configured \
                         (add it to GATEHOUSE_RETIRED_PEPPERS)"
                    ))
                })?,
        ),
    };
    let stored_hash_error =
        |e: &dyn std::fmt::Display| HashError::internal(format!("stored hash: {e}"));
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
    let argon2 = argon2_for(algorithm, version, params, pepper)?;
    let mut computed = vec![0u8; expected.len()];
    argon2_in(
        &argon2,
        blocks,
        password,
        salt.as_ref(),
        &mut computed,
        memory,
    )
    .map_err(|e| stored_hash_error(&e))?;
    if memory.len() > inner.params.block_count() {
        // A hash stored at a higher cost than today's: do not keep its larger buffer.
        *memory = Vec::new();
    }
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
            max_wait: Duration::ZERO,
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
    async fn a_full_queue_refuses_once_the_wait_is_over() {
        let hasher = cheap(
            None,
            HasherLimits {
                workers: 1,
                queue: 1,
                max_wait: Duration::from_millis(50),
            },
        );
        let _a = hasher.try_admit().unwrap();
        let _b = hasher.try_admit().unwrap();
        let asked = Instant::now();
        assert!(matches!(
            hasher.verify(&secret("x"), None).await,
            Err(HashError::Overloaded)
        ));
        assert!(asked.elapsed() >= Duration::from_millis(50));
    }

    #[tokio::test]
    async fn a_place_freed_during_the_wait_is_taken() {
        let hasher = cheap(
            None,
            HasherLimits {
                workers: 1,
                queue: 0,
                max_wait: Duration::from_secs(30),
            },
        );
        let held = hasher.try_admit().unwrap();
        let waiting = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.verify(&secret("x"), None).await }
        });
        tokio::task::yield_now().await;
        drop(held);
        assert_eq!(waiting.await.unwrap().unwrap(), Verification::Mismatch);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_hashes_never_exceed_the_workers() {
        let hasher = cheap(
            None,
            HasherLimits {
                workers: 3,
                queue: 200,
                max_wait: Duration::ZERO,
            },
        );
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let hasher = hasher.clone();
                tokio::spawn(async move { hasher.hash(&secret("Correct-Horse-9")).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let (now, peak) = hasher.in_flight();
        assert_eq!(now, 0);
        assert!((1..=3).contains(&peak), "peak {peak}");
    }

    #[test]
    fn new_hashes_are_the_crates_own_phc_strings() {
        use argon2::PasswordHasher as _;
        let hasher = cheap(pepper("p1", "pepper-one"), limits());
        let salt = Salt::generate();
        let ours =
            hash_with_salt(&hasher.inner, "Correct-Horse-9", &salt, &mut Vec::new()).unwrap();
        let crates = argon2_for(
            Algorithm::Argon2id,
            Version::V0x13,
            hasher.inner.params.clone(),
            hasher.inner.pepper.as_ref(),
        )
        .unwrap()
        .hash_password_with_salt(b"Correct-Horse-9", salt.as_ref())
        .unwrap()
        .to_string();
        assert_eq!(ours, crates);
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
