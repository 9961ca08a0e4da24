//! Serializing a response body to JSON with one allocation.

use std::cell::RefCell;

use bytes::Bytes;
use serde::Serialize;

/// Bodies up to this size are copied out of the thread's buffer; larger ones take the buffer
/// itself, so a thread keeps at most about twice this much between responses.
const COPY_LIMIT: usize = 16 * 1024;

thread_local! {
    /// The buffer this thread serializes into: it keeps its capacity between responses.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Serializes `value` as the body of a response.
///
/// Serializing into a fresh `Vec` reallocates it each time it outgrows its capacity, and
/// `Bytes` takes over a `Vec` with spare capacity only by allocating a second block for its
/// reference count. Serializing into the thread's reused buffer and copying the result into
/// a block of exactly its size costs one allocation per body, whatever its size.
pub(crate) fn json_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    BUFFER.with(|buffer| {
        // A `Serialize` impl may itself build a response; then the buffer is in use.
        let Ok(mut buffer) = buffer.try_borrow_mut() else {
            return serde_json::to_vec(value).map(Bytes::from);
        };
        buffer.clear();
        serde_json::to_writer(&mut *buffer, value)?;
        Ok(if buffer.len() <= COPY_LIMIT {
            Bytes::copy_from_slice(&buffer)
        } else {
            Bytes::from(std::mem::take(&mut *buffer))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_bodies_come_out_whole() {
        for len in [0, 10, COPY_LIMIT - 2, COPY_LIMIT, COPY_LIMIT * 3] {
            let text = "x".repeat(len);
            let bytes = json_bytes(&text).unwrap();
            assert_eq!(bytes.len(), len + 2);
            assert_eq!(bytes, serde_json::to_vec(&text).unwrap());
        }
        // After a large body took the buffer, the next small one still serializes.
        assert_eq!(&json_bytes(&[1, 2]).unwrap()[..], b"[1,2]");
    }

    /// A value whose serialization serializes another body, as a `Serialize` impl may.
    struct Nested;

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let inner = json_bytes(&"inner").map_err(serde::ser::Error::custom)?;
            serializer.serialize_str(std::str::from_utf8(&inner).unwrap_or_default())
        }
    }

    #[test]
    fn serializing_inside_a_serialization_works() {
        assert_eq!(&json_bytes(&Nested).unwrap()[..], br#""\"inner\"""#);
    }

    #[test]
    fn a_failed_serialization_leaves_the_buffer_usable() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(vec![1u8], 1);
        assert!(json_bytes(&map).is_err(), "non-string keys are not JSON");
        assert_eq!(&json_bytes(&"ok").unwrap()[..], br#""ok""#);
    }
}
