//! What the connection's socket wrappers (`drain::GentleClose`, `send_deadline::SendDeadline`,
//! `protocol_refusals::ShapedProtocolRefusals`) share: each changes how the connection writes
//! or closes, and reads straight through.

/// Implements `AsyncRead` for `$wrapper<T>` (a struct with an `inner: T` field) by reading from
/// `inner` as it is.
macro_rules! read_through {
    ($wrapper:ident) => {
        impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for $wrapper<T> {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
            }
        }
    };
}

pub(super) use read_through;
