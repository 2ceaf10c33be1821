use std::process::ExitCode;

use clap::Parser;
use postboard::{
    config::{self, Cli, CliCommand, Config},
    observe::telemetry,
    operator, startup,
};

#[tokio::main]
async fn main() -> ExitCode {
    // `.env` first: clap reads the environment (the real one wins, as dotenvy leaves it).
    let _ = dotenvy::dotenv();
    // --help, --version and usage errors print and exit here (2 for a usage error).
    let cli = Cli::parse();
    let moderator = match cli.command {
        Some(CliCommand::Config { .. }) => {
            print!("{}", config::settings_markdown());
            return ExitCode::SUCCESS;
        }
        Some(CliCommand::Moderator { action }) => Some(action),
        None => None,
    };
    let config = match Config::from_settings(cli.settings) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("postboard: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(action) = moderator {
        return operator::moderator(&action, &config).await;
    }
    telemetry::init(&config.log_filter);
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
