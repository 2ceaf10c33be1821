//! `s3-server --host HOST --port PORT --access-key KEY --secret-key SECRET FOLDER`: the tests'
//! S3 server (s3s-fs on FOLDER, SigV4 checked) as a program, for the scripts (`make run`, e2e,
//! the backup drill, the bench). Its arguments are those of s3s-fs's own binary.

use std::{path::PathBuf, process::ExitCode};

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = Args::parse(std::env::args().skip(1)) else {
        eprintln!(
            "usage: s3-server --host HOST --port PORT --access-key KEY --secret-key SECRET FOLDER"
        );
        return ExitCode::from(2);
    };
    let listener = match tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "s3-server: cannot listen on {}:{}: {error}",
                args.host, args.port
            );
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "s3-server: serving {} on http://{}",
        args.folder.display(),
        listener
            .local_addr()
            .expect("a bound listener has an address")
    );
    let served = postboard_test_fixtures::s3::serve(
        listener,
        &args.folder,
        &args.access_key,
        &args.secret_key,
    );
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("s3-server: {}: {error}", args.folder.display());
            ExitCode::FAILURE
        }
    }
}

struct Args {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    folder: PathBuf,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Option<Self> {
        let (mut host, mut port, mut access_key, mut secret_key, mut folder) =
            (None, None, None, None, None);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--host" => host = args.next(),
                "--port" => port = args.next()?.parse().ok(),
                "--access-key" => access_key = args.next(),
                "--secret-key" => secret_key = args.next(),
                _ if !arg.starts_with("--") && folder.is_none() => folder = Some(arg.into()),
                _ => return None,
            }
        }
        Some(Self {
            host: host?,
            port: port?,
            access_key: access_key?,
            secret_key: secret_key?,
            folder: folder?,
        })
    }
}
