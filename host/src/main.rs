//! The `graphstore` command: a drop-in replacement for `containers-storage` 1.43.

fn main() {
    let argv = std::env::args_os()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    std::process::exit(graphstore::cli::run(argv));
}
