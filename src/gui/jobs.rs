//! One-shot jobs as `poll_promise::Promise`s: a file dialog, a folder read, opening the
//! password vault, saving a config file. Each promise lives in a typed field next to the
//! state it belongs to and is polled in `SkiffApp::logic()`; replacing a field's promise
//! drops the older job's result. The engine's long-lived channels stay channels.
//!
//! The value goes into the promise first and `wake` (the window's `request_repaint`) is called
//! after, so the frame that wakes finds it ready. (`Promise::spawn_async` sends only once the
//! future has returned, so a `wake` called inside that future could run a frame too early;
//! and poll-promise's own `spawn_blocking` uses `block_in_place`, which panics on a
//! current-thread runtime.) A job that panics becomes an `Err`, never a panic on the UI
//! thread.

use std::future::Future;
use std::sync::Arc;

use poll_promise::Promise;

/// Wakes the window (`request_repaint`); a no-op in tests that step frames themselves.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Runs `future` on the tokio runtime: its output lands in the promise, then `wake` is called.
/// The future must not panic (a dropped sender makes the promise panic when polled); work
/// that may, such as blocking work, goes through `spawn_blocking`.
pub fn spawn_async<T: Send + 'static>(
    wake: &Wake,
    future: impl Future<Output = T> + Send + 'static,
) -> Promise<T> {
    let (sender, promise) = Promise::new();
    let wake = Arc::clone(wake);
    tokio::spawn(async move {
        sender.send(future.await);
        wake();
    });
    promise
}

/// Runs `job` on tokio's blocking pool (files, the keyring, Argon2): its result lands in the
/// promise, then `wake` is called. `Err` says why the job did not finish (it panicked).
pub fn spawn_blocking<T: Send + 'static>(
    wake: &Wake,
    job: impl FnOnce() -> T + Send + 'static,
) -> Promise<Result<T, String>> {
    spawn_async(wake, async move {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|err| format!("the background job stopped: {err}"))
    })
}

/// The value of `slot`'s promise once it is ready (the slot is then empty); `None` while it
/// is pending or when there is none.
pub fn take_ready<T: Send + 'static>(slot: &mut Option<Promise<T>>) -> Option<T> {
    match slot.take()?.try_take() {
        Ok(value) => Some(value),
        Err(pending) => {
            *slot = Some(pending);
            None
        }
    }
}

/// The values of the promises that are ready, in the order they were started; pending ones
/// stay in `promises`.
pub fn take_all_ready<T: Send + 'static>(promises: &mut Vec<Promise<T>>) -> Vec<T> {
    let mut ready = Vec::new();
    for promise in std::mem::take(promises) {
        match promise.try_take() {
            Ok(value) => ready.push(value),
            Err(pending) => promises.push(pending),
        }
    }
    ready
}

/// The same for promises kept with a key (the request they answer).
pub fn take_all_ready_keyed<K, T: Send + 'static>(
    promises: &mut Vec<(K, Promise<T>)>,
) -> Vec<(K, T)> {
    let mut ready = Vec::new();
    for (key, promise) in std::mem::take(promises) {
        match promise.try_take() {
            Ok(value) => ready.push((key, value)),
            Err(pending) => promises.push((key, pending)),
        }
    }
    ready
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    /// Polls until `slot` is ready (at most 10 s).
    fn wait<T: Send + 'static>(slot: &mut Option<Promise<T>>) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = take_ready(slot) {
                return value;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "never ready");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap()
    }

    #[test]
    fn a_blocking_job_lands_in_its_promise_and_wakes_the_window_after() {
        let rt = runtime();
        let _enter = rt.enter();
        let woken = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&woken);
        let wake: Wake = Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let mut slot = Some(spawn_blocking(&wake, || 6 * 7));
        assert_eq!(wait(&mut slot), Ok(42));
        assert!(slot.is_none(), "a taken promise leaves the slot empty");
        // The wake comes right after the value; give it a moment on the runtime.
        let started = Instant::now();
        while woken.load(Ordering::SeqCst) == 0 {
            assert!(started.elapsed() < Duration::from_secs(10), "never woken");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_panicking_job_is_an_error_not_a_panic_on_the_ui_thread() {
        let rt = runtime();
        let _enter = rt.enter();
        let wake: Wake = Arc::new(|| {});
        let mut slot = Some(spawn_blocking(&wake, || -> u32 { panic!("boom") }));
        let err = wait(&mut slot).unwrap_err();
        assert!(err.contains("background job"), "{err}");
    }

    #[test]
    fn ready_promises_are_taken_in_order_and_pending_ones_stay() {
        let rt = runtime();
        let _enter = rt.enter();
        let (sender, pending) = Promise::new();
        let mut promises = vec![Promise::from_ready(1), pending, Promise::from_ready(3)];
        assert_eq!(take_all_ready(&mut promises), [1, 3]);
        assert_eq!(promises.len(), 1);
        sender.send(2);
        assert_eq!(take_all_ready(&mut promises), [2]);
        assert!(promises.is_empty());
        let mut empty: Option<Promise<u8>> = None;
        assert_eq!(take_ready(&mut empty), None);

        let (sender, pending) = Promise::new();
        let mut keyed = vec![("a", pending), ("b", Promise::from_ready(2))];
        assert_eq!(take_all_ready_keyed(&mut keyed), [("b", 2)]);
        sender.send(1);
        assert_eq!(take_all_ready_keyed(&mut keyed), [("a", 1)]);
    }
}
