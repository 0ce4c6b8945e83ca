//! One function per `containers-storage` command, grouped by area, plus
//! what they share: the output context and the failure type.

mod check;
mod config;
mod containers;
mod contents;
mod copy;
mod data;
mod dedup;
mod extensions;
mod generic;
mod idmap;
mod images;
mod layers;
mod storage_layers;

pub(super) use idmap::user_home;

use super::args::Invocation;
use super::output;
use super::spec::CommandId;
use crate::Store;
use data::Kind;
use serde::Serialize;
use std::io::Write;

/// Exit code of a command that failed.
const FAILURE: i32 = 1;

/// Why a command failed; the message, if any, goes to standard error.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Print this line (a newline is added) to standard error.
    Message(String),
    /// Everything was already printed.
    Silent,
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        Failure::Message(error.to_string())
    }
}

/// The outcome of a command: `Ok` exits 0.
pub(crate) type CommandResult = Result<(), Failure>;

/// What a running command works with.
pub(crate) struct Ctx<'a> {
    /// The open store.
    pub store: &'a mut Store,
    /// The parsed command line.
    pub inv: &'a Invocation,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
}

impl<'a> Ctx<'a> {
    /// Whether `--json` was given (false for commands without it).
    pub fn json(&self) -> bool {
        self.inv.flags.json
    }

    /// Standard output as an owned writer, for data streamed by the store
    /// itself (large items never pass through memory here). What was
    /// printed before is flushed first, so the order is kept.
    pub fn stdout_stream(&mut self) -> impl Write + Send + 'static {
        let _ = self.out.flush();
        IgnoreWriteErrors(std::io::stdout())
    }

    /// Writes to standard output; write errors are ignored, as Go's `Printf` ones are.
    pub fn print(&mut self, text: impl AsRef<[u8]>) {
        let _ = self.out.write_all(text.as_ref());
    }

    /// Writes to standard error.
    pub fn eprint(&mut self, text: impl AsRef<[u8]>) {
        let _ = self.err.write_all(text.as_ref());
    }

    /// Prints `value` as one line of Go-encoded JSON.
    pub fn print_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.print(output::json_line(value));
    }

    /// Prints `records` as a JSON array; an empty one as `null` when
    /// `empty_is_null` (where 1.43 encodes a Go nil slice).
    pub fn print_json_array<R: Serialize>(&mut self, records: &[R], empty_is_null: bool) {
        if records.is_empty() && empty_is_null {
            self.print("null\n");
        } else {
            self.print_json(records);
        }
    }

    /// Prints one line per item, or the list as JSON.
    pub fn print_list(&mut self, items: &[String], empty_is_null: bool) {
        if self.json() {
            self.print_json_array(items, empty_is_null);
        } else {
            let text: String = items.iter().map(|item| format!("{item}\n")).collect();
            self.print(text);
        }
    }

    /// Prints a record just created: its JSON (`record()`), or its ID and
    /// `\t<name><separator>` per name.
    pub fn print_created<R: Serialize>(
        &mut self,
        id: &str,
        names: &[String],
        separator: &str,
        record: impl FnOnce() -> R,
    ) {
        if self.json() {
            self.print_json(&record());
            return;
        }
        let mut text = format!("{id}\n");
        for name in names {
            text.push_str(&format!("\t{name}{separator}"));
        }
        self.print(text);
    }

    /// Positional argument `index` (the parser checked the count).
    pub fn arg(&self, index: usize) -> &'a str {
        &self.inv.args[index]
    }
}

/// Runs the invocation's command against `store`; returns the exit code.
pub(super) fn run(
    inv: &Invocation,
    store: &mut Store,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut ctx = Ctx {
        store,
        inv,
        out,
        err,
    };
    match dispatch(&mut ctx) {
        Ok(()) => 0,
        Err(Failure::Message(message)) => {
            ctx.eprint(format!("{message}\n"));
            FAILURE
        }
        Err(Failure::Silent) => FAILURE,
    }
}

fn dispatch(ctx: &mut Ctx<'_>) -> CommandResult {
    use CommandId as C;
    match ctx.inv.command {
        C::CreateLayer => layers::create(ctx),
        C::Layers => layers::list(ctx),
        C::Layer => layers::examine(ctx),
        C::ListLayerData => data::list(ctx, Kind::Layer),
        C::GetLayerData => data::get(ctx, Kind::Layer),
        C::SetLayerData => data::set(ctx, Kind::Layer),
        C::CreateImage => images::create(ctx),
        C::Images => images::list(ctx),
        C::ImagesByDigest => images::by_digest(ctx),
        C::Image => images::examine(ctx),
        C::ListImageData => data::list(ctx, Kind::Image),
        C::GetImageData => data::get(ctx, Kind::Image),
        C::GetImageDataSize => data::size(ctx, Kind::Image),
        C::GetImageDataDigest => data::digest(ctx, Kind::Image),
        C::SetImageData => data::set(ctx, Kind::Image),
        C::CreateContainer => containers::create(ctx),
        C::Containers => containers::list(ctx),
        C::Container => containers::examine(ctx),
        C::ListContainerData => data::list(ctx, Kind::Container),
        C::GetContainerData => data::get(ctx, Kind::Container),
        C::GetContainerDataSize => data::size(ctx, Kind::Container),
        C::GetContainerDataDigest => data::digest(ctx, Kind::Container),
        C::SetContainerData => data::set(ctx, Kind::Container),
        C::GetContainerDir => generic::directory(ctx, Store::container_directory),
        C::GetContainerRunDir => generic::directory(ctx, Store::container_run_directory),
        C::Exists => generic::exists(ctx),
        C::Metadata => generic::metadata(ctx),
        C::SetMetadata => generic::set_metadata(ctx),
        C::GetNames => generic::get_names(ctx),
        C::AddNames => generic::set_names(ctx, true),
        C::SetNames => generic::set_names(ctx, false),
        C::Delete | C::DeleteLayer | C::DeleteContainer => generic::delete(ctx),
        C::DeleteImage => generic::delete_image(ctx),
        C::Wipe => generic::wipe(ctx),
        C::Shutdown => generic::shutdown(ctx),
        C::Status => generic::status(ctx),
        C::Version => generic::version(ctx),
        C::Mount => generic::mount(ctx),
        C::Unmount => generic::unmount(ctx),
        C::Mounted => generic::mounted(ctx),
        C::Blob => extensions::blob(ctx),
        C::Lease => extensions::lease(ctx),
        C::RemoveNames => generic::remove_names(ctx),
        C::Gc => generic::garbage_collect(ctx),
        C::Check => check::check(ctx),
        C::GetImageDir => generic::directory(ctx, Store::image_directory),
        C::GetImageRunDir => generic::directory(ctx, Store::image_run_directory),
        C::Heads => extensions::heads(ctx),
        C::Children => extensions::children(ctx),
        C::ImportLayer => contents::import_layer(ctx),
        C::ApplyDiff => contents::apply_diff(ctx),
        C::Diff => contents::diff(ctx),
        C::Changes => contents::changes(ctx),
        C::DiffSize => contents::diff_size(ctx),
        C::LayerParentOwners => contents::parent_owners(ctx, &contents::LAYER_PARENT_OWNERS),
        C::ContainerParentOwners => {
            contents::parent_owners(ctx, &contents::CONTAINER_PARENT_OWNERS)
        }
        C::Copy => copy::copy(ctx),
        C::Config => config::config(ctx),
        C::CreateStorageLayer => storage_layers::create(ctx),
        C::StorageLayers => storage_layers::list(ctx),
        C::Dedup => dedup::dedup(ctx),
    }
}

/// `layer`, `image` and `container`: looks every argument up with `find`,
/// prints the records found as a JSON array (`record`) or described one by
/// one (`describe`); fails when any argument matched nothing.
pub(crate) fn examine<T, R: Serialize>(
    ctx: &mut Ctx<'_>,
    find: fn(&mut Store, &str) -> Result<T, crate::Error>,
    record: fn(&T) -> R,
    mut describe: impl FnMut(&mut Store, &T) -> String,
) -> CommandResult {
    let args = &ctx.inv.args;
    let matched: Vec<T> = args
        .iter()
        .filter_map(|reference| find(ctx.store, reference).ok())
        .collect();
    if ctx.json() {
        let records: Vec<R> = matched.iter().map(record).collect();
        ctx.print_json(&records);
    } else {
        for item in &matched {
            let text = describe(ctx.store, item);
            ctx.print(text);
        }
    }
    fail_if(matched.len() != args.len())
}

/// `Err(Failure::Silent)` when `failed`: the exit status of commands that
/// report their failures as part of their output.
pub(crate) fn fail_if(failed: bool) -> CommandResult {
    if failed { Err(Failure::Silent) } else { Ok(()) }
}

/// `Some(text)` unless it is empty (1.43 treats an empty flag as not given).
pub(crate) fn non_empty(text: &str) -> Option<&str> {
    Some(text).filter(|text| !text.is_empty())
}

/// An image's top layer ("" when it has none), then its mapped copies.
pub(crate) fn image_layers(image: &crate::Image) -> impl Iterator<Item = &str> {
    let top = image.top_layer.as_deref().unwrap_or_default();
    std::iter::once(top).chain(image.mapped_top_layers.iter().map(String::as_str))
}

/// `Size: <n>` or `Size unknown: <error>`, as `image` and `container` print it.
pub(crate) fn size_line(size: Result<i64, crate::Error>) -> String {
    match size {
        Ok(size) => format!("Size: {size}\n"),
        Err(error) => format!("Size unknown: {error}\n"),
    }
}

/// Why reading a command's input failed, worded as Go words it.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file could not be opened (`open <path>: …`).
    Open(String),
    /// Reading it failed (`read <path>: …`).
    Read(String),
}

impl From<ReadError> for Failure {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Open(message) | ReadError::Read(message) => Failure::Message(message),
        }
    }
}

/// Standard input's name in Go's error messages.
const STDIN_NAME: &str = "/dev/stdin";

/// Reads all of the file `path`, or of standard input when `path` is empty.
pub(crate) fn read_input(path: &str) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = if path.is_empty() {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        let mut file = std::fs::File::open(path)
            .map_err(|error| ReadError::Open(output::path_error("open", path, &error)))?;
        file.read_to_end(&mut bytes)
    };
    let name = if path.is_empty() { STDIN_NAME } else { path };
    read.map_err(|error| ReadError::Read(output::path_error("read", name, &error)))?;
    Ok(bytes)
}

/// The metadata given by `--metadata-file` (wins) or `--metadata`.
pub(crate) fn metadata_option(ctx: &Ctx<'_>) -> Result<String, Failure> {
    let file = ctx.inv.flags.metadata_file.as_str();
    if file.is_empty() {
        return Ok(ctx.inv.flags.metadata.as_str().to_string());
    }
    Ok(String::from_utf8_lossy(&read_input(file)?).into_owned())
}

/// The `--name` values, de-duplicated by the store.
pub(crate) fn names_option(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.inv.flags.names.as_slice().to_vec()
}

/// A writer whose write errors are dropped, as Go's `Printf` drops them.
struct IgnoreWriteErrors<W>(W);

impl<W: Write> Write for IgnoreWriteErrors<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.write_all(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = self.0.flush();
        Ok(())
    }
}
