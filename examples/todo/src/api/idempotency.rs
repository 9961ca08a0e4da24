//! `Idempotency-Key` on creates: the key and the fingerprint of the request it came with.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::repo::IdempotencyKey;

/// The key a create was sent with, if any, and the fingerprint of its request: the SHA-256 of
/// its path and its body as parsed (so that the same body sent with other spacing or key order
/// is the same request).
pub(crate) fn key(
    sent: Option<String>,
    path: &str,
    body: &impl Serialize,
) -> Option<IdempotencyKey> {
    let key = sent?;
    let mut digest = Sha256::new();
    digest.update(path.as_bytes());
    digest.update(b"\n");
    // Serializing a model to JSON cannot fail; an empty body digest would still be stable.
    digest.update(serde_json::to_vec(body).unwrap_or_default());
    let fingerprint = digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Some(IdempotencyKey { key, fingerprint })
}
