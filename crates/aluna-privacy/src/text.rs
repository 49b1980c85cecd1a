//! Column values as text: strings as they are, integers in decimal, nulls kept.
//!
//! Keyed hashing needs one byte string per value. Reading a column through
//! [`aluna_core::table::Column::for_each_key`] visits borrowed values one by one; this copies
//! them into one buffer so that the hashing can run in parallel over rows.

use aluna_core::table::Column;
use aluna_core::{ids::Key, Result};

/// A column's values as byte strings in one buffer; `None` rows were null.
#[derive(Debug, Default)]
pub struct TextColumn {
    bytes: Vec<u8>,
    /// Row `i` is `bytes[ends[i-1]..ends[i]]`.
    ends: Vec<usize>,
    valid: Vec<bool>,
}

impl TextColumn {
    /// Read a column of strings or integers (integers become their decimal digits, so `123`
    /// and `"123"` hash alike).
    pub fn read(column: &Column<'_>) -> Result<Self> {
        let mut out = TextColumn {
            bytes: Vec::new(),
            ends: Vec::with_capacity(column.len()),
            valid: Vec::with_capacity(column.len()),
        };
        column.for_each_key(|_, key| {
            match key {
                Some(Key::Str(s)) => out.bytes.extend_from_slice(s.as_bytes()),
                Some(Key::Int(v)) => out.bytes.extend_from_slice(v.to_string().as_bytes()),
                None => {}
            }
            out.valid.push(key.is_some());
            out.ends.push(out.bytes.len());
            Ok(())
        })?;
        Ok(out)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Row `i`'s bytes, `None` if null.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if !self.valid[i] {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..self.ends[i]])
    }
}

impl Drop for TextColumn {
    fn drop(&mut self) {
        // The values are identifiers: wipe the copy.
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}
