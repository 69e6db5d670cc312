//! The few primitives the dashboard needs: random secrets, SHA-256 for storing them,
//! HMAC-SHA256 for signing cookies, and PKCE's S256 challenge.

use sha2::{Digest, Sha256};

/// A fresh random secret: 32 bytes as 64 hex digits (also a valid PKCE verifier).
pub fn random_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What is stored for a secret: its SHA-256.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `value.signature`, the signature an HMAC of the value under `key`.
pub fn sign(key: &[u8], value: &str) -> String {
    format!(
        "{value}.{}",
        hex::encode(hmac_sha256(key, value.as_bytes()))
    )
}

/// The value of a [`sign`]ed text whose signature is right; `None` for anything else.
pub fn verify<'a>(key: &[u8], signed: &'a str) -> Option<&'a str> {
    let (value, signature) = signed.rsplit_once('.')?;
    let signature = hex::decode(signature).ok()?;
    equal(&hmac_sha256(key, value.as_bytes()), &signature).then_some(value)
}

/// PKCE's S256 challenge of a verifier: base64url(SHA-256(verifier)), no padding.
pub fn s256_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

fn base64url(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_s256_challenge_is_rfc_7636s_example() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_signed_value_verifies_and_a_changed_one_does_not() {
        let signed = sign(b"key", "abc123");
        assert_eq!(verify(b"key", &signed), Some("abc123"));
        assert_eq!(verify(b"other key", &signed), None);
        let tampered = signed.replacen("abc123", "abc124", 1);
        assert_eq!(verify(b"key", &tampered), None);
        assert_eq!(verify(b"key", "abc123"), None);
        assert_eq!(verify(b"key", "abc123.zz"), None);
    }
}
