//! `dedup` (newer containers/storage): shares identical files' extents
//! among the layers of every image.

use super::{CommandResult, Ctx, Failure};
use crate::DedupHash;
use serde::Serialize;

/// `--hash-method` values, as upstream names them (the flag defaults to
/// `crc`; an explicit empty value is invalid, as upstream).
fn hash_method(name: &str) -> Option<DedupHash> {
    match name {
        "crc" => Some(DedupHash::Crc),
        "size" => Some(DedupHash::Size),
        "sha256" => Some(DedupHash::Sha256),
        _ => None,
    }
}

/// Upstream's `DedupResult` as JSON.
#[derive(Serialize)]
struct DedupJson {
    #[serde(rename = "Deduped")]
    deduped: u64,
}

/// `dedup [--hash-method crc|size|sha256] [--json]`: prints
/// `Deduplicated N bytes` or `{"Deduped":N}`. A failure is
/// `dedup: <error>` (with `--json`, the error encoded as JSON: upstream
/// encodes a Go error value, which has no exported fields, as `{}`).
pub(super) fn dedup(ctx: &mut Ctx<'_>) -> CommandResult {
    let method_name = ctx.inv.flags.hash_method.as_str();
    let Some(method) = hash_method(method_name) else {
        return Err(Failure::Message(format!(
            "invalid hash method: {method_name}"
        )));
    };
    match ctx.store.dedup(method) {
        Ok(deduped) if ctx.json() => ctx.print_json(&DedupJson { deduped }),
        Ok(deduped) => ctx.print(format!("Deduplicated {deduped} bytes\n")),
        Err(_) if ctx.json() => {
            ctx.print("{}\n");
            return Err(Failure::Silent);
        }
        Err(error) => {
            return Err(Failure::Message(format!(
                "{}: {error}",
                ctx.inv.command_name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_methods_are_upstreams() {
        assert_eq!(hash_method(""), None);
        assert_eq!(hash_method("crc"), Some(DedupHash::Crc));
        assert_eq!(hash_method("size"), Some(DedupHash::Size));
        assert_eq!(hash_method("sha256"), Some(DedupHash::Sha256));
        assert_eq!(hash_method("md5"), None);
        assert_eq!(hash_method("CRC"), None);
    }
}
