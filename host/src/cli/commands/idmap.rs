//! ID-map options (`--uidmap`, `--gidmap`, `--subuidmap`, `--subgidmap`,
//! `--hostuidmap`, `--hostgidmap`) turned into maps as 1.43's CLI does,
//! including its reading of `/etc/subuid` and `/etc/subgid`.

use super::output::path_error;
use super::{Ctx, Failure};
use crate::IdMap;
use graphstore_guest::format::go::quote_list as go_quote_list;
use std::ffi::{CStr, CString};

/// The files listing subordinate ID ranges.
const SUBUID_FILE: &str = "/etc/subuid";
const SUBGID_FILE: &str = "/etc/subgid";
/// Buffer size for `getpw*_r` lookups.
const PASSWD_BUFFER_LEN: usize = 16 * 1024;

/// The ID mapping requested on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Mappings {
    /// Explicit UID map; `None` inherits.
    pub uid_map: Option<Vec<IdMap>>,
    /// Explicit GID map; `None` inherits.
    pub gid_map: Option<Vec<IdMap>>,
    /// `--hostuidmap`.
    pub host_uid: bool,
    /// `--hostgidmap`.
    pub host_gid: bool,
}

/// The mapping flags of `ctx`'s command, checked and resolved.
pub(super) fn from_flags(ctx: &Ctx<'_>) -> Result<Mappings, Failure> {
    let inv = ctx.inv;
    resolve(
        inv.flags.host_uid_map,
        inv.flags.host_gid_map,
        inv.flags.uid_map.as_str(),
        inv.flags.gid_map.as_str(),
        inv.flags.sub_uid_map.as_str(),
        inv.flags.sub_gid_map.as_str(),
    )
    .map_err(Failure::Message)
}

/// 1.43's `paramIDMapping`, in its order of checks.
fn resolve(
    host_uid: bool,
    host_gid: bool,
    uid_map: &str,
    gid_map: &str,
    sub_uid: &str,
    sub_gid: &str,
) -> Result<Mappings, String> {
    if host_uid && (!uid_map.is_empty() || !sub_uid.is_empty()) {
        return Err("host uid map specified along with UID mapping".into());
    }
    if host_gid && (!gid_map.is_empty() || !sub_gid.is_empty()) {
        return Err("host gid map specified along with GID mapping".into());
    }
    let (sub_uid, sub_gid) = match (sub_uid.is_empty(), sub_gid.is_empty()) {
        (false, true) => (sub_uid, sub_uid),
        (true, false) => (sub_gid, sub_gid),
        _ => (sub_uid, sub_gid),
    };
    let (mut uids, mut gids) = (Vec::new(), Vec::new());
    if !sub_uid.is_empty() {
        let uid_ranges = subordinate_ranges(SUBUID_FILE, sub_uid)?;
        let gid_ranges = subordinate_ranges(SUBGID_FILE, sub_gid)?;
        if uid_ranges.is_empty() {
            return Err(format!(
                "no subuid ranges found for user \"{sub_uid}\" in {SUBUID_FILE}"
            ));
        }
        if gid_ranges.is_empty() {
            return Err(format!(
                "no subgid ranges found for group \"{sub_gid}\" in {SUBGID_FILE}"
            ));
        }
        uids = ranges_to_map(uid_ranges);
        gids = ranges_to_map(gid_ranges);
    }
    uids.extend(parse_id_map(uid_map, "uid")?);
    gids.extend(parse_id_map(gid_map, "gid")?);
    let explicit = |maps: Vec<IdMap>| (!maps.is_empty()).then_some(maps);
    Ok(Mappings {
        uid_map: explicit(uids),
        gid_map: explicit(gids),
        host_uid,
        host_gid,
    })
}

/// Parses `container:host:size[:container:host:size…]` (idtools.ParseIDMap).
fn parse_id_map(spec: &str, setting: &str) -> Result<Vec<IdMap>, String> {
    if spec.is_empty() {
        return Ok(Vec::new());
    }
    let malformed = || {
        format!(
            "initializing ID mappings: {setting} setting is malformed expected [\"uint32:uint32:uint32\"]: {}",
            go_quote_list(&[spec.to_string()])
        )
    };
    let fields: Vec<&str> = spec.split(':').collect();
    if !fields.len().is_multiple_of(3) {
        return Err(malformed());
    }
    let number = |text: &str| -> Result<u32, String> {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        text.parse().map_err(|_| malformed())
    };
    fields
        .chunks(3)
        .map(|triple| {
            Ok(IdMap {
                container_id: number(triple[0])?,
                host_id: number(triple[1])?,
                size: number(triple[2])?,
            })
        })
        .collect()
}

/// One `start:length` range of a subordinate-ID file.
type Range = (i64, i64);

/// The ranges `file` grants `name` (or its numeric UID).
fn subordinate_ranges(file: &str, name: &str) -> Result<Vec<Range>, String> {
    let text = std::fs::read(file).map_err(|error| path_error("open", file, &error))?;
    let uid = user_id(name).map(|uid| uid.to_string());
    parse_subid_file(&String::from_utf8_lossy(&text), file, name, uid.as_deref())
}

/// idtools.parseSubidFile: `name:start:length` lines, `#` comments.
fn parse_subid_file(
    text: &str,
    file: &str,
    name: &str,
    uid: Option<&str>,
) -> Result<Vec<Range>, String> {
    let mut ranges = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(':').collect();
        if parts.len() != 3 {
            return Err(format!(
                "cannot parse subuid/gid information: Format not correct for {file} file"
            ));
        }
        if parts[0] == name || name == "ALL" || (Some(parts[0]) == uid && !parts[0].is_empty()) {
            let number = |text: &str| {
                go_atoi(text).map_err(|error| {
                    format!("string to int conversion failed during subuid/gid parsing of {file}: {error}")
                })
            };
            ranges.push((number(parts[1])?, number(parts[2])?));
        }
    }
    Ok(ranges)
}

/// Go's `strconv.Atoi`, with its error texts.
fn go_atoi(text: &str) -> Result<i64, String> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing \"{text}\": invalid syntax"));
    }
    text.parse()
        .map_err(|_| format!("strconv.Atoi: parsing \"{text}\": value out of range"))
}

/// idtools.createIDMap: ranges sorted by start, packed from container ID 0.
fn ranges_to_map(mut ranges: Vec<Range>) -> Vec<IdMap> {
    ranges.sort_by_key(|&(start, _)| start);
    let mut container_id: i64 = 0;
    ranges
        .into_iter()
        .map(|(start, length)| {
            let map = IdMap {
                container_id: container_id as u32,
                host_id: start as u32,
                size: length as u32,
            };
            container_id += length;
            map
        })
        .collect()
}

/// A passwd entry's UID and home directory.
struct PasswdEntry {
    uid: u32,
    home: String,
}

/// Looks a user up by name (`Some(name)`) or by UID.
fn passwd_entry(name: Option<&str>, uid: u32) -> Option<PasswdEntry> {
    let name = name.map(CString::new).transpose().ok()?;
    let mut buffer = vec![0 as libc::c_char; PASSWD_BUFFER_LEN];
    // SAFETY: every pointer refers to live, correctly sized memory; the
    // result points into `entry`/`buffer`, read before they go away.
    unsafe {
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let status = match &name {
            Some(name) => libc::getpwnam_r(
                name.as_ptr(),
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
            ),
            None => libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
            ),
        };
        if status != 0 || result.is_null() {
            return None;
        }
        let home = if entry.pw_dir.is_null() {
            String::new()
        } else {
            CStr::from_ptr(entry.pw_dir).to_string_lossy().into_owned()
        };
        Some(PasswdEntry {
            uid: entry.pw_uid,
            home,
        })
    }
}

/// The UID of user `name`, if the user database knows it.
fn user_id(name: &str) -> Option<u32> {
    passwd_entry(Some(name), 0).map(|entry| entry.uid)
}

/// The home directory of the user with `uid`, if known and not empty.
pub(crate) fn user_home(uid: u32) -> Option<String> {
    passwd_entry(None, uid)
        .map(|entry| entry.home)
        .filter(|home| !home.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(container_id: u32, host_id: u32, size: u32) -> IdMap {
        IdMap {
            container_id,
            host_id,
            size,
        }
    }

    #[test]
    fn id_maps_parse_like_idtools() {
        let malformed = |s: &str| {
            format!(
                "initializing ID mappings: uid setting is malformed expected [\"uint32:uint32:uint32\"]: [\"{s}\"]"
            )
        };
        let cases: Vec<(&str, Result<Vec<IdMap>, String>)> = vec![
            ("", Ok(vec![])),
            ("0:100000:65536", Ok(vec![map(0, 100000, 65536)])),
            ("0:1:2:3:4:5", Ok(vec![map(0, 1, 2), map(3, 4, 5)])),
            ("0:1", Err(malformed("0:1"))),
            ("0:1:x", Err(malformed("0:1:x"))),
            ("0:1:-2", Err(malformed("0:1:-2"))),
            ("0:1:4294967296", Err(malformed("0:1:4294967296"))),
            ("0:1:", Err(malformed("0:1:"))),
        ];
        for (spec, expected) in cases {
            assert_eq!(parse_id_map(spec, "uid"), expected, "{spec}");
        }
    }

    #[test]
    fn host_maps_conflict_with_explicit_maps() {
        assert_eq!(
            resolve(true, false, "0:1:1", "", "", ""),
            Err("host uid map specified along with UID mapping".into())
        );
        assert_eq!(
            resolve(false, true, "", "", "", "someone"),
            Err("host gid map specified along with GID mapping".into())
        );
        assert_eq!(
            resolve(true, true, "", "0:5:1", "", ""),
            Err("host gid map specified along with GID mapping".into())
        );
        assert_eq!(
            resolve(false, false, "0:1:2", "", "", ""),
            Ok(Mappings {
                uid_map: Some(vec![map(0, 1, 2)]),
                ..Mappings::default()
            })
        );
    }

    #[test]
    fn subid_files_parse_like_idtools() {
        let text = "# comment\n\nalice:200000:1000\nbob:100000:65536\r\nalice:100000:5\n1001:7:1\n";
        assert_eq!(
            parse_subid_file(text, SUBUID_FILE, "alice", Some("1001")),
            Ok(vec![(200000, 1000), (100000, 5), (7, 1)])
        );
        assert_eq!(
            ranges_to_map(vec![(200000, 1000), (100000, 5)]),
            vec![map(0, 100000, 5), map(5, 200000, 1000)]
        );
        assert_eq!(
            parse_subid_file("bad line\n", SUBUID_FILE, "x", None),
            Err(
                "cannot parse subuid/gid information: Format not correct for /etc/subuid file"
                    .into()
            )
        );
        assert_eq!(
            parse_subid_file("x:1:y\n", SUBGID_FILE, "x", None),
            Err("string to int conversion failed during subuid/gid parsing of /etc/subgid: strconv.Atoi: parsing \"y\": invalid syntax".into())
        );
    }
}
