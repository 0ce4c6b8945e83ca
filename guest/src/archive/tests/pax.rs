//! PAX records and times.

use crate::archive::pax::{PaxRecords, parse_records, parse_time, unix_time};
use crate::format::timestamp::Timestamp;

fn records(pairs: &[(&str, &str)]) -> PaxRecords {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn records_parse_as_go_does() {
    let cases: [(&[u8], Result<PaxRecords, &str>); 10] = [
        (b"", Ok(records(&[]))),
        (
            b"30 mtime=1672628645.123456789\n",
            Ok(records(&[("mtime", "1672628645.123456789")])),
        ),
        (
            b"19 path=/etc/hosts\n10 uid=42\n",
            Ok(records(&[("path", "/etc/hosts"), ("uid", "42")])),
        ),
        (b"9 path=a\n9 path=b\n", Ok(records(&[("path", "b")]))),
        (b"6 k=v!", Err("malformed PAX record")),
        (b"5 k=v\n", Err("malformed PAX record")),
        (b"7 kv\n\n", Err("malformed PAX record")),
        (b"4 a=\n", Err("malformed PAX record")),
        (
            b"0000000000000000000000000000000030 mtime=1\n",
            Err("malformed PAX record"),
        ),
        (b"11 path=\0\n\n", Err("malformed PAX record")),
    ];
    for (data, expected) in cases {
        assert_eq!(
            parse_records(data),
            expected,
            "{:?}",
            String::from_utf8_lossy(data)
        );
    }
    assert_eq!(parse_records(b"5 a=\n"), Ok(records(&[("a", "")])));
    assert_eq!(parse_records(b"6 k=v\n"), Ok(records(&[("k", "v")])));
    assert_eq!(parse_records(b"9 a\0b=c\n"), Err("malformed PAX record"));
    assert_eq!(
        parse_records(b"10 x=a\0bc\n"),
        Ok(records(&[("x", "a\0bc")]))
    );
}

#[test]
fn times_keep_nanoseconds_and_normalise_negatives() {
    let at = |seconds, nanoseconds| Timestamp {
        seconds,
        nanoseconds,
        utc_offset: 0,
    };
    let cases: [(&str, Result<Timestamp, &str>); 9] = [
        ("1672628645", Ok(at(1_672_628_645, 0))),
        ("1672628645.123456789", Ok(at(1_672_628_645, 123_456_789))),
        ("1672628645.5", Ok(at(1_672_628_645, 500_000_000))),
        ("1672628645.1234567899", Ok(at(1_672_628_645, 123_456_789))),
        ("-1.5", Ok(at(-2, 500_000_000))),
        ("0.", Ok(at(0, 0))),
        (".5", Err("malformed PAX time")),
        ("1.5x", Err("malformed PAX time")),
        ("abc", Err("malformed PAX time")),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_time(text.as_bytes()), expected, "{text}");
    }
    assert_eq!(unix_time(5, -1), at(4, 999_999_999));
}
