//! Record IDs: random 64-hex IDs and the lookup index (exact ID, exact name,
//! unique ID prefix).

use std::collections::HashMap;

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

/// What the index needs to know about the records it indexes: their IDs
/// and names by position (the index keeps no copies of them).
pub trait Keys {
    /// The ID of the record at `position`.
    fn id_at(&self, position: usize) -> &str;
    /// The names of the record at `position`.
    fn names_at(&self, position: usize) -> &[String];
    /// Whether the record at `position` carries `name`.
    fn has_name(&self, position: usize, name: &str) -> bool {
        self.names_at(position).iter().any(|n| n == name)
    }
}

/// 64-bit hash of a key (SipHash with fixed keys: the same in every process).
fn hash(key: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// Positions by key hash: almost every hash has one position; hashes of
/// several keys keep the others in `more`. Every hit is checked against
/// the records.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct HashedPositions {
    first: HashMap<u64, u32>,
    more: HashMap<u64, Vec<u32>>,
}

impl HashedPositions {
    /// Maps `key` to `position`, replacing the position of a record that
    /// `same_key` says holds the same key.
    fn insert(&mut self, key: &str, position: u32, same_key: impl Fn(usize) -> bool) {
        let hash = hash(key);
        match self.first.get_mut(&hash) {
            None => {
                self.first.insert(hash, position);
            }
            Some(first) if same_key(*first as usize) => *first = position,
            Some(_) => {
                let more = self.more.entry(hash).or_default();
                match more.iter_mut().find(|p| same_key(**p as usize)) {
                    Some(existing) => *existing = position,
                    None => more.push(position),
                }
            }
        }
    }

    /// The position holding `key`, as `holds` checks it.
    fn get(&self, key: &str, holds: impl Fn(usize) -> bool) -> Option<usize> {
        let hash = hash(key);
        let first = *self.first.get(&hash)? as usize;
        if holds(first) {
            return Some(first);
        }
        self.more
            .get(&hash)?
            .iter()
            .map(|&p| p as usize)
            .find(|&p| holds(p))
    }
}

/// Index of a record set: ID → position, name → position, and IDs ordered
/// for prefix search. It holds hashes and positions only (a few dozen
/// bytes per record, where copies of the keys took hundreds); lookups
/// check candidates against the records through [`Keys`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LookupIndex {
    by_id: HashedPositions,
    by_name: HashedPositions,
    /// Positions of the IDs that may be matched by prefix (1.43 leaves out
    /// IDs with spaces), ordered by ID.
    prefixable: Vec<u32>,
}

/// A record position as the index stores it (record files hold far fewer
/// than 2^32 records: they would not fit in a component's memory).
fn compact(position: usize) -> u32 {
    u32::try_from(position).expect("fewer than 2^32 records")
}

impl LookupIndex {
    /// Builds the index over the first `count` records of `keys`.
    pub fn build(keys: &impl Keys, count: usize) -> Self {
        let mut index = LookupIndex::default();
        for position in 0..count {
            index.insert_keys(keys, position);
        }
        index.prefixable = (0..count)
            .filter(|&p| !keys.id_at(p).contains(' '))
            .map(compact)
            .collect();
        index
            .prefixable
            .sort_unstable_by(|a, b| keys.id_at(*a as usize).cmp(keys.id_at(*b as usize)));
        index
    }

    fn insert_keys(&mut self, keys: &impl Keys, position: usize) {
        let id = keys.id_at(position);
        self.by_id
            .insert(id, compact(position), |p| keys.id_at(p) == id);
        for name in keys.names_at(position) {
            self.by_name
                .insert(name, compact(position), |p| keys.has_name(p, name));
        }
    }

    /// Adds the record at `position` (after every record already indexed).
    pub fn add(&mut self, keys: &impl Keys, position: usize) {
        self.insert_keys(keys, position);
        let id = keys.id_at(position);
        if !id.contains(' ') {
            let at = self
                .prefixable
                .partition_point(|p| keys.id_at(*p as usize) < id);
            self.prefixable.insert(at, compact(position));
        }
    }

    /// Position of the record with exactly this ID.
    pub fn by_id(&self, keys: &impl Keys, id: &str) -> Option<usize> {
        self.by_id.get(id, |p| keys.id_at(p) == id)
    }

    /// Position of the record holding this name.
    pub fn by_name(&self, keys: &impl Keys, name: &str) -> Option<usize> {
        self.by_name.get(name, |p| keys.has_name(p, name))
    }

    /// Position of the only record whose ID starts with `prefix`; `None`
    /// when no record or several do, or the prefix is empty.
    pub fn by_unique_prefix(&self, keys: &impl Keys, prefix: &str) -> Option<usize> {
        if prefix.is_empty() {
            return None;
        }
        let at = self
            .prefixable
            .partition_point(|p| keys.id_at(*p as usize) < prefix);
        let mut matches = self.prefixable[at..]
            .iter()
            .map(|&p| p as usize)
            .take_while(|&p| keys.id_at(p).starts_with(prefix));
        let first = matches.next()?;
        match matches.next() {
            Some(_) => None,
            None => Some(first),
        }
    }

    /// Resolves a reference: exact ID, then exact name, then unique prefix.
    pub fn resolve(&self, keys: &impl Keys, reference: &str) -> Option<usize> {
        self.by_id(keys, reference)
            .or_else(|| self.by_name(keys, reference))
            .or_else(|| self.by_unique_prefix(keys, reference))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as (ID, names) pairs.
    struct Table(Vec<(String, Vec<String>)>);

    impl Keys for Table {
        fn id_at(&self, position: usize) -> &str {
            &self.0[position].0
        }
        fn names_at(&self, position: usize) -> &[String] {
            &self.0[position].1
        }
    }

    fn table(records: &[(&str, &[&str])]) -> Table {
        Table(
            records
                .iter()
                .map(|(id, names)| {
                    (
                        id.to_string(),
                        names.iter().map(|n| n.to_string()).collect(),
                    )
                })
                .collect(),
        )
    }

    fn index(table: &Table) -> LookupIndex {
        LookupIndex::build(table, table.0.len())
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
        let records = table(&[
            ("abc2yy", &["two", "deux"]),
            ("abc1xx", &["one"]),
            ("with space", &["spaced"]),
        ]);
        let mut appended = LookupIndex::default();
        for position in 0..records.0.len() {
            appended.add(&records, position);
        }
        assert_eq!(appended, index(&records));
        assert_eq!(appended.resolve(&records, "deux"), Some(0));
        assert_eq!(appended.resolve(&records, "abc1"), Some(1));
    }

    #[test]
    fn resolution_order_is_id_name_prefix() {
        let records = table(&[
            ("abc1xx", &[]),
            ("abc2yy", &["abc1"]),
            ("with space", &["spaced"]),
        ]);
        let idx = index(&records);
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
            assert_eq!(idx.resolve(&records, reference), expected, "{reference:?}");
        }
    }

    #[test]
    fn keys_sharing_a_hash_bucket_are_told_apart_by_the_records() {
        let mut positions = HashedPositions::default();
        // Force every key into one hash's bucket chain by inserting under
        // the same key text but checking identity through the records.
        for p in 0..3u32 {
            positions.insert("shared", p, |q| q == p as usize);
        }
        assert_eq!(positions.get("shared", |p| p == 2), Some(2));
        assert_eq!(positions.get("shared", |p| p == 0), Some(0));
        assert_eq!(positions.get("shared", |p| p == 7), None);
        // A later record with the same key replaces the earlier one.
        positions.insert("shared", 9, |q| q == 1);
        assert_eq!(positions.get("shared", |p| p == 9), Some(9));
        assert_eq!(positions.get("shared", |p| p == 1), None);
    }
}
