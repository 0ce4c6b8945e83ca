//! The `containers-storage` 1.43 command table: every command, its aliases,
//! help texts, argument counts and flags, plus the global flags.
//!
//! The table order is the order of the global `--help` listing (1.43 builds
//! its list in the initialisation order of its source files). Flag help texts
//! are those of 1.43, byte for byte, because they are printed in usage output.

/// Long flag names: the table's keys, mapped to typed fields by `cli::flags`.
pub mod flag_names {
    /// `--debug` / `-D` (global).
    pub const DEBUG: &str = "debug";
    /// `--graph` / `-g` (global).
    pub const GRAPH: &str = "graph";
    /// `--run` / `-R` (global).
    pub const RUN: &str = "run";
    /// `--storage-driver` / `-s` (global).
    pub const STORAGE_DRIVER: &str = "storage-driver";
    /// `--storage-opt`, repeatable (global).
    pub const STORAGE_OPT: &str = "storage-opt";
    /// `--help`, only before the command.
    pub const HELP: &str = "help";
    /// `--json` / `-j`.
    pub const JSON: &str = "json";
    /// `--file` / `-f`.
    pub const FILE: &str = "file";
    /// `--chown` (copy).
    pub const CHOWN: &str = "chown";
    /// `--label` / `-l` (mount label).
    pub const LABEL: &str = "label";
    /// `--name` / `-n`, repeatable.
    pub const NAME: &str = "name";
    /// `--id` / `-i`.
    pub const ID: &str = "id";
    /// `--readonly` / `-r` (create-layer, import-layer).
    pub const READONLY: &str = "readonly";
    /// `--hostuidmap`.
    pub const HOST_UID_MAP: &str = "hostuidmap";
    /// `--hostgidmap`.
    pub const HOST_GID_MAP: &str = "hostgidmap";
    /// `--uidmap`.
    pub const UID_MAP: &str = "uidmap";
    /// `--gidmap`.
    pub const GID_MAP: &str = "gidmap";
    /// `--subuidmap`.
    pub const SUB_UID_MAP: &str = "subuidmap";
    /// `--subgidmap`.
    pub const SUB_GID_MAP: &str = "subgidmap";
    /// `--digest` / `-d` (create-image).
    pub const DIGEST: &str = "digest";
    /// `--metadata` / `-m`.
    pub const METADATA: &str = "metadata";
    /// `--metadata-file` / `-f`.
    pub const METADATA_FILE: &str = "metadata-file";
    /// `--volatile` (create-container).
    pub const VOLATILE: &str = "volatile";
    /// `--test` / `-t` (delete-image).
    pub const TEST: &str = "test";
    /// `--uncompressed` / `-u` (diff).
    pub const UNCOMPRESSED: &str = "uncompressed";
    /// `--gzip` / `-c` (diff).
    pub const GZIP: &str = "gzip";
    /// `--bzip2` / `--bz2` / `-b` (diff).
    pub const BZIP2: &str = "bzip2";
    /// `--xz` / `-x` (diff).
    pub const XZ: &str = "xz";
    /// `--quiet` / `-q`.
    pub const QUIET: &str = "quiet";
    /// `--layer` / `-l` (exists).
    pub const LAYER: &str = "layer";
    /// `--image` / `-i` (exists).
    pub const IMAGE: &str = "image";
    /// `--container` / `-c` (exists).
    pub const CONTAINER: &str = "container";
    /// `--tree` / `-t` (layers).
    pub const TREE: &str = "tree";
    /// `--opt` / `-o` (mount; accepted and ignored by 1.43).
    pub const OPT: &str = "opt";
    /// `--ro` / `-r` (mount).
    pub const RO: &str = "ro";
    /// `--force` / `-f` (unmount, shutdown; check: remove damaged containers).
    pub const FORCE: &str = "force";
    /// `--max` / `-m` (check): maximum age of unreferenced layers.
    pub const MAX: &str = "max";
    /// `--repair` / `-r` (check).
    pub const REPAIR: &str = "repair";
    /// `--quick` / `-q` (check).
    pub const QUICK: &str = "quick";
    /// `--image-store` (global, newer containers/storage): split image store root.
    pub const IMAGE_STORE: &str = "image-store";
    /// `--transient-store` (global, newer containers/storage).
    pub const TRANSIENT_STORE: &str = "transient-store";
    /// `--hash-method` (dedup).
    pub const HASH_METHOD: &str = "hash-method";
}

use flag_names as n;

/// What kind of value a flag takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    /// A boolean: `--x` sets it, `--x=false` clears it; never takes the next word.
    Bool,
    /// A string: `--x value` or `--x=value`; the last occurrence wins.
    String,
    /// A repeatable string: every occurrence appends to the list.
    List,
}

/// One flag as declared by 1.43.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagSpec {
    /// Long name, written `--long` on the command line; also the sort key in usage output.
    pub long: &'static str,
    /// Further long names accepted as `--alias` (only `--bz2`).
    pub long_aliases: &'static [&'static str],
    /// Short name, written `-x`. `Some("")` reproduces 1.43's `copy --chown`,
    /// declared with an empty short name, which makes usage printing panic.
    pub short: Option<&'static str>,
    /// Whether `-long` (single dash) is accepted with a deprecation warning
    /// (only `--help`, declared as `#help` by 1.43).
    pub deprecated_single_dash: bool,
    /// Declared only by newer containers/storage (the global `--image-store`
    /// and `--transient-store`): accepted everywhere, but listed only in the
    /// usage of newer commands, so 1.43's usage texts stay identical.
    pub newer: bool,
    /// Value kind.
    pub kind: FlagKind,
    /// One-line help text shown in the `Options:` section.
    pub help: &'static str,
    /// Initial value of a string flag ("" for most), shown as `=value`.
    pub default: &'static str,
}

impl FlagSpec {
    /// A flag with the given names, kind and help text, and no aliases.
    pub const fn new(
        long: &'static str,
        short: Option<&'static str>,
        kind: FlagKind,
        help: &'static str,
    ) -> Self {
        Self {
            long,
            long_aliases: &[],
            short,
            deprecated_single_dash: false,
            newer: false,
            kind,
            help,
            default: "",
        }
    }

    /// Whether `key` (an argument with its first dash removed, and any
    /// `=value` cut off) names this flag: `-long`, `-alias` or the short name.
    pub fn matches_key(&self, key: &str) -> bool {
        match key.strip_prefix('-') {
            Some(long) => self.long == long || self.long_aliases.contains(&long),
            None => self.short == Some(key) || (self.deprecated_single_dash && self.long == key),
        }
    }
}

const fn bool_flag(
    long: &'static str,
    short: Option<&'static str>,
    help: &'static str,
) -> FlagSpec {
    FlagSpec::new(long, short, FlagKind::Bool, help)
}

const fn string_flag(
    long: &'static str,
    short: Option<&'static str>,
    help: &'static str,
) -> FlagSpec {
    FlagSpec::new(long, short, FlagKind::String, help)
}

const fn list_flag(
    long: &'static str,
    short: Option<&'static str>,
    help: &'static str,
) -> FlagSpec {
    FlagSpec::new(long, short, FlagKind::List, help)
}

/// `--run`, `-R`: root of the runtime state tree.
pub const RUN_FLAG: FlagSpec = string_flag(n::RUN, Some("R"), "Root of the runtime state tree");
/// `--graph`, `-g`: root of the storage tree.
pub const GRAPH_FLAG: FlagSpec = string_flag(n::GRAPH, Some("g"), "Root of the storage tree");
/// `--storage-driver`, `-s`: driver name.
pub const STORAGE_DRIVER_FLAG: FlagSpec = string_flag(
    n::STORAGE_DRIVER,
    Some("s"),
    "Storage driver to use ($STORAGE_DRIVER)",
);
/// `--storage-opt`: driver option, repeatable.
pub const STORAGE_OPT_FLAG: FlagSpec = list_flag(
    n::STORAGE_OPT,
    None,
    "Set storage driver options ($STORAGE_OPTS)",
);
/// `--debug`, `-D`: debug logging.
pub const DEBUG_FLAG: FlagSpec = bool_flag(n::DEBUG, Some("D"), "Print debugging information");
/// `--help` before the command (also `-help`, with a deprecation warning).
pub const HELP_FLAG: FlagSpec = FlagSpec {
    deprecated_single_dash: true,
    ..bool_flag(n::HELP, None, "Print usage")
};

/// `--image-store` (newer containers/storage): root of the separate image store.
pub const IMAGE_STORE_FLAG: FlagSpec = FlagSpec {
    newer: true,
    ..string_flag(n::IMAGE_STORE, None, "Root of the separate image store")
};
/// `--transient-store` (newer containers/storage).
pub const TRANSIENT_STORE_FLAG: FlagSpec = FlagSpec {
    newer: true,
    ..bool_flag(n::TRANSIENT_STORE, None, "Transient store")
};

/// Flags accepted both before the command and (re-declared) after it, in
/// storage v1.62's declaration order.
pub const GLOBAL_FLAGS: &[FlagSpec] = &[
    RUN_FLAG,
    GRAPH_FLAG,
    IMAGE_STORE_FLAG,
    TRANSIENT_STORE_FLAG,
    STORAGE_DRIVER_FLAG,
    STORAGE_OPT_FLAG,
    DEBUG_FLAG,
];

const JSON: FlagSpec = bool_flag(n::JSON, Some("j"), "Prefer JSON output");
const FILE_WRITE_DATA: FlagSpec = string_flag(n::FILE, Some("f"), "Write data to file");
const FILE_READ_DATA: FlagSpec = string_flag(n::FILE, Some("f"), "Read data from file");
const FILE_INSTEAD_OF_STDIN: FlagSpec =
    string_flag(n::FILE, Some("f"), "Read from file instead of stdin");
const MOUNT_LABEL: FlagSpec = string_flag(n::LABEL, Some("l"), "Mount Label");
const METADATA: FlagSpec = string_flag(n::METADATA, Some("m"), "Metadata");
const METADATA_FILE: FlagSpec = string_flag(n::METADATA_FILE, Some("f"), "Metadata File");
const HOST_UID_MAP: FlagSpec = bool_flag(n::HOST_UID_MAP, None, "Force host UID map");
const HOST_GID_MAP: FlagSpec = bool_flag(n::HOST_GID_MAP, None, "Force host GID map");
const UID_MAP: FlagSpec = string_flag(n::UID_MAP, None, "UID map");
const GID_MAP: FlagSpec = string_flag(n::GID_MAP, None, "GID map");
const SUB_UID_MAP: FlagSpec = string_flag(n::SUB_UID_MAP, None, "subuid UID map for a user");
const SUB_GID_MAP: FlagSpec = string_flag(n::SUB_GID_MAP, None, "subgid GID map for a group");
const NEW_NAME: FlagSpec = list_flag(n::NAME, Some("n"), "New name");
const IMAGES_QUIET: FlagSpec = bool_flag(n::QUIET, Some("q"), "Only print IDs");

const NO_FLAGS: &[FlagSpec] = &[];
const JSON_ONLY: &[FlagSpec] = &[JSON];
const WRITE_DATA_FLAGS: &[FlagSpec] = &[FILE_WRITE_DATA];
const READ_DATA_FLAGS: &[FlagSpec] = &[FILE_READ_DATA];
const IMAGES_FLAGS: &[FlagSpec] = &[JSON, IMAGES_QUIET];
const NAMES_FLAGS: &[FlagSpec] = &[NEW_NAME, JSON];
const REMOVED_NAMES_FLAGS: &[FlagSpec] = &[list_flag(n::NAME, Some("n"), "Name to remove"), JSON];

const CREATE_LAYER_FLAGS: &[FlagSpec] = &[
    MOUNT_LABEL,
    list_flag(n::NAME, Some("n"), "Layer name"),
    string_flag(n::ID, Some("i"), "Layer ID"),
    bool_flag(n::READONLY, Some("r"), "Mark as read-only"),
    JSON,
    HOST_UID_MAP,
    HOST_GID_MAP,
    UID_MAP,
    GID_MAP,
    SUB_UID_MAP,
    SUB_GID_MAP,
];

const IMPORT_LAYER_FLAGS: &[FlagSpec] = &[
    MOUNT_LABEL,
    list_flag(n::NAME, Some("n"), "Layer name"),
    string_flag(n::ID, Some("i"), "Layer ID"),
    bool_flag(n::READONLY, Some("r"), "Mark as read-only"),
    JSON,
    FILE_INSTEAD_OF_STDIN,
    HOST_UID_MAP,
    HOST_GID_MAP,
    UID_MAP,
    GID_MAP,
    SUB_UID_MAP,
    SUB_GID_MAP,
];

const CREATE_IMAGE_FLAGS: &[FlagSpec] = &[
    list_flag(n::NAME, Some("n"), "Image name"),
    string_flag(n::ID, Some("i"), "Image ID"),
    string_flag(n::DIGEST, Some("d"), "Image Digest"),
    METADATA,
    METADATA_FILE,
    JSON,
];

const CREATE_CONTAINER_FLAGS: &[FlagSpec] = &[
    list_flag(n::NAME, Some("n"), "Container name"),
    bool_flag(n::VOLATILE, None, "Mark as volatile"),
    string_flag(n::ID, Some("i"), "Container ID"),
    METADATA,
    METADATA_FILE,
    JSON,
    HOST_UID_MAP,
    HOST_GID_MAP,
    UID_MAP,
    GID_MAP,
    SUB_UID_MAP,
    SUB_GID_MAP,
];

/// `create-storage-layer`: `create-layer`'s flags without `--name` (the
/// driver keeps no names).
const CREATE_STORAGE_LAYER_FLAGS: &[FlagSpec] = &[
    MOUNT_LABEL,
    string_flag(n::ID, Some("i"), "Layer ID"),
    bool_flag(n::READONLY, Some("r"), "Mark as read-only"),
    JSON,
    HOST_UID_MAP,
    HOST_GID_MAP,
    UID_MAP,
    GID_MAP,
    SUB_UID_MAP,
    SUB_GID_MAP,
];

/// `dedup`: `--json` and `--hash-method` (default `crc`, as upstream).
const DEDUP_FLAGS: &[FlagSpec] = &[
    JSON,
    FlagSpec {
        default: "crc",
        ..string_flag(
            n::HASH_METHOD,
            None,
            "Specify the hash function to use to detect identical files",
        )
    },
];

const COPY_FLAGS: &[FlagSpec] = &[
    string_flag(n::CHOWN, Some(""), "Set owner on new copies"),
    JSON,
];

const DELETE_IMAGE_FLAGS: &[FlagSpec] = &[bool_flag(n::TEST, Some("t"), "Only test removal"), JSON];

const DIFF_FLAGS: &[FlagSpec] = &[
    string_flag(n::FILE, Some("f"), "Write to file instead of stdout"),
    bool_flag(n::UNCOMPRESSED, Some("u"), "Use no compression"),
    bool_flag(n::GZIP, Some("c"), "Compress using gzip"),
    FlagSpec {
        long_aliases: &["bz2"],
        ..bool_flag(
            n::BZIP2,
            Some("b"),
            "Compress using bzip2 (not currently supported)",
        )
    },
    bool_flag(
        n::XZ,
        Some("x"),
        "Compress using xz (not currently supported)",
    ),
];

const EXISTS_FLAGS: &[FlagSpec] = &[
    bool_flag(n::QUIET, Some("q"), "Don't print names"),
    bool_flag(n::LAYER, Some("l"), "Only succeed if the match is a layer"),
    bool_flag(n::IMAGE, Some("i"), "Only succeed if the match is an image"),
    bool_flag(
        n::CONTAINER,
        Some("c"),
        "Only succeed if the match is a container",
    ),
    JSON,
];

const LAYERS_FLAGS: &[FlagSpec] = &[bool_flag(n::TREE, Some("t"), "Use a tree"), JSON];

const METADATA_FLAGS: &[FlagSpec] = &[bool_flag(n::QUIET, Some("q"), "Omit names and IDs"), JSON];

const SET_METADATA_FLAGS: &[FlagSpec] = &[METADATA, METADATA_FILE];

const MOUNT_FLAGS: &[FlagSpec] = &[
    string_flag(n::OPT, Some("o"), "Mount Options"),
    MOUNT_LABEL,
    bool_flag(n::RO, Some("r"), "Mount image readonly"),
    JSON,
];

const UNMOUNT_FLAGS: &[FlagSpec] = &[JSON, bool_flag(n::FORCE, Some("f"), "Force the umount")];

/// Flags of `check`, as storage v1.62 declares them.
const CHECK_FLAGS: &[FlagSpec] = &[
    JSON,
    FlagSpec {
        default: "24h",
        ..string_flag(
            n::MAX,
            Some("m"),
            "Maximum allowed age for unreferenced layers",
        )
    },
    bool_flag(n::REPAIR, Some("r"), "Remove damaged images and layers"),
    bool_flag(n::FORCE, Some("f"), "Remove damaged containers"),
    bool_flag(n::QUICK, Some("q"), "Perform only quick checks"),
];

const SHUTDOWN_FLAGS: &[FlagSpec] = &[
    JSON,
    bool_flag(n::FORCE, Some("f"), "Unmount mounted layers first"),
];

/// Which command was chosen; one variant per entry of [`COMMANDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandId {
    /// `container`
    Container,
    /// `list-container-data`
    ListContainerData,
    /// `get-container-data`
    GetContainerData,
    /// `get-container-data-size`
    GetContainerDataSize,
    /// `get-container-data-digest`
    GetContainerDataDigest,
    /// `set-container-data`
    SetContainerData,
    /// `get-container-dir`
    GetContainerDir,
    /// `get-container-run-dir`
    GetContainerRunDir,
    /// `container-parent-owners`
    ContainerParentOwners,
    /// `containers`
    Containers,
    /// `copy`
    Copy,
    /// `create-layer`
    CreateLayer,
    /// `import-layer`
    ImportLayer,
    /// `create-image`
    CreateImage,
    /// `create-container`
    CreateContainer,
    /// `delete`
    Delete,
    /// `delete-layer`
    DeleteLayer,
    /// `delete-image`
    DeleteImage,
    /// `delete-container`
    DeleteContainer,
    /// `changes`
    Changes,
    /// `diffsize`
    DiffSize,
    /// `diff`
    Diff,
    /// `applydiff`
    ApplyDiff,
    /// `exists`
    Exists,
    /// `image`
    Image,
    /// `list-image-data`
    ListImageData,
    /// `get-image-data`
    GetImageData,
    /// `get-image-data-size`
    GetImageDataSize,
    /// `get-image-data-digest`
    GetImageDataDigest,
    /// `set-image-data`
    SetImageData,
    /// `images`
    Images,
    /// `images-by-digest`
    ImagesByDigest,
    /// `layer`
    Layer,
    /// `layer-parent-owners`
    LayerParentOwners,
    /// `list-layer-data`
    ListLayerData,
    /// `get-layer-data`
    GetLayerData,
    /// `set-layer-data`
    SetLayerData,
    /// `layers`
    Layers,
    /// `metadata`
    Metadata,
    /// `set-metadata`
    SetMetadata,
    /// `mount`
    Mount,
    /// `unmount`
    Unmount,
    /// `mounted`
    Mounted,
    /// `get-names`
    GetNames,
    /// `add-names`
    AddNames,
    /// `set-names`
    SetNames,
    /// `shutdown`
    Shutdown,
    /// `status`
    Status,
    /// `version`
    Version,
    /// `wipe`
    Wipe,
    /// `blob` (graphstore): the content-addressable blob store.
    Blob,
    /// `lease` (graphstore): layer leases.
    Lease,
    /// `heads` (graphstore): layers that are no layer's parent.
    Heads,
    /// `children` (graphstore): a layer's children.
    Children,
    /// `remove-names` (newer containers/storage).
    RemoveNames,
    /// `get-image-dir` (newer containers/storage).
    GetImageDir,
    /// `get-image-run-dir` (newer containers/storage).
    GetImageRunDir,
    /// `gc` (newer containers/storage).
    Gc,
    /// `check` (newer containers/storage).
    Check,
    /// `config` (newer containers/storage).
    Config,
    /// `create-storage-layer` (newer containers/storage).
    CreateStorageLayer,
    /// `storage-layers` (newer containers/storage).
    StorageLayers,
    /// `dedup` (newer containers/storage).
    Dedup,
}

/// One command as declared by 1.43.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// Identifier to `match` on.
    pub id: CommandId,
    /// Primary name, shown in the global listing.
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// One-line description (global listing and per-command usage).
    pub usage: &'static str,
    /// Argument synopsis: `Usage: containers-storage <cmd> <options_help>`.
    pub options_help: &'static str,
    /// Minimum positional arguments; 0 means unchecked.
    pub min_args: usize,
    /// Maximum positional arguments; 0 means unchecked.
    pub max_args: usize,
    /// Command-specific flags (the global flags are added by the parser).
    pub flags: &'static [FlagSpec],
}

impl CommandSpec {
    /// Whether `word` is this command's name or one of its aliases.
    pub fn is_named(&self, word: &str) -> bool {
        self.name == word || self.aliases.contains(&word)
    }
}

impl CommandId {
    /// The table entry for this command.
    pub fn spec(self) -> &'static CommandSpec {
        COMMANDS
            .iter()
            .chain(EXTENSION_COMMANDS)
            .find(|command| command.id == self)
            .expect("every CommandId has a table entry")
    }
}

/// The command whose name or alias is `word`, as 1.43 looks it up.
pub fn find_command(word: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .chain(EXTENSION_COMMANDS)
        .find(|command| command.is_named(word))
}

/// Flags of `blob`: `--file` (input of put/set-meta, output of get/get-meta) and `--json`.
const BLOB_FLAGS: &[FlagSpec] = &[
    string_flag(
        n::FILE,
        Some("f"),
        "Read from or write to file instead of stdin/stdout",
    ),
    JSON,
];

/// Commands 1.43 does not have: graphstore's own (Docker's blob store,
/// leases and graph queries) and those of newer containers/storage
/// releases (as storage v1.62 declares them). They are not in 1.43's
/// command listing, so `--help` stays identical to 1.43's; each has its
/// own `--help`.
pub static EXTENSION_COMMANDS: &[CommandSpec] = &[
    command(
        C::Config,
        "config",
        &[],
        "Print storage library configuration as JSON",
        "[configurationFile]",
        0,
        1,
        NO_FLAGS,
    ),
    command(
        C::CreateStorageLayer,
        "create-storage-layer",
        &[],
        "Create a new layer only in the storage driver",
        "[options [...]] [parentLayerNameOrID]",
        0,
        1,
        CREATE_STORAGE_LAYER_FLAGS,
    ),
    command(
        C::StorageLayers,
        "storage-layers",
        &[],
        "List storage layers",
        OPTS,
        0,
        0,
        JSON_ONLY,
    ),
    command(
        C::Dedup,
        "dedup",
        &[],
        "Dedup all images",
        "",
        0,
        0,
        DEDUP_FLAGS,
    ),
    command(
        C::RemoveNames,
        "remove-names",
        &["removenames"],
        "Remove layer, image, or container name or names",
        "[options [...]] imageOrContainerNameOrID",
        1,
        0,
        REMOVED_NAMES_FLAGS,
    ),
    command(
        C::Gc,
        "gc",
        &[],
        "Perform garbage collection",
        "",
        0,
        0,
        JSON_ONLY,
    ),
    command(
        C::Check,
        "check",
        &[],
        "Check storage consistency",
        "",
        0,
        0,
        CHECK_FLAGS,
    ),
    command(
        C::GetImageDir,
        "get-image-dir",
        &["getimagedir"],
        "Find the image's associated data directory",
        "[options [...]] imageNameOrID",
        1,
        1,
        NO_FLAGS,
    ),
    command(
        C::GetImageRunDir,
        "get-image-run-dir",
        &["getimagerundir"],
        "Find the image's associated runtime directory",
        "[options [...]] imageNameOrID",
        1,
        1,
        NO_FLAGS,
    ),
    command(
        C::Blob,
        "blob",
        &[],
        "Content-addressable blobs (graphstore)",
        "[options [...]] put | get DIGEST | rm DIGEST [...] | ls | set-meta DIGEST KEY | get-meta DIGEST KEY | rm-meta DIGEST KEY",
        1,
        0,
        BLOB_FLAGS,
    ),
    command(
        C::Lease,
        "lease",
        &[],
        "Layer leases (graphstore)",
        "[options [...]] retain SESSION layerNameOrID [...] | release SESSION layerNameOrID [...] | ls",
        1,
        0,
        JSON_ONLY,
    ),
    command(
        C::Heads,
        "heads",
        &[],
        "List layers that are no layer's parent (graphstore)",
        OPTS,
        0,
        0,
        JSON_ONLY,
    ),
    command(
        C::Children,
        "children",
        &[],
        "List the children of a layer (graphstore)",
        "[options [...]] layerNameOrID",
        1,
        1,
        JSON_ONLY,
    ),
];

const OPTS: &str = "[options [...]]";

#[allow(clippy::too_many_arguments)]
const fn command(
    id: CommandId,
    name: &'static str,
    aliases: &'static [&'static str],
    usage: &'static str,
    options_help: &'static str,
    min_args: usize,
    max_args: usize,
    flags: &'static [FlagSpec],
) -> CommandSpec {
    CommandSpec {
        id,
        name,
        aliases,
        usage,
        options_help,
        min_args,
        max_args,
        flags,
    }
}

use CommandId as C;

/// Every command, in the order of the global `--help` listing.
#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    command(C::Container, "container", &[], "Examine a container",
        "[options [...]] containerNameOrID [...]", 1, 0, JSON_ONLY),
    command(C::ListContainerData, "list-container-data", &["listcontainerdata"],
        "List data items that are attached to an container",
        "[options [...]] containerNameOrID", 1, 1, JSON_ONLY),
    command(C::GetContainerData, "get-container-data", &["getcontainerdata"],
        "Get data that is attached to an container",
        "[options [...]] containerNameOrID dataName", 2, 0, WRITE_DATA_FLAGS),
    command(C::GetContainerDataSize, "get-container-data-size", &["getcontainerdatasize"],
        "Get size of data that is attached to an container",
        "[options [...]] containerNameOrID dataName", 2, 0, NO_FLAGS),
    command(C::GetContainerDataDigest, "get-container-data-digest", &["getcontainerdatadigest"],
        "Get digest of data that is attached to an container",
        "[options [...]] containerNameOrID dataName", 2, 0, NO_FLAGS),
    command(C::SetContainerData, "set-container-data", &["setcontainerdata"],
        "Set data that is attached to an container",
        "[options [...]] containerNameOrID dataName", 2, 0, READ_DATA_FLAGS),
    command(C::GetContainerDir, "get-container-dir", &["getcontainerdir"],
        "Find the container's associated data directory",
        "[options [...]] containerNameOrID", 1, 0, NO_FLAGS),
    command(C::GetContainerRunDir, "get-container-run-dir", &["getcontainerrundir"],
        "Find the container's associated runtime directory",
        "[options [...]] containerNameOrID", 1, 0, NO_FLAGS),
    command(C::ContainerParentOwners, "container-parent-owners", &[],
        "Compute the set of unmapped parent UIDs and GIDs of the container",
        "[options [...]] containerNameOrID [...]", 1, 0, JSON_ONLY),
    command(C::Containers, "containers", &[], "List containers", OPTS, 0, 0, JSON_ONLY),
    command(C::Copy, "copy", &[],
        "Copy files or directories into a layer, possibly from another layer",
        "[options [...]] [sourceLayerNameOrID:]/path [...] targetLayerNameOrID:/path",
        2, 0, COPY_FLAGS),
    command(C::CreateLayer, "create-layer", &["createlayer"], "Create a new layer",
        "[options [...]] [parentLayerNameOrID]", 0, 1, CREATE_LAYER_FLAGS),
    command(C::ImportLayer, "import-layer", &["importlayer"], "Import a new layer",
        "[options [...]] [parentLayerNameOrID]", 0, 1, IMPORT_LAYER_FLAGS),
    command(C::CreateImage, "create-image", &["createimage"], "Create a new image using layers",
        "[options [...]] topLayerNameOrID", 0, 1, CREATE_IMAGE_FLAGS),
    command(C::CreateContainer, "create-container", &["createcontainer"],
        "Create a new container from an image",
        "[options [...]] parentImageNameOrID", 1, 1, CREATE_CONTAINER_FLAGS),
    command(C::Delete, "delete", &[],
        "Delete a layer or image or container, with no safety checks",
        "[LayerOrImageOrContainerNameOrID [...]]", 1, 0, JSON_ONLY),
    command(C::DeleteLayer, "delete-layer", &["deletelayer"], "Delete a layer, with safety checks",
        "[LayerNameOrID [...]]", 1, 0, JSON_ONLY),
    command(C::DeleteImage, "delete-image", &["deleteimage"],
        "Delete an image, with safety checks",
        "[ImageNameOrID [...]]", 1, 0, DELETE_IMAGE_FLAGS),
    command(C::DeleteContainer, "delete-container", &["deletecontainer"],
        "Delete a container, with safety checks",
        "[ContainerNameOrID [...]]", 1, 0, JSON_ONLY),
    command(C::Changes, "changes", &[], "Compare two layers",
        "[options [...]] layerNameOrID [referenceLayerNameOrID]", 1, 2, JSON_ONLY),
    command(C::DiffSize, "diffsize", &["diff-size"], "Compare two layers",
        "[options [...]] layerNameOrID [referenceLayerNameOrID]", 1, 2, NO_FLAGS),
    command(C::Diff, "diff", &[], "Compare two layers",
        "[options [...]] layerNameOrID [referenceLayerNameOrID]", 1, 2, DIFF_FLAGS),
    command(C::ApplyDiff, "applydiff", &["apply-diff"], "Apply a diff to a layer",
        "[options [...]] layerNameOrID [referenceLayerNameOrID]", 1, 1,
        &[FILE_INSTEAD_OF_STDIN]),
    command(C::Exists, "exists", &[], "Check if a layer or image or container exists",
        "[LayerOrImageOrContainerNameOrID [...]]", 1, 0, EXISTS_FLAGS),
    command(C::Image, "image", &[], "Examine an image",
        "[options [...]] imageNameOrID [...]", 1, 0, JSON_ONLY),
    command(C::ListImageData, "list-image-data", &["listimagedata"],
        "List data items that are attached to an image",
        "[options [...]] imageNameOrID", 1, 1, JSON_ONLY),
    command(C::GetImageData, "get-image-data", &["getimagedata"],
        "Get data that is attached to an image",
        "[options [...]] imageNameOrID dataName", 2, 0, WRITE_DATA_FLAGS),
    command(C::GetImageDataSize, "get-image-data-size", &["getimagedatasize"],
        "Get size of data that is attached to an image",
        "[options [...]] imageNameOrID dataName", 2, 0, NO_FLAGS),
    command(C::GetImageDataDigest, "get-image-data-digest", &["getimagedatadigest"],
        "Get digest of data that is attached to an image",
        "[options [...]] imageNameOrID dataName", 2, 0, NO_FLAGS),
    command(C::SetImageData, "set-image-data", &["setimagedata"],
        "Set data that is attached to an image (with sometimes wrong digest)",
        "[options [...]] imageNameOrID dataName", 2, 0, READ_DATA_FLAGS),
    command(C::Images, "images", &[], "List images", OPTS, 0, 0, IMAGES_FLAGS),
    command(C::ImagesByDigest, "images-by-digest", &[], "List images by digest",
        "[options [...]] DIGEST", 1, 1, IMAGES_FLAGS),
    command(C::Layer, "layer", &[], "Examine a layer",
        "[options [...]] layerNameOrID [...]", 1, 0, JSON_ONLY),
    command(C::LayerParentOwners, "layer-parent-owners", &[],
        "Compute the set of unmapped parent UIDs and GIDs of the layer",
        "[options [...]] layerNameOrID [...]", 1, 0, JSON_ONLY),
    command(C::ListLayerData, "list-layer-data", &["listlayerdata"],
        "List data items that are attached to a layer",
        "[options [...]] layerNameOrID", 1, 1, JSON_ONLY),
    command(C::GetLayerData, "get-layer-data", &["getlayerdata"],
        "Get data that is attached to a layer",
        "[options [...]] layerID dataName", 2, 0, WRITE_DATA_FLAGS),
    command(C::SetLayerData, "set-layer-data", &["setlayerdata"],
        "Set data that is attached to a layer",
        "[options [...]] layerID dataName", 2, 0, READ_DATA_FLAGS),
    command(C::Layers, "layers", &[], "List layers", OPTS, 0, 0, LAYERS_FLAGS),
    command(C::Metadata, "metadata", &[], "Retrieve layer, image, or container metadata",
        "[LayerOrImageOrContainerNameOrID [...]]", 1, 0, METADATA_FLAGS),
    command(C::SetMetadata, "set-metadata", &["setmetadata"],
        "Set layer, image, or container metadata",
        "[options [...]] layerOrImageOrContainerNameOrID", 1, 1, SET_METADATA_FLAGS),
    command(C::Mount, "mount", &[], "Mount a layer or container",
        "[options [...]] LayerOrContainerNameOrID", 1, 0, MOUNT_FLAGS),
    command(C::Unmount, "unmount", &["umount"], "Unmount an image, layer or container",
        "LayerOrContainerNameOrID", 1, 0, UNMOUNT_FLAGS),
    command(C::Mounted, "mounted", &[], "Check if a file system is mounted",
        "LayerOrContainerNameOrID", 1, 0, JSON_ONLY),
    command(C::GetNames, "get-names", &["getnames"],
        "Get layer, image, or container name or names",
        "[options [...]] imageOrContainerNameOrID", 1, 0, JSON_ONLY),
    command(C::AddNames, "add-names", &["addnames"],
        "Add layer, image, or container name or names",
        "[options [...]] imageOrContainerNameOrID", 1, 0, NAMES_FLAGS),
    command(C::SetNames, "set-names", &["setnames"],
        "Set layer, image, or container name or names",
        "[options [...]] imageOrContainerNameOrID", 1, 0, NAMES_FLAGS),
    command(C::Shutdown, "shutdown", &[], "Shut down layer storage", "", 0, 0, SHUTDOWN_FLAGS),
    command(C::Status, "status", &[], "Check on graph driver status", "", 0, 0, JSON_ONLY),
    command(C::Version, "version", &[], "Return containers-storage version information",
        "", 0, 0, JSON_ONLY),
    command(C::Wipe, "wipe", &[], "Wipe all layers, images, and containers", "", 0, 0, JSON_ONLY),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_id_has_exactly_one_entry() {
        for command in COMMANDS {
            let count = COMMANDS.iter().filter(|c| c.id == command.id).count();
            assert_eq!(count, 1, "{:?}", command.id);
            assert_eq!(command.id.spec().name, command.name);
        }
        assert_eq!(COMMANDS.len(), 50);
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for command in COMMANDS {
            for word in std::iter::once(&command.name).chain(command.aliases) {
                assert!(seen.insert(*word), "duplicate command word {word}");
            }
        }
    }

    #[test]
    fn no_command_flag_collides_with_a_global_flag() {
        for command in COMMANDS {
            for (index, flag) in command.flags.iter().enumerate() {
                let others = GLOBAL_FLAGS.iter().chain(&command.flags[index + 1..]);
                for other in others {
                    assert_ne!(flag.long, other.long, "{}", command.name);
                    if let Some(short) = flag.short.filter(|s| !s.is_empty()) {
                        assert_ne!(Some(short), other.short, "{}", command.name);
                    }
                }
            }
        }
    }

    #[test]
    fn lookup_by_alias() {
        assert_eq!(
            find_command("createlayer").map(|c| c.id),
            Some(CommandId::CreateLayer)
        );
        assert_eq!(
            find_command("diff-size").map(|c| c.id),
            Some(CommandId::DiffSize)
        );
        assert_eq!(
            find_command("umount").map(|c| c.id),
            Some(CommandId::Unmount)
        );
        assert_eq!(find_command("bogus"), None);
    }

    #[test]
    fn flag_keys() {
        let bzip2 = DIFF_FLAGS[3];
        assert!(bzip2.matches_key("-bzip2"));
        assert!(bzip2.matches_key("-bz2"));
        assert!(bzip2.matches_key("b"));
        assert!(!bzip2.matches_key("bzip2"));
        assert!(HELP_FLAG.matches_key("help"));
        assert!(HELP_FLAG.matches_key("-help"));
        assert!(!HELP_FLAG.matches_key("h"));
    }
}
