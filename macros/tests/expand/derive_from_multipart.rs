const _: () = {
    #[automatically_derived]
    impl ::oxapi::__private::FromMultipart for Upload {
        fn from_multipart(
            mut multipart: ::oxapi::__private::Multipart,
        ) -> impl ::core::future::Future<
            Output = ::core::result::Result<Self, ::oxapi::__private::MultipartRejection>,
        > + ::core::marker::Send {
            async move {
                let mut __slot_file: <UploadFile as ::oxapi::__private::FormPart>::Slot = ::core::default::Default::default();
                let mut __slot_note: <Option<
                    String,
                > as ::oxapi::__private::FormPart>::Slot = ::core::default::Default::default();
                while let ::core::option::Option::Some(field) = multipart
                    .next_field()
                    .await?
                {
                    match ::oxapi::__private::field_index(
                        field.name(),
                        &["file", "note"],
                    ) {
                        ::core::option::Option::Some(0usize) => {
                            <UploadFile as ::oxapi::__private::FormPart>::accept(
                                    &mut __slot_file,
                                    field,
                                )
                                .await?
                        }
                        ::core::option::Option::Some(1usize) => {
                            <Option<
                                String,
                            > as ::oxapi::__private::FormPart>::accept(
                                    &mut __slot_note,
                                    field,
                                )
                                .await?
                        }
                        _ => {}
                    }
                }
                let mut errors: ::std::vec::Vec<::oxapi::__private::FieldError> = ::std::vec::Vec::new();
                let file = match <UploadFile as ::oxapi::__private::FormPart>::finish(
                    __slot_file,
                    "body.file",
                ) {
                    ::core::result::Result::Ok(value) => {
                        ::core::option::Option::Some(value)
                    }
                    ::core::result::Result::Err(error) => {
                        errors.push(error);
                        ::core::option::Option::None
                    }
                };
                let note = match <Option<
                    String,
                > as ::oxapi::__private::FormPart>::finish(__slot_note, "body.note") {
                    ::core::result::Result::Ok(value) => {
                        ::core::option::Option::Some(value)
                    }
                    ::core::result::Result::Err(error) => {
                        errors.push(error);
                        ::core::option::Option::None
                    }
                };
                match (file, note) {
                    (
                        ::core::option::Option::Some(file),
                        ::core::option::Option::Some(note),
                    ) => ::core::result::Result::Ok(Self { file, note }),
                    _ => {
                        ::core::result::Result::Err(
                            ::oxapi::__private::MultipartRejection::Invalid(errors),
                        )
                    }
                }
            }
        }
        fn schema() -> ::oxapi::__private::serde_json::Value {
            ::oxapi::__private::form_schema(
                &[
                    (
                        "file",
                        <UploadFile as ::oxapi::__private::FormPart>::schema(),
                        <UploadFile as ::oxapi::__private::FormPart>::REQUIRED,
                        "The file.",
                    ),
                    (
                        "note",
                        <Option<String> as ::oxapi::__private::FormPart>::schema(),
                        <Option<String> as ::oxapi::__private::FormPart>::REQUIRED,
                        "",
                    ),
                ],
            )
        }
    }
};
