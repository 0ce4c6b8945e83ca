//! CPU caps: epoch interruption of a running call.
//!
//! The engine instruments compiled code with epoch checks; one process-wide
//! ticker thread advances the epoch every [`TICK`]. A call with a deadline,
//! or one that may be cancelled, runs with its epoch deadline one tick
//! ahead, so at every tick the store's callback looks at its [`Interrupt`]:
//! past the deadline or cancelled, the call traps with [`Interrupted`];
//! otherwise it continues for another tick. A call with neither runs with a
//! deadline that never comes and never reaches the callback, and the ticker
//! is only started once some call needs it. A store that never had a
//! deadline or a token (the CLI) runs the component compiled without epoch
//! checks at all ([`crate::engine::Runtime::get`]): they cost 5–25 %.

use crate::state::HostState;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};
use wasmtime::{Engine, UpdateDeadline};

/// How often the ticker thread advances the engine's epoch: the resolution
/// of deadlines and cancellation.
pub const TICK: Duration = Duration::from_millis(10);

/// Epoch ticks ahead that stand for "no deadline" (far from overflowing the
/// engine's counter).
const NEVER: u64 = u64::MAX / 2;

/// Why a call was stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterruptReason {
    /// The call ran past its deadline.
    Deadline(Duration),
    /// The caller gave up on the call (an async future dropped, a timeout).
    Cancelled,
}

/// The trap a stopped call raises; [`crate::Error`] turns it into
/// [`crate::ErrorKind::Interrupted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// The call ran past the deadline it was given.
    #[error("call interrupted: it ran past its deadline of {0:?}")]
    Deadline(Duration),
    /// The caller cancelled the call.
    #[error("call interrupted: the caller cancelled it")]
    Cancelled,
}

impl From<InterruptReason> for Interrupted {
    fn from(reason: InterruptReason) -> Self {
        match reason {
            InterruptReason::Deadline(limit) => Interrupted::Deadline(limit),
            InterruptReason::Cancelled => Interrupted::Cancelled,
        }
    }
}

/// A cancellation flag for the calls made while it is installed (see
/// [`crate::Store::with_cancel`]); clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Stops the call running under this token at the next tick, and makes
    /// later calls under it fail at once.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the running call may be stopped for.
#[derive(Debug, Default)]
struct Watch {
    /// The call's deadline and the limit it came from.
    deadline: Option<(Instant, Duration)>,
    /// The caller's cancellation flag.
    cancel: Option<CancelToken>,
}

/// A store's interruption switch, read at every tick by the store's epoch
/// callback while a watched call runs.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    watch: Mutex<Watch>,
}

impl Interrupt {
    /// A switch with nothing to watch.
    pub(crate) fn new() -> Arc<Interrupt> {
        Arc::new(Interrupt::default())
    }

    fn watch(&self) -> std::sync::MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Installs (or removes) the caller's cancellation flag.
    pub(crate) fn set_cancel(&self, cancel: Option<CancelToken>) {
        self.watch().cancel = cancel;
    }

    /// Why the running call must stop now, if it must.
    fn reason(&self, now: Instant) -> Option<InterruptReason> {
        let watch = self.watch();
        if watch.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Some(InterruptReason::Cancelled);
        }
        match watch.deadline {
            Some((at, limit)) if now >= at => Some(InterruptReason::Deadline(limit)),
            _ => None,
        }
    }

    /// Prepares `store` for a call limited to `limit` (if any). Fails at
    /// once when the caller already cancelled.
    pub(crate) fn arm(
        &self,
        store: &mut wasmtime::Store<HostState>,
        limit: Option<Duration>,
    ) -> Result<(), Interrupted> {
        let mut watch = self.watch();
        if watch.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return Err(Interrupted::Cancelled);
        }
        watch.deadline = limit.map(|limit| (Instant::now() + limit, limit));
        if limit.is_some() || watch.cancel.is_some() {
            start_ticker(store.engine());
            store.set_epoch_deadline(1);
        } else {
            store.set_epoch_deadline(NEVER);
        }
        Ok(())
    }

    /// Installs the per-tick check on a new store.
    pub(crate) fn install(self: &Arc<Self>, store: &mut wasmtime::Store<HostState>) {
        let interrupt = Arc::clone(self);
        store.epoch_deadline_callback(move |_| match interrupt.reason(Instant::now()) {
            Some(reason) => Err(wasmtime::Error::new(Interrupted::from(reason))),
            None => Ok(UpdateDeadline::Continue(1)),
        });
        store.set_epoch_deadline(NEVER);
    }
}

static TICKER: Once = Once::new();

/// Starts the process-wide ticker thread (once).
fn start_ticker(engine: &Engine) {
    TICKER.call_once(|| {
        let engine = engine.clone();
        let spawned = std::thread::Builder::new()
            .name("graphstore-epoch".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            });
        // Without the thread deadlines cannot fire; calls still run.
        drop(spawned);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_or_expired_switch_names_its_reason() {
        let interrupt = Interrupt::new();
        let now = Instant::now();
        assert_eq!(interrupt.reason(now), None);
        interrupt.watch().deadline = Some((now, Duration::from_millis(5)));
        assert_eq!(
            interrupt.reason(now),
            Some(InterruptReason::Deadline(Duration::from_millis(5)))
        );
        let token = CancelToken::new();
        interrupt.set_cancel(Some(token.clone()));
        assert_eq!(
            interrupt.reason(now),
            Some(InterruptReason::Deadline(Duration::from_millis(5)))
        );
        token.cancel();
        assert_eq!(interrupt.reason(now), Some(InterruptReason::Cancelled));
        assert_eq!(
            Interrupted::from(InterruptReason::Deadline(Duration::from_millis(5))).to_string(),
            "call interrupted: it ran past its deadline of 5ms"
        );
    }
}
