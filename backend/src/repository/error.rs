/// What can go wrong in the repository. The service decides what each means to a user.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    /// PostgreSQL did not answer, dropped the connection, or is shutting down or overloaded.
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    /// The database refused or failed the statement itself: a bug or a broken schema.
    #[error("database query failed")]
    Query(#[source] BoxError),
}

impl RepositoryError {
    /// The failure of one statement that several callers shared (a batch of votes), for each
    /// of them.
    pub(super) fn shared(error: &std::sync::Arc<RepositoryError>) -> Self {
        let cause: BoxError = Box::new(error.clone());
        match **error {
            Self::Unavailable(_) => Self::Unavailable(cause),
            Self::Query(_) => Self::Query(cause),
        }
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl From<sqlx::Error> for RepositoryError {
    fn from(error: sqlx::Error) -> Self {
        if means_unavailable(&error) {
            Self::Unavailable(error.into())
        } else {
            Self::Query(error.into())
        }
    }
}

/// Whether the error says "the database is not there right now" rather than "the query is
/// wrong": lost connections, and the SQLSTATEs of connection exceptions (08), shutdown and
/// start-up (57P01..57P03), too many connections (53300) and `statement_timeout` (57014).
fn means_unavailable(error: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    match error {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => true,
        E::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "57014" | "53300")
        }),
        _ => false,
    }
}
