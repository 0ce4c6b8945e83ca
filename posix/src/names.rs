//! Host user and group names by ID, from the host's user database (NSS:
//! `/etc/passwd`, `/etc/group` and whatever else the host configures), as
//! Go's `os/user` looks them up for 1.43's tar headers (`Uname`, `Gname`).

use std::ffi::CStr;

/// First buffer size for the `*_r` lookups; doubled on `ERANGE`.
const FIRST_BUFFER: usize = 1024;
/// Largest buffer tried before a lookup gives up.
const MAX_BUFFER: usize = 1 << 20;

/// Runs a reentrant lookup with a growing buffer; `lookup` returns the
/// errno and whether an entry was found, and reads its name while the
/// buffer is alive.
fn with_buffer(mut lookup: impl FnMut(&mut [u8]) -> (i32, Option<String>)) -> Option<String> {
    let mut size = FIRST_BUFFER;
    loop {
        let mut buffer = vec![0u8; size];
        match lookup(&mut buffer) {
            (libc::ERANGE, _) if size < MAX_BUFFER => size *= 2,
            (0, name) => return name,
            _ => return None,
        }
    }
}

/// Copies a C string the database returned; `None` for a null pointer or
/// a name that is not UTF-8.
///
/// # Safety
/// `name` is null or points to a NUL-terminated string.
#[allow(unsafe_code)]
unsafe fn owned_name(name: *const libc::c_char) -> Option<String> {
    if name.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated per the caller.
    let name = unsafe { CStr::from_ptr(name) };
    name.to_str().ok().map(str::to_string)
}

/// The name of host user `uid` (`getpwuid_r`), if the database has one.
#[allow(unsafe_code)]
pub fn user_name(uid: u32) -> Option<String> {
    with_buffer(|buffer| {
        // SAFETY: all-zero is a valid `passwd` (null pointers, zero IDs).
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; the buffer's length
        // is passed with it; the strings it fills stay in `buffer`.
        let errno = unsafe {
            libc::getpwuid_r(
                uid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        // SAFETY: when found, `pw_name` points into `buffer`, still alive.
        let name = (!found.is_null())
            .then(|| unsafe { owned_name(entry.pw_name) })
            .flatten();
        (errno, name)
    })
}

/// The name of host group `gid` (`getgrgid_r`), if the database has one.
#[allow(unsafe_code)]
pub fn group_name(gid: u32) -> Option<String> {
    with_buffer(|buffer| {
        // SAFETY: all-zero is a valid `group` (null pointers, zero ID).
        let mut entry: libc::group = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::group = std::ptr::null_mut();
        // SAFETY: as in `user_name`.
        let errno = unsafe {
            libc::getgrgid_r(
                gid,
                &mut entry,
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        // SAFETY: when found, `gr_name` points into `buffer`, still alive.
        let name = (!found.is_null())
            .then(|| unsafe { owned_name(entry.gr_name) })
            .flatten();
        (errno, name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first field of the line of `file` whose third field is `id`.
    fn name_in(file: &str, id: u32) -> Option<String> {
        let text = std::fs::read_to_string(file).ok()?;
        text.lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.get(2) == Some(&id.to_string().as_str()))
            .map(|fields| fields[0].to_string())
    }

    #[test]
    fn root_has_the_name_the_files_give_it() {
        assert_eq!(user_name(0), name_in("/etc/passwd", 0));
        assert_eq!(group_name(0), name_in("/etc/group", 0));
        assert!(user_name(0).is_some());
    }

    #[test]
    fn an_unknown_id_has_no_name() {
        assert_eq!(user_name(3_999_999_999), None);
        assert_eq!(group_name(3_999_999_999), None);
    }
}
