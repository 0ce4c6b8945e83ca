//! The exported WIT interface: converts between WIT types and the store's.

use crate::bindings::exports::graphstore::store::store_api::{
    self as api, Change, ContainerOptions, DiffOptions, GuestStore, ImageOptions, LayerOptions,
    StoreOptions,
};
use crate::bindings::exports::graphstore::store::types as wit;
use crate::disk::wasi_streams::StreamReader;
use crate::disk::{Input, Output};
use crate::error::{ErrorKind, StoreError};
use crate::format::timestamp::Timestamp;
use crate::records::{self, Compression, IdMap};
use crate::store::{self, ImageView, LayerView, NameChange, Store, StoreRoots};
use std::cell::RefCell;
use std::rc::Rc;
use wasip2::io::streams::{InputStream, OutputStream};

mod chunked;

/// The store's directories: the runtime's preopens, named as the host
/// library grants them.
fn preopened_roots(options: &store::StoreOptions) -> crate::error::Result<StoreRoots> {
    options.check()?;
    let image_stores = options
        .image_stores
        .iter()
        .enumerate()
        .map(|(index, path)| {
            crate::disk::preopened(
                &format!("{}{index}", store::IMAGE_STORE_PREOPEN_PREFIX),
                path,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StoreRoots {
        graph: crate::disk::preopened(store::GRAPH_ROOT_PREOPEN, &options.graph_root)?,
        run: crate::disk::preopened(store::RUN_ROOT_PREOPEN, &options.run_root)?,
        split_image_store: options
            .image_store
            .as_deref()
            .map(|path| crate::disk::preopened(store::SPLIT_IMAGE_STORE_PREOPEN, path))
            .transpose()?,
        image_stores,
    })
}

/// The component's export implementation.
struct Component;

crate::bindings::export!(Component with_types_in crate::bindings);

impl api::Guest for Component {
    type Store = StoreResource;
    type LayerWriter = chunked::LayerWriter;
    type BlobWriter = chunked::BlobWriter;
    type ByteReader = chunked::ByteReader;
}

/// A `store` resource: one open store, used by one caller at a time
/// (shared with the chunked writers and readers it started).
struct StoreResource {
    inner: chunked::SharedStore,
}

type WitResult<T> = Result<T, wit::Error>;

/// A listing position from the WIT's `u64` (saturating on 32-bit wasm:
/// past the end, an empty page).
fn index(start: u64) -> usize {
    usize::try_from(start).unwrap_or(usize::MAX)
}

impl StoreResource {
    fn with<T>(
        &self,
        operation: impl FnOnce(&mut Store) -> crate::error::Result<T>,
    ) -> WitResult<T> {
        operation(&mut self.inner.borrow_mut()).map_err(error_to_wit)
    }
}

impl GuestStore for StoreResource {
    fn open(options: StoreOptions) -> WitResult<api::Store> {
        let options = store::StoreOptions {
            graph_root: options.graph_root,
            run_root: options.run_root,
            driver_name: options.driver_name,
            driver_options: options.driver_options,
            image_stores: options.image_stores,
            uid_map: maps_from_wit(options.uid_map),
            gid_map: maps_from_wit(options.gid_map),
            read_only: options.read_only,
            diff_limits: store::DiffLimits {
                max_bytes: options.max_diff_bytes,
                max_entries: options.max_diff_entries,
            },
            transient_store: options.transient_store,
            image_store: options.image_store,
        };
        let store = preopened_roots(&options)
            .and_then(|roots| Store::from_dirs(roots, options))
            .map_err(error_to_wit)?;
        Ok(api::Store::new(StoreResource {
            inner: Rc::new(RefCell::new(store)),
        }))
    }

    fn status(&self) -> WitResult<Vec<(String, String)>> {
        self.with(|s| s.status())
    }

    fn version(&self) -> Vec<(String, String)> {
        self.inner.borrow().version()
    }

    fn create_layer(
        &self,
        id: Option<String>,
        parent: Option<String>,
        names: Vec<String>,
        options: LayerOptions,
    ) -> WitResult<wit::Layer> {
        let options = layer_options_from_wit(options);
        self.with(|s| s.create_layer(id.as_deref(), parent.as_deref(), names, &options))
            .map(layer_to_wit)
    }

    fn put_layer(
        &self,
        id: Option<String>,
        parent: Option<String>,
        names: Vec<String>,
        options: LayerOptions,
        diff: InputStream,
    ) -> WitResult<wit::Layer> {
        let options = layer_options_from_wit(options);
        self.with(|s| {
            s.put_layer(
                id.as_deref(),
                parent.as_deref(),
                names,
                &options,
                Input::stream(diff),
            )
        })
        .map(layer_to_wit)
    }

    fn create_image(
        &self,
        id: Option<String>,
        names: Vec<String>,
        layer: Option<String>,
        metadata: String,
        options: ImageOptions,
    ) -> WitResult<wit::Image> {
        let options = image_options_from_wit(options);
        self.with(|s| s.create_image(id.as_deref(), names, layer.as_deref(), &metadata, &options))
            .map(image_to_wit)
    }

    fn create_images(&self, images: Vec<wit::NewImage>) -> WitResult<Vec<wit::Image>> {
        let batch: Vec<store::NewImage> = images
            .into_iter()
            .map(|image| store::NewImage {
                id: image.id,
                names: image.names,
                layer: image.layer,
                metadata: image.metadata,
                options: image_options_from_wit(image.options),
            })
            .collect();
        self.with(|s| s.create_images(&batch))
            .map(|views| views.into_iter().map(image_to_wit).collect())
    }

    fn create_container(
        &self,
        id: Option<String>,
        names: Vec<String>,
        image: Option<String>,
        layer: Option<String>,
        metadata: String,
        options: ContainerOptions,
    ) -> WitResult<wit::Container> {
        let options = store::ContainerOptions {
            uid_map: options.uid_map.map(maps_from_wit),
            gid_map: options.gid_map.map(maps_from_wit),
            host_uid_mapping: options.host_uid_mapping,
            host_gid_mapping: options.host_gid_mapping,
            mount_label: options.mount_label,
            process_label: options.process_label,
            volatile: options.volatile,
        };
        self.with(|s| {
            s.create_container(
                id.as_deref(),
                names,
                image.as_deref(),
                layer.as_deref(),
                &metadata,
                &options,
            )
        })
        .map(container_to_wit)
    }

    fn layer(&self, reference: String) -> WitResult<wit::Layer> {
        self.with(|s| s.layer(&reference)).map(layer_to_wit)
    }

    fn image(&self, reference: String) -> WitResult<wit::Image> {
        self.with(|s| s.image(&reference)).map(image_to_wit)
    }

    fn container(&self, reference: String) -> WitResult<wit::Container> {
        self.with(|s| s.container(&reference)).map(container_to_wit)
    }

    fn layers(&self) -> WitResult<Vec<wit::Layer>> {
        self.with(|s| s.list_layers())
            .map(|all| all.into_iter().map(layer_to_wit).collect())
    }

    fn images(&self) -> WitResult<Vec<wit::Image>> {
        self.with(|s| s.list_images())
            .map(|all| all.into_iter().map(image_to_wit).collect())
    }

    fn containers(&self) -> WitResult<Vec<wit::Container>> {
        self.with(|s| s.list_containers())
            .map(|all| all.into_iter().map(container_to_wit).collect())
    }

    fn layers_page(&self, start: u64, max_count: u32) -> WitResult<wit::LayerPage> {
        let page = self.with(|s| s.list_layers_page(index(start), max_count as usize))?;
        Ok(wit::LayerPage {
            items: page.items.into_iter().map(layer_to_wit).collect(),
            version: page.version,
            total: page.total,
        })
    }

    fn images_page(&self, start: u64, max_count: u32) -> WitResult<wit::ImagePage> {
        let page = self.with(|s| s.list_images_page(index(start), max_count as usize))?;
        Ok(wit::ImagePage {
            items: page.items.into_iter().map(image_to_wit).collect(),
            version: page.version,
            total: page.total,
        })
    }

    fn containers_page(&self, start: u64, max_count: u32) -> WitResult<wit::ContainerPage> {
        let page = self.with(|s| s.list_containers_page(index(start), max_count as usize))?;
        Ok(wit::ContainerPage {
            items: page.items.into_iter().map(container_to_wit).collect(),
            version: page.version,
            total: page.total,
        })
    }

    fn exists(&self, reference: String) -> WitResult<bool> {
        self.with(|s| s.exists(&reference))
    }

    fn layer_exists(&self, reference: String) -> WitResult<bool> {
        self.with(|s| s.layer_exists(&reference))
    }

    fn image_exists(&self, reference: String) -> WitResult<bool> {
        self.with(|s| s.image_exists(&reference))
    }

    fn container_exists(&self, reference: String) -> WitResult<bool> {
        self.with(|s| s.container_exists(&reference))
    }

    fn lookup(&self, name: String) -> WitResult<String> {
        self.with(|s| s.lookup(&name))
    }

    fn images_by_digest(&self, digest: String) -> WitResult<Vec<wit::Image>> {
        self.with(|s| s.images_by_digest(&digest))
            .map(|all| all.into_iter().map(image_to_wit).collect())
    }

    fn images_by_top_layer(&self, layer: String) -> WitResult<Vec<wit::Image>> {
        self.with(|s| s.images_by_top_layer(&layer))
            .map(|all| all.into_iter().map(image_to_wit).collect())
    }

    fn container_by_layer(&self, layer: String) -> WitResult<wit::Container> {
        self.with(|s| s.container_by_layer(&layer))
            .map(container_to_wit)
    }

    fn layers_by_compressed_digest(&self, digest: String) -> WitResult<Vec<wit::Layer>> {
        self.with(|s| s.layers_by_digest(&digest, true))
            .map(|all| all.into_iter().map(layer_to_wit).collect())
    }

    fn layers_by_uncompressed_digest(&self, digest: String) -> WitResult<Vec<wit::Layer>> {
        self.with(|s| s.layers_by_digest(&digest, false))
            .map(|all| all.into_iter().map(layer_to_wit).collect())
    }

    fn layer_size(&self, reference: String) -> WitResult<i64> {
        self.with(|s| s.layer_size(&reference))
    }

    fn image_size(&self, reference: String) -> WitResult<i64> {
        self.with(|s| s.image_size(&reference))
    }

    fn container_size(&self, reference: String) -> WitResult<i64> {
        self.with(|s| s.container_size(&reference))
    }

    fn names(&self, reference: String) -> WitResult<Vec<String>> {
        self.with(|s| s.names(&reference))
    }

    fn set_names(&self, reference: String, names: Vec<String>) -> WitResult<()> {
        self.with(|s| s.update_names(&reference, NameChange::Set, names))
            .map(drop)
    }

    fn add_names(&self, reference: String, names: Vec<String>) -> WitResult<()> {
        self.with(|s| s.update_names(&reference, NameChange::Add, names))
            .map(drop)
    }

    fn remove_names(&self, reference: String, names: Vec<String>) -> WitResult<()> {
        self.with(|s| s.update_names(&reference, NameChange::Remove, names))
            .map(drop)
    }

    fn metadata(&self, reference: String) -> WitResult<String> {
        self.with(|s| s.metadata(&reference))
    }

    fn set_metadata(&self, reference: String, metadata: String) -> WitResult<()> {
        self.with(|s| s.set_metadata(&reference, &metadata))
    }

    fn set_flag(&self, reference: String, key: String, value: String) -> WitResult<()> {
        self.with(|s| s.set_flag(&reference, &key, &value))
    }

    fn clear_flag(&self, reference: String, key: String) -> WitResult<()> {
        self.with(|s| s.clear_flag(&reference, &key))
    }

    fn list_image_big_data(&self, image: String) -> WitResult<Vec<String>> {
        self.with(|s| s.list_image_big_data(&image))
    }

    fn image_big_data(&self, image: String, key: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.image_big_data(&image, &key))
    }

    fn image_big_data_size(&self, image: String, key: String) -> WitResult<i64> {
        self.with(|s| s.image_big_data_size(&image, &key))
    }

    fn image_big_data_digest(&self, image: String, key: String) -> WitResult<String> {
        self.with(|s| s.image_big_data_digest(&image, &key))
    }

    fn set_image_big_data(
        &self,
        image: String,
        key: String,
        data: Vec<u8>,
        manifest_digest: Option<String>,
    ) -> WitResult<()> {
        self.with(|s| s.set_image_big_data(&image, &key, &data, manifest_digest.as_deref()))
    }

    fn list_layer_big_data(&self, layer: String) -> WitResult<Vec<String>> {
        self.with(|s| s.list_layer_big_data(&layer))
    }

    fn layer_big_data(&self, layer: String, key: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.layer_big_data(&layer, &key))
    }

    fn set_layer_big_data(&self, layer: String, key: String, data: Vec<u8>) -> WitResult<()> {
        self.with(|s| s.set_layer_big_data(&layer, &key, &data))
    }

    fn list_container_big_data(&self, container: String) -> WitResult<Vec<String>> {
        self.with(|s| s.list_container_big_data(&container))
    }

    fn container_big_data(&self, container: String, key: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.container_big_data(&container, &key))
    }

    fn container_big_data_size(&self, container: String, key: String) -> WitResult<i64> {
        self.with(|s| s.container_big_data_size(&container, &key))
    }

    fn container_big_data_digest(&self, container: String, key: String) -> WitResult<String> {
        self.with(|s| s.container_big_data_digest(&container, &key))
    }

    fn set_container_big_data(
        &self,
        container: String,
        key: String,
        data: Vec<u8>,
    ) -> WitResult<()> {
        self.with(|s| s.set_container_big_data(&container, &key, &data))
    }

    fn container_directory(&self, container: String) -> WitResult<String> {
        self.with(|s| s.container_directory(&container))
    }

    fn container_run_directory(&self, container: String) -> WitResult<String> {
        self.with(|s| s.container_run_directory(&container))
    }

    fn garbage_collect(&self) -> WitResult<Vec<String>> {
        self.with(|s| s.garbage_collect())
    }

    fn image_directory(&self, image: String) -> WitResult<String> {
        self.with(|s| s.image_directory(&image))
    }

    fn image_run_directory(&self, image: String) -> WitResult<String> {
        self.with(|s| s.image_run_directory(&image))
    }

    fn set_container_directory_file(
        &self,
        container: String,
        file: String,
        data: Vec<u8>,
    ) -> WitResult<()> {
        self.with(|s| s.set_container_file(&container, false, &file, &data))
    }

    fn from_container_directory(&self, container: String, file: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.container_file(&container, false, &file))
    }

    fn set_container_run_directory_file(
        &self,
        container: String,
        file: String,
        data: Vec<u8>,
    ) -> WitResult<()> {
        self.with(|s| s.set_container_file(&container, true, &file, &data))
    }

    fn from_container_run_directory(&self, container: String, file: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.container_file(&container, true, &file))
    }

    fn mount(&self, reference: String, mount_label: String) -> WitResult<String> {
        self.with(|s| s.mount(&reference, &mount_label))
    }

    fn unmount(&self, reference: String, force: bool) -> WitResult<bool> {
        self.with(|s| s.unmount(&reference, force))
    }

    fn mounted(&self, reference: String) -> WitResult<i32> {
        self.with(|s| s.mounted(&reference))
    }

    fn apply_diff(&self, to: String, diff: InputStream) -> WitResult<i64> {
        self.with(|s| s.apply_diff(&to, Input::stream(diff)))
    }

    fn diff(
        &self,
        from: Option<String>,
        to: String,
        options: DiffOptions,
        out: &OutputStream,
    ) -> WitResult<()> {
        let compression = options.compression.map(compression_from_wit);
        self.with(|s| s.diff(from.as_deref(), &to, compression, &mut Output::stream(out)))
    }

    fn changes(&self, from: Option<String>, to: String) -> WitResult<Vec<Change>> {
        let list = self.with(|s| s.changes(from.as_deref(), &to))?;
        Ok(list
            .into_iter()
            .map(|change| Change {
                path: change.path,
                kind: match change.kind {
                    crate::changes::ChangeKind::Modify => wit::ChangeKind::Modify,
                    crate::changes::ChangeKind::Add => wit::ChangeKind::Add,
                    crate::changes::ChangeKind::Delete => wit::ChangeKind::Delete,
                },
            })
            .collect())
    }

    fn diff_size(&self, from: Option<String>, to: String) -> WitResult<i64> {
        self.with(|s| s.diff_size(from.as_deref(), &to))
    }

    fn layer_parent_owners(&self, layer: String) -> WitResult<(Vec<u32>, Vec<u32>)> {
        self.with(|s| s.layer_parent_owners(&layer))
    }

    fn container_parent_owners(&self, container: String) -> WitResult<(Vec<u32>, Vec<u32>)> {
        self.with(|s| s.container_parent_owners(&container))
    }

    fn delete(&self, reference: String) -> WitResult<()> {
        self.with(|s| s.delete(&reference))
    }

    fn delete_layer(&self, reference: String) -> WitResult<()> {
        self.with(|s| s.delete_layer(&reference))
    }

    fn delete_image(&self, reference: String, commit: bool) -> WitResult<wit::DeletedImage> {
        self.with(|s| s.delete_image(&reference, commit))
            .map(|outcome| wit::DeletedImage {
                deleted_layers: outcome.deleted_layers,
                kept_leased_layers: outcome.kept_leased_layers,
            })
    }

    fn delete_container(&self, reference: String) -> WitResult<()> {
        self.with(|s| s.delete_container(&reference))
    }

    fn wipe(&self) -> WitResult<()> {
        self.with(|s| s.wipe())
    }

    fn shutdown(&self, force: bool) -> WitResult<Vec<String>> {
        self.with(|s| s.shutdown(force))
    }

    fn recovery_report(&self) -> Vec<String> {
        self.inner
            .borrow_mut()
            .recovery_report()
            .unwrap_or_else(|err| vec![format!("recovery check failed: {err}")])
    }

    fn put_blob(&self, data: InputStream) -> WitResult<String> {
        self.with(|s| s.put_blob(&mut StreamReader::new(&data)))
    }

    fn write_big_data(
        &self,
        owner: wit::DataOwner,
        reference: String,
        key: String,
        out: &OutputStream,
    ) -> WitResult<u64> {
        let kind = data_owner_from_wit(owner);
        self.with(|s| s.write_big_data(kind, &reference, &key, &mut Output::stream(out)))
    }

    fn get_blob(&self, digest: String, out: &OutputStream) -> WitResult<u64> {
        self.with(|s| s.get_blob(&digest, &mut Output::stream(out)))
    }

    fn delete_blob(&self, digest: String) -> WitResult<()> {
        self.with(|s| s.delete_blob(&digest))
    }

    fn blobs(&self) -> WitResult<Vec<String>> {
        self.with(|s| s.list_blobs())
    }

    fn set_blob_metadata(&self, digest: String, key: String, value: Vec<u8>) -> WitResult<()> {
        self.with(|s| s.set_blob_metadata(&digest, &key, &value))
    }

    fn blob_metadata(&self, digest: String, key: String) -> WitResult<Vec<u8>> {
        self.with(|s| s.blob_metadata(&digest, &key))
    }

    fn delete_blob_metadata(&self, digest: String, key: String) -> WitResult<()> {
        self.with(|s| s.delete_blob_metadata(&digest, &key))
    }

    fn retain_layers(&self, session: String, layers: Vec<String>) -> WitResult<()> {
        self.with(|s| s.retain_layers(&session, &layers))
    }

    fn release_layers(&self, session: String, layers: Vec<String>) -> WitResult<()> {
        self.with(|s| s.release_layers(&session, &layers))
    }

    fn leases(&self) -> WitResult<Vec<(String, Vec<String>)>> {
        self.with(|s| s.leases())
    }

    fn heads(&self) -> WitResult<Vec<String>> {
        self.with(|s| s.heads())
    }

    fn children(&self, layer: String) -> WitResult<Vec<String>> {
        self.with(|s| s.children(&layer))
    }

    fn check(&self, options: wit::CheckOptions) -> WitResult<wit::CheckReport> {
        let options = store::CheckOptions {
            layer_unreferenced_maximum_age: options.layer_unreferenced_maximum_age,
            layer_digests: options.layer_digests,
            layer_mountable: options.layer_mountable,
            layer_contents: options.layer_contents,
            layer_data: options.layer_data,
            image_data: options.image_data,
            container_data: options.container_data,
        };
        self.with(|s| s.check(&options)).map(report_to_wit)
    }

    fn repair(
        &self,
        report: wit::CheckReport,
        options: wit::RepairOptions,
    ) -> WitResult<Vec<wit::Error>> {
        let report = report_from_wit(report);
        let options = store::RepairOptions {
            remove_containers: options.remove_containers,
        };
        self.with(|s| s.repair(&report, &options))
            .map(|failures| failures.into_iter().map(error_to_wit).collect())
    }

    fn copy(
        &self,
        source: String,
        source_path: String,
        target: String,
        target_path: String,
        chown: Option<(u32, u32)>,
    ) -> WitResult<()> {
        self.with(|s| s.copy(&source, &source_path, &target, &target_path, chown))
    }

    fn create_storage_layer(
        &self,
        id: Option<String>,
        parent: Option<String>,
        options: LayerOptions,
    ) -> WitResult<String> {
        let options = layer_options_from_wit(options);
        self.with(|s| s.create_storage_layer(id.as_deref(), parent.as_deref(), &options))
    }

    fn storage_layers(&self) -> WitResult<Vec<String>> {
        self.with(|s| s.storage_layers())
    }

    fn dedup(&self, method: wit::DedupHash) -> WitResult<u64> {
        let method = match method {
            wit::DedupHash::Crc => store::DedupHash::Crc,
            wit::DedupHash::Size => store::DedupHash::Size,
            wit::DedupHash::Sha256 => store::DedupHash::Sha256,
        };
        self.with(|s| s.dedup(method))
    }

    fn max_chunk_bytes() -> u32 {
        chunked::MAX_CHUNK_BYTES
    }

    fn put_layer_chunked(
        &self,
        id: Option<String>,
        parent: Option<String>,
        names: Vec<String>,
        options: LayerOptions,
    ) -> WitResult<api::LayerWriter> {
        let target = chunked::LayerTarget::New {
            id,
            parent,
            names,
            options: layer_options_from_wit(options),
        };
        chunked::LayerWriter::start(&self.inner, target).map(api::LayerWriter::new)
    }

    fn apply_diff_chunked(&self, to: String) -> WitResult<api::LayerWriter> {
        chunked::LayerWriter::start(&self.inner, chunked::LayerTarget::Existing(to))
            .map(api::LayerWriter::new)
    }

    fn put_blob_chunked(&self) -> WitResult<api::BlobWriter> {
        chunked::BlobWriter::start(&self.inner).map(api::BlobWriter::new)
    }

    fn diff_chunked(
        &self,
        from: Option<String>,
        to: String,
        options: DiffOptions,
    ) -> WitResult<api::ByteReader> {
        let compression = options.compression.map(compression_from_wit);
        chunked::ByteReader::produce(&self.inner, |s, out| {
            s.diff(from.as_deref(), &to, compression, out)
        })
        .map(api::ByteReader::new)
    }

    fn get_blob_chunked(&self, digest: String) -> WitResult<api::ByteReader> {
        chunked::ByteReader::produce(&self.inner, |s, out| s.get_blob(&digest, out).map(drop))
            .map(api::ByteReader::new)
    }

    fn read_big_data_chunked(
        &self,
        owner: wit::DataOwner,
        reference: String,
        key: String,
    ) -> WitResult<api::ByteReader> {
        let kind = data_owner_from_wit(owner);
        chunked::ByteReader::produce(&self.inner, |s, out| {
            s.write_big_data(kind, &reference, &key, out).map(drop)
        })
        .map(api::ByteReader::new)
    }
}

fn data_owner_from_wit(owner: wit::DataOwner) -> crate::stores::Kind {
    match owner {
        wit::DataOwner::Layer => crate::stores::Kind::Layer,
        wit::DataOwner::Image => crate::stores::Kind::Image,
        wit::DataOwner::Container => crate::stores::Kind::Container,
    }
}

fn layer_options_from_wit(options: LayerOptions) -> store::LayerOptions {
    store::LayerOptions {
        mount_label: options.mount_label,
        uid_map: options.uid_map.map(maps_from_wit),
        gid_map: options.gid_map.map(maps_from_wit),
        host_uid_mapping: options.host_uid_mapping,
        host_gid_mapping: options.host_gid_mapping,
        read_only: options.read_only,
        volatile: false,
    }
}

fn maps_from_wit(maps: Vec<wit::IdMap>) -> Vec<IdMap> {
    maps.into_iter()
        .map(|m| IdMap {
            container_id: m.container_id,
            host_id: m.host_id,
            size: m.size,
        })
        .collect()
}

fn maps_to_wit(maps: Vec<IdMap>) -> Vec<wit::IdMap> {
    maps.into_iter()
        .map(|m| wit::IdMap {
            container_id: m.container_id,
            host_id: m.host_id,
            size: m.size,
        })
        .collect()
}

fn timestamp_from_wit(t: wit::Timestamp) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
        utc_offset: t.utc_offset,
    }
}

fn timestamp_to_wit(t: Timestamp) -> wit::Timestamp {
    wit::Timestamp {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
        utc_offset: t.utc_offset,
    }
}

fn flags_to_wit(flags: records::Flags) -> Vec<wit::Flag> {
    flags
        .into_iter()
        .map(|(key, value)| wit::Flag {
            key,
            value: crate::format::go_json::to_string(&value),
        })
        .collect()
}

fn optional(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn compression_from_wit(compression: wit::Compression) -> Compression {
    match compression {
        wit::Compression::None => Compression::None,
        wit::Compression::Bzip2 => Compression::Bzip2,
        wit::Compression::Gzip => Compression::Gzip,
        wit::Compression::Xz => Compression::Xz,
        wit::Compression::Zstd => Compression::Zstd,
    }
}

fn compression_to_wit(compression: Compression) -> wit::Compression {
    match compression {
        Compression::None => wit::Compression::None,
        Compression::Bzip2 => wit::Compression::Bzip2,
        Compression::Gzip => wit::Compression::Gzip,
        Compression::Xz => wit::Compression::Xz,
        Compression::Zstd => wit::Compression::Zstd,
    }
}

fn layer_to_wit(view: LayerView) -> wit::Layer {
    let layer = view.record;
    wit::Layer {
        id: layer.id,
        names: layer.names,
        parent: optional(layer.parent),
        metadata: layer.metadata,
        mount_label: layer.mount_label,
        mount_point: view.mount_point,
        mount_count: view.mount_count,
        created: timestamp_to_wit(layer.created),
        compressed_digest: optional(layer.compressed_digest),
        compressed_size: layer.compressed_size,
        uncompressed_digest: optional(layer.uncompressed_digest),
        uncompressed_size: layer.uncompressed_size,
        compression: compression_to_wit(layer.compression),
        uid_set: layer.uid_set,
        gid_set: layer.gid_set,
        flags: flags_to_wit(layer.flags),
        uid_map: maps_to_wit(layer.uid_map),
        gid_map: maps_to_wit(layer.gid_map),
        read_only: view.read_only,
        big_data_names: layer.big_data_names,
    }
}

fn image_options_from_wit(options: ImageOptions) -> store::ImageOptions {
    store::ImageOptions {
        digest: options.digest,
        created: options.created.map(timestamp_from_wit),
    }
}

fn image_to_wit(view: ImageView) -> wit::Image {
    let image = view.record;
    wit::Image {
        id: image.id,
        digest: optional(image.digest),
        digests: view.digests,
        names: image.names,
        names_history: image.names_history,
        top_layer: optional(image.top_layer),
        mapped_top_layers: image.mapped_top_layers,
        metadata: image.metadata,
        big_data_names: image.big_data_names,
        big_data_sizes: image.big_data_sizes.into_iter().collect(),
        big_data_digests: image.big_data_digests.into_iter().collect(),
        created: timestamp_to_wit(image.created),
        read_only: view.read_only,
        flags: flags_to_wit(image.flags),
    }
}

fn container_to_wit(container: records::Container) -> wit::Container {
    wit::Container {
        id: container.id,
        names: container.names,
        image_id: container.image_id,
        layer_id: container.layer_id,
        metadata: container.metadata,
        big_data_names: container.big_data_names,
        big_data_sizes: container.big_data_sizes.into_iter().collect(),
        big_data_digests: container.big_data_digests.into_iter().collect(),
        created: timestamp_to_wit(container.created),
        uid_map: maps_to_wit(container.uid_map),
        gid_map: maps_to_wit(container.gid_map),
        flags: flags_to_wit(container.flags),
    }
}

/// The WIT error of a store error (same kinds, same names).
fn error_to_wit(error: StoreError) -> wit::Error {
    macro_rules! to_wit {
        ($($(#[doc = $doc:literal])* $kind:ident => $message:literal,)*) => {
            match error.kind {
                $(ErrorKind::$kind => wit::Error::$kind(error.message),)*
            }
        };
    }
    crate::for_each_error_kind!(to_wit)
}

/// The two directions of the `check-problem` mapping (same names).
macro_rules! check_problems {
    ($($problem:ident),* $(,)?) => {
        fn problem_to_wit(problem: store::Problem) -> wit::CheckProblem {
            match problem {
                $(store::Problem::$problem => wit::CheckProblem::$problem,)*
            }
        }

        fn problem_from_wit(problem: wit::CheckProblem) -> store::Problem {
            match problem {
                $(wit::CheckProblem::$problem => store::Problem::$problem,)*
            }
        }
    };
}

check_problems!(
    LayerUnaccounted,
    LayerUnreferenced,
    LayerIncorrectContentDigest,
    LayerIncorrectContentSize,
    LayerContentModified,
    LayerDataMissing,
    LayerMissing,
    ImageLayerMissing,
    ImageDataMissing,
    ImageDataIncorrectSize,
    ContainerImageMissing,
    ContainerDataMissing,
    ContainerDataIncorrectSize,
    Other,
);

fn findings_to_wit(findings: store::Findings) -> Vec<wit::CheckFinding> {
    findings
        .into_iter()
        .map(|(id, errors)| wit::CheckFinding {
            id,
            errors: errors
                .into_iter()
                .map(|error| wit::CheckError {
                    problem: problem_to_wit(error.problem),
                    message: error.message,
                })
                .collect(),
        })
        .collect()
}

fn findings_from_wit(findings: Vec<wit::CheckFinding>) -> store::Findings {
    let mut by_id = store::Findings::new();
    for finding in findings {
        by_id
            .entry(finding.id)
            .or_default()
            .extend(finding.errors.into_iter().map(|error| store::CheckError {
                problem: problem_from_wit(error.problem),
                message: error.message,
            }));
    }
    by_id
}

fn report_to_wit(report: store::CheckReport) -> wit::CheckReport {
    wit::CheckReport {
        layers: findings_to_wit(report.layers),
        read_only_layers: findings_to_wit(report.read_only_layers),
        images: findings_to_wit(report.images),
        read_only_images: findings_to_wit(report.read_only_images),
        containers: findings_to_wit(report.containers),
    }
}

fn report_from_wit(report: wit::CheckReport) -> store::CheckReport {
    store::CheckReport {
        layers: findings_from_wit(report.layers),
        read_only_layers: findings_from_wit(report.read_only_layers),
        images: findings_from_wit(report.images),
        read_only_images: findings_from_wit(report.read_only_images),
        containers: findings_from_wit(report.containers),
    }
}
