use std::process::ExitCode;

use postboard::{config::Config, observe::telemetry, operator, startup};

const USAGE: &str = "postboard — the Postboard server

Usage: postboard [--version | --help]
       postboard moderator add NAME | list | revoke NAME
       postboard config --markdown   (the table of variables, as in docs/configuration.md)

Configured by environment variables (and a .env file in the working directory); see
docs/configuration.md, or `postboard config --markdown`.";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-V") => {
            println!("postboard {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("config") if args[1..] == ["--markdown"] => {
            print!("{}", postboard::config::settings_markdown());
            return ExitCode::SUCCESS;
        }
        Some("moderator") => {
            return match Config::from_env() {
                Ok(config) => operator::moderator(&args[1..], &config).await,
                Err(error) => {
                    eprintln!("postboard: {error}");
                    ExitCode::from(2)
                }
            };
        }
        Some(other) => {
            eprintln!("postboard: unknown argument {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {}
    }

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("postboard: {error}");
            return ExitCode::from(2);
        }
    };
    telemetry::init();
    raise_file_limit(&config);

    let app = match startup::Application::build(config).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!(%error, "startup failed");
            return ExitCode::FAILURE;
        }
    };
    app.run_until_stopped(startup::shutdown_signal()).await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// Every live stream is an open file: the soft limit (often 1 024) is raised to the hard one,
/// and a `STREAMS_PER_REPLICA` that the descriptors cannot hold is named in the log.
fn raise_file_limit(config: &Config) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(files) => {
            tracing::info!(files, "open files limit");
            // A few hundred for the database pool, object storage and ordinary requests.
            let streams = config.stream_limits.per_replica as u64;
            if streams + 512 > files {
                tracing::warn!(
                    files,
                    streams,
                    "STREAMS_PER_REPLICA is more than the open files limit allows; raise the hard limit (ulimit -Hn, LimitNOFILE) or lower it"
                );
            }
        }
        Err(error) => tracing::warn!(%error, "could not raise the open files limit"),
    }
}
