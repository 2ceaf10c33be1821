//! Extractors whose refusals are [`ApiError`]s, so a malformed request gets the contract's
//! error body like every other failure, and the reading of a multipart post's parts.

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Multipart, Request,
        multipart::{Field, MultipartError, MultipartRejection},
        rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode, header},
};
use serde::de::DeserializeOwned;

use super::{
    body_deadline::BodyTimedOut,
    error::{ApiError, caused_by},
};
use crate::domain::{TextField, ValidationError};

/// A JSON body that must be an object of `T`'s shape. serde's derived `Deserialize` also
/// accepts an array (fields by position); the contract does not.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            // axum answers 415 here; the contract wants 400 for a wrong content type.
            return Err(ApiError::bad_request(
                "Send the request body as JSON (Content-Type: application/json).",
                "json: Content-Type is not application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|&b| b != b'{') {
            // Not JSON at all is malformed (400), like broken JSON; JSON that is not an
            // object breaks the contract's rules (422).
            if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
                return Err(ApiError::bad_request(
                    "The request body is not valid JSON.",
                    "json: body is not JSON",
                ));
            }
            return Err(ValidationError::new(
                "The request body must be a JSON object.",
                "json: body is not an object",
            )
            .into());
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

/// Reads a JSON integer the way JSON Schema counts them: `42`, `42.0` and `4.2e1` are all the
/// integer 42 (a client or a generator may write any of them); `42.5` is not an integer, and
/// neither is `0.99999999999999999999`, which a float would round to 1. So the number is read
/// from its text, exactly, never through a float.
pub fn json_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::{Deserialize, de::Error};
    let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
    exact_integer(raw.get())
        .ok_or_else(|| D::Error::custom(format!("expected an integer, got {}", raw.get())))
}

/// The integer a JSON number literal stands for exactly, or `None` when it is not a number,
/// not whole, or outside `i64`.
fn exact_integer(literal: &str) -> Option<i64> {
    let (negative, unsigned) = match literal.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().ok()?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || !is_digits(fraction) {
        return None;
    }
    // The value is `digits × 10^scale`; trailing zeros move into the scale.
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    let trailing_zeros = digits.len() - digits.trim_end_matches('0').len();
    let scale = i64::from(exponent) - fraction.len() as i64 + trailing_zeros as i64;
    if scale < 0 {
        return None; // a fraction is left
    }
    let mut value = significant.parse::<i128>().ok()?;
    for _ in 0..scale {
        value = value
            .checked_mul(10)
            .filter(|v| *v <= i128::from(u64::MAX))?;
    }
    i64::try_from(if negative { -value } else { value }).ok()
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence.starts_with("application/") && essence.ends_with("+json")
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

pub struct ApiMultipart(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Multipart::from_request(request, state).await?))
    }
}

/// Most bytes a text part may have, checked while it streams in: a few times the largest
/// text limit (10 000 characters of up to 4 bytes each), so that no valid text is cut and no
/// 5 MB title is held in memory before it is refused.
pub const TEXT_PART_MAX_BYTES: usize = 64 * 1024;

/// Reads a text part whole, refusing it once it passes [`TEXT_PART_MAX_BYTES`] and when it is
/// not UTF-8: text is never altered (no U+FFFD replacement).
pub async fn read_text_part(mut part: Field<'_>, field: TextField) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.chunk().await? {
        if bytes.len() + chunk.len() > TEXT_PART_MAX_BYTES {
            return Err(field
                .too_long(format_args!("more than {TEXT_PART_MAX_BYTES} bytes"))
                .into());
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|error| {
        ApiError::bad_request(
            format!("{} must be valid UTF-8 text.", field.label()),
            format!(
                "{}: invalid UTF-8 at byte {}",
                field.name(),
                error.utf8_error().valid_up_to()
            ),
        )
    })
}

/// What a body that could not be read means: too large, too slow, or broken.
fn body_rejection(rejection: BytesRejection) -> ApiError {
    let internal = format!("body: {}", rejection.body_text());
    if caused_by::<BodyTimedOut>(&rejection) {
        ApiError::request_timeout(internal)
    } else if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::payload_too_large("The request body is too large.", internal)
    } else {
        ApiError::bad_request("The request body could not be read.", internal)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let internal = format!("json: {}", rejection.body_text());
        match rejection {
            // Valid JSON of the wrong shape: a missing field, a string for a number, ...
            JsonRejection::JsonDataError(_) => ValidationError::new(
                "The request is missing a field or has a field of the wrong type.",
                internal,
            )
            .into(),
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::bad_request("The request body is not valid JSON.", internal)
            }
            JsonRejection::BytesRejection(rejection) => body_rejection(rejection),
            _ => ApiError::bad_request("The request body could not be read.", internal),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        // axum says "Failed to deserialize query string: width: invalid digit found in
        // string", or "...: duplicate field `sort`": what follows the prefix names the
        // parameter, which the client needs to know.
        let text = rejection.body_text();
        let user = match text.strip_prefix("Failed to deserialize query string: ") {
            Some(why) if !why.is_empty() => format!("The query string is malformed ({why})."),
            _ => "The query string is malformed.".to_owned(),
        };
        ApiError::bad_request(user, format!("query: {text}"))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::bad_request(
            "The address is malformed.",
            format!("path: {}", rejection.body_text()),
        )
    }
}

impl From<MultipartRejection> for ApiError {
    fn from(rejection: MultipartRejection) -> Self {
        ApiError::bad_request(
            "Send the post as multipart/form-data.",
            format!("multipart: {}", rejection.body_text()),
        )
    }
}

impl From<MultipartError> for ApiError {
    fn from(error: MultipartError) -> Self {
        let internal = format!("multipart: {}", error.body_text());
        if caused_by::<BodyTimedOut>(&error) {
            ApiError::request_timeout(internal)
        } else if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large("The post is too large.", internal)
        } else {
            ApiError::bad_request("The form data is malformed.", internal)
        }
    }
}

/// The token of `Authorization: Bearer <token>` (RFC 6750: the scheme in any case, one space,
/// a `b64token`). Anything else, or no such header, is a 401: no token was presented. A token
/// of the right syntax that is not the post's is a 403, decided by comparing hashes.
/// `needed_for` is the 401's message, `token` the token's name in its internal message.
pub(super) fn bearer_token<'h>(
    headers: &'h HeaderMap,
    needed_for: &'static str,
    token: &str,
) -> Result<&'h str, ApiError> {
    let required = |internal: &str| {
        ApiError::bearer_token_required(
            needed_for,
            format!("auth: {internal}; expected Authorization: Bearer <{token}>"),
        )
    };
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(required("no single Authorization header"));
    };
    let value = value
        .to_str()
        .map_err(|_| required("Authorization is not visible ASCII"))?;
    let presented = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, presented)| presented)
        .ok_or_else(|| required("Authorization is not of the Bearer scheme"))?;
    if !is_b64token(presented) {
        return Err(required("the Bearer token is empty or malformed"));
    }
    Ok(presented)
}

/// RFC 6750's `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn json_content_types() {
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
            is_json(&headers)
        };
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=utf-8"));
        assert!(check("application/merge-patch+json"));
        assert!(!check("text/json"));
        assert!(!check("text/plain"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn json_integers_are_read_exactly() {
        for (literal, value) in [
            ("1", 1),
            ("-1", -1),
            ("0", 0),
            ("-0", 0),
            ("1.0", 1),
            ("-1.000", -1),
            ("4.2e1", 42),
            ("100e-2", 1),
            ("0.0e5", 0),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("92233720368547758.07e2", i64::MAX),
        ] {
            assert_eq!(exact_integer(literal), Some(value), "{literal}");
        }
        for literal in [
            "0.99999999999999999999",
            "1.5",
            "1e-1",
            "9223372036854775808",
            "1e19",
            "1e999999999999",
            "\"1\"",
            "true",
            "",
            "-",
            ".5",
        ] {
            assert_eq!(exact_integer(literal), None, "{literal}");
        }
    }
}
