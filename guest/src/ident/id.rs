//! Record IDs: random 64-hex IDs and the lookup index (exact ID, exact name,
//! unique ID prefix).

use std::collections::{BTreeMap, HashMap};

/// Number of random bytes in a generated ID (64 hex characters).
pub const ID_RANDOM_BYTES: usize = 32;
/// An ID whose first this-many characters are all digits is regenerated
/// (it could be mistaken for a number).
const NUMERIC_PREFIX_LEN: usize = 12;

/// Turns 32 random bytes into an ID, or `None` when 1.43 would reject the
/// candidate (its first 12 characters are all decimal digits).
pub fn id_from_random(bytes: &[u8; ID_RANDOM_BYTES]) -> Option<String> {
    let id = hex::encode(bytes);
    let numeric = id
        .bytes()
        .take(NUMERIC_PREFIX_LEN)
        .all(|b| b.is_ascii_digit());
    (!numeric).then_some(id)
}

/// Index of a record set: ID → position, name → position, and IDs ordered
/// for prefix search.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LookupIndex {
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    /// IDs that may be matched by prefix (1.43 leaves out IDs with spaces).
    prefixable: BTreeMap<String, usize>,
}

impl LookupIndex {
    /// Builds the index over `(id, names)` pairs in record order.
    pub fn build<'a>(records: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Self {
        let mut index = LookupIndex::default();
        for (position, (id, names)) in records.into_iter().enumerate() {
            index.add(position, id, names);
        }
        index
    }

    /// Adds the record at `position` (after every record already indexed).
    pub fn add(&mut self, position: usize, id: &str, names: &[String]) {
        self.by_id.insert(id.to_string(), position);
        if !id.contains(' ') {
            self.prefixable.insert(id.to_string(), position);
        }
        for name in names {
            self.by_name.insert(name.clone(), position);
        }
    }

    /// Position of the record with exactly this ID.
    pub fn by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Position of the record holding this name.
    pub fn by_name(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Position of the only record whose ID starts with `prefix`; `None`
    /// when no record or several do, or the prefix is empty.
    pub fn by_unique_prefix(&self, prefix: &str) -> Option<usize> {
        if prefix.is_empty() {
            return None;
        }
        let mut matches = self
            .prefixable
            .range(prefix.to_string()..)
            .take_while(|(id, _)| id.starts_with(prefix));
        let first = matches.next()?;
        match matches.next() {
            Some(_) => None,
            None => Some(*first.1),
        }
    }

    /// Resolves a reference: exact ID, then exact name, then unique prefix.
    pub fn resolve(&self, reference: &str) -> Option<usize> {
        self.by_id(reference)
            .or_else(|| self.by_name(reference))
            .or_else(|| self.by_unique_prefix(reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(records: &[(&str, &[&str])]) -> LookupIndex {
        let owned: Vec<(String, Vec<String>)> = records
            .iter()
            .map(|(id, names)| {
                (
                    id.to_string(),
                    names.iter().map(|n| n.to_string()).collect(),
                )
            })
            .collect();
        LookupIndex::build(
            owned
                .iter()
                .map(|(id, names)| (id.as_str(), names.as_slice())),
        )
    }

    #[test]
    fn generated_ids_reject_numeric_prefixes() {
        let mut bytes = [0xabu8; ID_RANDOM_BYTES];
        assert_eq!(id_from_random(&bytes).unwrap(), "ab".repeat(32));
        bytes[..6].copy_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x90, 0x12]);
        assert_eq!(id_from_random(&bytes), None);
        bytes[5] = 0x1a;
        assert!(id_from_random(&bytes).is_some());
    }

    #[test]
    fn appending_records_indexes_them_as_a_rebuild_would() {
        let records: &[(&str, &[&str])] = &[
            ("abc1xx", &["one"]),
            ("abc2yy", &["two", "deux"]),
            ("with space", &["spaced"]),
        ];
        let mut appended = LookupIndex::default();
        let mut names = Vec::new();
        for (position, (id, record_names)) in records.iter().enumerate() {
            names.push(
                record_names
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>(),
            );
            appended.add(position, id, &names[position]);
        }
        assert_eq!(appended, index(records));
        assert_eq!(appended.resolve("deux"), Some(1));
        assert_eq!(appended.resolve("abc1"), Some(0));
    }

    #[test]
    fn resolution_order_is_id_name_prefix() {
        let idx = index(&[
            ("abc1xx", &[]),
            ("abc2yy", &["abc1"]),
            ("with space", &["spaced"]),
        ]);
        let cases = [
            ("abc1xx", Some(0)),
            ("abc1", Some(1)), // a name beats a prefix
            ("abc", None),     // ambiguous prefix
            ("abc2", Some(1)), // unique prefix
            ("", None),
            ("with", None), // IDs with spaces are not prefix-searchable
            ("with space", Some(2)),
            ("spaced", Some(2)),
            ("zzz", None),
        ];
        for (reference, expected) in cases {
            assert_eq!(idx.resolve(reference), expected, "{reference:?}");
        }
    }
}
