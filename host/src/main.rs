//! The `graphstore` command: a drop-in replacement for `containers-storage` 1.43.

/// Variable that controls backtraces captured in error values (not in panics).
const LIB_BACKTRACE_ENV: &str = "RUST_LIB_BACKTRACE";

fn main() {
    // Errors are reported as messages, never with backtraces. Without this,
    // RUST_BACKTRACE=1 in the environment makes every failed host call (a
    // lookup of a missing file, say) capture one, which costs more than the
    // call itself. Panics still honour RUST_BACKTRACE.
    if std::env::var_os(LIB_BACKTRACE_ENV).is_none() {
        // SAFETY: the process is still single-threaded; nothing else reads
        // or writes the environment concurrently.
        unsafe { std::env::set_var(LIB_BACKTRACE_ENV, "0") };
    }
    let argv = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    std::process::exit(graphstore::cli::run(argv));
}
