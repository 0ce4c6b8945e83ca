//! Digest strings (`algorithm:hex`), validated as go-digest does.

/// go-digest's error for text that is not `algorithm:hex` (`ErrDigestInvalidFormat`).
pub const INVALID_FORMAT: &str = "invalid checksum digest format";
/// go-digest's error for hex of the wrong length for its algorithm (`ErrDigestInvalidLength`).
pub const INVALID_LENGTH: &str = "invalid checksum digest length";
/// go-digest's error for a well-formed digest of an unknown algorithm (`ErrDigestUnsupported`).
pub const UNSUPPORTED: &str = "unsupported digest algorithm";

/// Checks `digest` is `sha256:`, `sha384:` or `sha512:` followed by the
/// right number of lowercase hex digits; returns go-digest's error text.
pub fn validate(digest: &str) -> Result<(), &'static str> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(INVALID_FORMAT);
    };
    if algorithm.is_empty() || encoded.is_empty() {
        return Err(INVALID_FORMAT);
    }
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ if is_digest_syntax(algorithm, encoded) => return Err(UNSUPPORTED),
        _ => return Err(INVALID_FORMAT),
    };
    if encoded.len() != hex_len {
        return Err(INVALID_LENGTH);
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(INVALID_FORMAT);
    }
    Ok(())
}

/// go-digest's general syntax: `[a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
fn is_digest_syntax(algorithm: &str, encoded: &str) -> bool {
    let component_ok = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    algorithm.split(['.', '+', '_', '-']).all(component_ok)
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

/// The canonical sha256 digest of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(crate::platform::sha256(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_matches_go_digest() {
        let good = format!("sha256:{}", "a".repeat(64));
        let cases: Vec<(String, Result<(), &str>)> = vec![
            (good.clone(), Ok(())),
            (format!("sha512:{}", "0".repeat(128)), Ok(())),
            ("sha256:1234".into(), Err(INVALID_LENGTH)),
            (format!("sha256:{}", "A".repeat(64)), Err(INVALID_FORMAT)),
            ("foo".into(), Err(INVALID_FORMAT)),
            (":abc".into(), Err(INVALID_FORMAT)),
            ("sha256:".into(), Err(INVALID_FORMAT)),
            ("md5:abcd".into(), Err(UNSUPPORTED)),
            ("MD5:abcd".into(), Err(INVALID_FORMAT)),
        ];
        for (digest, expected) in cases {
            assert_eq!(validate(&digest), expected, "{digest}");
        }
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_of(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
