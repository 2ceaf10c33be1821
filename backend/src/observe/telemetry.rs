use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Logs to stdout, filtered by `RUST_LOG` (default `info`); colours only on a terminal, so
/// log files and CI output stay plain text. No line names a client's address, at any level:
/// the connection loop (`http/server.rs`) logs none, and `tests/logs.rs` checks it at `trace`.
pub fn init(log_filter: &str) {
    let filter = EnvFilter::try_new(log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_ansi(std::io::stdout().is_terminal()))
        .init();
}

/// `outer: middle: inner`: an error and every `source()` down its chain, for one log line.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    use std::fmt::Write as _;
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let _ = write!(text, ": {cause}");
        next = cause.source();
    }
    text
}
