//! Shared helpers of the black-box suites: temporary roots, running the
//! graphstore CLI and the reference `containers-storage` 1.43 CLI.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The reference implementation's CLI (Debian package `containers-storage`).
pub const REFERENCE_CLI: &str = "containers-storage";

/// A graph root and run root in a fresh temporary directory.
pub struct Roots {
    pub dir: tempfile::TempDir,
}

impl Roots {
    /// Fresh, empty roots.
    pub fn new() -> Roots {
        Roots {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    /// The graph root.
    pub fn graph(&self) -> PathBuf {
        self.dir.path().join("graph")
    }

    /// The run root.
    pub fn run(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// Library options for these roots.
    pub fn options(&self) -> graphstore::StoreOptions {
        graphstore::StoreOptions::new(self.graph(), self.run())
    }

    /// Opens these roots with the library.
    pub fn open(&self) -> graphstore::Store {
        graphstore::Store::open(self.options()).expect("open the store")
    }

    /// Global flags selecting these roots and the vfs driver.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "-g".into(),
            self.graph().display().to_string(),
            "-R".into(),
            self.run().display().to_string(),
            "-s".into(),
            "vfs".into(),
        ]
    }

    /// Runs the graphstore CLI on these roots.
    pub fn graphstore(&self, args: &[&str]) -> Run {
        run(graphstore_cli(), &self.flags(), args, None)
    }

    /// Runs the graphstore CLI with `stdin` as standard input.
    pub fn graphstore_with_input(&self, args: &[&str], stdin: &[u8]) -> Run {
        run(graphstore_cli(), &self.flags(), args, Some(stdin))
    }

    /// Runs the reference CLI on these roots.
    pub fn reference(&self, args: &[&str]) -> Run {
        run(reference_cli(), &self.flags(), args, None)
    }

    /// Runs the reference CLI with `stdin` as standard input.
    pub fn reference_with_input(&self, args: &[&str], stdin: &[u8]) -> Run {
        run(reference_cli(), &self.flags(), args, Some(stdin))
    }

    /// Runs the reference CLI, killed after `seconds` (exit code 124 then):
    /// a liveness bound for runs that could wait on a lock forever.
    pub fn reference_within(&self, seconds: u32, args: &[&str]) -> Run {
        let timeout = ["timeout", "--signal=KILL", &seconds.to_string()].map(String::from);
        self.wrapped(&timeout, reference_cli(), args, None)
    }

    /// Runs the graphstore CLI on these roots under `wrapper` (a program
    /// and its arguments, e.g. `strace …`), with `stdin` if given.
    pub fn graphstore_under(&self, wrapper: &[String], args: &[&str], stdin: Option<&[u8]>) -> Run {
        self.wrapped(wrapper, graphstore_cli(), args, stdin)
    }

    fn wrapped(
        &self,
        wrapper: &[String],
        cli: PathBuf,
        args: &[&str],
        stdin: Option<&[u8]>,
    ) -> Run {
        let (program, wrapper_args) = wrapper.split_first().expect("a wrapper program");
        let mut flags = wrapper_args.to_vec();
        flags.push(cli.display().to_string());
        flags.extend(self.flags());
        run(PathBuf::from(program), &flags, args, stdin)
    }

    /// Reads a file below the graph root.
    pub fn read_graph(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.graph().join(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }
}

/// What a CLI run printed and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed: {self:?}");
        &self.stdout
    }
}

/// Path of the graphstore CLI built for these tests.
pub fn graphstore_cli() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_graphstore"))
}

/// Path of the reference CLI; fails the test with instructions when missing.
pub fn reference_cli() -> PathBuf {
    let found = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(REFERENCE_CLI))
        .find(|path| path.is_file());
    found.unwrap_or_else(|| {
        panic!("the reference CLI `{REFERENCE_CLI}` is not installed: run `scripts/install-test-deps` (apt-get install containers-storage)")
    })
}

fn run(program: PathBuf, flags: &[String], args: &[&str], stdin: Option<&[u8]>) -> Run {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(program);
    // Both CLIs name themselves after argv[0] in usage messages.
    command.arg0(REFERENCE_CLI);
    command
        .args(flags)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("start the CLI");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(input)
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait for the CLI");
    Run {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code().unwrap_or(-1),
    }
}

/// Runs `program` (a CLI, named `containers-storage` in argv[0] as every
/// run here) on `roots` with binary standard output: (stdout, stderr, exit
/// code). A CLI that refuses `stdin` may stop reading it early.
pub fn run_binary(
    program: &Path,
    roots: &Roots,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> (Vec<u8>, String, i32) {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(program)
        .arg0(REFERENCE_CLI)
        .args(roots.flags())
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the CLI");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("piped");
        if let Err(error) = pipe.write_all(input) {
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "write stdin");
        }
    }
    let out = child.wait_with_output().expect("wait for the CLI");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Every file and directory below `root`, as sorted relative paths with a
/// kind and permission summary (`d 700 vfs-images`).
pub fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            let kind = if meta.is_dir() {
                'd'
            } else if meta.file_type().is_symlink() {
                'l'
            } else {
                'f'
            };
            let relative = path
                .strip_prefix(root)
                .expect("below root")
                .display()
                .to_string();
            out.push(format!(
                "{kind} {:o} {relative}",
                meta.permissions().mode() & 0o7777
            ));
            if meta.is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The tar GNU tar makes of directory `src` with `options` (e.g.
/// `--owner=0`), its members named `./…`.
pub fn gnu_tar(src: &Path, options: &[&str]) -> Vec<u8> {
    let out = tempfile::NamedTempFile::new().expect("a temporary file");
    let status = Command::new("tar")
        .args(options)
        .arg("-C")
        .arg(src)
        .arg("-cf")
        .arg(out.path())
        .arg(".")
        .status()
        .expect("run tar");
    assert!(status.success(), "tar of {}", src.display());
    std::fs::read(out.path()).expect("read the tar")
}

/// Tar metadata (for `graphstore_guest`'s `TarWriter`) with `mode`, owner
/// `uid:uid` and modification time `mtime` (seconds since the epoch).
pub fn tar_meta(mode: i64, uid: i64, mtime: i64) -> graphstore_guest::archive::writer::Metadata {
    graphstore_guest::archive::writer::Metadata {
        mode,
        uid,
        gid: uid,
        mtime: graphstore_guest::format::timestamp::Timestamp::utc(mtime, 0),
        ..Default::default()
    }
}

/// Parses JSON text.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// A writer whose bytes a test can read after handing a clone of it to
/// an API that takes `impl Write + Send + 'static`.
#[derive(Clone, Default)]
pub struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// The bytes written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `input` piped through `program args…` (a filter such as `gzip -c` or
/// `zstd -d -c`); its standard output. Panics when the program fails.
pub fn filter(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut pipe = child.stdin.take().expect("piped");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || pipe.write_all(&input));
    let out = child.wait_with_output().expect("wait");
    feeder.join().unwrap().expect("feed the filter");
    assert!(out.status.success(), "{program} {args:?} failed");
    out.stdout
}

/// The fields 1.43 derives from an applied diff in one layer record (as
/// `layer --json` or `layers.json` holds it), as `key=value` lines.
pub fn diff_fields(layer: &serde_json::Value) -> Vec<String> {
    [
        "compressed-diff-digest",
        "compressed-size",
        "diff-digest",
        "diff-size",
        "compression",
        "uidset",
        "gidset",
    ]
    .iter()
    .map(|key| format!("{key}={}", layer[key]))
    .collect()
}
