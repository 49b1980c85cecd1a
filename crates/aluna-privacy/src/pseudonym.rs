//! Keyed pseudonymisation: each value becomes an HMAC-SHA256 token, the same for the same key.
//!
//! The token of a value `v` of kind `k` (a short lowercase label such as `phone` or `person`)
//! is computed from
//!
//! ```text
//! mac = HMAC-SHA256(key, k ‖ 0x1F ‖ v)        (v: UTF-8 bytes; integers in decimal)
//! ```
//!
//! and written either as text, `k:` followed by the first 8 bytes of `mac` in 16 lowercase hex
//! digits (`phone:9f2c41d0aa1377b2`), or as a 64-bit integer, the first 8 bytes read big-endian
//! with the top bit cleared (so the integer is non-negative). Every text token matches
//! [`PSEUDONYM_PATTERN`], which is how `find_identifiers` recognises pseudonymised columns.
//! Including the kind in the message separates domains: the same digits as a phone number and
//! as a case number give unrelated tokens. Nulls stay null.
//!
//! Pseudonymised data are still personal data: whoever holds the key can recompute a token
//! from a known value.

use std::sync::Arc;

use aluna_core::parallel::{ordered_map, Cancel};
use aluna_core::table::Column;
use aluna_core::{Error, Result};
use arrow_array::{ArrayRef, Int64Array, StringArray};
use hmac::Mac;

use crate::key::{hex, SecretKey};
use crate::text::TextColumn;

/// The regular expression every text pseudonym matches: a kind of 1 to 32 characters
/// (lowercase ASCII letter, then letters, digits or `_`), a colon, 16 lowercase hex digits.
pub const PSEUDONYM_PATTERN: &str = "^[a-z][a-z0-9_]{0,31}:[0-9a-f]{16}$";

/// Hex digits in a text token.
pub const TOKEN_HEX_DIGITS: usize = 16;

/// How tokens are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenForm {
    /// `kind:` and 16 lowercase hex digits.
    #[default]
    Hex,
    /// A non-negative 64-bit integer (the kind still enters the hash).
    Integer,
}

/// Settings of [`pseudonymise`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PseudonymOptions<'a> {
    /// The token's kind: `[a-z][a-z0-9_]{0,31}`.
    pub kind: &'a str,
    /// Text or integer tokens.
    pub form: TokenForm,
}

/// Whether `kind` is a valid token kind.
pub fn valid_kind(kind: &str) -> bool {
    let bytes = kind.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 32
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// Whether `token` is a text pseudonym (matches [`PSEUDONYM_PATTERN`]).
///
/// ```
/// use aluna_privacy::pseudonym::is_pseudonym;
/// assert!(is_pseudonym("phone:9f2c41d0aa1377b2"));
/// assert!(!is_pseudonym("phone:9F2C41D0AA1377B2"));
/// assert!(!is_pseudonym("+44 20 7946 0018"));
/// ```
pub fn is_pseudonym(token: &str) -> bool {
    match token.split_once(':') {
        Some((kind, digits)) => {
            valid_kind(kind)
                && digits.len() == TOKEN_HEX_DIGITS
                && digits
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        None => false,
    }
}

/// The keyed MAC of one value of kind `kind`.
fn token_mac(template: &crate::key::HmacSha256, kind: &str, value: &[u8]) -> [u8; 32] {
    let mut mac = template.clone();
    mac.update(kind.as_bytes());
    mac.update(&[0x1f]);
    mac.update(value);
    mac.finalize().into_bytes().into()
}

/// The text token of one value (for tests and documentation; columns go through
/// [`pseudonymise`]).
///
/// ```
/// use aluna_privacy::{key::SecretKey, pseudonym::{is_pseudonym, token}};
/// let key = SecretKey::new(b"a synthetic key, not secret".to_vec()).unwrap();
/// let t = token(&key, "phone", b"+44 20 7946 0018").unwrap();
/// assert!(t.starts_with("phone:") && is_pseudonym(&t));
/// assert_eq!(t, token(&key, "phone", b"+44 20 7946 0018").unwrap());
/// assert_ne!(t[6..], token(&key, "case", b"+44 20 7946 0018").unwrap()[5..]);
/// ```
pub fn token(key: &SecretKey, kind: &str, value: &[u8]) -> Result<String> {
    check_kind(kind)?;
    let mac = token_mac(&key.mac(), kind, value);
    Ok(format!("{kind}:{}", hex(&mac[..8])))
}

fn check_kind(kind: &str) -> Result<()> {
    if valid_kind(kind) {
        Ok(())
    } else {
        Err(Error::argument(
            "kind",
            format!(
                "{kind:?} is not a token kind: use 1 to 32 characters, a lowercase ASCII letter \
                 first, then lowercase letters, digits or '_'"
            ),
        ))
    }
}

/// Pseudonymise one column of strings or integers with keyed HMAC-SHA256 (RFC 2104).
///
/// Returns a `Utf8` array of `kind:hex` tokens or an `Int64` array, nulls where the input was
/// null. Rows are hashed in parallel in chunks; the output is in row order whatever the thread
/// count, and the same key, kind and value always give the same token.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use aluna_core::{parallel::Cancel, table::Table};
/// use aluna_privacy::{key::SecretKey, pseudonym::{pseudonymise, PseudonymOptions}};
/// use arrow_array::{cast::AsArray, Array, RecordBatch, StringArray};
/// use arrow_schema::{DataType, Field, Schema};
/// let schema = Arc::new(Schema::new(vec![Field::new("phone", DataType::Utf8, true)]));
/// let values = StringArray::from(vec![Some("0151 1234567"), None, Some("0151 1234567")]);
/// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(values)]).unwrap();
/// let table = Table::new(schema, vec![batch]);
/// let key = SecretKey::new(b"a synthetic key, not secret".to_vec()).unwrap();
/// let options = PseudonymOptions { kind: "phone", ..Default::default() };
/// let out = pseudonymise(&table.column("phone").unwrap(), &key, options, &Cancel::new()).unwrap();
/// let out = out.as_string::<i32>();
/// assert!(out.is_null(1));
/// assert_eq!(out.value(0), out.value(2));
/// assert!(out.value(0).starts_with("phone:"));
/// ```
pub fn pseudonymise(
    column: &Column<'_>,
    key: &SecretKey,
    options: PseudonymOptions<'_>,
    cancel: &Cancel,
) -> Result<ArrayRef> {
    check_kind(options.kind)?;
    let values = TextColumn::read(column)?;
    let template = key.mac();
    let macs: Vec<Option<[u8; 8]>> = ordered_map(
        values.len(),
        cancel,
        || (),
        |i, _| {
            values.get(i).map(|v| {
                let mac = token_mac(&template, options.kind, v);
                let mut head = [0u8; 8];
                head.copy_from_slice(&mac[..8]);
                head
            })
        },
    )?;
    Ok(match options.form {
        TokenForm::Hex => Arc::new(
            macs.iter()
                .map(|m| m.map(|m| format!("{}:{}", options.kind, hex(&m))))
                .collect::<StringArray>(),
        ),
        TokenForm::Integer => Arc::new(
            macs.iter()
                .map(|m| m.map(|m| (u64::from_be_bytes(m) & (i64::MAX as u64)) as i64))
                .collect::<Int64Array>(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aluna_core::table::Table;
    use arrow_array::cast::AsArray;
    use arrow_array::{Array, Int32Array, RecordBatch};
    use arrow_schema::{Field, Schema};

    fn table(array: ArrayRef) -> Table {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "x",
            array.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema.clone(), vec![array]).unwrap();
        Table::new(schema, vec![batch])
    }

    fn key() -> SecretKey {
        SecretKey::new(b"aluna-synthetic-test-key-not-secret".to_vec()).unwrap()
    }

    #[test]
    fn integers_hash_as_their_decimal_digits() {
        let ints = table(Arc::new(Int32Array::from(vec![Some(123), None])));
        let strs = table(Arc::new(StringArray::from(vec![Some("123"), None])));
        let options = PseudonymOptions {
            kind: "case",
            form: TokenForm::Integer,
        };
        let a = pseudonymise(&ints.column("x").unwrap(), &key(), options, &Cancel::new()).unwrap();
        let b = pseudonymise(&strs.column("x").unwrap(), &key(), options, &Cancel::new()).unwrap();
        let a = a.as_primitive::<arrow_array::types::Int64Type>();
        let b = b.as_primitive::<arrow_array::types::Int64Type>();
        assert_eq!(a.value(0), b.value(0));
        assert!(a.value(0) >= 0);
        assert!(a.is_null(1));
    }

    #[test]
    fn token_layout_matches_the_documented_formula() {
        let t = token(&key(), "person", b"Ann").unwrap();
        let mac = key().mac_of(&[b"person", &[0x1f], b"Ann"]);
        assert_eq!(t, format!("person:{}", hex(&mac[..8])));
        assert!(is_pseudonym(&t));
    }

    #[test]
    fn bad_kinds_are_refused() {
        for kind in ["", "Phone", "1phone", "ph one", &"x".repeat(33)] {
            let err = token(&key(), kind, b"v").unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { name: "kind", .. }));
        }
    }

    #[test]
    fn recognises_only_well_formed_tokens() {
        assert!(is_pseudonym("a:0123456789abcdef"));
        assert!(!is_pseudonym("a:0123456789abcde"));
        assert!(!is_pseudonym("a:0123456789abcdeg"));
        assert!(!is_pseudonym(":0123456789abcdef"));
        assert!(!is_pseudonym("http://example.org"));
    }
}
