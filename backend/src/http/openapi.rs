//! The parts of the OpenAPI document that state the domain's rules: lengths, patterns, ranges
//! and enums, built from the domain's own constants so that the document cannot promise less
//! (or more) than the server enforces. A client generated from it, or a schema-driven fuzzer,
//! sends only requests the server accepts.

use std::ops::RangeInclusive;

use utoipa::{
    IntoParams, PartialSchema, ToSchema,
    openapi::{
        KnownFormat, Object, ObjectBuilder, RefOr, Required, Schema, SchemaFormat, Type,
        path::{Parameter, ParameterBuilder, ParameterIn},
        schema::AdditionalProperties,
    },
};

use crate::domain::{
    BIDI_CONTROLS, Cursor, INVISIBLE, ImageHash, ImageKind, PageLimit, ReportReason, ScoreChange,
    SearchCursor, SearchQuery, Sort, TextField, VariantWidth,
};

/// Names the media types the `file` part of `POST /post` may have (its multipart encoding),
/// which the form's schema cannot say.
pub fn describe_upload_types(document: &mut utoipa::openapi::OpenApi) {
    let types: Vec<&str> = ImageKind::ALL.iter().map(|k| k.content_type()).collect();
    let content = document
        .paths
        .paths
        .get_mut("/post")
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.request_body.as_mut())
        .and_then(|body| body.content.get_mut("multipart/form-data"));
    if let Some(content) = content {
        content.encoding.insert(
            "file".to_owned(),
            utoipa::openapi::encoding::Encoding::builder()
                .content_type(Some(types.join(", ")))
                .build(),
        );
    }
}

/// Bytes of a file (an image), for responses that are not JSON: `type: string, format: binary`,
/// which is what a generated client reads as a file.
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// `HEAD /image/{hash}` is served (axum answers HEAD with GET's headers and no body), but a
/// route of `routes!` documents only GET: state it, as GET without a body.
pub fn describe_image_head(document: &mut utoipa::openapi::OpenApi) {
    let Some(item) = document.paths.paths.get_mut("/image/{hash}") else {
        return;
    };
    let Some(get) = item.get.clone() else {
        return;
    };
    let mut head = get;
    head.operation_id = Some("head_image".into());
    head.summary = Some("The image's headers (type, length, ETag), without its bytes.".into());
    head.description = None;
    for response in head.responses.responses.values_mut() {
        if let RefOr::T(response) = response {
            response.content.clear();
        }
    }
    item.head = Some(head);
}

/// The C0 control characters a text field may not hold, as a regex class body.
const FORBIDDEN_CONTROLS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F";
/// What Rust's `str::trim` removes (Unicode White_Space) that a text field may hold.
const TRIMMED_WHITESPACE: &str =
    r"\u0009\u000A\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The regex a text field's value must match: no forbidden control character (for a name no
/// text direction control either), and, when the field is required, at least one character
/// that trimming leaves (for a name: one that is not invisible).
pub fn text_pattern(field: TextField) -> String {
    let mut refused = FORBIDDEN_CONTROLS.to_owned();
    let mut blank = TRIMMED_WHITESPACE.to_owned();
    if field.shown_as_a_name() {
        refused.push_str(&regex_class(&BIDI_CONTROLS));
        blank.push_str(&regex_class(&INVISIBLE));
    }
    if field.required() {
        format!("^[^{refused}]*[^{refused}{blank}][^{refused}]*$")
    } else {
        format!("^[^{refused}]*$")
    }
}

/// A regex class body (`\u202A-\u202E...`) of ranges of the Basic Multilingual Plane.
fn regex_class(ranges: &[RangeInclusive<char>]) -> String {
    ranges
        .iter()
        .map(|range| {
            let (start, end) = (u32::from(*range.start()), u32::from(*range.end()));
            assert!(end <= 0xFFFF, "\\uXXXX escapes reach the BMP only");
            if start == end {
                format!("\\u{start:04X}")
            } else {
                format!("\\u{start:04X}-\\u{end:04X}")
            }
        })
        .collect()
}

fn text_schema(field: TextField) -> Object {
    let description = format!(
        "At most {} characters (Unicode scalar values) after trimming; no control characters \
         but tab, LF and CR.{}",
        field.max_chars(),
        match field {
            TextField::Username => " Empty or absent means `anonymous`.",
            TextField::Note => " Empty or absent means none.",
            TextField::Title | TextField::Post | TextField::Reason => " Must not be blank.",
        }
    );
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(field.required().then_some(1))
        .max_length(Some(field.max_chars()))
        .pattern(Some(text_pattern(field)))
        .description(Some(description))
        .build()
}

/// The multipart form of a new post.
pub struct NewPostForm;

impl PartialSchema for NewPostForm {
    fn schema() -> RefOr<Schema> {
        let mut form = ObjectBuilder::new()
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
        for field in TextField::ALL {
            form = form.property(field.name(), text_schema(field));
            if field.required() {
                form = form.required(field.name());
            }
        }
        let types: Vec<&str> = ImageKind::ALL.iter().map(|k| k.content_type()).collect();
        let file = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(format!(
                "Optional image: {} (decided by the bytes), at most MAX_IMAGE_BYTES (10 MiB by \
                 default). An empty part means no image.",
                types.join(", ")
            )));
        form.property("file", file)
            .description(Some(
                "A new post. Unknown or repeated fields are refused (422).",
            ))
            .into()
    }
}

impl ToSchema for NewPostForm {}

/// The body of a vote.
pub struct VoteRequestSchema;

impl PartialSchema for VoteRequestSchema {
    fn schema() -> RefOr<Schema> {
        let post_id = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .examples([42]);
        let change = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some(ScoreChange::ALLOWED))
            .description(Some("+1 votes up, -1 down."));
        ObjectBuilder::new()
            .property("post_id", post_id)
            .required("post_id")
            .property("score_increase", change)
            .required("score_increase")
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .into()
    }
}

impl ToSchema for VoteRequestSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "VoteRequest".into()
    }
}

/// The body of a report.
pub struct ReportRequestSchema;

impl PartialSchema for ReportRequestSchema {
    fn schema() -> RefOr<Schema> {
        let reasons: Vec<&str> = ReportReason::ALL.iter().map(|r| r.as_str()).collect();
        let reason = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(reasons))
            .description(Some("Why the post should be looked at."));
        ObjectBuilder::new()
            .property("reason", reason)
            .required("reason")
            .property("note", text_schema(TextField::Note))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .into()
    }
}

impl ToSchema for ReportRequestSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "ReportRequest".into()
    }
}

/// `GET /post`'s query parameters.
pub struct ListParams;

impl IntoParams for ListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let sorts: Vec<&str> = Sort::ALL.iter().map(|s| s.as_str()).collect();
        let sort = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(sorts))
            .default(Some(Sort::default().as_str().into()));
        let limit = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(PageLimit::MIN))
            .maximum(Some(PageLimit::MAX))
            .default(Some(PageLimit::DEFAULT.into()));
        let cursor = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(
                "{}|{}",
                Cursor::PATTERN,
                SearchCursor::PATTERN
            )));
        let q = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(SearchQuery::MAX_CHARS));
        vec![
            query_param(
                "sort",
                sort,
                "Order of the posts: `new` (newest first, the default), `top` (highest score first, ties newest first), `hot` (score and age combined, the app's default view). Not allowed with `q`.",
            ),
            query_param(
                "q",
                q,
                "Search: posts whose title, text or username hold these words, best match first (ties newest first). Web search syntax: `\"a phrase\"`, `-excluded`, `or`; accents and case are ignored. Not allowed with `sort`.",
            ),
            query_param("limit", limit, "Posts per page."),
            query_param(
                "cursor",
                cursor,
                "Opaque: copy it from the previous page's `Link: rel=\"next\"` URL. It continues the order it came from; `sort` is then ignored. A search's cursor continues only a search.",
            ),
        ]
    }
}

fn query_param(name: &str, schema: ObjectBuilder, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .schema(Some(schema))
        .description(Some(description))
        .build()
}

/// `GET /image/{hash}`'s parameters.
pub struct ImagePathParams;

impl IntoParams for ImagePathParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let hash = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(ImageHash::PATTERN));
        vec![
            ParameterBuilder::new()
                .name("hash")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(hash))
                .description(Some(
                    "Lowercase hex SHA-256 of the image's bytes (its `image_hash`).",
                ))
                .build(),
            query_param(
                "width",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some(VariantWidth::ALL)),
                "A copy scaled to this width (WebP; never wider than the image itself).",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::domain::{ModReason, NewReport, PostText, Title, Username};

    fn accepts(field: TextField, text: &str) -> bool {
        match field {
            TextField::Title => Title::parse(text).is_ok(),
            TextField::Post => PostText::parse(text).is_ok(),
            TextField::Username => Username::parse(Some(text)).is_ok(),
            TextField::Note => NewReport::parse(Some("other"), Some(text)).is_ok(),
            TextField::Reason => ModReason::parse(text).is_ok(),
        }
    }

    /// The document's pattern and the domain agree on every character of the Basic
    /// Multilingual Plane, alone and between letters (lengths are checked by maxLength).
    #[test]
    fn text_patterns_accept_exactly_what_the_domain_accepts() {
        for field in TextField::ALL
            .into_iter()
            .chain([TextField::Note, TextField::Reason])
        {
            let pattern = Regex::new(&text_pattern(field)).unwrap();
            let characters = (0u32..0x1_0000).filter_map(char::from_u32);
            for c in characters {
                for text in [c.to_string(), format!("a{c}b")] {
                    assert_eq!(
                        pattern.is_match(&text),
                        accepts(field, &text),
                        "{field:?} {:?}",
                        text
                    );
                }
            }
            assert_eq!(pattern.is_match(""), accepts(field, ""), "{field:?} empty");
        }
    }
}
