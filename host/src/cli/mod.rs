//! The `graphstore` command line: a drop-in replacement for the
//! `containers-storage` 1.43 CLI (same commands, flags, output bytes, exit
//! codes), running every operation through [`crate::Store`].
//!
//! Unlike 1.43, graphstore never reads `/etc/containers/storage.conf`: with no
//! store option before the command it uses [`StoreOptions::default_roots`].

pub mod args;
mod commands;
pub mod flags;
pub mod output;
pub mod spec;

use crate::{ErrorKind, StoreOptions};
use args::{Invocation, Outcome, ParseContext};
use graphstore_guest::format::timestamp::Timestamp;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Exit code of a failed command or store.
const FAILURE_EXIT_CODE: i32 = 1;
/// What 1.43's store reports when neither root is known.
const NO_ROOTS_MESSAGE: &str =
    "no storage runroot or graphroot specified: missing necessary StoreOptions";

/// Runs one command line (`argv[0]` included) and returns the exit code.
/// Output goes to the process's standard output and standard error.
pub fn run(argv: Vec<String>) -> i32 {
    let program = argv.first().map(String::as_str).unwrap_or("graphstore");
    let home = home_dir();
    let context = ParseContext {
        program,
        home_dir: home.as_deref(),
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let code = match args::parse(&context, argv.get(1..).unwrap_or_default(), default_options) {
        Outcome::Exit(exit) => {
            let _ = stdout.write_all(exit.stdout.as_bytes());
            let _ = stderr.write_all(exit.stderr.as_bytes());
            exit.code
        }
        Outcome::Run(invocation) => {
            let _ = stderr.write_all(invocation.warnings.as_bytes());
            execute(&invocation, &mut stdout, &mut stderr)
        }
    };
    let _ = stdout.flush();
    code
}

/// Opens the store the invocation names and runs its command.
fn execute(invocation: &Invocation, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let options = store_options(&invocation.store);
    if invocation.debug {
        let mut lines = debug_lines(&invocation.store);
        if let Ok(options) = &options {
            lines.extend(driver_debug_lines(options));
        }
        let text: String = lines.iter().map(|line| log_line("debug", line)).collect();
        let _ = stderr.write_all(text.as_bytes());
    }
    let opened = options.clone().and_then(|options| {
        create_roots(&options)?;
        crate::Store::open(options)
    });
    let mut store = match opened {
        Ok(store) => store,
        Err(error) => {
            if let (Some(ErrorKind::DriverNotSupported), Ok(options)) = (error.kind(), &options) {
                let root = std::path::absolute(&options.graph_root)
                    .unwrap_or_else(|_| options.graph_root.clone());
                let message = format!(
                    "Failed to GetDriver graph {} {}",
                    options.driver_name,
                    root.display()
                );
                let _ = stderr.write_all(log_line("error", &message).as_bytes());
            }
            let _ = writeln!(stdout, "error initializing: {error}");
            return FAILURE_EXIT_CODE;
        }
    };
    if invocation.debug {
        // What the store cleaned up after a crash (1.43 logs incomplete layers too).
        let report = store.recovery_report().unwrap_or_default();
        let text: String = report.iter().map(|line| log_line("debug", line)).collect();
        let _ = stderr.write_all(text.as_bytes());
    }
    commands::run(invocation, &mut store, stdout, stderr)
}

/// Mode of the roots 1.43 creates.
const ROOT_DIR_MODE: u32 = 0o700;

/// Creates the run root, then the graph root, as 1.43 does before opening
/// the store, so that a failure is reported as it reports it
/// (`mkdir /dev/null: not a directory`).
fn create_roots(options: &StoreOptions) -> Result<(), crate::Error> {
    let roots = [&options.run_root, &options.graph_root]
        .into_iter()
        .chain(options.image_store.as_ref());
    for root in roots {
        go_mkdir_all(&go_abs(root)).map_err(crate::Error::Setup)?;
    }
    Ok(())
}

/// Go's `filepath.Abs`: joined to the working directory and cleaned
/// lexically (`a/../b/` is `b`), as 1.43 makes its roots absolute.
fn go_abs(path: &Path) -> PathBuf {
    let joined = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut clean = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                if clean.parent().is_some() {
                    clean.pop();
                }
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// Go's `os.MkdirAll`, with its error text.
fn go_mkdir_all(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    let mkdir_error =
        |error: &std::io::Error| output::path_error("mkdir", &path.to_string_lossy(), error);
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(mkdir_error(&std::io::Error::from_raw_os_error(
                libc::ENOTDIR,
            )));
        }
        Err(_) => {}
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        go_mkdir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(ROOT_DIR_MODE).create(path) {
        Ok(()) => Ok(()),
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir()) => Ok(()),
        Err(error) => Err(mkdir_error(&error)),
    }
}

/// The store options when none was given before the command.
fn default_options() -> args::StoreOptions {
    let defaults = StoreOptions::default_roots();
    args::StoreOptions {
        graph_root: defaults.graph_root.to_string_lossy().into_owned(),
        run_root: defaults.run_root.to_string_lossy().into_owned(),
        driver: defaults.driver_name,
        driver_options: defaults.driver_options,
        ..args::StoreOptions::default()
    }
}

/// The library's options for the command line's; a missing root is taken
/// from the defaults, as 1.43 does, but not both.
fn store_options(given: &args::StoreOptions) -> Result<StoreOptions, crate::Error> {
    if given.graph_root.is_empty() && given.run_root.is_empty() {
        return Err(crate::Error::Setup(NO_ROOTS_MESSAGE.into()));
    }
    let defaults = StoreOptions::default_roots();
    let root = |path: &str, default: PathBuf| {
        if path.is_empty() {
            default
        } else {
            go_abs(Path::new(path))
        }
    };
    let mut options = StoreOptions::new(
        root(&given.graph_root, defaults.graph_root),
        root(&given.run_root, defaults.run_root),
    );
    if !given.driver.is_empty() {
        options.driver_name = given.driver.clone();
    }
    options.driver_options = given.driver_options.clone();
    options.transient_store = given.transient_store;
    options.image_store = non_empty_path(&given.image_store).map(go_abs);
    Ok(options)
}

/// `Some(path)` unless `text` is empty (an empty flag counts as not given).
fn non_empty_path(text: &str) -> Option<&Path> {
    Some(text).filter(|text| !text.is_empty()).map(Path::new)
}

/// What 1.43's CLI logs at debug level before opening the store.
fn debug_lines(options: &args::StoreOptions) -> Vec<String> {
    vec![
        format!("Root: {}", options.graph_root),
        format!("Run Root: {}", options.run_root),
        format!("Driver Name: {}", options.driver),
        format!("Driver Options: [{}]", options.driver_options.join(" ")),
    ]
}

/// What 1.43's driver initialisation logs at debug level: the driver
/// tried, and each `ignore_chown_errors` value met before any bad option.
fn driver_debug_lines(options: &StoreOptions) -> Vec<String> {
    let mut lines = vec![format!(
        "[graphdriver] trying provided driver {}",
        graphstore_guest::format::go::quote(&options.driver_name)
    )];
    if options.driver_name != crate::options::DEFAULT_DRIVER {
        return lines;
    }
    for option in &options.driver_options {
        let Some((key, value)) = option.split_once('=') else {
            break;
        };
        match key.trim().to_lowercase().as_str() {
            "vfs.imagestore" | ".imagestore" => {}
            "vfs.ignore_chown_errors" | ".ignore_chown_errors" => {
                lines.push(format!("vfs: ignore_chown_errors={value}"));
            }
            "vfs.sync" | ".sync" => lines.push(format!("vfs: sync={value}")),
            _ => break,
        }
    }
    lines
}

/// One logrus text-format line, as 1.43 writes its log to standard error.
fn log_line(level: &str, message: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default();
    let time = Timestamp {
        seconds: now,
        nanoseconds: 0,
        utc_offset: local_utc_offset(now),
    };
    graphstore_guest::format::go::log_line(time, level, message)
}

/// The local time zone's offset from UTC at `seconds` since the epoch.
fn local_utc_offset(seconds: i64) -> i32 {
    let time = seconds as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i32
    }
}

/// `$HOME`, else the current user's home directory from the user database.
fn home_dir() -> Option<String> {
    std::env::var("HOME")
        .ok()
        .filter(|home| !home.is_empty())
        .or_else(|| commands::user_home(rustix::process::getuid().as_raw()))
}
