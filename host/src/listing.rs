//! Whole listings (every layer, image or container) read a page at a time
//! from the component, so that no reply is larger than about 8 MiB however
//! many records a store has; the pages are checked to belong to one
//! version of the records.

use crate::error::{Error, ErrorKind};
use crate::{Container, Image, Layer, Store};

/// Items asked for per call (the component also cuts pages by size).
const PAGE_ITEMS: u32 = 4096;
/// Times a listing starts over because the records changed between its
/// pages, before it gives up.
const ATTEMPTS: usize = 16;

/// One page as the listing loop sees it: items, version, total.
type Page<T> = (Vec<T>, u64, u64);

impl Store {
    /// All layers (primary store first).
    pub fn layers(&mut self) -> Result<Vec<Layer>, Error> {
        self.whole_listing("layers", |store, start| {
            let page = store.layers_page(start, PAGE_ITEMS)?;
            Ok((page.items, page.version, page.total))
        })
    }

    /// All images (primary store first).
    pub fn images(&mut self) -> Result<Vec<Image>, Error> {
        self.whole_listing("images", |store, start| {
            let page = store.images_page(start, PAGE_ITEMS)?;
            Ok((page.items, page.version, page.total))
        })
    }

    /// All containers.
    pub fn containers(&mut self) -> Result<Vec<Container>, Error> {
        self.whole_listing("containers", |store, start| {
            let page = store.containers_page(start, PAGE_ITEMS)?;
            Ok((page.items, page.version, page.total))
        })
    }

    /// Reads pages from 0 until `total` items, starting over when a page
    /// comes from another version of the records.
    fn whole_listing<T>(
        &mut self,
        what: &str,
        mut page: impl FnMut(&mut Store, u64) -> Result<Page<T>, Error>,
    ) -> Result<Vec<T>, Error> {
        'attempt: for _ in 0..ATTEMPTS {
            let (mut items, version, total) = page(self, 0)?;
            while (items.len() as u64) < total {
                let (more, more_version, more_total) = page(self, items.len() as u64)?;
                if more_version != version || more_total != total || more.is_empty() {
                    continue 'attempt;
                }
                items.extend(more);
            }
            return Ok(items);
        }
        Err(Error::store(
            ErrorKind::Io,
            format!("the {what} kept changing while being listed ({ATTEMPTS} attempts)"),
        ))
    }
}
