//! Data-item ("big data") commands, shared by layers, images and containers:
//! `list-*-data`, `get-*-data`, `get-*-data-size`, `get-*-data-digest`,
//! `set-*-data`.

use super::output::path_error;
use super::{CommandResult, Ctx, Failure, ReadError, read_input};
use crate::{DataOwner, Store};
use graphstore_guest::ident::digest;

/// How 1.43's layer store words a failure to read the data it is given.
const LAYER_COPY_ERROR_PREFIX: &str = "copying bigdata for the layer: ";

/// Which kind of record the data items belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Layer data items.
    Layer,
    /// Image data items.
    Image,
    /// Container data items.
    Container,
}

impl Kind {
    /// The ID of the record `reference` names (1.43 resolves before every data call).
    fn resolve(self, store: &mut Store, reference: &str) -> Result<String, crate::Error> {
        Ok(match self {
            Kind::Layer => store.layer(reference)?.id,
            Kind::Image => store.image(reference)?.id,
            Kind::Container => store.container(reference)?.id,
        })
    }

    fn list(self, store: &mut Store, id: &str) -> Result<Vec<String>, crate::Error> {
        match self {
            Kind::Layer => store.list_layer_big_data(id),
            Kind::Image => store.list_image_big_data(id),
            Kind::Container => store.list_container_big_data(id),
        }
    }

    fn owner(self) -> DataOwner {
        match self {
            Kind::Layer => DataOwner::Layer,
            Kind::Image => DataOwner::Image,
            Kind::Container => DataOwner::Container,
        }
    }

    fn set(self, store: &mut Store, id: &str, key: &str, data: &[u8]) -> Result<(), crate::Error> {
        match self {
            Kind::Layer => store.set_layer_big_data(id, key, data),
            // The CLI records sha256 of the bytes even for manifests (1.43's
            // "sometimes wrong digest"), which is what no override gives.
            Kind::Image => store.set_image_big_data(id, key, data, None),
            Kind::Container => store.set_container_big_data(id, key, data),
        }
    }

    fn size(self, store: &mut Store, id: &str, key: &str) -> Result<i64, crate::Error> {
        match self {
            Kind::Image => store.image_big_data_size(id, key),
            _ => store.container_big_data_size(id, key),
        }
    }

    fn digest(self, store: &mut Store, id: &str, key: &str) -> Result<String, crate::Error> {
        match self {
            Kind::Image => store.image_big_data_digest(id, key),
            _ => store.container_big_data_digest(id, key),
        }
    }
}

/// The ID of the record named by the first argument.
fn target(ctx: &mut Ctx<'_>, kind: Kind) -> Result<String, Failure> {
    Ok(kind.resolve(ctx.store, ctx.arg(0))?)
}

/// `list-*-data REF`: one key per line; JSON `null` when there are none.
pub(super) fn list(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = target(ctx, kind)?;
    let keys = kind.list(ctx.store, &id)?;
    ctx.print_list(&keys, true);
    Ok(())
}

/// `get-*-data REF KEY [-f FILE]`: the raw bytes. Like 1.43, the output
/// file is created before the item is read.
pub(super) fn get(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = target(ctx, kind)?;
    let path = ctx.inv.flags.file.as_str();
    let file = if path.is_empty() {
        None
    } else {
        let file = std::fs::File::create(path)
            .map_err(|error| Failure::Message(path_error("open", path, &error)))?;
        Some(file)
    };
    let key = ctx.arg(1);
    // The store streams the item from its file to the output on the host.
    match file {
        Some(file) => {
            ctx.store.write_big_data(kind.owner(), &id, key, file)?;
        }
        None => {
            let out = ctx.stdout_stream();
            ctx.store.write_big_data(kind.owner(), &id, key, out)?;
        }
    }
    Ok(())
}

/// `set-*-data REF KEY [-f FILE]`: stores the file's (or standard input's) bytes.
pub(super) fn set(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = target(ctx, kind)?;
    let key = ctx.arg(1);
    let data = match read_input(ctx.inv.flags.file.as_str()) {
        Ok(data) => data,
        // 1.43 streams layer data into the store, which checks the key
        // first and words read errors as its own.
        Err(ReadError::Read(message)) if kind == Kind::Layer => {
            if key.is_empty() {
                kind.set(ctx.store, &id, key, &[])?;
            }
            return Err(Failure::Message(format!(
                "{LAYER_COPY_ERROR_PREFIX}{message}"
            )));
        }
        Err(error) => return Err(error.into()),
    };
    kind.set(ctx.store, &id, key, &data)?;
    Ok(())
}

/// `get-*-data-size REF KEY`: the item's size.
pub(super) fn size(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = target(ctx, kind)?;
    let key = ctx.arg(1);
    let size = kind.size(ctx.store, &id, key)?;
    ctx.print(format!("{size}\n"));
    Ok(())
}

/// `get-*-data-digest REF KEY`: the item's digest, which must be valid.
pub(super) fn digest(ctx: &mut Ctx<'_>, kind: Kind) -> CommandResult {
    let id = target(ctx, kind)?;
    let key = ctx.arg(1);
    let value = kind.digest(ctx.store, &id, key)?;
    digest::validate(&value).map_err(|error| Failure::Message(error.to_string()))?;
    ctx.print(format!("{value}\n"));
    Ok(())
}
