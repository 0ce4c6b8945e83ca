//! The tokio API: a [`Store`] driven from async code. Store calls block (file
//! I/O, lock waits), so each runs on tokio's blocking thread pool.
//!
//! Dropping a call's future (a `tokio::time::timeout`, a `select!`, an
//! aborted task) cancels it: the component call running for it stops at
//! the next epoch tick with [`crate::ErrorKind::Interrupted`], and one not
//! started yet does not start, so the store is free for the next call.

use crate::interrupt::CancelToken;
use crate::{Error, Store, StoreOptions};
use std::sync::{Arc, Mutex};

/// An open store usable from async code; clones share the same store.
#[derive(Clone)]
pub struct AsyncStore {
    inner: Arc<Mutex<Store>>,
}

impl AsyncStore {
    /// Opens a store on the blocking pool.
    pub async fn open(options: StoreOptions) -> Result<AsyncStore, Error> {
        let store = tokio::task::spawn_blocking(move || Store::open(options))
            .await
            .map_err(|e| Error::Runtime(format!("opening task failed: {e}")))??;
        Ok(AsyncStore {
            inner: Arc::new(Mutex::new(store)),
        })
    }

    /// Runs `operation` on the store on the blocking pool, e.g.
    /// `store.call(|s| s.images()).await`.
    pub async fn call<T, F>(&self, operation: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, Error> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        let token = CancelToken::new();
        let guard = CancelOnDrop(Some(token.clone()));
        let result = tokio::task::spawn_blocking(move || {
            let mut store = inner
                .lock()
                .map_err(|_| Error::Runtime("a previous call panicked".into()))?;
            store.with_cancel(&token, operation)
        })
        .await
        .map_err(|e| Error::Runtime(format!("store task failed: {e}")))?;
        guard.disarm();
        result
    }
}

/// Cancels its token when the call's future is dropped before completing.
struct CancelOnDrop(Option<CancelToken>);

impl CancelOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.cancel();
        }
    }
}
