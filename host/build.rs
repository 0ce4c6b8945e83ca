//! Builds the store component (`guest/`) for wasm32-wasip2, compiles it
//! ahead of time for each engine configuration the host runs it under
//! (`src/engine_config.rs`, shared with the host) and places the artifacts
//! in OUT_DIR so the host embeds them and needs no compiler; also copies
//! the component to
//! `target/graphstore-component/graphstore.wasm` for other runtimes, next
//! to `graphstore-portable.wasm`, the WASI-only build.
//!
//! The nested cargo uses its own target directory (cargo's build lock is per
//! target directory) and adds the wasm32-wasip2 target with rustup when the
//! toolchain lacks it.

use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code, missing_docs)]
#[path = "src/engine_config.rs"]
mod engine_config;

const WASM_TARGET: &str = "wasm32-wasip2";
const GUEST_PACKAGE: &str = "graphstore-guest";
const GUEST_ARTIFACT: &str = "graphstore_guest.wasm";
const EMBEDDED_NAME: &str = "graphstore.wasm";
/// Published name of the WASI-only build (`--features wasi-only`).
const PORTABLE_NAME: &str = "graphstore-portable.wasm";
/// Compile-time variable naming the portable build's path (empty when a
/// prebuilt component was supplied and no portable one was built).
const PORTABLE_ENV: &str = "GRAPHSTORE_PORTABLE_WASM";
/// Suffix of the file in OUT_DIR holding an artifact's hex sha256 (its
/// cache key), so the host never hashes it at run time.
const DIGEST_SUFFIX: &str = ".sha256";
/// Target triple to compile the artifacts for instead of this machine's CPU
/// (e.g. `x86_64-unknown-linux-gnu`: any x86-64 CPU, without the build
/// machine's optional instruction-set extensions).
const AOT_TARGET_ENV: &str = "GRAPHSTORE_AOT_TARGET";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let workspace = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    for watched in [
        "guest/src",
        "guest/Cargo.toml",
        "wit",
        "Cargo.lock",
        "host/src/engine_config.rs",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=GRAPHSTORE_GUEST_WASM");
    println!("cargo:rerun-if-env-changed={AOT_TARGET_ENV}");

    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let embedded = out_dir.join(EMBEDDED_NAME);
    // A prebuilt component may be supplied (e.g. by a packager).
    if let Ok(prebuilt) = std::env::var("GRAPHSTORE_GUEST_WASM") {
        std::fs::copy(&prebuilt, &embedded).expect("copy GRAPHSTORE_GUEST_WASM");
        precompile(&embedded, &out_dir);
        println!("cargo:rustc-env={PORTABLE_ENV}=");
        return;
    }
    ensure_wasm_target();
    let built = build_guest(&workspace, "guest-build", &[]);
    std::fs::copy(&built, &embedded).expect("copy the guest component into OUT_DIR");
    precompile(&embedded, &out_dir);
    publish_copy(&workspace, &built, EMBEDDED_NAME);
    // The same store for runtimes that provide only WASI (not embedded).
    let portable = build_guest(
        &workspace,
        "guest-build-portable",
        &["--features", "wasi-only"],
    );
    publish_copy(&workspace, &portable, PORTABLE_NAME);
    println!("cargo:rustc-env={PORTABLE_ENV}={}", portable.display());
}

/// Builds the guest component in `target/<target_dir>` with `extra`
/// cargo arguments; returns the path of the `.wasm`.
fn build_guest(workspace: &Path, target_dir: &str, extra: &[&str]) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target_dir = workspace.join("target").join(target_dir);
    let status = Command::new(&cargo)
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--package",
            GUEST_PACKAGE,
            "--target",
            WASM_TARGET,
        ])
        .args(extra)
        .arg("--target-dir")
        .arg(&target_dir)
        // Flags meant for the host build must not leak into the wasm build.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("run cargo to build the guest component");
    assert!(status.success(), "building the guest component failed");
    target_dir
        .join(WASM_TARGET)
        .join("release")
        .join(GUEST_ARTIFACT)
}

/// Compiles `component` for each engine flavor into OUT_DIR, each artifact
/// with its sha256 (hex) next to it.
fn precompile(component: &Path, out_dir: &Path) {
    use sha2::{Digest, Sha256};
    let wasm = std::fs::read(component).expect("read the component");
    let target = std::env::var(AOT_TARGET_ENV).ok().filter(|t| !t.is_empty());
    for flavor in engine_config::Flavor::ALL {
        let mut config = engine_config::engine_config(flavor);
        if let Some(target) = &target {
            config
                .target(target)
                .unwrap_or_else(|e| panic!("{AOT_TARGET_ENV}={target}: {e}"));
        }
        let engine = wasmtime::Engine::new(&config).expect("create a wasmtime engine");
        let artifact = engine
            .precompile_component(&wasm)
            .expect("compile the component ahead of time");
        let name = flavor.artifact_name();
        std::fs::write(out_dir.join(name), &artifact).expect("write the compiled artifact");
        std::fs::write(
            out_dir.join(format!("{name}{DIGEST_SUFFIX}")),
            hex::encode(Sha256::digest(&artifact)),
        )
        .expect("write the artifact's digest");
    }
}

/// Adds the wasm32-wasip2 standard library with rustup when it is missing.
fn ensure_wasm_target() {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| PathBuf::from(s.trim()));
    let installed = sysroot.is_some_and(|root| root.join("lib/rustlib").join(WASM_TARGET).exists());
    if !installed {
        let status = Command::new("rustup")
            .args(["target", "add", WASM_TARGET])
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "the {WASM_TARGET} target is missing and `rustup target add {WASM_TARGET}` failed"
        );
    }
}

/// Copies a component to a documented place for other wasm runtimes
/// (`target/graphstore-component/<name>`).
fn publish_copy(workspace: &Path, built: &Path, name: &str) {
    let dir = workspace.join("target").join("graphstore-component");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::copy(built, dir.join(name));
    }
}
