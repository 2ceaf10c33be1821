use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, filter::LevelFilter, fmt, prelude::*};

/// Logs to stdout, filtered by `RUST_LOG` (default `info`); colours only on a terminal, so
/// log files and CI output stay plain text.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = without_client_addresses(filter);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_ansi(std::io::stdout().is_terminal()))
        .init();
}

/// `filter`, less the one log line that would name a client's address: axum's
/// `connection <peer> accepted`, at trace level. When `filter` lets trace lines through,
/// axum's serving loop is held to debug (its errors still show). No client address is ever
/// logged (docs/API.md, "Rate limits").
pub fn without_client_addresses(filter: EnvFilter) -> EnvFilter {
    match filter.max_level_hint() {
        Some(level) if level < LevelFilter::TRACE => filter,
        _ => filter.add_directive("axum::serve=debug".parse().expect("a valid directive")),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_logs_never_get_axums_line_with_the_peer_address() {
        let trace = without_client_addresses(EnvFilter::new("trace"));
        assert!(trace.to_string().contains("axum::serve=debug"), "{trace}");
        let explicit = without_client_addresses(EnvFilter::new("info,axum::serve=trace"));
        assert!(
            explicit.to_string().contains("axum::serve=debug"),
            "{explicit}"
        );
        assert!(
            !explicit.to_string().contains("axum::serve=trace"),
            "{explicit}"
        );
        // Less verbose filters are left as they are.
        let info = without_client_addresses(EnvFilter::new("info"));
        assert_eq!(info.to_string(), "info");
    }
}
