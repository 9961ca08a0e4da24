//! multer's errors as oxapi's [`Rejection`]s.

use crate::extract::Rejection;

/// The rejection for a multer error: the client's mistake in its own words, or the body
/// stream's own rejection (the route's limit, a client that left) passed through.
pub(super) fn rejection(error: multer::Error) -> Rejection {
    match error {
        multer::Error::FieldSizeExceeded { limit, field_name } => Rejection::PartTooLarge {
            name: field_name.unwrap_or_default(),
            limit,
        },
        multer::Error::StreamSizeExceeded { limit } => Rejection::BodyTooLarge {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
        },
        multer::Error::StreamReadFailed(source) => match source.downcast::<Rejection>() {
            Ok(rejection) => *rejection,
            Err(_) => Rejection::BodyRead,
        },
        multer::Error::IncompleteFieldData { .. }
        | multer::Error::IncompleteHeaders
        | multer::Error::IncompleteStream => malformed(
            "the multipart body ended before its closing boundary (truncated, or the boundary does not match)",
        ),
        multer::Error::ReadHeaderFailed(_)
        | multer::Error::DecodeHeaderName { .. }
        | multer::Error::DecodeHeaderValue { .. } => {
            malformed("a part of the multipart body has malformed headers")
        }
        multer::Error::NoMultipart | multer::Error::DecodeContentType(_) => {
            Rejection::UnsupportedMediaType {
                expected: super::MULTIPART,
            }
        }
        multer::Error::NoBoundary => no_boundary(),
        _ => malformed("the multipart body is malformed"),
    }
}

/// A `multipart/form-data` content type without its `boundary` parameter.
pub(super) fn no_boundary() -> Rejection {
    malformed("the `multipart/form-data` content type has no `boundary` parameter")
}

pub(super) fn malformed(detail: &str) -> Rejection {
    Rejection::Malformed {
        detail: detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn statuses_of_multer_errors() {
        let cases = [
            (
                multer::Error::FieldSizeExceeded {
                    limit: 4,
                    field_name: Some("file".into()),
                },
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (multer::Error::IncompleteStream, StatusCode::BAD_REQUEST),
            (multer::Error::NoBoundary, StatusCode::BAD_REQUEST),
            (
                multer::Error::NoMultipart,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                multer::Error::StreamReadFailed(Box::new(Rejection::BodyTooLarge { limit: 9 })),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            (
                multer::Error::StreamReadFailed("reset".into()),
                StatusCode::BAD_REQUEST,
            ),
        ];
        for (error, status) in cases {
            let text = error.to_string();
            assert_eq!(rejection(error).status(), status, "{text}");
        }
    }
}
