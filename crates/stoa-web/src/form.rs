//! Form bodies: `application/x-www-form-urlencoded`, read with a size cap.

use axum::body::Body;
use http_body_util::BodyExt;

use crate::respond::WebError;

/// Forms are small (a comment is the biggest); uploads use multipart and are read elsewhere.
const MAX_FORM_BYTES: usize = 256 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    pub(crate) async fn read(body: Body) -> Result<Self, WebError> {
        let limited = http_body_util::Limited::new(body, MAX_FORM_BYTES);
        let bytes = limited
            .collect()
            .await
            .map_err(|_| WebError::bad_request(format!("A form may hold at most {} KiB", MAX_FORM_BYTES / 1024)))?
            .to_bytes();
        Ok(Self::parse(&bytes))
    }

    pub(crate) fn parse(bytes: &[u8]) -> Self {
        Self { fields: form_urlencoded::parse(bytes).into_owned().collect() }
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, trimmed, or a 400 naming the field.
    pub(crate) fn required(&self, name: &str) -> Result<&str, WebError> {
        self.get(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| WebError::bad_request(format!("\"{name}\" is required")))
    }

    pub(crate) fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}
