//! Secret keys for keyed hashing (HMAC-SHA256), held so that they are never shown.
//!
//! A [`SecretKey`] owns its bytes in a buffer that is overwritten with zeros when the key is
//! dropped; its `Debug` form shows only the public [fingerprint](SecretKey::fingerprint). Keyed
//! MAC states derived from it (`Hmac<Sha256>`, built with the `zeroize` feature) wipe themselves
//! on drop too.

use aluna_core::{Error, Result};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// HMAC-SHA256, the keyed hash used everywhere in this crate.
pub type HmacSha256 = Hmac<Sha256>;

/// The fewest secret bytes a key may have: 16 bytes (128 bits).
pub const MIN_KEY_BYTES: usize = 16;

/// The message whose MAC, cut to 8 bytes, is a key's public fingerprint.
const FINGERPRINT_LABEL: &[u8] = b"aluna key fingerprint v1";

/// A secret key for pseudonymisation and linkage encodings.
///
/// The bytes live in a zeroising buffer; neither `Debug` nor any method returns them. Two
/// parties who hold the same key get the same pseudonyms and encodings.
///
/// # Example
/// ```
/// use aluna_privacy::key::SecretKey;
/// let key = SecretKey::new(b"a synthetic key, not secret".to_vec()).unwrap();
/// assert_eq!(key.fingerprint().len(), 16);
/// assert!(!format!("{key:?}").contains("synthetic"));
/// assert!(SecretKey::new(b"short".to_vec()).is_err());
/// ```
pub struct SecretKey {
    bytes: Zeroizing<Vec<u8>>,
}

impl SecretKey {
    /// A key from its secret bytes (at least [`MIN_KEY_BYTES`]); the vector is taken over and
    /// wiped when the key is dropped.
    pub fn new(bytes: Vec<u8>) -> Result<Self> {
        let bytes = Zeroizing::new(bytes);
        if bytes.len() < MIN_KEY_BYTES {
            return Err(Error::argument(
                "key",
                format!(
                    "a key needs at least {MIN_KEY_BYTES} bytes (128 bits) of secret, this one \
                     has {}; make one with `openssl rand -hex 32 > aluna.key`",
                    bytes.len()
                ),
            ));
        }
        Ok(Self { bytes })
    }

    /// The keyed MAC state, ready for a message (clone it per message).
    pub fn mac(&self) -> HmacSha256 {
        // HMAC accepts keys of any length (RFC 2104); an error here is impossible.
        HmacSha256::new_from_slice(&self.bytes).expect("invariant: HMAC takes keys of any length")
    }

    /// HMAC-SHA256 of the concatenated `parts`.
    pub fn mac_of(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// A subkey for one purpose: HMAC-SHA256(key, `label`), 32 bytes, wiped on drop.
    pub fn derive(&self, label: &[u8]) -> SecretKey {
        SecretKey {
            bytes: Zeroizing::new(self.mac_of(&[label]).to_vec()),
        }
    }

    /// The public fingerprint: the first 8 bytes of HMAC-SHA256(key, "aluna key fingerprint
    /// v1") as 16 lowercase hex digits. It names a key in records and data cards without
    /// revealing it (HMAC is a pseudorandom function).
    pub fn fingerprint(&self) -> String {
        hex(&self.mac_of(&[FINGERPRINT_LABEL])[..8])
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(fingerprint={})", self.fingerprint())
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn raw_mac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// RFC 4231, section 4: the seven HMAC-SHA-256 test cases.
    #[test]
    fn rfc4231_test_vectors() {
        let long_key = vec![0xaa; 131];
        let cases: Vec<(Vec<u8>, Vec<u8>, &str)> = vec![
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            (
                unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "a3b6167473100ee06e0c796c2955552b",
            ),
            (
                long_key.clone(),
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                long_key,
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the HMAC \
                  algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, expected) in cases {
            let mac = raw_mac(&key, &data);
            // Test case 5 truncates the output to 128 bits.
            assert_eq!(hex(&mac[..expected.len() / 2]), expected);
            if key.len() >= MIN_KEY_BYTES {
                let secret = SecretKey::new(key).unwrap();
                assert_eq!(
                    hex(&secret.mac_of(&[&data])[..expected.len() / 2]),
                    expected
                );
            }
        }
    }

    #[test]
    fn debug_shows_only_the_fingerprint() {
        let key = SecretKey::new(b"0123456789abcdef-secret".to_vec()).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("secret"));
        assert!(shown.contains(&key.fingerprint()));
        let other = SecretKey::new(b"0123456789abcdef-other".to_vec()).unwrap();
        assert_ne!(key.fingerprint(), other.fingerprint());
    }

    #[test]
    fn short_keys_are_refused() {
        let err = SecretKey::new(vec![1; 15]).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { name: "key", .. }));
        assert!(err.to_string().contains("15"));
    }

    #[test]
    fn derived_keys_differ_by_label() {
        let key = SecretKey::new(vec![7; 32]).unwrap();
        assert_ne!(
            key.derive(b"a").mac_of(&[b"x"]),
            key.derive(b"b").mac_of(&[b"x"])
        );
    }
}
