//! Typed multipart forms: [`MultipartForm<T>`] for a `T` deriving [`FromMultipart`], whose
//! fields are [`FormPart`]s (files and scalar values; FastAPI's `File()` and `Form()` in one
//! handler).

use std::future::Future;

use bytes::Bytes;
use oxapi_openapi::OperationDoc;
use serde_json::{Value, json};

use super::{Field, Multipart, UploadFile, describe_errors};
use crate::context::RequestContext;
use crate::extract::kind::Incoming;
use crate::extract::{FromRequest, Rejection};
use crate::handler::Request;
use crate::problem::FieldError;

/// A `multipart/form-data` body read into `T`, a struct with `#[derive(FromMultipart)]`.
///
/// Each field of `T` is a [`FormPart`]: an [`UploadFile`] (or `Vec<UploadFile>` for a field
/// sent many times), a scalar read from the part's text (`String`, numbers, `bool`), or an
/// `Option` of one of these. A required field that is missing, or a value that does not parse,
/// is a 422 naming `body.<field>`, every one at once; parts of other names are skipped. The
/// operation documents the body as `multipart/form-data` with an object schema: files are
/// `format: binary` strings, and the fields that are not `Option` are `required`.
///
/// ```
/// use oxapi::prelude::*;
/// use oxapi::{FromMultipart, MultipartForm, UploadFile};
///
/// #[derive(FromMultipart)]
/// struct Avatar {
///     /// The picture.
///     image: UploadFile,
///     /// Shown under it.
///     caption: Option<String>,
///     width: u32,
/// }
///
/// #[post("/avatar")]
/// async fn avatar(form: MultipartForm<Avatar>) -> String {
///     let Avatar { image, caption, width } = form.0;
///     format!("{} bytes, {width} px, {caption:?}", image.size())
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let client = App::new().routes(routes![avatar]).test_client();
/// let body = "--X\r\ncontent-disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nPNG!\r\n\
///             --X\r\ncontent-disposition: form-data; name=\"width\"\r\n\r\n64\r\n--X--\r\n";
/// let response = client
///     .post("/avatar")
///     .header("content-type", "multipart/form-data; boundary=X")
///     .body(body)
///     .send()
///     .await;
/// assert_eq!(response.text(), "4 bytes, 64 px, None");
/// # }
/// ```
#[derive(Debug)]
pub struct MultipartForm<T>(pub T);

impl<T> std::ops::Deref for MultipartForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A struct read from a multipart form; derive it with `#[derive(FromMultipart)]`, whose
/// fields are each a [`FormPart`].
pub trait FromMultipart: Sized + Send {
    /// Reads every part of `multipart` into the struct.
    fn from_multipart(multipart: Multipart)
    -> impl Future<Output = Result<Self, Rejection>> + Send;

    /// The form's JSON Schema: an object with one property per field.
    fn schema() -> Value;
}

/// A field of a [`FromMultipart`] struct: how it collects the parts of its name, and its
/// schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a field of a multipart form",
    label = "not a file or a form value",
    note = "use `UploadFile`, `Vec<UploadFile>`, `Bytes`, `String`, a number, `bool`, or an `Option` of one, or implement `oxapi::FormPart`"
)]
pub trait FormPart: Sized + Send {
    /// What is collected while the parts arrive.
    type Slot: Default + Send;

    /// Whether the form is invalid without this field.
    const REQUIRED: bool = true;

    /// Takes one part of this field's name.
    fn accept(
        slot: &mut Self::Slot,
        field: Field,
    ) -> impl Future<Output = Result<(), Rejection>> + Send;

    /// The value once every part is read; an error names `location` (`body.<field>`).
    ///
    /// # Errors
    ///
    /// The field is missing, or was sent more often than it may be.
    fn finish(slot: Self::Slot, location: &str) -> Result<Self, FieldError>;

    /// The field's JSON Schema.
    fn schema() -> Value;
}

fn missing(location: &str) -> FieldError {
    FieldError::new(location, "missing", "this field is required")
}

fn repeated(field: &Field) -> Rejection {
    Rejection::invalid(FieldError::new(
        format!("body.{}", field.name()),
        "repeated",
        "this field may be sent only once",
    ))
}

impl FormPart for Vec<UploadFile> {
    type Slot = Vec<UploadFile>;
    const REQUIRED: bool = false;

    async fn accept(slot: &mut Self::Slot, field: Field) -> Result<(), Rejection> {
        slot.push(field.upload().await?);
        Ok(())
    }

    fn finish(slot: Self::Slot, _location: &str) -> Result<Self, FieldError> {
        Ok(slot)
    }

    fn schema() -> Value {
        json!({ "type": "array", "items": binary() })
    }
}

/// A part taken whole, once: read by `$read` (a [`Field`] method) when it arrives.
macro_rules! whole_parts {
    ($($ty:ty => $read:ident),* $(,)?) => {$(
        impl FormPart for $ty {
            type Slot = Option<$ty>;

            async fn accept(slot: &mut Self::Slot, field: Field) -> Result<(), Rejection> {
                if slot.is_some() {
                    return Err(repeated(&field));
                }
                *slot = Some(field.$read().await?);
                Ok(())
            }

            fn finish(slot: Self::Slot, location: &str) -> Result<Self, FieldError> {
                slot.ok_or_else(|| missing(location))
            }

            fn schema() -> Value {
                binary()
            }
        }
    )*};
}

whole_parts! {
    UploadFile => upload,
    Bytes => bytes,
}

/// The schema of a file's content.
fn binary() -> Value {
    json!({ "type": "string", "format": "binary" })
}

impl<T: FormPart> FormPart for Option<T> {
    type Slot = (T::Slot, bool);
    const REQUIRED: bool = false;

    async fn accept(slot: &mut Self::Slot, field: Field) -> Result<(), Rejection> {
        slot.1 = true;
        T::accept(&mut slot.0, field).await
    }

    fn finish(slot: Self::Slot, location: &str) -> Result<Self, FieldError> {
        match slot {
            (_, false) => Ok(None),
            (inner, true) => T::finish(inner, location).map(Some),
        }
    }

    fn schema() -> Value {
        T::schema()
    }
}

/// A scalar read from a part's text: the text, kept until [`FormPart::finish`] parses it.
macro_rules! text_parts {
    ($($ty:ty => $schema:tt),* $(,)?) => {$(
        impl FormPart for $ty {
            type Slot = Option<String>;

            async fn accept(slot: &mut Self::Slot, field: Field) -> Result<(), Rejection> {
                if slot.is_some() {
                    return Err(repeated(&field));
                }
                *slot = Some(field.text().await?);
                Ok(())
            }

            fn finish(slot: Self::Slot, location: &str) -> Result<Self, FieldError> {
                let text = slot.ok_or_else(|| missing(location))?;
                text.trim().parse::<$ty>().map_err(|_| {
                    FieldError::new(location, "type", format!("`{text}` is not a valid {}", stringify!($ty)))
                })
            }

            fn schema() -> Value {
                json!($schema)
            }
        }
    )*};
}

text_parts! {
    String => { "type": "string" },
    bool => { "type": "boolean" },
    u8 => { "type": "integer", "format": "uint8", "minimum": 0 },
    u16 => { "type": "integer", "format": "uint16", "minimum": 0 },
    u32 => { "type": "integer", "format": "uint32", "minimum": 0 },
    u64 => { "type": "integer", "format": "uint64", "minimum": 0 },
    usize => { "type": "integer", "format": "uint", "minimum": 0 },
    i8 => { "type": "integer", "format": "int8" },
    i16 => { "type": "integer", "format": "int16" },
    i32 => { "type": "integer", "format": "int32" },
    i64 => { "type": "integer", "format": "int64" },
    f32 => { "type": "number", "format": "float" },
    f64 => { "type": "number", "format": "double" },
}

/// The schema of a form of `fields`: (name, schema, required, description).
#[doc(hidden)]
pub fn form_schema(fields: &[(&str, Value, bool, &str)]) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for (name, schema, is_required, description) in fields {
        let mut schema = schema.clone();
        if !description.is_empty()
            && let Some(object) = schema.as_object_mut()
        {
            object.insert("description".into(), Value::from(*description));
        }
        properties.insert((*name).to_owned(), schema);
        if *is_required {
            required.push(Value::from(*name));
        }
    }
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        schema["required"] = Value::Array(required);
    }
    schema
}

/// Which of `names` the part `name` is, if any.
#[doc(hidden)]
pub fn field_index(name: &str, names: &[&str]) -> Option<usize> {
    names.iter().position(|candidate| *candidate == name)
}

impl<T: FromMultipart> FromRequest for MultipartForm<T> {
    type Rejection = Rejection;

    fn describe(op: &mut OperationDoc<'_>) {
        op.request_body_schema(super::MULTIPART, T::schema(), true);
        describe_errors(op);
        op.error(oxapi_openapi::FrameworkError::Validation);
    }

    fn from_request(
        request: Request,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        read(Multipart::from_request(request, ctx))
    }

    fn from_incoming(
        incoming: &mut Incoming,
        ctx: &RequestContext<'_>,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        read(Multipart::from_incoming(incoming, ctx))
    }
}

/// The form `multipart` will read.
async fn read<T: FromMultipart>(
    multipart: impl Future<Output = Result<Multipart, Rejection>>,
) -> Result<MultipartForm<T>, Rejection> {
    T::from_multipart(multipart.await?).await.map(MultipartForm)
}
