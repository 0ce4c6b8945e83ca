//! The blocking Rust API: one sandboxed component instance per open store.

use crate::DiffOptions;
use crate::bindings::exports::graphstore::store::types as wit;
use crate::error::{Error, ErrorKind};
use crate::fds;
use crate::interrupt::{CancelToken, Interrupt};
use crate::options::StoreOptions;
use crate::sandbox::Sandbox;
use crate::streams::{ReaderStream, WriterStream};
use crate::{CheckOptions, CheckReport, RepairOptions};
use crate::{
    Container, ContainerOptions, ContainerPage, DataOwner, DedupHash, DeletedImage, Image,
    ImageOptions, ImagePage, Layer, LayerOptions, LayerPage, NewImage,
};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

/// An open store. Each `Store` is its own sandbox: a component instance
/// that sees only this store's graph root, run root and additional image
/// stores.
///
/// A call that traps (a deadline or cancellation, the memory cap, a guest
/// panic) returns a typed error and drops the instance, its descriptors and
/// its locks; the next call starts a fresh instance on the same roots
/// (about half a millisecond). [`Store::suspend`] drops the instance on
/// purpose, so that an idle store holds no descriptor.
pub struct Store {
    /// The live instance, if any.
    sandbox: Option<Sandbox>,
    options: StoreOptions,
    interrupt: Arc<Interrupt>,
    /// Whether calls can be stopped: set by a deadline or a cancellation
    /// token, it makes the next instance run the component compiled with
    /// epoch checks (see [`crate::engine::Runtime::get`]).
    interruptible: bool,
}

/// What one component call returns: a trap, or the store's answer.
type Outcome<T> = wasmtime::Result<Result<T, wit::Error>>;

impl Store {
    /// Opens the store described by `options`, creating its roots if needed.
    pub fn open(options: StoreOptions) -> Result<Store, Error> {
        let interrupt = Interrupt::new();
        let interruptible = options.limits.call_timeout.is_some();
        let sandbox = Sandbox::open(&options, interruptible.then_some(&interrupt))?;
        Ok(Store {
            sandbox: Some(sandbox),
            options,
            interrupt,
            interruptible,
        })
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    /// Changes the per-call deadline ([`crate::Limits::call_timeout`]) for
    /// later calls.
    pub fn set_call_timeout(&mut self, timeout: Option<Duration>) {
        self.options.limits.call_timeout = timeout;
        if timeout.is_some() {
            self.make_interruptible();
        }
    }

    /// From the next call on, runs the component compiled with epoch
    /// checks (the current instance, compiled without, is dropped).
    fn make_interruptible(&mut self) {
        if !self.interruptible {
            self.interruptible = true;
            self.suspend();
        }
    }

    /// Whether a component instance is live (it is after a successful call,
    /// not after a trap or [`Store::suspend`]).
    pub fn is_live(&self) -> bool {
        self.sandbox.is_some()
    }

    /// Drops the component instance with every descriptor and lock it
    /// holds; the next call starts a new one transparently.
    pub fn suspend(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.abandon();
        }
    }

    /// Runs `operation` with `token` installed: cancelling the token stops
    /// the component call running at that moment (within one epoch tick,
    /// [`crate::interrupt::TICK`]) with [`ErrorKind::Interrupted`], and
    /// makes later calls under it fail at once.
    pub fn with_cancel<R>(
        &mut self,
        token: &CancelToken,
        operation: impl FnOnce(&mut Store) -> R,
    ) -> R {
        self.make_interruptible();
        self.interrupt.set_cancel(Some(token.clone()));
        let result = operation(self);
        self.interrupt.set_cancel(None);
        result
    }

    /// The live instance, started again if a trap or [`Store::suspend`]
    /// dropped the last one.
    fn sandbox(&mut self) -> Result<&mut Sandbox, Error> {
        if self.sandbox.is_none() {
            let interrupt = self.interruptible.then_some(&self.interrupt);
            self.sandbox = Some(Sandbox::open(&self.options, interrupt)?);
        }
        Ok(self.sandbox.as_mut().expect("just opened"))
    }

    /// Fails with [`ErrorKind::InsufficientMemory`] when an argument of
    /// `bytes` bytes cannot even be copied into the sandbox's memory.
    fn fits(&self, what: &str, bytes: usize) -> Result<(), Error> {
        let cap = self.options.limits.memory_bytes;
        if bytes >= cap {
            return Err(Error::store(
                ErrorKind::InsufficientMemory,
                format!(
                    "{what} of {bytes} bytes does not fit the store's memory cap of {cap} bytes"
                ),
            ));
        }
        Ok(())
    }

    /// Runs one component call on the live instance under the store's
    /// deadline and the installed cancellation token. A trap drops the
    /// instance (locks first) and becomes a typed error.
    fn run<T>(&mut self, call: impl FnOnce(&mut Sandbox) -> Outcome<T>) -> Result<T, Error> {
        let limit = self.options.limits.call_timeout;
        let memory_cap = self.options.limits.memory_bytes;
        let interrupt = self.interruptible.then(|| Arc::clone(&self.interrupt));
        let sandbox = self.sandbox()?;
        if let Some(interrupt) = interrupt {
            interrupt.arm(&mut sandbox.wasm, limit)?;
        }
        match call(sandbox) {
            Ok(result) => {
                let timed_out = sandbox.wasm.data_mut().take_lock_timed_out();
                result.map_err(|e| match Error::from(e) {
                    Error::Store { message, .. } if timed_out => {
                        Error::store(ErrorKind::LockTimeout, message)
                    }
                    other => fds::classify(other),
                })
            }
            Err(trap) => {
                let refused = sandbox.wasm.data_mut().limits().take_refused();
                if let Some(sandbox) = self.sandbox.take() {
                    sandbox.abandon();
                }
                Err(Error::from_trap(trap, refused, memory_cap))
            }
        }
    }

    /// What opening the store cleaned up after a crash, one line each.
    pub fn recovery_report(&mut self) -> Result<Vec<String>, Error> {
        self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_recovery_report(&mut sb.wasm, sb.handle)
                .map(Ok)
        })
    }

    /// Reports what is damaged in the store (newer containers/storage's
    /// `Store.Check`); changes nothing.
    pub fn check(&mut self, options: &CheckOptions) -> Result<CheckReport, Error> {
        self.run(|sb| {
            sb.instance.graphstore_store_store_api().store().call_check(
                &mut sb.wasm,
                sb.handle,
                *options,
            )
        })
    }

    /// Removes what `report` found damaged in the primary store, and what
    /// depends on it (`Store.Repair`): containers only with
    /// `remove_containers`, then images with the layers only they used,
    /// then layers (children first) and trees no record names. Returns the
    /// removals that failed, each as a typed error.
    pub fn repair(
        &mut self,
        report: &CheckReport,
        options: &RepairOptions,
    ) -> Result<Vec<Error>, Error> {
        self.fits("report", report_size(report))?;
        let failures = self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_repair(&mut sb.wasm, sb.handle, report, *options)
        })?;
        Ok(failures.into_iter().map(Error::from).collect())
    }

    /// Version pairs (empty, as in containers/storage 1.43).
    pub fn version(&mut self) -> Result<Vec<(String, String)>, Error> {
        self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_version(&mut sb.wasm, sb.handle)
                .map(Ok)
        })
    }
}

/// Generates one forwarding method per store-api function: same name, the
/// same arguments, typed errors.
/// An entry ending in `fits data` first checks that argument `data` fits
/// the sandbox's memory cap (a typed error instead of a trap).
macro_rules! forward {
    ($( $(#[$doc:meta])* fn $name:ident => $call:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty $(, fits $big:ident)?; )*) => {
        impl Store {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, $($arg: $ty),*) -> Result<$ret, Error> {
                    $(self.fits(stringify!($big), $big.len())?;)?
                    self.run(|sb| sb.instance.graphstore_store_store_api().store().$call(&mut sb.wasm, sb.handle, $($arg),*))
                }
            )*
        }
    };
}

forward! {
    /// Status pairs, e.g. ("Root", path), ("Driver Name", "vfs").
    fn status => call_status() -> Vec<(String, String)>;
    /// Creates an empty layer, or a copy of `parent`'s tree.
    fn create_layer => call_create_layer(id: Option<&str>, parent: Option<&str>, names: &[String], options: &LayerOptions) -> Layer;
    /// Creates an image whose top layer is `layer`.
    fn create_image => call_create_image(id: Option<&str>, names: &[String], layer: Option<&str>, metadata: &str, options: &ImageOptions) -> Image;
    /// Creates every image of `images` under one lock and one save of the
    /// image records: all of them, or on the first refusal none.
    fn create_images => call_create_images(images: &[NewImage]) -> Vec<Image>;
    /// Creates a container from `image` with a new read-write layer.
    fn create_container => call_create_container(id: Option<&str>, names: &[String], image: Option<&str>, layer: Option<&str>, metadata: &str, options: &ContainerOptions) -> Container;
    /// A layer by ID, name or unique ID prefix.
    fn layer => call_layer(reference: &str) -> Layer;
    /// An image by ID, name or unique ID prefix.
    fn image => call_image(reference: &str) -> Image;
    /// A container by ID, name, layer ID or unique ID prefix.
    fn container => call_container(reference: &str) -> Container;
    /// Up to `max_count` layers from position `start` of the listing (and
    /// about 8 MiB); pages of one version form a consistent listing.
    fn layers_page => call_layers_page(start: u64, max_count: u32) -> LayerPage;
    /// Up to `max_count` images from position `start` (see `layers_page`).
    fn images_page => call_images_page(start: u64, max_count: u32) -> ImagePage;
    /// Up to `max_count` containers from position `start` (see `layers_page`).
    fn containers_page => call_containers_page(start: u64, max_count: u32) -> ContainerPage;
    /// Whether a layer, image or container answers to `reference`.
    fn exists => call_exists(reference: &str) -> bool;
    /// Whether a layer answers to `reference`.
    fn layer_exists => call_layer_exists(reference: &str) -> bool;
    /// Whether an image answers to `reference`.
    fn image_exists => call_image_exists(reference: &str) -> bool;
    /// Whether a container answers to `reference`.
    fn container_exists => call_container_exists(reference: &str) -> bool;
    /// The ID of whatever answers to `name` (layers, then images, then containers).
    fn lookup => call_lookup(name: &str) -> String;
    /// Images answering to `digest`.
    fn images_by_digest => call_images_by_digest(digest: &str) -> Vec<Image>;
    /// Images whose top (or mapped) layer is `layer`.
    fn images_by_top_layer => call_images_by_top_layer(layer: &str) -> Vec<Image>;
    /// The container whose layer is `layer`.
    fn container_by_layer => call_container_by_layer(layer: &str) -> Container;
    /// Layers whose compressed diff digest is `digest`.
    fn layers_by_compressed_digest => call_layers_by_compressed_digest(digest: &str) -> Vec<Layer>;
    /// Layers whose uncompressed diff digest is `digest`.
    fn layers_by_uncompressed_digest => call_layers_by_uncompressed_digest(digest: &str) -> Vec<Layer>;
    /// A layer's diff size (-1 when unknown).
    fn layer_size => call_layer_size(reference: &str) -> i64;
    /// An image's size.
    fn image_size => call_image_size(reference: &str) -> i64;
    /// A container's size.
    fn container_size => call_container_size(reference: &str) -> i64;
    /// Names of a layer, image or container.
    fn names => call_names(reference: &str) -> Vec<String>;
    /// Replaces the names (taking them from other items of the same kind).
    fn set_names => call_set_names(reference: &str, names: &[String]) -> ();
    /// Adds names (new ones first).
    fn add_names => call_add_names(reference: &str, names: &[String]) -> ();
    /// Removes names.
    fn remove_names => call_remove_names(reference: &str, names: &[String]) -> ();
    /// Metadata of a layer, image or container.
    fn metadata => call_metadata(reference: &str) -> String;
    /// Replaces the metadata of a layer, image or container.
    fn set_metadata => call_set_metadata(reference: &str, metadata: &str) -> (), fits metadata;
    /// Sets a flag (value as JSON text).
    fn set_flag => call_set_flag(reference: &str, key: &str, value: &str) -> ();
    /// Removes a flag.
    fn clear_flag => call_clear_flag(reference: &str, key: &str) -> ();
    /// Names of an image's data items.
    fn list_image_big_data => call_list_image_big_data(image: &str) -> Vec<String>;
    /// An image data item.
    fn image_big_data => call_image_big_data(image: &str, key: &str) -> Vec<u8>;
    /// Size of an image data item.
    fn image_big_data_size => call_image_big_data_size(image: &str, key: &str) -> i64;
    /// Digest of an image data item.
    fn image_big_data_digest => call_image_big_data_digest(image: &str, key: &str) -> String;
    /// Stores an image data item.
    fn set_image_big_data => call_set_image_big_data(image: &str, key: &str, data: &[u8], manifest_digest: Option<&str>) -> (), fits data;
    /// Names of a layer's data items.
    fn list_layer_big_data => call_list_layer_big_data(layer: &str) -> Vec<String>;
    /// A layer data item.
    fn layer_big_data => call_layer_big_data(layer: &str, key: &str) -> Vec<u8>;
    /// Stores a layer data item.
    fn set_layer_big_data => call_set_layer_big_data(layer: &str, key: &str, data: &[u8]) -> (), fits data;
    /// Names of a container's data items.
    fn list_container_big_data => call_list_container_big_data(container: &str) -> Vec<String>;
    /// A container data item.
    fn container_big_data => call_container_big_data(container: &str, key: &str) -> Vec<u8>;
    /// Size of a container data item.
    fn container_big_data_size => call_container_big_data_size(container: &str, key: &str) -> i64;
    /// Digest of a container data item.
    fn container_big_data_digest => call_container_big_data_digest(container: &str, key: &str) -> String;
    /// Stores a container data item.
    fn set_container_big_data => call_set_container_big_data(container: &str, key: &str, data: &[u8]) -> (), fits data;
    /// Host path of a container's data directory.
    fn container_directory => call_container_directory(container: &str) -> String;
    /// Host path of a container's runtime directory.
    fn container_run_directory => call_container_run_directory(container: &str) -> String;
    /// Removes what no record owns, then unmounts every layer (`gc`);
    /// returns the paths removed.
    fn garbage_collect => call_garbage_collect() -> Vec<String>;
    /// Host path of an image's data directory (created if needed).
    fn image_directory => call_image_directory(image: &str) -> String;
    /// Host path of an image's runtime directory (created if needed).
    fn image_run_directory => call_image_run_directory(image: &str) -> String;
    /// Writes a file in a container's data directory.
    fn set_container_directory_file => call_set_container_directory_file(container: &str, file: &str, data: &[u8]) -> (), fits data;
    /// Reads a file from a container's data directory.
    fn from_container_directory => call_from_container_directory(container: &str, file: &str) -> Vec<u8>;
    /// Writes a file in a container's runtime directory.
    fn set_container_run_directory_file => call_set_container_run_directory_file(container: &str, file: &str, data: &[u8]) -> (), fits data;
    /// Reads a file from a container's runtime directory.
    fn from_container_run_directory => call_from_container_run_directory(container: &str, file: &str) -> Vec<u8>;
    /// Mounts a layer or container; returns the host path.
    fn mount => call_mount(reference: &str, mount_label: &str) -> String;
    /// Drops a mount reference; true when no longer mounted.
    fn unmount => call_unmount(reference: &str, force: bool) -> bool;
    /// How many times a layer is mounted.
    fn mounted => call_mounted(reference: &str) -> i32;
    /// Deletes a container, image or layer with no safety checks.
    fn delete => call_delete(reference: &str) -> ();
    /// Deletes a layer nothing depends on.
    fn delete_layer => call_delete_layer(reference: &str) -> ();
    /// Deletes an image and the layers only it used (dry run unless `commit`).
    fn delete_image => call_delete_image(reference: &str, commit: bool) -> DeletedImage;
    /// Deletes a container, its layer and directories.
    fn delete_container => call_delete_container(reference: &str) -> ();
    /// Deletes everything.
    fn wipe => call_wipe() -> ();
    /// Checks nothing is mounted (unmounting with `force`).
    fn shutdown => call_shutdown(force: bool) -> Vec<String>;
    /// The changes of `to` against `from` (default: its parent), sorted by path.
    fn changes => call_changes(from: Option<&str>, to: &str) -> Vec<crate::Change>;
    /// The size of the changes of `to` against `from`.
    fn diff_size => call_diff_size(from: Option<&str>, to: &str) -> i64;
    /// Host UIDs and GIDs above a mounted layer that its ID maps cannot express.
    fn layer_parent_owners => call_layer_parent_owners(layer: &str) -> (Vec<u32>, Vec<u32>);
    /// `layer_parent_owners` of a container's layer.
    fn container_parent_owners => call_container_parent_owners(container: &str) -> (Vec<u32>, Vec<u32>);
    /// Removes a blob and its metadata.
    fn delete_blob => call_delete_blob(digest: &str) -> ();
    /// Digests of all stored blobs.
    fn blobs => call_blobs() -> Vec<String>;
    /// Sets a blob metadata item (the blob must exist).
    fn set_blob_metadata => call_set_blob_metadata(digest: &str, key: &str, value: &[u8]) -> (), fits value;
    /// A blob metadata item.
    fn blob_metadata => call_blob_metadata(digest: &str, key: &str) -> Vec<u8>;
    /// Removes a blob metadata item.
    fn delete_blob_metadata => call_delete_blob_metadata(digest: &str, key: &str) -> ();
    /// Session `session` holds `layers` until it releases them.
    fn retain_layers => call_retain_layers(session: &str, layers: &[String]) -> ();
    /// Session `session` releases `layers`.
    fn release_layers => call_release_layers(session: &str, layers: &[String]) -> ();
    /// Every session with the layers it holds.
    fn leases => call_leases() -> Vec<(String, Vec<String>)>;
    /// Layers that are no layer's parent.
    fn heads => call_heads() -> Vec<String>;
    /// Layers whose parent is `layer`.
    fn children => call_children(layer: &str) -> Vec<String>;
    /// Copies `source_path` of layer (or container) `source` to
    /// `target_path` of `target`, as 1.43's `copy`; `chown` sets the
    /// copies' owner (container IDs of the target).
    fn copy => call_copy(source: &str, source_path: &str, target: &str, target_path: &str, chown: Option<(u32, u32)>) -> ();
    /// Creates a layer tree in the driver only, without a layer record
    /// (`create-storage-layer`); returns its ID.
    fn create_storage_layer => call_create_storage_layer(id: Option<&str>, parent: Option<&str>, options: &LayerOptions) -> String;
    /// The driver's layer trees in the graph root, sorted (`storage-layers`).
    fn storage_layers => call_storage_layers() -> Vec<String>;
    /// Shares the extents of identical files among the layers of every
    /// image (`dedup`); returns the bytes shared, 0 where the file system
    /// cannot share extents.
    fn dedup => call_dedup(method: DedupHash) -> u64;
}

/// Calls that stream layer diffs between the embedder and the component.
impl Store {
    /// Hands `reader` to the live instance as an input stream.
    fn push_input(
        &mut self,
        reader: impl Read + Send + 'static,
    ) -> Result<Resource<DynInputStream>, Error> {
        let stream: DynInputStream = Box::new(ReaderStream::new(reader));
        self.sandbox()?
            .wasm
            .data_mut()
            .table()
            .push(stream)
            .map_err(|e| Error::Runtime(e.to_string()))
    }

    /// Creates a layer (a child of `parent`, if any) and applies the tar diff
    /// read from `diff` (compressed or not).
    pub fn put_layer(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        names: &[String],
        options: &LayerOptions,
        diff: impl Read + Send + 'static,
    ) -> Result<Layer, Error> {
        let stream = self.push_input(diff)?;
        self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_put_layer(&mut sb.wasm, sb.handle, id, parent, names, options, stream)
        })
    }

    /// Applies the tar diff read from `diff` to layer `to`; returns the
    /// uncompressed size.
    pub fn apply_diff(&mut self, to: &str, diff: impl Read + Send + 'static) -> Result<i64, Error> {
        let stream = self.push_input(diff)?;
        self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_apply_diff(&mut sb.wasm, sb.handle, to, stream)
        })
    }

    /// Stores the content read from `data` as a blob; returns its digest.
    pub fn put_blob(&mut self, data: impl Read + Send + 'static) -> Result<String, Error> {
        let stream = self.push_input(data)?;
        self.run(|sb| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_put_blob(&mut sb.wasm, sb.handle, stream)
        })
    }

    /// Writes blob `digest` to `out`, verifying it; returns its size. On
    /// `ErrorKind::BlobCorrupt` the bytes already written must be discarded.
    pub fn get_blob(
        &mut self,
        digest: &str,
        out: impl Write + Send + 'static,
    ) -> Result<u64, Error> {
        self.with_output(out, |sb, stream| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_get_blob(&mut sb.wasm, sb.handle, digest, stream)
        })
    }

    /// Writes data item `key` of layer, image or container `reference` to
    /// `out` without copying it through the component; returns its length.
    pub fn write_big_data(
        &mut self,
        owner: DataOwner,
        reference: &str,
        key: &str,
        out: impl Write + Send + 'static,
    ) -> Result<u64, Error> {
        self.with_output(out, |sb, stream| {
            sb.instance
                .graphstore_store_store_api()
                .store()
                .call_write_big_data(&mut sb.wasm, sb.handle, owner, reference, key, stream)
        })
    }

    /// Runs a call that takes a borrowed output stream writing to `out`.
    fn with_output<T>(
        &mut self,
        out: impl Write + Send + 'static,
        call: impl FnOnce(&mut Sandbox, Resource<DynOutputStream>) -> Outcome<T>,
    ) -> Result<T, Error> {
        let stream: DynOutputStream = Box::new(WriterStream::new(out));
        let stream = self
            .sandbox()?
            .wasm
            .data_mut()
            .table()
            .push(stream)
            .map_err(|e| Error::Runtime(e.to_string()))?;
        let borrowed = Resource::<DynOutputStream>::new_borrow(stream.rep());
        let result = self.run(|sb| call(sb, borrowed));
        // After a trap the instance, its table and the stream are gone.
        if let Some(sandbox) = self.sandbox.as_mut() {
            let _ = sandbox.wasm.data_mut().table().delete(stream);
        }
        result
    }

    /// Writes the diff of `to` against `from` (default: its parent) to `out`.
    pub fn diff(
        &mut self,
        from: Option<&str>,
        to: &str,
        options: DiffOptions,
        out: impl Write + Send + 'static,
    ) -> Result<(), Error> {
        self.with_output(out, |sb, stream| {
            sb.instance.graphstore_store_store_api().store().call_diff(
                &mut sb.wasm,
                sb.handle,
                from,
                to,
                options,
                stream,
            )
        })
    }
}

/// Bytes of the IDs and messages in `report` (what crossing into the
/// sandbox copies).
fn report_size(report: &CheckReport) -> usize {
    [
        &report.layers,
        &report.read_only_layers,
        &report.images,
        &report.read_only_images,
        &report.containers,
    ]
    .into_iter()
    .flatten()
    .map(|finding| {
        finding.id.len()
            + finding
                .errors
                .iter()
                .map(|error| error.message.len())
                .sum::<usize>()
    })
    .sum()
}
