//! A JSON array of records on disk, cached in memory and reloaded when the
//! lock says another writer changed it.

use crate::disk::{Dir, Lock, LockGuard, Timespec};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::id::LookupIndex;
use crate::records::{self, Record};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Which kind of record a file holds (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `layers.json`: layer records.
    Layer,
    /// `images.json`: image records.
    Image,
    /// `containers.json`: container records.
    Container,
}

impl Kind {
    /// "layer", "image" or "container".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Layer => "layer",
            Kind::Image => "image",
            Kind::Container => "container",
        }
    }
}

/// Records as the lookup index sees them.
struct Keys<'a, T>(&'a [T]);

impl<T: Record> crate::ident::id::Keys for Keys<'_, T> {
    fn id_at(&self, position: usize) -> &str {
        self.0[position].id()
    }

    fn names_at(&self, position: usize) -> &[String] {
        self.0[position].names()
    }
}

/// A further file of a record file's records (newer containers/storage's
/// split record files): a split image store's `layers.json`, or
/// `volatile-layers.json` / `volatile-containers.json`, whose records are
/// saved without syncing (in transient mode in the run root, so they are
/// gone after a reboot).
struct Companion {
    dir: Dir,
    file_name: &'static str,
    /// Whether saves sync the data (not for volatile files).
    synced: bool,
    /// The file's contents as last loaded or saved.
    loaded_bytes: Option<Fingerprint>,
}

/// One metadata file (`layers.json`, `images.json`, `containers.json`),
/// with its companion files when the store mode has them.
pub struct RecordFile<T: Record> {
    dir: Dir,
    file_name: &'static str,
    lock: Rc<Lock>,
    kind: Kind,
    read_only: bool,
    records: Vec<T>,
    /// Each record's compact JSON as last encoded, by position (`None`:
    /// not encoded since it changed), so a save re-encodes only the
    /// records edited since the last one.
    encoded: Vec<Option<Vec<u8>>>,
    index: LookupIndex,
    loaded: bool,
    /// Modification time of the file at the last load, when tracked.
    loaded_mtime: Option<(u64, u32)>,
    track_mtime: bool,
    /// Counts changes to the records in memory (loads and edits): equal
    /// values mean the same records (see [`RecordFile::generation`]).
    generation: u64,
    /// The file's contents as last loaded or saved.
    loaded_bytes: Option<Fingerprint>,
    /// Whether the records were edited since they were loaded or saved.
    edited_since_load: bool,
    /// The lock file's name (beside the file).
    lock_name: String,
    /// Inode, size and modification time of the file as last loaded.
    loaded_stat: Option<(u64, u64, Timespec)>,
    /// Where the lock file is when not beside the file (transient
    /// containers keep theirs in the run root).
    lock_dir: Option<Dir>,
    /// Companion files, in load order (a record in an earlier file wins).
    companions: Vec<Companion>,
    /// Which companion (index) each record that lives in one is in, by ID.
    placement: HashMap<String, usize>,
}

/// Length and 64-bit hash of a file's contents: equal fingerprints mean
/// (but for a 2^-64 chance) equal contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint(usize, u64);

/// Odd multiplier of [`Fingerprint::of`]'s word mixing (FxHash's).
const FINGERPRINT_MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

impl Fingerprint {
    /// Hashes 8 bytes per step, each step a bijection of the running
    /// value (rotate, xor the word, multiply by an odd constant), so
    /// contents that differ in one word always differ in hash. A save
    /// fingerprints the whole file, so this runs over every byte written:
    /// it is several times faster than SipHash in wasm. Only change
    /// detection relies on it; its keys would be public anyway.
    fn of(bytes: &[u8]) -> Fingerprint {
        let step = |hash: u64, word: u64| {
            (hash.rotate_left(5) ^ word).wrapping_mul(FINGERPRINT_MULTIPLIER)
        };
        let mut words = bytes.chunks_exact(8);
        let mut hash = words.by_ref().fold(0, |hash, word| {
            step(hash, u64::from_le_bytes(word.try_into().expect("8 bytes")))
        });
        let mut tail = [0u8; 8];
        let rest = words.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        hash = step(hash, u64::from_le_bytes(tail));
        Fingerprint(bytes.len(), hash)
    }
}

impl<T: Record> RecordFile<T> {
    /// Opens the record file `file_name` in `dir`, guarded by lock file
    /// `lock_name` in the same directory. Nothing is read until first use.
    pub fn open(
        dir: Dir,
        file_name: &'static str,
        lock_name: &str,
        kind: Kind,
        read_only: bool,
    ) -> Result<Self> {
        Self::open_with_lock(dir, file_name, None, lock_name, kind, read_only)
    }

    /// Like [`RecordFile::open`], with the lock file `lock_name` in
    /// `lock_dir` when given (else beside the file).
    pub fn open_with_lock(
        dir: Dir,
        file_name: &'static str,
        lock_dir: Option<Dir>,
        lock_name: &str,
        kind: Kind,
        read_only: bool,
    ) -> Result<Self> {
        let lock = Lock::open(lock_dir.as_ref().unwrap_or(&dir), lock_name, read_only)?;
        Ok(RecordFile {
            dir,
            file_name,
            lock,
            kind,
            read_only,
            records: Vec::new(),
            encoded: Vec::new(),
            index: LookupIndex::default(),
            loaded: false,
            loaded_mtime: None,
            track_mtime: false,
            generation: 0,
            loaded_bytes: None,
            edited_since_load: false,
            lock_name: lock_name.to_string(),
            loaded_stat: None,
            lock_dir,
            companions: Vec::new(),
            placement: HashMap::new(),
        })
    }

    /// Also keeps records in companion file `file_name` of `dir` (newer
    /// containers/storage's split record files), saved with a data sync
    /// when `synced`: its records are loaded after those of the files
    /// before it and saved back there; see [`RecordFile::push_to`].
    /// Companions are numbered from 0 in the order they are added.
    pub fn with_companion(mut self, dir: Dir, file_name: &'static str, synced: bool) -> Self {
        self.companions.push(Companion {
            dir,
            file_name,
            synced,
            loaded_bytes: None,
        });
        self
    }

    /// Also treat a changed file modification time as "modified" (1.43 does
    /// this for `layers.json`, so hand edits are picked up).
    pub fn track_mtime(mut self) -> Self {
        self.track_mtime = true;
        self
    }

    /// The directory holding the file (and the records' data directories).
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Whether this is an additional, read-only store.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Takes the lock shared and reloads if another writer changed the file.
    pub fn read_lock(&mut self) -> Result<LockGuard> {
        let guard = self.lock.shared()?;
        self.refresh(false)?;
        Ok(guard)
    }

    /// Takes the lock exclusively and reloads if another writer changed the file.
    pub fn write_lock(&mut self) -> Result<LockGuard> {
        if self.read_only {
            return Err(self.read_only_error());
        }
        let guard = self.lock.exclusive()?;
        self.refresh(true)?;
        Ok(guard)
    }

    /// Removes the temporary a writer killed while saving left beside the
    /// file (taking the lock only when there is one).
    pub fn remove_stale_temporary(&mut self) -> Result<()> {
        let temp_name = format!("{}{}", crate::disk::TEMP_PREFIX, self.file_name);
        if self.read_only || self.dir.entry_kind(&temp_name)?.is_none() {
            return Ok(());
        }
        let _guard = self.lock.exclusive()?;
        self.dir.remove_stale_temporary(self.file_name)?;
        Ok(())
    }

    /// The error a write to a read-only store gets.
    pub fn read_only_error(&self) -> StoreError {
        StoreError::with_context(
            ErrorKind::ReadOnly,
            format_args!(
                "not allowed to modify the {} store at {:?}",
                self.kind.noun(),
                self.dir.child_path(self.file_name)
            ),
        )
    }

    fn refresh(&mut self, exclusive: bool) -> Result<()> {
        let lock_modified = self.lock.modified()?;
        let mtime_changed =
            self.track_mtime && self.loaded && self.current_mtime()? != self.loaded_mtime;
        if !self.loaded || mtime_changed || (lock_modified && !self.unchanged_without_token()?) {
            self.load(exclusive)?;
        }
        Ok(())
    }

    /// A lock file no writer has recorded a write in (empty: created by a
    /// reader, or by hand) counts as modified at every lock, as in 1.43.
    /// Every writer records its writes there, so with it still empty only
    /// a hand edit can have changed the file, and the file's inode, size
    /// and modification time tell: unchanged, it need not even be read.
    fn unchanged_without_token(&self) -> Result<bool> {
        if !self.loaded
            || self.edited_since_load
            || self.loaded_stat.is_none()
            || !self.companions.is_empty()
        {
            return Ok(false);
        }
        let lock_is_empty = self
            .lock_dir
            .as_ref()
            .unwrap_or(&self.dir)
            .file_info(&self.lock_name)?
            .is_some_and(|info| info.size == 0);
        Ok(lock_is_empty && self.file_stat()? == self.loaded_stat)
    }

    /// Inode, size and modification time of the file (`None` when missing).
    fn file_stat(&self) -> Result<Option<(u64, u64, Timespec)>> {
        Ok(self
            .dir
            .try_lstat(self.file_name)?
            .map(|stat| (stat.ino, stat.size, stat.modification)))
    }

    fn current_mtime(&self) -> Result<Option<(u64, u32)>> {
        Ok(self
            .dir
            .file_info(self.file_name)?
            .and_then(|info| info.modified))
    }

    /// Reads and parses the file. Unlike 1.43 (which treats unparseable JSON
    /// as an empty store and overwrites it on the next write), a corrupt file
    /// is an error and nothing is written over it.
    fn load(&mut self, exclusive: bool) -> Result<()> {
        let was_loaded = std::mem::replace(&mut self.loaded, false);
        self.loaded_stat = self.file_stat()?;
        let bytes = self.dir.read_file(self.file_name)?.unwrap_or_default();
        if self.track_mtime {
            self.loaded_mtime = self.current_mtime()?;
        }
        // The same bytes as last time (a lock file no writer has touched
        // yet counts as modified at every lock): the records in memory are
        // still theirs, unless this instance edited them without saving.
        let fingerprint = Fingerprint::of(&bytes);
        let mut companion_bytes = Vec::with_capacity(self.companions.len());
        for companion in &self.companions {
            companion_bytes.push(
                companion
                    .dir
                    .read_file(companion.file_name)?
                    .unwrap_or_default(),
            );
        }
        let companion_fingerprints: Vec<Fingerprint> =
            companion_bytes.iter().map(|b| Fingerprint::of(b)).collect();
        if was_loaded
            && !self.edited_since_load
            && self.loaded_bytes == Some(fingerprint)
            && self
                .companions
                .iter()
                .zip(&companion_fingerprints)
                .all(|(companion, now)| companion.loaded_bytes == Some(*now))
        {
            self.loaded = true;
            return Ok(());
        }
        let mut records: Vec<T> = self.parse(&self.dir, self.file_name, &bytes)?;
        let mut seen: HashSet<String> = records.iter().map(|r| r.id().to_string()).collect();
        let mut placement = HashMap::new();
        for (index, (companion, bytes)) in self.companions.iter().zip(&companion_bytes).enumerate()
        {
            for record in self.parse(&companion.dir, companion.file_name, bytes)? {
                // A record in two files is the earlier file's (as upstream).
                if seen.insert(record.id().to_string()) {
                    placement.insert(record.id().to_string(), index);
                    records.push(record);
                }
            }
        }
        let repaired = repair_duplicate_names(&mut records);
        self.placement = placement;
        for (companion, fingerprint) in self.companions.iter_mut().zip(companion_fingerprints) {
            companion.loaded_bytes = Some(fingerprint);
        }
        self.records = records;
        self.encoded.clear();
        self.generation += 1;
        self.loaded_bytes = Some(fingerprint);
        self.edited_since_load = false;
        self.reindex();
        if repaired && self.read_only {
            let noun = self.kind.noun();
            return Err(StoreError::corrupt(format!(
                "read-only {noun} store assigns the same name to multiple {noun}s"
            )));
        }
        // Under a shared lock the repair stays in memory; the next writer saves it.
        if repaired && exclusive {
            self.save()?;
        }
        self.loaded = true;
        Ok(())
    }

    /// Parses the bytes of record file `file_name` of `dir`. Unlike 1.43
    /// (which treats unparseable JSON as an empty store and overwrites it on
    /// the next write), a corrupt file is an error and nothing is written
    /// over it.
    fn parse(&self, dir: &Dir, file_name: &str, bytes: &[u8]) -> Result<Vec<T>> {
        let records: Vec<T> = records::parse_records(bytes).map_err(|err| {
            StoreError::corrupt(format!(
                "{}: {err} (the file was left untouched; repair or remove it)",
                dir.child_path(file_name)
            ))
        })?;
        // Every record ID names a directory beside the main file: one that
        // is no file name, or that names the store's own files, would lead
        // out of it or delete what it names.
        if let Some(bad) = records.iter().find(|record| {
            crate::disk::check_component(record.id()).is_err()
                || crate::store::names_own_file(record.id())
        }) {
            return Err(StoreError::corrupt(format!(
                "{}: {} ID {:?} is not a usable file name (the file was left untouched; repair or remove it)",
                dir.child_path(file_name),
                self.kind.noun(),
                bad.id()
            )));
        }
        Ok(records)
    }

    /// Writes the records atomically and tells other processes (touch).
    /// With companion files, each file is written only when its records
    /// changed (as upstream saves only the locations it modified), a
    /// volatile one without syncing.
    pub fn save(&mut self) -> Result<()> {
        if self.read_only {
            return Err(self.read_only_error());
        }
        let bytes = if self.companions.is_empty() {
            self.encode_all()
        } else {
            // Location 0 is the main file, i + 1 companion i.
            let mut located: Vec<Vec<&T>> = vec![Vec::new(); self.companions.len() + 1];
            for record in &self.records {
                let location = self.placement.get(record.id()).map_or(0, |index| index + 1);
                located[location].push(record);
            }
            for (companion, records) in self.companions.iter_mut().zip(&located[1..]) {
                let bytes = records::encode_records_of(records);
                if needs_write(companion.loaded_bytes, &bytes, records.is_empty()) {
                    if companion.synced {
                        companion
                            .dir
                            .write_file_atomic_locked(companion.file_name, &bytes)?;
                    } else {
                        companion
                            .dir
                            .write_file_atomic_locked_unsynced(companion.file_name, &bytes)?;
                    }
                    companion.loaded_bytes = Some(Fingerprint::of(&bytes));
                }
            }
            let bytes = records::encode_records_of(&located[0]);
            if !needs_write(self.loaded_bytes, &bytes, located[0].is_empty()) {
                self.edited_since_load = false;
                return Ok(self.lock.touch()?);
            }
            bytes
        };
        self.dir.write_file_atomic_locked(self.file_name, &bytes)?;
        self.saved(bytes)
    }

    /// [`records::encode_records`] of all records, reusing the encodings
    /// of records unchanged since the last call (a compact JSON array is
    /// its elements' encodings, comma-separated, in brackets).
    fn encode_all(&mut self) -> Vec<u8> {
        if self.records.is_empty() {
            return records::encode_records(&self.records);
        }
        self.encoded.resize(self.records.len(), None);
        let cached: usize = self.encoded.iter().flatten().map(Vec::len).sum();
        let mut bytes = Vec::with_capacity(cached + self.records.len() + 2);
        bytes.push(b'[');
        for (position, (record, encoded)) in self.records.iter().zip(&mut self.encoded).enumerate()
        {
            if position > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(encoded.get_or_insert_with(|| records::encode_record(record)));
        }
        bytes.push(b']');
        bytes
    }

    /// Forgets the encoding of the record at `position` (it changed).
    fn changed_at(&mut self, position: usize) {
        if let Some(encoded) = self.encoded.get_mut(position) {
            *encoded = None;
        }
    }

    /// Notes that the main file holds `bytes` and touches the lock.
    fn saved(&mut self, bytes: Vec<u8>) -> Result<()> {
        self.loaded_bytes = Some(Fingerprint::of(&bytes));
        self.loaded_stat = None;
        self.edited_since_load = false;
        if self.track_mtime {
            self.loaded_mtime = self.current_mtime()?;
        }
        Ok(self.lock.touch()?)
    }

    /// Marks the lock as written without saving (other processes reload).
    pub fn touch(&self) -> Result<()> {
        Ok(self.lock.touch()?)
    }

    /// Rebuilds the lookup index after records changed.
    fn reindex(&mut self) {
        self.index = LookupIndex::build(&Keys(&self.records), self.records.len());
    }

    /// All records in store order.
    pub fn records(&self) -> &[T] {
        &self.records
    }

    /// Position of the record `reference` names (ID, name, unique prefix).
    pub fn resolve(&self, reference: &str) -> Option<usize> {
        self.index.resolve(&Keys(&self.records), reference)
    }

    /// Position of the record with exactly this ID.
    pub fn position_of_id(&self, id: &str) -> Option<usize> {
        self.index.by_id(&Keys(&self.records), id)
    }

    /// Position of the record holding exactly this name.
    pub fn position_of_name(&self, name: &str) -> Option<usize> {
        self.index.by_name(&Keys(&self.records), name)
    }

    /// The record `reference` names.
    pub fn get(&self, reference: &str) -> Option<&T> {
        self.resolve(reference)
            .map(|position| &self.records[position])
    }

    /// Records an edit of the records in memory.
    fn edited(&mut self) {
        self.generation += 1;
        self.edited_since_load = true;
    }

    /// Which version of the records this instance holds: it changes
    /// whenever they are reloaded or edited, so a listing read in several
    /// calls is consistent when every call saw the same generation.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The record at `position`.
    pub fn at(&self, position: usize) -> &T {
        &self.records[position]
    }

    /// Changes the record at `position` with `change`; the lookup index
    /// follows when its ID or names change.
    pub fn update<R>(&mut self, position: usize, change: impl FnOnce(&mut T) -> R) -> R {
        self.edited();
        self.changed_at(position);
        let record = &mut self.records[position];
        let (id, names) = (record.id().to_string(), record.names().to_vec());
        let result = change(record);
        if record.id() != id || record.names() != names.as_slice() {
            self.reindex();
        }
        result
    }

    /// [`RecordFile::update`] of every record, in store order.
    pub fn update_all(&mut self, mut change: impl FnMut(&mut T)) {
        for position in 0..self.records.len() {
            self.update(position, &mut change);
        }
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Drops the records after the first `len` (undoing appends).
    pub fn truncate(&mut self, len: usize) {
        if len < self.records.len() {
            self.edited();
            for record in &self.records[len..] {
                self.placement.remove(record.id());
            }
            self.records.truncate(len);
            self.encoded.truncate(len);
            self.reindex();
        }
    }

    /// Appends a record kept in companion `companion` (see
    /// [`RecordFile::with_companion`]); `None`, or a companion that was
    /// not added, keeps it in the main file.
    pub fn push_to(&mut self, record: T, companion: Option<usize>) {
        if let Some(index) = companion.filter(|index| *index < self.companions.len()) {
            self.placement.insert(record.id().to_string(), index);
        }
        self.push(record);
    }

    /// Reloads the records (another lock guarding the files, e.g. a split
    /// image store's `layers.lock`, says another writer changed them).
    pub fn reload(&mut self, exclusive: bool) -> Result<()> {
        self.loaded_bytes = None;
        self.load(exclusive)
    }

    /// Appends a record.
    pub fn push(&mut self, record: T) {
        self.edited();
        self.records.push(record);
        self.encoded.resize(self.records.len(), None);
        self.index.add(&Keys(&self.records), self.records.len() - 1);
    }

    /// Removes and returns the record at `position`, keeping the others' order.
    pub fn remove(&mut self, position: usize) -> T {
        let record = self.records.remove(position);
        if position < self.encoded.len() {
            self.encoded.remove(position);
        }
        self.placement.remove(record.id());
        self.edited();
        self.reindex();
        record
    }

    /// Removes every name in `names` from every record except the one at
    /// `keep` (1.43: setting names steals them from other records).
    pub fn take_names_from_others(&mut self, names: &[String], keep: Option<usize>) {
        for (position, record) in self.records.iter_mut().enumerate() {
            if Some(position) != keep && record.names().iter().any(|n| names.contains(n)) {
                let remaining = record
                    .names()
                    .iter()
                    .filter(|n| !names.contains(n))
                    .cloned()
                    .collect();
                record.set_names(remaining);
                if let Some(encoded) = self.encoded.get_mut(position) {
                    *encoded = None;
                }
            }
        }
        self.edited();
        self.reindex();
    }
}

/// Whether a record file last loaded or saved as `loaded` must be written
/// to hold `bytes`: not when it already does, nor when it is missing (or
/// empty) and no record belongs in it.
fn needs_write(loaded: Option<Fingerprint>, bytes: &[u8], no_records: bool) -> bool {
    let unchanged = loaded == Some(Fingerprint::of(bytes))
        || (no_records && loaded == Some(Fingerprint::of(b"")));
    !unchanged
}

/// Removes each name from all but the last record carrying it (1.43's repair
/// on load). Returns whether anything changed.
pub(crate) fn repair_duplicate_names<T: Record>(records: &mut [T]) -> bool {
    let mut owner = std::collections::HashMap::new();
    for (position, record) in records.iter().enumerate() {
        for name in record.names() {
            owner.insert(name.clone(), position);
        }
    }
    let mut changed = false;
    for (position, record) in records.iter_mut().enumerate() {
        if record.names().iter().any(|name| owner[name] != position) {
            let kept = record
                .names()
                .iter()
                .filter(|name| owner[*name] == position)
                .cloned()
                .collect();
            record.set_names(kept);
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Image;

    fn image(id: &str, names: &[&str]) -> Image {
        Image {
            id: id.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            ..Image::default()
        }
    }

    /// Any one changed byte changes the fingerprint; equal bytes agree.
    #[test]
    fn a_changed_byte_changes_the_fingerprint() {
        let original: Vec<u8> = (0..61u8).map(|i| i.wrapping_mul(37)).collect();
        assert_eq!(
            Fingerprint::of(&original),
            Fingerprint::of(&original.clone())
        );
        for position in 0..original.len() {
            for flip in [1u8, 0x80, 0xff] {
                let mut changed = original.clone();
                changed[position] ^= flip;
                assert_ne!(
                    Fingerprint::of(&changed),
                    Fingerprint::of(&original),
                    "{position}"
                );
            }
        }
        assert_ne!(Fingerprint::of(b"[]"), Fingerprint::of(b"[]\0"));
        assert_ne!(Fingerprint::of(b""), Fingerprint::of(b"\0"));
    }

    #[test]
    fn later_record_keeps_a_duplicated_name() {
        let mut records = vec![
            image("a", &["x", "y"]),
            image("b", &["y"]),
            image("c", &["x", "z"]),
        ];
        assert!(repair_duplicate_names(&mut records));
        let names: Vec<Vec<String>> = records.iter().map(|r| r.names.clone()).collect();
        assert_eq!(
            names,
            vec![
                Vec::<String>::new(),
                vec!["y".to_string()],
                vec!["x".to_string(), "z".to_string()]
            ]
        );
        assert!(!repair_duplicate_names(&mut records));
    }
}
