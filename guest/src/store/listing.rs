//! Listing in pages: every layer, image or container of a store too large
//! to return in one reply (a million records are tens of megabytes, more
//! than a component call should copy at once).
//!
//! A page holds at most the requested number of items and about
//! [`PAGE_BYTES`]; it carries the listing's *version*. Pages of one
//! version form a consistent listing: a different version means the
//! records changed in between (another writer, or this store), and the
//! caller lists again from the start.

use super::layer_store::LayerView;
use super::{Access, ImageView, Store};
use crate::error::Result;
use crate::records::{Container, Record};
use crate::stores::RecordFile;

/// About how many bytes one page carries at most (at least one item).
pub const PAGE_BYTES: usize = 8 << 20;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items from the requested position on.
    pub items: Vec<T>,
    /// Identifies the records the page was cut from.
    pub version: u64,
    /// How many items the whole listing has.
    pub total: u64,
}

/// Collects `item(index)` from `start` on until `max_count` items or
/// [`PAGE_BYTES`] (each item comes with its size) or the end.
fn cut<T>(
    start: usize,
    max_count: usize,
    mut item: impl FnMut(usize) -> Result<Option<(T, usize)>>,
) -> Result<Vec<T>> {
    let mut items = Vec::new();
    let mut bytes = 0;
    let mut index = start;
    while items.len() < max_count && (items.is_empty() || bytes < PAGE_BYTES) {
        let Some((value, size)) = item(index)? else {
            break;
        };
        items.push(value);
        bytes += size;
        index += 1;
    }
    Ok(items)
}

/// The record at `index` of `stores` taken in order, with its store.
fn nth_record<'a, T: Record>(
    stores: &[&'a RecordFile<T>],
    mut index: usize,
) -> Option<(&'a T, &'a RecordFile<T>)> {
    for store in stores {
        if index < store.len() {
            return Some((store.at(index), *store));
        }
        index -= store.len();
    }
    None
}

impl Store {
    /// A page of [`Store::list_layers`] from position `start`.
    pub fn list_layers_page(&mut self, start: usize, max_count: usize) -> Result<Page<LayerView>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let layers = self.layers()?;
        Ok(Page {
            items: cut(start, max_count, |index| Ok(layers.view_at(index)))?,
            version: layers.version(),
            total: layers.total() as u64,
        })
    }

    /// A page of [`Store::list_images`] from position `start`.
    pub fn list_images_page(&mut self, start: usize, max_count: usize) -> Result<Page<ImageView>> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        let stores: Vec<&RecordFile<_>> = std::iter::once(&self.images)
            .chain(&self.additional_images)
            .collect();
        let items = cut(start, max_count, |index| {
            nth_record(&stores, index)
                .map(|(record, store)| {
                    let view = super::images::view_of(record, store.is_read_only())?;
                    Ok((view, record.reply_size()))
                })
                .transpose()
        })?;
        Ok(Page {
            items,
            version: stores.iter().map(|store| store.generation()).sum(),
            total: stores.iter().map(|store| store.len() as u64).sum(),
        })
    }

    /// A page of [`Store::list_containers`] from position `start`.
    pub fn list_containers_page(
        &mut self,
        start: usize,
        max_count: usize,
    ) -> Result<Page<Container>> {
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        let containers = &self.containers;
        let items = cut(start, max_count, |index| {
            Ok((index < containers.len()).then(|| {
                let record = containers.at(index);
                (record.clone(), record.reply_size())
            }))
        })?;
        Ok(Page {
            items,
            version: containers.generation(),
            total: containers.len() as u64,
        })
    }
}
