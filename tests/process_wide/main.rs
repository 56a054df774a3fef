//! Tests that measure the whole test process, so nothing else may run in it meanwhile: the
//! engine's memory budget (the process's RSS, `engine_memory`) and its file descriptors
//! (the process's open descriptors, `engine_resources`). In tests/integration, other tests'
//! servers, sockets, threads and buffers would be counted too. Here every test holds
//! `alone()` for its whole run, so even the harness's parallel threads take turns.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod engine_memory;
mod engine_resources;

/// Held by each test of this binary for its whole run: one test at a time, whatever
/// `--test-threads` says. (A failed test poisons the lock; the next one goes on.)
pub fn alone() -> std::sync::MutexGuard<'static, ()> {
    static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ALONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
