//! The operator's commands, run by the same binary against `DATABASE_URL`:
//! `postboard moderator add NAME | list | revoke NAME`. They print to the terminal, never to
//! the log: the token that `add` prints is shown once and stored nowhere else.

use std::process::ExitCode;

use crate::{
    config::{Config, ModeratorCommand},
    domain::{ModeratorName, ModeratorToken},
    repository::{Addition, ModeratorRepository},
    startup,
};

/// Runs `postboard moderator ...`; the exit code says how it went (2: a name that is not one).
pub async fn moderator(command: &ModeratorCommand, config: &Config) -> ExitCode {
    let name = match command {
        ModeratorCommand::Add { name } | ModeratorCommand::Revoke { name } => {
            match ModeratorName::parse(name) {
                Ok(name) => Some(name),
                Err(error) => {
                    eprintln!("postboard: {}", error.user_message);
                    return ExitCode::from(2);
                }
            }
        }
        ModeratorCommand::List => None,
    };
    let moderators = match startup::operator_pool(config).await {
        Ok(pool) => ModeratorRepository::new(pool),
        Err(error) => {
            eprintln!("postboard: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match (command, name) {
        (ModeratorCommand::Add { .. }, Some(name)) => add(&moderators, &name).await,
        (ModeratorCommand::Revoke { .. }, Some(name)) => revoke(&moderators, &name).await,
        _ => list(&moderators).await,
    };
    outcome.unwrap_or_else(|error| {
        eprintln!("postboard: the database failed: {error}");
        ExitCode::FAILURE
    })
}

async fn revoke(
    moderators: &ModeratorRepository,
    name: &ModeratorName,
) -> Result<ExitCode, crate::repository::RepositoryError> {
    Ok(if moderators.revoke(name).await? {
        println!("Revoked {name}: their token no longer works.");
        ExitCode::SUCCESS
    } else {
        eprintln!("postboard: no moderator {name} (or revoked before)");
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
