//! Identifier parsers and small format helpers: digests, big-data file
//! names, ID maps, RFC 3339 timestamps, Go path cleaning and quoting.

use crate::go_json::random_string;
use crate::harness::{Input, Rng, run};
use crate::mutate::mutate_bytes;
use crate::records::random_timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use graphstore_guest::archive::path::{clean, is_whiteout};
use graphstore_guest::format::go::quote;
use graphstore_guest::format::timestamp::Timestamp;
use graphstore_guest::ident::{big_data, digest, id_map};
use graphstore_guest::records::IdMap;

/// Cases of each identifier target.
const ITERATIONS: usize = 3000;

/// A string mutated at the byte level, kept only if still UTF-8 (else
/// made so lossily).
fn mutated_string(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    mutate_bytes(rng, &mut bytes, &[]);
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// go-digest's rule, written out independently.
fn is_valid_digest(text: &str) -> bool {
    let Some((algorithm, hex)) = text.split_once(':') else {
        return false;
    };
    let len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == len
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn fuzz_digests() {
    run(
        "ident::digests",
        ITERATIONS,
        |rng| {
            let algorithm = *rng.pick(&["sha256", "sha384", "sha512", "md5", "sha256+b64"]);
            let len = match algorithm {
                "sha384" => 48,
                "sha512" => 64,
                _ => 32,
            };
            let valid = format!("{algorithm}:{}", hex::encode(rng.bytes(len)));
            if rng.chance(1, 4) {
                valid
            } else {
                mutated_string(rng, &valid)
            }
        },
        |text| {
            let result = digest::validate(text);
            let allowed = [
                digest::INVALID_FORMAT,
                digest::INVALID_LENGTH,
                digest::UNSUPPORTED,
            ];
            match result {
                Ok(()) if !is_valid_digest(text) => Err("accepted".into()),
                Err(_) if is_valid_digest(text) => Err(format!("refused: {result:?}")),
                Err(message) if !allowed.contains(&message) => Err(format!("odd error {message}")),
                _ => Ok(()),
            }
        },
    );
}

#[test]
fn fuzz_big_data_keys() {
    run(
        "ident::big_data",
        ITERATIONS,
        |rng| match rng.below(4) {
            0 => mutated_string(rng, "manifest-sha256:abcd"),
            1 => rng
                .pick(&["", ".", "..", "...", "./", "a/../b"])
                .to_string(),
            _ => random_string(rng, 60),
        },
        |key| {
            let name = big_data::file_name(key);
            let refused = key.is_empty() || key == "." || key == "..";
            let Some(name) = name else {
                return if refused {
                    Ok(())
                } else {
                    Err("refused".into())
                };
            };
            if refused {
                return Err(format!("accepted as {name:?}"));
            }
            let slash = name.contains('/') && !crate::known_bugs::big_data_name_has_slash(&name);
            if name.is_empty() || name == "." || name == ".." || name.contains('\0') || slash {
                return Err(format!("unsafe file name {name:?}"));
            }
            // The name determines the key (so two keys never share a file).
            let back = match name.strip_prefix('=') {
                Some(encoded) => STANDARD
                    .decode(encoded)
                    .map_err(|error| format!("{name:?} is not base64: {error}"))?,
                None => name.clone().into_bytes(),
            };
            if back != key.as_bytes() {
                return Err(format!("{name:?} does not give the key back"));
            }
            Ok(())
        },
    );
}

/// ID maps and an ID to translate.
#[derive(Debug)]
struct IdCase {
    maps: Vec<IdMap>,
    other: Vec<IdMap>,
    id: u32,
}

impl Input for IdCase {}

/// A number near an edge of `u32`, or any.
fn edgy_u32(rng: &mut Rng) -> u32 {
    match rng.below(4) {
        0 => *rng.pick(&[0, 1, 65534, 65535, 65536, 100_000, u32::MAX - 1, u32::MAX]),
        1 => u32::MAX - rng.below(70_000) as u32,
        2 => rng.below(200_000) as u32,
        _ => rng.next_u64() as u32,
    }
}

/// Up to three ranges with edge values (some run past `u32::MAX`).
fn edgy_maps(rng: &mut Rng) -> Vec<IdMap> {
    (0..rng.small_len(3))
        .map(|_| IdMap {
            container_id: edgy_u32(rng),
            host_id: edgy_u32(rng),
            size: edgy_u32(rng),
        })
        .collect()
}

#[test]
fn fuzz_id_maps() {
    run(
        "ident::id_maps",
        ITERATIONS,
        |rng| IdCase {
            maps: edgy_maps(rng),
            other: edgy_maps(rng),
            id: edgy_u32(rng),
        },
        |case| {
            let host = id_map::to_host(case.id, &case.maps);
            let container = id_map::to_container(case.id, &case.maps);
            let _ = id_map::shift(case.id, &case.maps, &case.other);
            // With one range, the two directions are inverses.
            if case.maps.len() == 1 {
                if let Some(host) = host
                    && id_map::to_container(host, &case.maps) != Some(case.id)
                {
                    return Err(format!("{} -> host {host} does not map back", case.id));
                }
                if let Some(container) = container
                    && id_map::to_host(container, &case.maps) != Some(case.id)
                {
                    return Err(format!("host {} -> {container} does not map back", case.id));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_timestamps() {
    run(
        "ident::timestamps",
        ITERATIONS,
        |rng| {
            let text = random_timestamp(rng).format();
            if rng.chance(1, 4) {
                text
            } else if rng.chance(1, 3) {
                // A non-ASCII character in place of one byte.
                let at = rng.below(text.len());
                let c = *rng.pick(&['é', '€', '🦀', '٣']);
                format!("{}{c}{}", &text[..at], &text[at + 1..])
            } else {
                mutated_string(rng, &text)
            }
        },
        |text| {
            let Ok(parsed) = Timestamp::parse(text) else {
                return Ok(());
            };
            let formatted = parsed.format();
            match Timestamp::parse(&formatted) {
                Ok(again) if again == parsed => Ok(()),
                other => Err(format!(
                    "{text:?} -> {parsed:?} -> {formatted:?} -> {other:?}"
                )),
            }
        },
    );
}

/// A timestamp to format.
#[derive(Debug)]
struct TimeCase(Timestamp);

impl Input for TimeCase {}

#[test]
fn fuzz_timestamps_format_and_parse_back() {
    run(
        "ident::timestamp_round_trip",
        ITERATIONS,
        |rng| TimeCase(random_timestamp(rng)),
        |case| {
            let text = case.0.format();
            match Timestamp::parse(&text) {
                Ok(parsed) if parsed == case.0 => Ok(()),
                other => Err(format!("formatted as {text:?}, parsed as {other:?}")),
            }
        },
    );
}

/// Pieces of generated paths: separators, dot components, whiteout
/// prefixes, non-ASCII and non-UTF-8 bytes, NUL.
const PATH_PIECES: [&[u8]; 9] = [
    b"/",
    b".",
    b"..",
    b"a",
    b".wh.",
    b"//",
    "ü".as_bytes(),
    b"\xff",
    b"\0",
];

#[test]
fn fuzz_paths_and_quoting() {
    run(
        "ident::paths",
        ITERATIONS,
        |rng| {
            let mut path = Vec::new();
            for _ in 0..rng.small_len(12) {
                let piece: &&[u8] = rng.pick(&PATH_PIECES);
                path.extend_from_slice(piece);
            }
            path
        },
        |path| {
            let cleaned = clean(path);
            if clean(&cleaned) != cleaned {
                return Err(format!("clean is not idempotent: {cleaned:?}"));
            }
            if cleaned.is_empty() || cleaned.windows(2).any(|w| w == b"//") {
                return Err(format!("not clean: {cleaned:?}"));
            }
            let _ = is_whiteout(path);
            let quoted = quote(path);
            if !(quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"')) {
                return Err(format!("quoted as {quoted}"));
            }
            Ok(())
        },
    );
}
