//! Argument parsing with the semantics of Docker's `mflag` package as used by
//! `containers-storage` 1.43, including its exact usage and error texts.
//!
//! Parsing is pure: nothing is printed and nothing is read from the
//! environment. Whatever 1.43 would print while parsing is returned as text
//! (an [`EarlyExit`], or [`Invocation::warnings`]) for the caller to write.
//!
//! Summary of the rules reproduced here:
//! * global flags are parsed up to the first non-flag word, which names the
//!   command; the command's flag set re-declares the global flags, so they may
//!   also follow the command, and then adds the command's own flags;
//! * `--long`, `-s`, `--long=value`, `-s=value`, `--long value`, `-s value`;
//!   quotes around an `=value` are stripped; booleans take only `=value`;
//! * a single dash with several letters is retried letter by letter (`-jt`),
//!   so `-name` fails as `flag provided but not defined: -name`;
//! * `--` ends the flags; flags must precede positional arguments;
//! * list flags (`--name`, `--storage-opt`) append.

use super::flags::{CommandFlags, Value};
use graphstore_guest::format::go;
use std::collections::VecDeque;
use std::fmt;

use super::spec::{self, CommandId, CommandSpec, FlagKind, FlagSpec, flag_names};

/// Exit code for usage errors (no command, unknown command, wrong argument count).
pub const USAGE_ERROR_EXIT_CODE: i32 = 1;
/// Exit code `mflag` uses for any flag error after the command (including `cmd --help`).
pub const COMMAND_FLAG_ERROR_EXIT_CODE: i32 = 125;
/// Exit code of a Go runtime panic, which some 1.43 inputs trigger.
pub const GO_PANIC_EXIT_CODE: i32 = 2;
/// Exit code of a successful global `--help`.
pub const HELP_EXIT_CODE: i32 = 0;

/// Name of the global flag set, printed in usage lines whatever `argv[0]` is.
const PROGRAM_TITLE: &str = "containers-storage";
/// First lines of the global usage, before the command list.
const GLOBAL_USAGE_HEAD: &str =
    "Usage: containers-storage command [options [...]]\n\nCommands:\n\n";
/// Width of the command-name column in the global command list.
const COMMAND_COLUMN_WIDTH: usize = 30;
/// Header closing every usage text, followed by the flag defaults.
const OPTIONS_HEADING: &str = "\nOptions:\n";
/// Minimum width of the flag-name column in the `Options:` section (Go tabwriter `minwidth`).
const DEFAULTS_MIN_WIDTH: usize = 20;
/// Spaces added after the widest flag-name cell (Go tabwriter `padding`).
const DEFAULTS_PADDING: usize = 3;
/// What a default value starting with the home directory is shortened to.
const HOME_SHORTCUT: &str = "~";
/// Message of the error returned when `-h`/`--help` is met where it is not a flag.
const HELP_REQUESTED: &str = "flag: help requested";
/// Suffix 1.43 adds when the global flags fail to parse.
const GLOBAL_PARSE_ERROR_SUFFIX: &str = " while parsing arguments (1)";
/// What the Go runtime prints after the panic message (the stack trace that
/// follows contains addresses and is not reproduced).
const GO_PANIC_TRAILER: &str = "\n\ngoroutine 1 [running]:\n";
/// Panic raised by usage printing for a flag declared with an empty name (`copy --chown`).
const EMPTY_FLAG_NAME_PANIC: &str = "runtime error: index out of range [0] with length 0";
/// Panic raised when an `=value` is a lone quote character.
const LONE_QUOTE_PANIC: &str = "runtime error: slice bounds out of range [1:0]";

/// What the parser needs to know about the process it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseContext<'a> {
    /// `argv[0]` exactly as invoked, used in `See '<argv0> --help'.` lines.
    pub program: &'a str,
    /// The home directory (`$HOME`, else the user's entry); default values
    /// starting with it are shown with `~` in usage output. `None`, `""` and
    /// `"/"` disable that.
    pub home_dir: Option<&'a str>,
}

/// The store location options that the global flags set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// Graph root (`--graph`, `-g`).
    pub graph_root: String,
    /// Run root (`--run`, `-R`).
    pub run_root: String,
    /// Driver name (`--storage-driver`, `-s`).
    pub driver: String,
    /// Driver options (`--storage-opt`), in order.
    pub driver_options: Vec<String>,
    /// Split image store root (`--image-store`, newer containers/storage).
    pub image_store: String,
    /// Transient store (`--transient-store`, newer containers/storage).
    pub transient_store: bool,
}

impl StoreOptions {
    /// Whether all four are empty, which is how 1.43 decides to load the
    /// configured defaults (so `-g ""` counts as not given).
    pub fn is_empty(&self) -> bool {
        self.graph_root.is_empty()
            && self.run_root.is_empty()
            && self.driver.is_empty()
            && self.driver_options.is_empty()
    }
}

/// The result of parsing a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A command to run.
    Run(Box<Invocation>),
    /// Nothing to run: print the texts and exit with the code.
    Exit(EarlyExit),
}

/// Output and exit status for a command line that does not run a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyExit {
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error.
    pub stderr: String,
    /// Process exit code.
    pub code: i32,
}

/// A successfully parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// Store options: as given, or the loaded defaults when none of them was
    /// given before the command, updated by global flags after the command.
    pub store: StoreOptions,
    /// `--debug` / `-D`, before or after the command.
    pub debug: bool,
    /// Whether any of `-g`, `-R`, `-s`, `--storage-opt` had a non-empty value
    /// before the command (when false the defaults were loaded).
    pub store_options_given: bool,
    /// The chosen command.
    pub command: CommandId,
    /// The command word as typed (an alias stays an alias); 1.43 uses it in messages.
    pub command_name: String,
    /// Positional arguments after the command's flags.
    pub args: Vec<String>,
    /// Text 1.43 writes to standard error while parsing even though parsing
    /// succeeds (the `-help` deprecation warning); print it before running.
    pub warnings: String,
    /// The command's flags, typed.
    pub flags: CommandFlags,
}

impl Invocation {
    /// The table entry of the chosen command.
    pub fn spec(&self) -> &'static CommandSpec {
        self.command.spec()
    }
}

/// Parses a command line the way `containers-storage` 1.43 does.
///
/// `args` excludes `argv[0]`, which is passed as `ctx.program`.
/// `load_defaults` is called exactly when 1.43 loads the configured store
/// options: after the global flags, if none of the four store options has a
/// value. Its result shows up in the command's usage output and in
/// [`Invocation::store`]. Arguments that are not UTF-8 should be converted
/// lossily by the caller.
pub fn parse<F>(ctx: &ParseContext<'_>, args: &[String], load_defaults: F) -> Outcome
where
    F: FnOnce() -> StoreOptions,
{
    let mut out = Transcript::default();
    match parse_command_line(ctx, args, load_defaults, &mut out) {
        Ok(mut invocation) => {
            debug_assert!(out.stdout.is_empty(), "parsing printed to stdout");
            invocation.warnings = out.stderr;
            Outcome::Run(Box::new(invocation))
        }
        Err(Halt::Exit(code)) => out.exit(code),
        Err(Halt::Panic(GoPanic(message))) => {
            out.stderr.push_str("panic: ");
            out.stderr.push_str(message);
            out.stderr.push_str(GO_PANIC_TRAILER);
            out.exit(GO_PANIC_EXIT_CODE)
        }
    }
}

/// The body of [`parse`]; on a [`Halt`] the transcript holds what to print.
fn parse_command_line<F>(
    ctx: &ParseContext<'_>,
    args: &[String],
    load_defaults: F,
    out: &mut Transcript,
) -> Result<Invocation, Halt>
where
    F: FnOnce() -> StoreOptions,
{
    let initial = global_entries(&StoreOptions::default(), false);
    if args.is_empty() {
        // 1.43 prints usage before declaring `--help`, so it is not listed.
        let globals = FlagSet::new(ctx, PROGRAM_TITLE, Usage::Global, initial, args);
        globals.print_usage(out)?;
        return Err(Halt::Exit(USAGE_ERROR_EXIT_CODE));
    }

    let mut entries = initial;
    entries.push(FlagEntry::new(&spec::HELP_FLAG, FlagValue::Bool(false)));
    let mut globals = FlagSet::new(ctx, PROGRAM_TITLE, Usage::Global, entries, args);
    match globals.parse(out) {
        Ok(()) => {}
        Err(Interrupt::Panic(panic)) => return Err(Halt::Panic(panic)),
        Err(Interrupt::Flag(error)) => {
            out.stdout
                .push_str(&format!("{error}{GLOBAL_PARSE_ERROR_SUFFIX}\n"));
            globals.print_usage(out)?;
            return Err(Halt::Exit(USAGE_ERROR_EXIT_CODE));
        }
    }
    if globals.bool_value(flag_names::HELP) {
        globals.defaults_to_stdout = true;
        globals.print_usage(out)?;
        return Err(Halt::Exit(HELP_EXIT_CODE));
    }

    let (mut store, debug) = store_options(&globals.entries);
    let store_options_given = !store.is_empty();
    if !store_options_given {
        // Unlike storage v1.62, which replaces its whole options struct
        // here, the newer store-mode flags given before the command stay.
        let (image_store, transient_store) = (store.image_store, store.transient_store);
        store = load_defaults();
        store.image_store = image_store;
        store.transient_store = transient_store;
    }
    let rest = globals.remaining();
    let Some((word, command_args)) = rest.split_first() else {
        globals.print_usage(out)?;
        return Err(Halt::Exit(USAGE_ERROR_EXIT_CODE));
    };
    let Some(command) = spec::find_command(word) else {
        out.stdout
            .push_str(&format!("{word}: unrecognized command.\n"));
        return Err(Halt::Exit(USAGE_ERROR_EXIT_CODE));
    };

    let mut entries = global_entries(&store, debug);
    let global_count = entries.len();
    entries.extend(
        command
            .flags
            .iter()
            .map(|flag| FlagEntry::new(flag, FlagValue::initial(flag))),
    );
    let mut set = FlagSet::new(ctx, word, Usage::Command(command), entries, command_args);
    set.parse(out).map_err(|interrupt| match interrupt {
        Interrupt::Panic(panic) => Halt::Panic(panic),
        Interrupt::Flag(_) => Halt::Exit(COMMAND_FLAG_ERROR_EXIT_CODE),
    })?;
    let positional = set.remaining();
    let count_problem = if command.min_args != 0 && positional.len() < command.min_args {
        Some("more arguments required".to_owned())
    } else if command.max_args != 0 && positional.len() > command.max_args {
        Some(format!("too many arguments ([{}])", positional.join(" ")))
    } else {
        None
    };
    if let Some(problem) = count_problem {
        out.stdout.push_str(&format!("{word}: {problem}.\n"));
        set.print_usage(out)?;
        return Err(Halt::Exit(USAGE_ERROR_EXIT_CODE));
    }

    let (store, debug) = store_options(&set.entries);
    Ok(Invocation {
        store,
        debug,
        store_options_given,
        command: command.id,
        command_name: word.clone(),
        args: positional,
        warnings: String::new(),
        flags: command_flags(&set.entries[global_count..]),
    })
}

/// Text written so far to the two output streams.
#[derive(Debug, Default)]
struct Transcript {
    stdout: String,
    stderr: String,
}

impl Transcript {
    fn exit(self, code: i32) -> Outcome {
        Outcome::Exit(EarlyExit {
            stdout: self.stdout,
            stderr: self.stderr,
            code,
        })
    }
}

/// A Go runtime panic that 1.43 hits; carries the panic message.
#[derive(Debug)]
struct GoPanic(&'static str);

/// Why [`parse_command_line`] stopped before producing an [`Invocation`].
#[derive(Debug)]
enum Halt {
    /// Exit with this code after printing the transcript.
    Exit(i32),
    /// 1.43 panics here.
    Panic(GoPanic),
}

impl From<GoPanic> for Halt {
    fn from(panic: GoPanic) -> Self {
        Self::Panic(panic)
    }
}

/// Why a flag set stopped parsing before the first non-flag word.
#[derive(Debug)]
enum Interrupt {
    /// A flag error; its message (or the usage, for help) is already printed.
    Flag(FlagError),
    /// 1.43 panics here.
    Panic(GoPanic),
}

impl From<GoPanic> for Interrupt {
    fn from(panic: GoPanic) -> Self {
        Self::Panic(panic)
    }
}

impl From<FlagError> for Interrupt {
    fn from(error: FlagError) -> Self {
        Self::Flag(error)
    }
}

/// A flag's current value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FlagValue {
    Bool(bool),
    Str(String),
    List(Vec<String>),
}

impl FlagValue {
    fn zero(kind: FlagKind) -> Self {
        match kind {
            FlagKind::Bool => Self::Bool(false),
            FlagKind::String => Self::Str(String::new()),
            FlagKind::List => Self::List(Vec::new()),
        }
    }

    /// A command flag's value before the command line is read: its
    /// declared default for a string flag, else zero.
    fn initial(flag: &FlagSpec) -> Self {
        match flag.kind {
            FlagKind::String => Self::Str(flag.default.to_string()),
            kind => Self::zero(kind),
        }
    }

    /// The value as Go's `Value.String()` renders it (`[a b]` for lists).
    fn to_go_string(&self) -> String {
        match self {
            Self::Bool(value) => value.to_string(),
            Self::Str(value) => value.clone(),
            Self::List(values) => format!("[{}]", values.join(" ")),
        }
    }
}

/// The typed flags of a parsed command's flag entries.
fn command_flags(entries: &[FlagEntry]) -> CommandFlags {
    let mut flags = CommandFlags::default();
    for entry in entries {
        let value = match &entry.value {
            FlagValue::Bool(value) => Value::Bool(*value),
            FlagValue::Str(value) => Value::Str(value),
            FlagValue::List(values) => Value::List(values),
        };
        // Every command flag of the table has a field (tested below).
        flags.set(entry.spec.long, value);
    }
    flags
}

/// One declared flag in a flag set.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FlagEntry {
    spec: &'static FlagSpec,
    value: FlagValue,
    /// The value at declaration time, as shown in usage output.
    default_text: String,
    /// Whether the flag appeared on the command line.
    set: bool,
}

impl FlagEntry {
    fn new(spec: &'static FlagSpec, value: FlagValue) -> Self {
        Self {
            spec,
            default_text: value.to_go_string(),
            value,
            set: false,
        }
    }
}

/// The global flags, declared with the given current values.
fn global_entries(store: &StoreOptions, debug: bool) -> Vec<FlagEntry> {
    spec::GLOBAL_FLAGS
        .iter()
        .map(|flag| {
            let value = match flag.long {
                flag_names::GRAPH => FlagValue::Str(store.graph_root.clone()),
                flag_names::RUN => FlagValue::Str(store.run_root.clone()),
                flag_names::STORAGE_DRIVER => FlagValue::Str(store.driver.clone()),
                flag_names::STORAGE_OPT => FlagValue::List(store.driver_options.clone()),
                flag_names::IMAGE_STORE => FlagValue::Str(store.image_store.clone()),
                flag_names::TRANSIENT_STORE => FlagValue::Bool(store.transient_store),
                flag_names::DEBUG => FlagValue::Bool(debug),
                other => unreachable!("unhandled global flag --{other}"),
            };
            FlagEntry::new(flag, value)
        })
        .collect()
}

/// Reads the global flags' values back out of a flag set's entries.
fn store_options(entries: &[FlagEntry]) -> (StoreOptions, bool) {
    let mut store = StoreOptions::default();
    let mut debug = false;
    for entry in entries {
        match (entry.spec.long, &entry.value) {
            (flag_names::GRAPH, FlagValue::Str(value)) => store.graph_root = value.clone(),
            (flag_names::RUN, FlagValue::Str(value)) => store.run_root = value.clone(),
            (flag_names::STORAGE_DRIVER, FlagValue::Str(value)) => store.driver = value.clone(),
            (flag_names::STORAGE_OPT, FlagValue::List(values)) => {
                store.driver_options = values.clone()
            }
            (flag_names::IMAGE_STORE, FlagValue::Str(value)) => store.image_store = value.clone(),
            (flag_names::TRANSIENT_STORE, FlagValue::Bool(value)) => store.transient_store = *value,
            (flag_names::DEBUG, FlagValue::Bool(value)) => debug = *value,
            _ => {}
        }
    }
    (store, debug)
}

/// Which usage text a flag set prints before its flag defaults.
#[derive(Debug, Clone, Copy)]
enum Usage {
    Global,
    Command(&'static CommandSpec),
}

/// Why parsing stopped with an error.
#[derive(Debug)]
enum FlagError {
    /// `-h`, `-help` or `--help` where no such flag exists; usage was printed.
    Help,
    /// Anything else; the message and the "See …" hint were printed.
    Invalid(String),
}

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Help => f.write_str(HELP_REQUESTED),
            Self::Invalid(message) => f.write_str(message),
        }
    }
}

/// Result of looking at one argument.
#[derive(Debug)]
enum Step {
    /// A flag was consumed.
    Flag,
    /// No more flags (a non-flag word, `--`, or the end).
    Stop,
    /// A single-dash word that is not a flag name: retry it letter by letter.
    Retry(String),
}

/// An `mflag.FlagSet`: declared flags plus the arguments still to parse.
struct FlagSet<'a> {
    ctx: &'a ParseContext<'a>,
    /// Name used in the "See '<argv0> <name> --help'." hint.
    name: &'a str,
    usage: Usage,
    entries: Vec<FlagEntry>,
    pending: VecDeque<String>,
    /// Whether flag defaults go to stdout (global `--help`) instead of stderr.
    defaults_to_stdout: bool,
}

impl<'a> FlagSet<'a> {
    fn new(
        ctx: &'a ParseContext<'a>,
        name: &'a str,
        usage: Usage,
        entries: Vec<FlagEntry>,
        args: &[String],
    ) -> Self {
        Self {
            ctx,
            name,
            usage,
            entries,
            pending: args.iter().cloned().collect(),
            defaults_to_stdout: false,
        }
    }

    fn remaining(&self) -> Vec<String> {
        self.pending.iter().cloned().collect()
    }

    fn bool_value(&self, long: &str) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.spec.long == long && entry.value == FlagValue::Bool(true))
    }

    /// Parses flags until the first non-flag word.
    fn parse(&mut self, out: &mut Transcript) -> Result<(), Interrupt> {
        loop {
            match self.parse_one(out)? {
                Step::Flag => {}
                Step::Stop => return Ok(()),
                Step::Retry(name) => self.parse_letters(&name, out)?,
            }
        }
    }

    /// Retries `-abc` as `-a`, `-b`, `-c`; each letter may consume the next
    /// argument as its value, exactly like a separate short flag.
    fn parse_letters(&mut self, name: &str, out: &mut Transcript) -> Result<(), Interrupt> {
        let not_defined = format!("flag provided but not defined: -{name}");
        if name.len() <= 1 {
            return Err(self.fail(out, not_defined).into());
        }
        for letter in name.chars() {
            self.pending.push_front(format!("-{letter}"));
            match self.parse_one(out) {
                Ok(Step::Flag | Step::Stop) => {}
                Ok(Step::Retry(_)) | Err(Interrupt::Flag(_)) => {
                    return Err(self.fail(out, not_defined).into());
                }
                Err(panic @ Interrupt::Panic(_)) => return Err(panic),
            }
        }
        Ok(())
    }

    fn parse_one(&mut self, out: &mut Transcript) -> Result<Step, Interrupt> {
        let Some(word) = self.pending.front() else {
            return Ok(Step::Stop);
        };
        if word.len() < 2 || !word.starts_with('-') {
            return Ok(Step::Stop);
        }
        if word == "--" {
            self.pending.pop_front();
            return Ok(Step::Stop);
        }
        if word[1..].starts_with('=') {
            let message = format!("bad flag syntax: {word}");
            return Err(self.fail(out, message).into());
        }
        let word = self.pending.pop_front().unwrap_or_default();
        let (name, inline_value) = match word[1..].split_once('=') {
            Some((name, value)) => (name, Some(trim_quotes(value)?)),
            None => (&word[1..], None),
        };

        let Some(index) = self.entries.iter().position(|e| e.spec.matches_key(name)) else {
            if matches!(name, "-help" | "help" | "h") {
                self.print_usage(out)?;
                return Err(FlagError::Help.into());
            }
            if name.starts_with('-') {
                let message = format!("flag provided but not defined: -{name}");
                return Err(self.fail(out, message).into());
            }
            return Ok(Step::Retry(name.to_owned()));
        };

        let new_value = match (&self.entries[index].value, inline_value) {
            (FlagValue::Bool(_), None) => FlagValue::Bool(true),
            (FlagValue::Bool(_), Some(text)) => match go::parse_bool(text) {
                Some(value) => FlagValue::Bool(value),
                None => {
                    let quoted = go::quote(text);
                    let message = format!(
                        "invalid boolean value {quoted} for  -{name}: \
                         strconv.ParseBool: parsing {quoted}: invalid syntax"
                    );
                    return Err(self.fail(out, message).into());
                }
            },
            (current, inline_value) => {
                let Some(text) = inline_value
                    .map(str::to_owned)
                    .or_else(|| self.pending.pop_front())
                else {
                    let message = format!("flag needs an argument: -{name}");
                    return Err(self.fail(out, message).into());
                };
                match current {
                    FlagValue::List(values) => {
                        FlagValue::List(values.iter().cloned().chain([text]).collect())
                    }
                    _ => FlagValue::Str(text),
                }
            }
        };

        let entry = &mut self.entries[index];
        entry.value = new_value;
        entry.set = true;
        if entry.spec.deprecated_single_dash && name == entry.spec.long {
            out.stderr.push_str(&format!(
                "Warning: '-{name}' is deprecated, it will be replaced by '--{}' soon. See usage.\n",
                entry.spec.long
            ));
        }
        Ok(Step::Flag)
    }

    /// Prints an error and the "See … --help" hint to stderr.
    fn fail(&self, out: &mut Transcript, message: String) -> FlagError {
        let program = self.ctx.program;
        let hint = if program == self.name {
            format!("See '{program} --help'.\n")
        } else {
            format!("See '{program} {} --help'.\n", self.name)
        };
        out.stderr.push_str(&message);
        out.stderr.push('\n');
        out.stderr.push_str(&hint);
        FlagError::Invalid(message)
    }

    /// The usage text on stdout, then the flag defaults.
    fn print_usage(&self, out: &mut Transcript) -> Result<(), GoPanic> {
        match self.usage {
            Usage::Global => {
                out.stdout.push_str(GLOBAL_USAGE_HEAD);
                for command in spec::COMMANDS {
                    out.stdout.push_str(&format!(
                        "  {:<width$}{}\n",
                        command.name,
                        command.usage,
                        width = COMMAND_COLUMN_WIDTH
                    ));
                }
            }
            Usage::Command(command) => {
                out.stdout.push_str(&format!(
                    "Usage: {PROGRAM_TITLE} {} {}\n\n{}\n",
                    self.name, command.options_help, command.usage
                ));
            }
        }
        out.stdout.push_str(OPTIONS_HEADING);
        let defaults = self.defaults_text();
        let stream = if self.defaults_to_stdout {
            &mut out.stdout
        } else {
            &mut out.stderr
        };
        match defaults {
            Ok(text) => {
                stream.push_str(&text);
                Ok(())
            }
            Err(panic) => {
                // Only the leading blank line leaves Go's tabwriter before the panic.
                stream.push('\n');
                Err(panic)
            }
        }
    }

    /// The `Options:` section: a blank line, then one aligned line per flag,
    /// sorted by long name, showing non-zero defaults as `=value`.
    fn defaults_text(&self) -> Result<String, GoPanic> {
        let lists_newer = match self.usage {
            Usage::Command(command) => !spec::COMMANDS.iter().any(|c| c.id == command.id),
            Usage::Global => false,
        };
        let mut entries: Vec<&FlagEntry> = self
            .entries
            .iter()
            .filter(|entry| lists_newer || !entry.spec.newer)
            .collect();
        entries.sort_by(|a, b| {
            let key = |entry: &FlagEntry| (entry.spec.long.to_lowercase(), entry.spec.long);
            key(a).cmp(&key(b))
        });
        let mut text = String::from("\n");
        for entry in entries {
            let spec = entry.spec;
            if spec.short == Some("") {
                return Err(GoPanic(EMPTY_FLAG_NAME_PANIC));
            }
            let mut names = format!("  --{}", spec.long);
            for alias in spec.long_aliases {
                names.push_str(&format!(", --{alias}"));
            }
            if let Some(short) = spec.short {
                names.push_str(&format!(", -{short}"));
            }
            let shown = self.shorten_home(&entry.default_text);
            if !is_go_zero_text(&shown) {
                names.push('=');
                names.push_str(&shown);
            }
            for help_line in spec.help.split('\n') {
                text.push_str(&names);
                text.push_str("\t ");
                text.push_str(help_line);
                text.push('\n');
                names.clear();
            }
        }
        Ok(align_columns(&text, DEFAULTS_MIN_WIDTH, DEFAULTS_PADDING))
    }

    fn shorten_home(&self, value: &str) -> String {
        match self.ctx.home_dir {
            Some(home) if !home.is_empty() && home != "/" => match value.strip_prefix(home) {
                Some(rest) => format!("{HOME_SHORTCUT}{rest}"),
                None => value.to_owned(),
            },
            _ => value.to_owned(),
        }
    }
}

/// Whether `mflag` treats a default's text as zero and omits `=value`.
fn is_go_zero_text(value: &str) -> bool {
    matches!(value, "" | "false" | "0")
}

/// Strips one pair of matching outer quotes, as `mflag` does for `=value`;
/// a lone quote character makes 1.43 panic.
fn trim_quotes(value: &str) -> Result<&str, GoPanic> {
    for quote in ['"', '\''] {
        if value.starts_with(quote) && value.ends_with(quote) {
            if value.len() == 1 {
                return Err(GoPanic(LONE_QUOTE_PANIC));
            }
            return Ok(&value[1..value.len() - 1]);
        }
    }
    Ok(value)
}

/// Go's `text/tabwriter` with space padding and no flags: tab-terminated
/// cells in consecutive lines form a column as wide as its widest cell plus
/// `padding`, at least `min_width`; a line's last cell is never padded.
fn align_columns(text: &str, min_width: usize, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text
        .split('\n')
        .map(|line| line.split('\t').collect())
        .collect();
    let mut aligner = ColumnAligner {
        lines: &lines,
        min_width,
        padding,
        widths: Vec::new(),
        output: String::new(),
    };
    aligner.format(0, lines.len());
    aligner.output
}

struct ColumnAligner<'t> {
    lines: &'t [Vec<&'t str>],
    min_width: usize,
    padding: usize,
    widths: Vec<usize>,
    output: String,
}

impl ColumnAligner<'_> {
    fn has_cell_in(&self, line: usize, column: usize) -> bool {
        column + 1 < self.lines[line].len()
    }

    fn format(&mut self, mut first: usize, end: usize) {
        let column = self.widths.len();
        let mut line = first;
        while line < end {
            if !self.has_cell_in(line, column) {
                line += 1;
                continue;
            }
            self.write_lines(first, line);
            first = line;
            let mut width = self.min_width;
            while line < end && self.has_cell_in(line, column) {
                width = width.max(self.lines[line][column].chars().count() + self.padding);
                line += 1;
            }
            self.widths.push(width);
            self.format(first, line);
            self.widths.pop();
            first = line;
        }
        self.write_lines(first, end);
    }

    fn write_lines(&mut self, first: usize, end: usize) {
        for index in first..end {
            let cells = &self.lines[index];
            for (column, cell) in cells.iter().enumerate() {
                self.output.push_str(cell);
                if let Some(width) = self.widths.get(column) {
                    let fill = width.saturating_sub(cell.chars().count());
                    self.output.extend(std::iter::repeat_n(' ', fill));
                }
            }
            if index + 1 < self.lines.len() {
                self.output.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every flag a command declares reaches a typed field of its kind.
    #[test]
    fn every_command_flag_has_a_typed_field() {
        for command in spec::COMMANDS.iter().chain(spec::EXTENSION_COMMANDS) {
            for flag in command.flags {
                let mut flags = CommandFlags::default();
                let list = [String::from("x")];
                let value = match flag.kind {
                    FlagKind::Bool => Value::Bool(true),
                    FlagKind::String => Value::Str("x"),
                    FlagKind::List => Value::List(&list),
                };
                assert!(
                    flags.set(flag.long, value),
                    "{} --{}: no typed field",
                    command.name,
                    flag.long
                );
                assert_ne!(flags, CommandFlags::default(), "--{}", flag.long);
            }
        }
    }

    use super::*;
    use std::cell::Cell;

    const PROGRAM: &str = "containers-storage";
    const HOME: &str = "/root";
    /// Store options given before the command in most cases, so that the
    /// real binary never touched the system store while the texts were captured.
    const STORE_ARGS: [&str; 6] = ["-g", "/tmp/x/g", "-R", "/tmp/x/r", "-s", "vfs"];

    macro_rules! command_list {
        () => {
            r#"  container                     Examine a container
  list-container-data           List data items that are attached to an container
  get-container-data            Get data that is attached to an container
  get-container-data-size       Get size of data that is attached to an container
  get-container-data-digest     Get digest of data that is attached to an container
  set-container-data            Set data that is attached to an container
  get-container-dir             Find the container's associated data directory
  get-container-run-dir         Find the container's associated runtime directory
  container-parent-owners       Compute the set of unmapped parent UIDs and GIDs of the container
  containers                    List containers
  copy                          Copy files or directories into a layer, possibly from another layer
  create-layer                  Create a new layer
  import-layer                  Import a new layer
  create-image                  Create a new image using layers
  create-container              Create a new container from an image
  delete                        Delete a layer or image or container, with no safety checks
  delete-layer                  Delete a layer, with safety checks
  delete-image                  Delete an image, with safety checks
  delete-container              Delete a container, with safety checks
  changes                       Compare two layers
  diffsize                      Compare two layers
  diff                          Compare two layers
  applydiff                     Apply a diff to a layer
  exists                        Check if a layer or image or container exists
  image                         Examine an image
  list-image-data               List data items that are attached to an image
  get-image-data                Get data that is attached to an image
  get-image-data-size           Get size of data that is attached to an image
  get-image-data-digest         Get digest of data that is attached to an image
  set-image-data                Set data that is attached to an image (with sometimes wrong digest)
  images                        List images
  images-by-digest              List images by digest
  layer                         Examine a layer
  layer-parent-owners           Compute the set of unmapped parent UIDs and GIDs of the layer
  list-layer-data               List data items that are attached to a layer
  get-layer-data                Get data that is attached to a layer
  set-layer-data                Set data that is attached to a layer
  layers                        List layers
  metadata                      Retrieve layer, image, or container metadata
  set-metadata                  Set layer, image, or container metadata
  mount                         Mount a layer or container
  unmount                       Unmount an image, layer or container
  mounted                       Check if a file system is mounted
  get-names                     Get layer, image, or container name or names
  add-names                     Add layer, image, or container name or names
  set-names                     Set layer, image, or container name or names
  shutdown                      Shut down layer storage
  status                        Check on graph driver status
  version                       Return containers-storage version information
  wipe                          Wipe all layers, images, and containers
"#
        };
    }
    macro_rules! global_usage {
        () => {
            concat!(
                "Usage: containers-storage command [options [...]]\n\nCommands:\n\n",
                command_list!(),
                "\nOptions:\n"
            )
        };
    }

    const GLOBAL_USAGE: &str = global_usage!();
    const GLOBAL_DEFAULTS: &str = r#"
  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#;
    const GLOBAL_DEFAULTS_WITHOUT_HELP: &str = r#"
  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#;
    const CREATE_LAYER_USAGE: &str = "Usage: containers-storage create-layer [options [...]] [parentLayerNameOrID]\n\nCreate a new layer\n\nOptions:\n";
    const CREATE_LAYER_DEFAULTS: &str = r#"
  --debug, -D                 Print debugging information
  --gidmap                    GID map
  --graph, -g=/tmp/x/g        Root of the storage tree
  --hostgidmap                Force host GID map
  --hostuidmap                Force host UID map
  --id, -i                    Layer ID
  --json, -j                  Prefer JSON output
  --label, -l                 Mount Label
  --name, -n=[]               Layer name
  --readonly, -r              Mark as read-only
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
  --subgidmap                 subgid GID map for a group
  --subuidmap                 subuid UID map for a user
  --uidmap                    UID map
"#;
    const LAYERS_USAGE: &str =
        "Usage: containers-storage layers [options [...]]\n\nList layers\n\nOptions:\n";
    const LAYERS_DEFAULTS: &str = r#"
  --debug, -D                 Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
  --tree, -t                  Use a tree
"#;

    fn debian_defaults() -> StoreOptions {
        StoreOptions {
            graph_root: "/var/lib/containers/storage".into(),
            run_root: "/run/containers/storage".into(),
            driver: "overlay".into(),
            driver_options: vec!["overlay.mountopt=nodev".into()],
            ..StoreOptions::default()
        }
    }

    fn words(with_store: bool, rest: &[&str]) -> Vec<String> {
        let prefix: &[&str] = if with_store { &STORE_ARGS } else { &[] };
        prefix
            .iter()
            .chain(rest)
            .map(|word| word.to_string())
            .collect()
    }

    fn parse_as(program: &str, home: &str, args: &[String]) -> Outcome {
        let ctx = ParseContext {
            program,
            home_dir: Some(home),
        };
        parse(&ctx, args, debian_defaults)
    }

    fn invocation(with_store: bool, rest: &[&str]) -> Invocation {
        match parse_as(PROGRAM, HOME, &words(with_store, rest)) {
            Outcome::Run(invocation) => *invocation,
            Outcome::Exit(exit) => panic!("{rest:?} exited: {exit:?}"),
        }
    }

    /// An argument vector and the exact output the 1.43 binary gave for it.
    struct ExitCase {
        name: &'static str,
        program: &'static str,
        home: &'static str,
        with_store: bool,
        args: &'static [&'static str],
        stdout: &'static str,
        stderr: &'static str,
        code: i32,
    }

    const DEFAULT_CASE: ExitCase = ExitCase {
        name: "",
        program: PROGRAM,
        home: HOME,
        with_store: true,
        args: &[],
        stdout: "",
        stderr: "",
        code: 0,
    };

    const EXIT_CASES: &[ExitCase] = &[
        ExitCase {
            name: "global --help",
            with_store: false,
            args: &["--help"],
            stdout: concat!(
                global_usage!(),
                r#"
  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#
            ),
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "no arguments",
            with_store: false,
            stdout: GLOBAL_USAGE,
            stderr: GLOBAL_DEFAULTS_WITHOUT_HELP,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "global flags but no command",
            args: &["-D"],
            stdout: GLOBAL_USAGE,
            stderr: GLOBAL_DEFAULTS,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "unknown command",
            args: &["bogus"],
            stdout: "bogus: unrecognized command.\n",
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "unknown global flag",
            args: &["--bogus"],
            stdout: concat!(
                "flag provided but not defined: --bogus while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"flag provided but not defined: --bogus
See 'containers-storage --help'.

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "unknown global flag, invoked by path",
            program: "/usr/bin/containers-storage",
            args: &["--bogus"],
            stdout: concat!(
                "flag provided but not defined: --bogus while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"flag provided but not defined: --bogus
See '/usr/bin/containers-storage containers-storage --help'.

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "global -h is not a flag: usage twice",
            args: &["-h"],
            stdout: concat!(
                global_usage!(),
                "flag: help requested while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"
  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "global -help: deprecated spelling of --help",
            args: &["-help"],
            stdout: concat!(
                global_usage!(),
                r#"
  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#
            ),
            stderr: "Warning: '-help' is deprecated, it will be replaced by '--help' soon. See usage.\n",
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "combined global letters with an unknown one",
            args: &["-Dx"],
            stdout: concat!(
                "flag provided but not defined: -Dx while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"flag provided but not defined: -Dx
See 'containers-storage --help'.

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "global string flag without a value",
            with_store: false,
            args: &["-g"],
            stdout: concat!(
                "flag needs an argument: -g while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"flag needs an argument: -g
See 'containers-storage --help'.

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "invalid boolean value",
            with_store: false,
            args: &["--debug=maybe"],
            stdout: concat!(
                "invalid boolean value \"maybe\" for  --debug: strconv.ParseBool: parsing \"maybe\": invalid syntax while parsing arguments (1)\n",
                global_usage!()
            ),
            stderr: r#"invalid boolean value "maybe" for  --debug: strconv.ParseBool: parsing "maybe": invalid syntax
See 'containers-storage --help'.

  --debug, -D             Print debugging information
  --graph, -g             Root of the storage tree
  --help                  Print usage
  --run, -R               Root of the runtime state tree
  --storage-driver, -s    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]        Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "unknown command flag",
            args: &["layers", "--bogus"],
            stderr: r#"flag provided but not defined: --bogus
See 'containers-storage layers --help'.
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "unknown command flag, invoked by path",
            program: "/usr/bin/containers-storage",
            args: &["layers", "--bogus"],
            stderr: r#"flag provided but not defined: --bogus
See '/usr/bin/containers-storage layers --help'.
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "single dash with a long name",
            args: &["layers", "-name"],
            stderr: r#"flag provided but not defined: -name
See 'containers-storage layers --help'.
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "letter needing a value at the end, then an unknown letter",
            args: &["create-layer", "-nx"],
            stderr: r#"flag needs an argument: -n
See 'containers-storage create-layer --help'.
flag provided but not defined: -nx
See 'containers-storage create-layer --help'.
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "create-layer --help",
            args: &["create-layer", "--help"],
            stdout: CREATE_LAYER_USAGE,
            stderr: CREATE_LAYER_DEFAULTS,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "defaults show declaration-time values, not later flags",
            args: &["create-layer", "-n", "a", "--name", "b", "-n=c", "--help"],
            stdout: CREATE_LAYER_USAGE,
            stderr: CREATE_LAYER_DEFAULTS,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "layers --help",
            args: &["layers", "--help"],
            stdout: LAYERS_USAGE,
            stderr: LAYERS_DEFAULTS,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "layers -h",
            args: &["layers", "-h"],
            stdout: LAYERS_USAGE,
            stderr: LAYERS_DEFAULTS,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "-h inside combined letters prints usage, then fails",
            args: &["layers", "-jh"],
            stdout: LAYERS_USAGE,
            stderr: concat!(
                r#"
  --debug, -D                 Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
  --tree, -t                  Use a tree
"#,
                "flag provided but not defined: -jh\n",
                "See 'containers-storage layers --help'.\n"
            ),
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "command usage shows the loaded defaults",
            with_store: false,
            args: &["layers", "--help"],
            stdout: LAYERS_USAGE,
            stderr: r#"
  --debug, -D                                Print debugging information
  --graph, -g=/var/lib/containers/storage    Root of the storage tree
  --json, -j                                 Prefer JSON output
  --run, -R=/run/containers/storage          Root of the runtime state tree
  --storage-driver, -s=overlay               Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[overlay.mountopt=nodev]     Set storage driver options ($STORAGE_OPTS)
  --tree, -t                                 Use a tree
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "an empty --graph counts as not given",
            with_store: false,
            args: &["-g", "", "layers", "--help"],
            stdout: LAYERS_USAGE,
            stderr: r#"
  --debug, -D                                Print debugging information
  --graph, -g=/var/lib/containers/storage    Root of the storage tree
  --json, -j                                 Prefer JSON output
  --run, -R=/run/containers/storage          Root of the runtime state tree
  --storage-driver, -s=overlay               Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[overlay.mountopt=nodev]     Set storage driver options ($STORAGE_OPTS)
  --tree, -t                                 Use a tree
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "defaults under the home directory are shown with ~",
            home: "/tmp/x",
            args: &["layers", "--help"],
            stdout: LAYERS_USAGE,
            stderr: r#"
  --debug, -D                 Print debugging information
  --graph, -g=~/g             Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=~/r               Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
  --tree, -t                  Use a tree
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "debug and storage options given before the command are shown",
            with_store: false,
            args: &[
                "-D",
                "--storage-opt",
                "a=b",
                "--storage-opt",
                "c",
                "-g",
                "/tmp/x/g",
                "-R",
                "/tmp/x/r",
                "-s",
                "vfs",
                "layers",
                "--help",
            ],
            stdout: LAYERS_USAGE,
            stderr: r#"
  --debug, -D=true            Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[a=b c]       Set storage driver options ($STORAGE_OPTS)
  --tree, -t                  Use a tree
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "command without options help",
            args: &["status", "--help"],
            stdout: "Usage: containers-storage status \n\nCheck on graph driver status\n\nOptions:\n",
            stderr: r#"
  --debug, -D                 Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "long alias",
            args: &["diff", "--help"],
            stdout: "Usage: containers-storage diff [options [...]] layerNameOrID [referenceLayerNameOrID]\n\nCompare two layers\n\nOptions:\n",
            stderr: r#"
  --bzip2, --bz2, -b          Compress using bzip2 (not currently supported)
  --debug, -D                 Print debugging information
  --file, -f                  Write to file instead of stdout
  --graph, -g=/tmp/x/g        Root of the storage tree
  --gzip, -c                  Compress using gzip
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
  --uncompressed, -u          Use no compression
  --xz, -x                    Compress using xz (not currently supported)
"#,
            code: 125,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "too many arguments",
            args: &["create-layer", "a", "b"],
            stdout: concat!(
                "create-layer: too many arguments ([a b]).\n",
                "Usage: containers-storage create-layer [options [...]] [parentLayerNameOrID]\n\nCreate a new layer\n\nOptions:\n"
            ),
            stderr: CREATE_LAYER_DEFAULTS,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "flags after a positional are positionals",
            args: &["create-layer", "a", "-n", "b"],
            stdout: concat!(
                "create-layer: too many arguments ([a -n b]).\n",
                "Usage: containers-storage create-layer [options [...]] [parentLayerNameOrID]\n\nCreate a new layer\n\nOptions:\n"
            ),
            stderr: CREATE_LAYER_DEFAULTS,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "too few arguments",
            args: &["layer"],
            stdout: r#"layer: more arguments required.
Usage: containers-storage layer [options [...]] layerNameOrID [...]

Examine a layer

Options:
"#,
            stderr: r#"
  --debug, -D                 Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "too few arguments, alias kept in messages",
            args: &["listlayerdata"],
            stdout: r#"listlayerdata: more arguments required.
Usage: containers-storage listlayerdata [options [...]] layerNameOrID

List data items that are attached to a layer

Options:
"#,
            stderr: r#"
  --debug, -D                 Print debugging information
  --graph, -g=/tmp/x/g        Root of the storage tree
  --json, -j                  Prefer JSON output
  --run, -R=/tmp/x/r          Root of the runtime state tree
  --storage-driver, -s=vfs    Storage driver to use ($STORAGE_DRIVER)
  --storage-opt=[]            Set storage driver options ($STORAGE_OPTS)
"#,
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "-- ends the global flags",
            args: &["--", "bogus2"],
            stdout: "bogus2: unrecognized command.\n",
            code: 1,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "copy usage panics on the empty short name of --chown",
            args: &["copy", "--help"],
            stdout: r#"Usage: containers-storage copy [options [...]] [sourceLayerNameOrID:]/path [...] targetLayerNameOrID:/path

Copy files or directories into a layer, possibly from another layer

Options:
"#,
            stderr: "\npanic: runtime error: index out of range [0] with length 0\n\ngoroutine 1 [running]:\n",
            code: 2,
            ..DEFAULT_CASE
        },
        ExitCase {
            name: "a lone quote as =value panics",
            with_store: false,
            args: &["-g=\"", "layers"],
            stderr: "panic: runtime error: slice bounds out of range [1:0]\n\ngoroutine 1 [running]:\n",
            code: 2,
            ..DEFAULT_CASE
        },
    ];

    #[test]
    fn early_exits_match_1_43_byte_for_byte() {
        for case in EXIT_CASES {
            let outcome = parse_as(case.program, case.home, &words(case.with_store, case.args));
            let expected = Outcome::Exit(EarlyExit {
                stdout: case.stdout.to_owned(),
                stderr: case.stderr.to_owned(),
                code: case.code,
            });
            assert_eq!(outcome, expected, "case: {}", case.name);
        }
    }

    #[test]
    fn combined_short_booleans() {
        let layers = invocation(true, &["layers", "-jt"]);
        assert_eq!(layers.command, CommandId::Layers);
        assert!(layers.flags.json);
        assert!(layers.flags.tree);
        assert!(layers.args.is_empty());
    }

    #[test]
    fn boolean_values() {
        let cases: &[(&[&str], bool)] = &[
            (&["layers", "--json=true"], true),
            (&["layers", "-j=false"], false),
            (&["layers", "-j", "--json=0"], false),
            (&["layers", "--json=T"], true),
            (&["layers", "--json='t'"], true),
            (&["layers"], false),
        ];
        for (rest, expected) in cases {
            assert_eq!(invocation(true, rest).flags.json, *expected, "{rest:?}");
        }
    }

    #[test]
    fn repeated_names_append_in_order() {
        let create = invocation(
            true,
            &[
                "createlayer",
                "-n",
                "a",
                "--name",
                "b",
                "-n=c",
                "--name='d'",
                "-n",
                "'e'",
                "parent",
            ],
        );
        assert_eq!(create.command, CommandId::CreateLayer);
        assert_eq!(create.command_name, "createlayer");
        assert_eq!(create.flags.names, ["a", "b", "c", "d", "'e'"]);
        assert_eq!(create.flags.id.as_str(), "");
        assert_eq!(create.args, ["parent"]);
    }

    #[test]
    fn a_letter_takes_the_next_word_as_its_value() {
        let create = invocation(true, &["create-layer", "-nj", "foo", "bar"]);
        assert_eq!(create.flags.names, ["foo"]);
        assert!(create.flags.json);
        assert_eq!(create.args, ["bar"]);
    }

    #[test]
    fn global_flags_after_the_command() {
        let layers = invocation(
            false,
            &[
                "layers",
                "-g",
                "/a",
                "--run=/b",
                "-s",
                "vfs",
                "--storage-opt",
                "x",
                "-D",
            ],
        );
        assert!(!layers.store_options_given);
        assert!(layers.debug);
        assert_eq!(
            layers.store,
            StoreOptions {
                graph_root: "/a".into(),
                run_root: "/b".into(),
                driver: "vfs".into(),
                driver_options: vec!["overlay.mountopt=nodev".into(), "x".into()],
                ..StoreOptions::default()
            }
        );
    }

    #[test]
    fn defaults_are_loaded_only_without_store_options() {
        let calls = Cell::new(0);
        let ctx = ParseContext {
            program: PROGRAM,
            home_dir: None,
        };
        let load = || {
            calls.set(calls.get() + 1);
            debian_defaults()
        };
        let given = parse(&ctx, &words(true, &["layers"]), load);
        assert_eq!(calls.get(), 0);
        let Outcome::Run(given) = given else {
            panic!("layers did not parse")
        };
        assert!(given.store_options_given);
        assert_eq!(given.store.graph_root, "/tmp/x/g");

        let not_given = parse(&ctx, &words(false, &["-D", "layers"]), load);
        assert_eq!(calls.get(), 1);
        let Outcome::Run(not_given) = not_given else {
            panic!("layers did not parse")
        };
        assert_eq!(not_given.store, debian_defaults());
        assert!(not_given.debug);
    }

    #[test]
    fn double_dash_ends_the_command_flags() {
        let images = invocation(true, &["images", "-q", "--", "-j", "--bogus"]);
        assert!(images.flags.quiet);
        assert!(!images.flags.json);
        assert_eq!(images.args, ["-j", "--bogus"]);
    }

    #[test]
    fn deprecated_help_spelling_warns_but_runs() {
        let layers = invocation(true, &["-help=false", "layers"]);
        assert_eq!(
            layers.warnings,
            "Warning: '-help' is deprecated, it will be replaced by '--help' soon. See usage.\n"
        );
        assert_eq!(layers.command, CommandId::Layers);
    }

    #[test]
    fn long_alias_sets_the_flag() {
        let diff = invocation(true, &["diff", "--bz2", "-cx", "layer"]);
        assert!(diff.flags.bzip2);
        assert!(diff.flags.gzip);
        assert!(diff.flags.xz);
        assert!(!diff.flags.uncompressed);
    }

    #[test]
    fn column_alignment_matches_go_tabwriter() {
        let cases = [
            (
                "\n  -a\t x\n  --b\t y\n",
                // Narrow cells: the column is the minimum width.
                "\n  -a                 x\n  --b                y\n",
            ),
            (
                "\n  -a\t x\n  --a-much-longer-name\t y\n\t continued\n",
                // Widest cell plus padding; an empty cell is padded too.
                "\n  -a                      x\n  --a-much-longer-name    y\n                          continued\n",
            ),
            (
                "  -é\t x\nbreak\n  --bb\t y\n",
                // Widths count characters, and a line without a tab ends the column block.
                "  -é                 x\nbreak\n  --bb               y\n",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                align_columns(text, DEFAULTS_MIN_WIDTH, DEFAULTS_PADDING),
                expected
            );
        }
    }
}
