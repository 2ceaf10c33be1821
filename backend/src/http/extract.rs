//! axum's extractors, with their rejections turned into [`AppError`]s so that a malformed
//! request gets the contract's error body like every other failure.

use axum::extract::{
    FromRequest, FromRequestParts, Multipart, Request,
    multipart::{MultipartError, MultipartRejection},
    rejection::{JsonRejection, PathRejection, QueryRejection},
};

use crate::{domain::ValidationError, error::AppError};

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

pub struct ApiMultipart(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for ApiMultipart {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Multipart::from_request(request, state).await?))
    }
}

impl From<JsonRejection> for AppError {
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
                AppError::bad_request("The request body is not valid JSON.", internal)
            }
            // axum answers 415 here; the contract wants 400 for a wrong content type.
            JsonRejection::MissingJsonContentType(_) => AppError::bad_request(
                "Send the request body as JSON (Content-Type: application/json).",
                internal,
            ),
            other if other.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge {
                    user: "The request body is too large.".into(),
                    internal,
                }
            }
            _ => AppError::bad_request("The request body could not be read.", internal),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::bad_request(
            "The query string is malformed (limit must be a whole number).",
            format!("query: {}", rejection.body_text()),
        )
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::bad_request(
            "The address is malformed.",
            format!("path: {}", rejection.body_text()),
        )
    }
}

impl From<MultipartRejection> for AppError {
    fn from(rejection: MultipartRejection) -> Self {
        AppError::bad_request(
            "Send the post as multipart/form-data.",
            format!("multipart: {}", rejection.body_text()),
        )
    }
}

impl From<MultipartError> for AppError {
    fn from(error: MultipartError) -> Self {
        let internal = format!("multipart: {}", error.body_text());
        if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge {
                user: "The post is too large.".into(),
                internal,
            }
        } else {
            AppError::bad_request("The form data is malformed.", internal)
        }
    }
}
