//! Handing memory the server no longer uses back to the kernel: the code only start-up ran,
//! and heap memory freed after a busy spell.
//!
//! **Start-up code.** Starting the server runs a lot of code that never runs again: argument
//! parsing, configuration checks, the migration runner and its regular expressions, TLS and
//! key loading. The kernel maps an executable's code in 64 KiB blocks around every page it
//! faults in, so after start-up about three quarters of Gatehouse's machine code is resident
//! although little of it runs while the server waits for requests (docs/benchmarks.md, "Idle
//! memory, fourth pass"). Those pages are clean copies of the binary file: telling the kernel
//! we do not need them drops them from the process's resident set, and the code requests do
//! run is faulted back in from the page cache on first use, a minor fault per 64 KiB block,
//! once.
//!
//! **Freed heap.** glibc keeps memory a thread freed in that thread's arena, and an arena
//! only shrinks from its top. After a busy spell (a SQLite connection's page cache and
//! statements, freed when the idle connection and its thread go away; response buffers of
//! a long listing) tens of MiB stay resident although nothing uses them. `malloc_trim`
//! returns every whole free page of every arena. It runs only when the server has been
//! quiet for a moment, a few times after each busy spell, never while requests arrive.
//!
//! This file holds the crate's only `unsafe` code (tests/architecture.rs checks that).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Requests started since the process began; read by [`return_freed_heap_when_quiet`].
static REQUESTS_STARTED: AtomicU64 = AtomicU64::new(0);

/// How often the quiet check runs, and for how many quiet checks after activity it trims.
/// Idle connections close 3 s after their last use on SQLite (docs/operations.md), so
/// trimming at 2, 4, …, 10 s after the last request catches what they free.
const QUIET_CHECK: Duration = Duration::from_secs(2);
const TRIMS_AFTER_ACTIVITY: u32 = 5;

/// Counts a request, so the heap is not trimmed while the server is busy.
pub fn note_request() {
    REQUESTS_STARTED.fetch_add(1, Ordering::Relaxed);
}

/// Runs for the life of the server: after each busy spell, once no request has started for
/// [`QUIET_CHECK`], trims the heap a few times, then sleeps on until requests come again.
pub async fn return_freed_heap_when_quiet() {
    let mut seen = REQUESTS_STARTED.load(Ordering::Relaxed);
    let mut quiet_checks = TRIMS_AFTER_ACTIVITY;
    loop {
        tokio::time::sleep(QUIET_CHECK).await;
        let now = REQUESTS_STARTED.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            quiet_checks = 0;
            continue;
        }
        if quiet_checks < TRIMS_AFTER_ACTIVITY {
            quiet_checks += 1;
            trim_heap();
        }
    }
}

/// Returns the whole free pages of every malloc arena to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(
    unsafe_code,
    reason = "malloc_trim is a C function; see the SAFETY note"
)]
pub fn trim_heap() {
    // SAFETY: malloc_trim takes no pointers and only releases memory the allocator itself
    // holds as free: every live allocation stays where it is, untouched. glibc locks each
    // arena while trimming it, so it is safe while other threads allocate.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators (musl, other systems) give memory back on their own terms.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim_heap() {}

/// The executable's code mappings, from `/proc/self/maps`: `(start, length)` of each
/// private, read-only, executable mapping of the file `/proc/self/exe` names.
fn executable_code_mappings(maps: &str, executable: &Path) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            // address perms offset dev inode path; the path may itself contain spaces.
            let mut fields = line.splitn(6, ' ');
            let range = fields.next()?;
            let perms = fields.next()?;
            let path = fields.nth(3)?.trim_start();
            if perms != "r-xp" || Path::new(path) != executable {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (end > start).then_some((start, end - start))
        })
        .collect()
}

/// Drops the resident pages of the executable's code and returns how many bytes of
/// mappings were advised. Errors (no `/proc`, a kernel that refuses) leave everything as it
/// was: this only ever saves memory, it never changes behaviour.
#[cfg(target_os = "linux")]
#[allow(unsafe_code, reason = "madvise has no safe form; see the SAFETY note")]
pub fn release_executable_code_pages() -> std::io::Result<usize> {
    let executable = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut released = 0;
    for (start, length) in executable_code_mappings(&maps, &executable) {
        // SAFETY: the range is exactly one whole mapping the kernel reported: private,
        // read-only and executable, backed by our own executable file. Nothing writes to
        // such pages, so none holds a private modified copy: MADV_DONTNEED only removes
        // their page-table entries, and the next access maps the same bytes again from the
        // file. No Rust object lives in that memory, so no reference is invalidated.
        unsafe {
            rustix::mm::madvise(
                start as *mut std::ffi::c_void,
                length,
                rustix::mm::Advice::LinuxDontNeed,
            )
        }?;
        released += length;
    }
    Ok(released)
}

/// Elsewhere there is nothing to hand back: start-up pages stay resident.
#[cfg(not(target_os = "linux"))]
pub fn release_executable_code_pages() -> std::io::Result<usize> {
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_code_mappings_are_chosen() {
        let maps = "\
55d0a0000000-55d0a0100000 r--p 00000000 fd:01 42                         /usr/bin/gate house
55d0a0100000-55d0a0a00000 r-xp 00100000 fd:01 42                         /usr/bin/gate house
55d0a0a00000-55d0a0b00000 r--p 00a00000 fd:01 42                         /usr/bin/gate house
55d0a0b00000-55d0a0b10000 rw-p 00b00000 fd:01 42                         /usr/bin/gate house
7f0000000000-7f0000200000 r-xp 00028000 fd:01 7                          /usr/lib/x86_64-linux-gnu/libc.so.6
7f0000300000-7f0000400000 rw-p 00000000 00:00 0 
7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]
";
        let chosen = executable_code_mappings(maps, Path::new("/usr/bin/gate house"));
        assert_eq!(chosen, vec![(0x55d0a0100000, 0x900000)]);
    }

    #[test]
    fn the_running_binary_has_a_code_mapping_and_keeps_running_after_release() {
        let released = release_executable_code_pages().unwrap_or_default();
        if cfg!(target_os = "linux") {
            assert!(released > 0, "found and advised the test binary's code");
        }
        // Code runs on after its pages were dropped: they fault back in from the file.
        let text: String = (0..1000).map(|n| n.to_string()).collect();
        assert!(text.len() > 1000);
    }

    #[test]
    fn trimming_keeps_live_allocations_intact() {
        let kept: Vec<Vec<u8>> = (0..64u8).map(|n| vec![n; 64 * 1024]).collect();
        let freed: Vec<Vec<u8>> = (0..64u8).map(|n| vec![n; 64 * 1024]).collect();
        drop(freed);
        trim_heap();
        for (n, block) in (0..64u8).zip(&kept) {
            assert!(block.iter().all(|&byte| byte == n));
        }
    }
}
