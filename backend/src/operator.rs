//! The operator's commands, run by the same binary against `DATABASE_URL`:
//! `postboard moderator add NAME | list | revoke NAME`. They print to the terminal, never to
//! the log: the token that `add` prints is shown once and stored nowhere else.

use std::process::ExitCode;

use crate::{
    config::Config,
    domain::{ModeratorName, ModeratorToken},
    repository::{Addition, ModeratorRepository},
    startup,
};

pub const MODERATOR_USAGE: &str =
    "Usage: postboard moderator add NAME    make a moderator; prints their token once
       postboard moderator list        every moderator, revoked ones too
       postboard moderator revoke NAME the token stops working at once, on every replica";

/// Runs `postboard moderator ARGS...`; the exit code says how it went (2: wrong usage).
pub async fn moderator(args: &[String], config: &Config) -> ExitCode {
    let (command, name) = match args {
        [command] if command == "list" => ("list", None),
        [command, name] if command == "add" || command == "revoke" => {
            match ModeratorName::parse(name) {
                Ok(name) => (command.as_str(), Some(name)),
                Err(error) => {
                    eprintln!("postboard: {}", error.user_message);
                    return ExitCode::from(2);
                }
            }
        }
        _ => {
            eprintln!("{MODERATOR_USAGE}");
            return ExitCode::from(2);
        }
    };
    let moderators = match startup::operator_pool(config).await {
        Ok(pool) => ModeratorRepository::new(pool),
        Err(error) => {
            eprintln!("postboard: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match (command, name) {
        ("add", Some(name)) => add(&moderators, &name).await,
        ("revoke", Some(name)) => match moderators.revoke(&name).await {
            Ok(true) => {
                println!("Revoked {name}: their token no longer works.");
                Ok(ExitCode::SUCCESS)
            }
            Ok(false) => {
                eprintln!("postboard: no moderator {name} (or revoked before)");
                Ok(ExitCode::FAILURE)
            }
            Err(error) => Err(error),
        },
        _ => list(&moderators).await,
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("postboard: the database failed: {error}");
        ExitCode::FAILURE
    })
}

async fn add(
    moderators: &ModeratorRepository,
    name: &ModeratorName,
) -> Result<ExitCode, crate::repository::RepositoryError> {
    let Ok(token) = ModeratorToken::generate() else {
        eprintln!("postboard: the operating system gave no random bytes");
        return Ok(ExitCode::FAILURE);
    };
    match moderators.add(name, &token.hash()).await? {
        Addition::Added => {}
        Addition::Taken => {
            eprintln!(
                "postboard: the name {name} is taken (names are never reused, revoked or not)"
            );
            return Ok(ExitCode::FAILURE);
        }
        Addition::PostersName => {
            eprintln!(
                "postboard: posts on this board are signed {name}; a moderator's name must not \
                 look like a poster's: choose another"
            );
            return Ok(ExitCode::FAILURE);
        }
    }
    println!("Moderator {name} added. Their token (shown this once; only its hash is kept):");
    println!("{}", token.as_str());
    Ok(ExitCode::SUCCESS)
}

async fn list(
    moderators: &ModeratorRepository,
) -> Result<ExitCode, crate::repository::RepositoryError> {
    let rows = moderators.list().await?;
    if rows.is_empty() {
        println!("No moderators yet: postboard moderator add NAME");
    }
    for row in rows {
        let state = match row.revoked_at {
            Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M UTC")),
            None => "active".to_owned(),
        };
        println!(
            "{:<32}  added {}  {state}",
            row.name,
            row.created_at.format("%Y-%m-%d %H:%M UTC")
        );
    }
    Ok(ExitCode::SUCCESS)
}
