//! Cancelling one running transfer from outside it.
//!
//! The engine keeps a [`Cancel`] per running item and the transfer's copy loop watches it:
//! a cancel that arrives while data flows is answered by ABOR on the same control
//! connection (which then stays usable), not by dropping the connection. Outside the data
//! phase nothing is owed to the server, so the engine may simply drop the job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// A cancel signal shared by the canceller and the transfer; cheap to clone.
#[derive(Debug, Clone)]
pub struct Cancel {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cancelled: watch::Sender<bool>,
    /// A data command went out: a cancel from now on is the copy loop's to answer (ABOR).
    transferring: AtomicBool,
}

/// Two signals are equal when they are the same signal (an operation carrying one can be
/// compared, as remote operations are).
impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Cancel {}

impl Default for Cancel {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancel {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                cancelled: watch::Sender::new(false),
                transferring: AtomicBool::new(false),
            }),
        }
    }

    /// Asks the transfer to stop. Idempotent.
    pub fn cancel(&self) {
        self.inner.cancelled.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.inner.cancelled.borrow()
    }

    /// Resolves once `cancel` has been called (at once if it already was).
    pub async fn cancelled(&self) {
        let mut rx = self.inner.cancelled.subscribe();
        // Err only if the sender is gone, and `self` holds it.
        rx.wait_for(|&c| c).await.ok();
    }

    /// Marks the start of the data phase (the data command is about to go out).
    pub fn set_transferring(&self) {
        self.inner.transferring.store(true, Ordering::SeqCst);
    }

    pub fn is_transferring(&self) -> bool {
        self.inner.transferring.load(Ordering::SeqCst)
    }

    /// Resolves when the job may be dropped: at once after a cancel outside the data phase,
    /// or `grace` after a cancel inside it (time for ABOR and its replies; a job that takes
    /// longer loses its connection instead).
    pub async fn abandoned(&self, grace: Duration) {
        self.cancelled().await;
        if self.is_transferring() {
            tokio::time::sleep(grace).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_cancel_outside_the_data_phase_abandons_at_once_inside_it_after_the_grace() {
        let idle = Cancel::new();
        assert!(!idle.is_cancelled());
        idle.cancel();
        let start = tokio::time::Instant::now();
        idle.abandoned(Duration::from_secs(5)).await;
        assert_eq!(start.elapsed(), Duration::ZERO);

        let busy = Cancel::new();
        busy.set_transferring();
        let waiter = busy.clone();
        let task = tokio::spawn(async move { waiter.abandoned(Duration::from_secs(5)).await });
        tokio::task::yield_now().await;
        assert!(!task.is_finished(), "nothing cancelled yet");
        busy.cancel();
        task.await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }
}
