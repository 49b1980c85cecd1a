//! Mapping between the user's identifiers and dense internal indices.
//!
//! Users key people and cases by strings or integers. Algorithms work on `u32` indices
//! `0..n` in first-seen order; every table that goes back to the user is keyed by the user's
//! own ids again. Strings live in one contiguous buffer (no allocation per id), so ten million
//! ids cost their bytes plus 12 bytes each.

use std::hash::BuildHasher;

use arrow_array::builder::{Int64Builder, LargeStringBuilder};
use arrow_array::ArrayRef;
use hashbrown::HashTable;
use std::sync::Arc;

use crate::error::{Error, Result};

/// One identifier as read from a column: an integer or the bytes of a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key<'a> {
    /// An integer id (all Arrow integer widths are read as `i64`).
    Int(i64),
    /// A string id.
    Str(&'a str),
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Int(v) => write!(f, "{v}"),
            Key::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// Which kind of id a map holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Integer ids.
    Int,
    /// String ids.
    Str,
}

impl KeyKind {
    /// The kind's name in error messages.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Int => "integer ids",
            KeyKind::Str => "string ids",
        }
    }
}

struct Hashing;

/// The fixed-seed hash [`IdMap`] uses, for code that groups keys without a map.
pub(crate) fn hash_key(key: Key<'_>) -> u64 {
    Hashing::hash(key)
}

impl Hashing {
    /// A fixed-seed hash: the same in every process, so performance is reproducible too.
    fn hash(key: Key<'_>) -> u64 {
        foldhash::fast::FixedState::with_seed(0x616c_756e_6100).hash_one(key)
    }
}

/// Dense, first-seen-order interning of the user's ids.
///
/// ```
/// use aluna_core::ids::{IdMap, Key};
/// let mut ids = IdMap::new_str();
/// assert_eq!(ids.intern(Key::Str("ann")).unwrap(), 0);
/// assert_eq!(ids.intern(Key::Str("bo")).unwrap(), 1);
/// assert_eq!(ids.intern(Key::Str("ann")).unwrap(), 0);
/// assert_eq!(ids.get(Key::Str("bo")), Some(1));
/// assert_eq!(ids.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct IdMap {
    kind: KeyKind,
    ints: Vec<i64>,
    bytes: Vec<u8>,
    offsets: Vec<u64>,
    table: HashTable<u32>,
    hashes: Vec<u64>,
}

impl IdMap {
    /// An empty map of integer ids.
    pub fn new_int() -> Self {
        Self::new(KeyKind::Int)
    }

    /// An empty map of string ids.
    pub fn new_str() -> Self {
        Self::new(KeyKind::Str)
    }

    /// An empty map of the given kind.
    pub fn new(kind: KeyKind) -> Self {
        Self {
            kind,
            ints: Vec::new(),
            bytes: Vec::new(),
            offsets: vec![0],
            table: HashTable::new(),
            hashes: Vec::new(),
        }
    }

    /// Reserve room for `additional` more ids.
    pub fn reserve(&mut self, additional: usize) {
        self.table.reserve(additional, |&i| self.hashes[i as usize]);
        self.hashes.reserve(additional);
        if self.kind == KeyKind::Int {
            self.ints.reserve(additional);
        } else {
            self.offsets.reserve(additional);
        }
    }

    /// The kind of id held.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The id at index `i`.
    ///
    /// # Panics
    /// If `i` is out of range; indices come from this map.
    pub fn key(&self, i: usize) -> Key<'_> {
        match self.kind {
            KeyKind::Int => Key::Int(self.ints[i]),
            KeyKind::Str => {
                let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
                // invariant: only whole `&str`s are appended to `bytes`.
                Key::Str(std::str::from_utf8(&self.bytes[a..b]).unwrap_or_default())
            }
        }
    }

    fn matches(&self, i: u32, key: Key<'_>) -> bool {
        self.key(i as usize) == key
    }

    fn check_kind(&self, key: Key<'_>) -> Result<()> {
        let kind = match key {
            Key::Int(_) => KeyKind::Int,
            Key::Str(_) => KeyKind::Str,
        };
        if kind == self.kind {
            Ok(())
        } else {
            Err(Error::argument(
                "node",
                format!(
                    "the graph holds {}, got {} ({key})",
                    self.kind.name(),
                    kind.name()
                ),
            ))
        }
    }

    /// The index of `key`, if held.
    pub fn get(&self, key: Key<'_>) -> Option<u32> {
        if self.check_kind(key).is_err() {
            return None;
        }
        let hash = Hashing::hash(key);
        self.table.find(hash, |&i| self.matches(i, key)).copied()
    }

    /// The index of `key`, or an [`Error::UnknownNode`] naming it.
    pub fn require(&self, key: Key<'_>) -> Result<u32> {
        self.check_kind(key)?;
        self.get(key).ok_or_else(|| Error::UnknownNode {
            node: key.to_string(),
        })
    }

    /// The index of `key`, adding it at the end if new.
    pub fn intern(&mut self, key: Key<'_>) -> Result<u32> {
        self.check_kind(key)?;
        let hash = Hashing::hash(key);
        if let Some(&i) = self.table.find(hash, |&i| self.matches(i, key)) {
            return Ok(i);
        }
        let index = u32::try_from(self.len())
            .ok()
            .filter(|&i| i < u32::MAX)
            .ok_or_else(|| Error::argument("nodes", "more than 4,294,967,294 distinct ids"))?;
        match key {
            Key::Int(v) => self.ints.push(v),
            Key::Str(s) => {
                self.bytes.extend_from_slice(s.as_bytes());
                self.offsets.push(self.bytes.len() as u64);
            }
        }
        self.hashes.push(hash);
        let hashes = &self.hashes;
        self.table
            .insert_unique(hash, index, |&i| hashes[i as usize]);
        Ok(index)
    }

    /// The ids at `indices` (all ids, in index order, when `None`) as an Arrow array:
    /// `Int64` for integer ids, `LargeUtf8` for string ids.
    pub fn to_arrow(&self, indices: Option<&[u32]>) -> ArrayRef {
        let n = indices.map_or(self.len(), <[u32]>::len);
        let at = |k: usize| indices.map_or(k, |ix| ix[k] as usize);
        match self.kind {
            KeyKind::Int => {
                let mut b = Int64Builder::with_capacity(n);
                (0..n).for_each(|k| b.append_value(self.ints[at(k)]));
                Arc::new(b.finish())
            }
            KeyKind::Str => {
                let mut b = LargeStringBuilder::with_capacity(n, n * 8);
                for k in 0..n {
                    if let Key::Str(s) = self.key(at(k)) {
                        b.append_value(s);
                    }
                }
                Arc::new(b.finish())
            }
        }
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.ints.capacity() * 8
            + self.bytes.capacity()
            + self.offsets.capacity() * 8
            + self.hashes.capacity() * 8
            + self.table.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_do_not_mix() {
        let mut ids = IdMap::new_int();
        ids.intern(Key::Int(5)).unwrap();
        assert!(ids.intern(Key::Str("5")).is_err());
        assert_eq!(ids.get(Key::Str("5")), None);
        assert!(matches!(
            ids.require(Key::Int(6)),
            Err(Error::UnknownNode { node }) if node == "6"
        ));
    }

    #[test]
    fn to_arrow_round_trips() {
        let mut ids = IdMap::new_str();
        for s in ["b", "a", "ccc", "a"] {
            ids.intern(Key::Str(s)).unwrap();
        }
        let arr = ids.to_arrow(Some(&[2, 0]));
        let arr = arr
            .as_any()
            .downcast_ref::<arrow_array::LargeStringArray>()
            .unwrap();
        assert_eq!(arr.value(0), "ccc");
        assert_eq!(arr.value(1), "b");
    }

    proptest! {
        #[test]
        fn interning_is_first_seen_order(values in proptest::collection::vec(-50i64..50, 0..200)) {
            let mut ids = IdMap::new_int();
            let mut seen: Vec<i64> = Vec::new();
            for v in &values {
                let i = ids.intern(Key::Int(*v)).unwrap();
                match seen.iter().position(|s| s == v) {
                    Some(p) => prop_assert_eq!(i as usize, p),
                    None => { prop_assert_eq!(i as usize, seen.len()); seen.push(*v); }
                }
            }
            for (p, v) in seen.iter().enumerate() {
                prop_assert_eq!(ids.key(p), Key::Int(*v));
            }
        }
    }
}
