//! hyper answers a request it cannot parse itself, before the router sees anything: 400 for a
//! malformed request line or header, 414 for a request target over 64 KiB, 431 for a head over
//! its buffer. It sends those with an empty body and offers no hook to change that, so this IO
//! wrapper recognises such an answer as it is written (a 400, 414 or 431 head with
//! `content-length: 0` and nothing after it: the app's own refusals always carry the error
//! body) and writes it with the contract's error body instead.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::io::AsyncWrite;

use super::{
    error::{ErrorBody, ErrorDetail},
    io_wrappers::read_through,
};

pub struct ShapedProtocolRefusals<T> {
    inner: T,
    /// A rewritten answer, and how much of it the socket has taken.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ShapedProtocolRefusals<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<T: AsyncWrite + Unpin> ShapedProtocolRefusals<T> {
    /// Writes what is left of a rewritten answer; ready once it is all written.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` in place of the socket when it is hyper's own refusal: the rewritten answer
    /// is written instead (what the socket doesn't take now, on the next write, flush or
    /// shutdown). `None` when `buf` is anything else.
    fn take_refusal(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<io::Result<usize>> {
        let shaped = shaped(buf)?;
        self.pending = Some((shaped, 0));
        Some(match self.poll_pending(cx) {
            Poll::Ready(Err(error)) => Err(error),
            Poll::Ready(Ok(())) | Poll::Pending => Ok(buf.len()),
        })
    }
}

/// hyper's refusal in `buf`, rewritten with the error body; `None` for anything else.
fn shaped(buf: &[u8]) -> Option<Vec<u8>> {
    let status = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?
        .get(..3)?;
    let (user, internal): (&str, &str) = match status {
        b"400" => (
            "The request could not be read as HTTP.",
            "http: malformed request head",
        ),
        b"414" => (
            "The request's address is too long.",
            "http: request target over the parser's limit",
        ),
        b"431" => (
            "The request's headers are too large.",
            "http: request head over the parser's buffer",
        ),
        _ => return None,
    };
    let head = std::str::from_utf8(buf).ok()?;
    let head = head.strip_suffix("\r\n\r\n")?;
    if head.contains("\r\n\r\n") {
        return None; // a head with a body after it: not an empty refusal
    }
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut kept = Vec::new();
    let mut empty = false;
    for line in lines {
        let lower = line.to_ascii_lowercase();
        if lower == "content-length: 0" {
            empty = true;
        } else if !lower.starts_with("connection:") {
            kept.push(line);
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::to_vec(&ErrorBody {
        detail: ErrorDetail {
            user_message: user.to_owned(),
            internal_message: internal.to_owned(),
        },
    })
    .ok()?;
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         x-content-type-options: nosniff\r\nconnection: close\r\n",
        body.len()
    );
    for line in kept {
        answer.push_str(line);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    let mut answer = answer.into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

read_through!(ShapedProtocolRefusals);

impl<T: AsyncWrite + Unpin> AsyncWrite for ShapedProtocolRefusals<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if let Some(taken) = this.take_refusal(cx, buf) {
            return Poll::Ready(taken);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        // hyper's refusal is a head alone: one slice.
        if let [only] = bufs
            && let Some(taken) = this.take_refusal(cx, only)
        {
            return Poll::Ready(taken);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "date: Mon, 07 Dec 2026 07:00:00 GMT";

    #[test]
    fn hypers_empty_refusals_get_the_error_body() {
        let refusal = format!(
            "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n{DATE}\r\n\r\n"
        );
        let answer = String::from_utf8(shaped(refusal.as_bytes()).unwrap()).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{head}"
        );
        assert!(
            head.contains("\r\ncontent-type: application/json\r\n"),
            "{head}"
        );
        assert!(
            head.contains(&format!("\r\ncontent-length: {}\r\n", body.len())),
            "{head}"
        );
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(head.ends_with(DATE), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body["detail"]["user_message"],
            "The request's headers are too large."
        );
    }

    #[test]
    fn everything_else_is_left_alone() {
        for other in [
            // The app's own 400: it has a body.
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}".to_owned(),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n{DATE}\r\n\r\n"),
            // Other statuses, even empty.
            format!("HTTP/1.1 304 Not Modified\r\n{DATE}\r\n\r\n"),
            format!("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n{DATE}\r\n\r\n"),
            // Body bytes.
            "data: {\"id\": 1}\n\n".to_owned(),
        ] {
            assert!(shaped(other.as_bytes()).is_none(), "{other}");
        }
    }
}
