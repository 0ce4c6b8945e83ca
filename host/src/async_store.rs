//! The tokio API: a [`Store`] driven from async code. Store calls block (file
//! I/O, lock waits), so each runs on tokio's blocking thread pool.

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
        tokio::task::spawn_blocking(move || {
            let mut store = inner
                .lock()
                .map_err(|_| Error::Runtime("a previous call panicked".into()))?;
            operation(&mut store)
        })
        .await
        .map_err(|e| Error::Runtime(format!("store task failed: {e}")))?
    }
}
