//! What sqlx needs through a real PgBouncer in transaction mode (the PgBouncer itself:
//! `tests/support/pgbouncer.rs`).

/// What sqlx 0.8 needs through PgBouncer 1.18 in transaction mode, measured on the test's
/// PgBouncer (only with `TEST_VIA_PGBOUNCER=1`): the `options` startup parameter is refused;
/// and with several clients at once, a statement sent outside a transaction may find its
/// prepared statement missing on the server session it is given, or another client's there
/// under the same name (sqlx names them `sqlx_s_N` even without its cache), while inside
/// `BEGIN; DEALLOCATE ALL` ... `COMMIT` without the cache (how `DbPool` runs them with
/// `DATABASE_POOLER=transaction`) every one succeeds. The counts of the ways that can fail
/// are printed, not asserted: they depend on timing.
#[tokio::test]
async fn what_sqlx_needs_through_pgbouncer_in_transaction_mode() {
    use std::str::FromStr;

    use sqlx::{Connection, PgConnection, postgres::PgConnectOptions};

    if !crate::support::pgbouncer::enabled() {
        return;
    }
    let app = crate::support::spawn_app().await;
    let url = secrecy::ExposeSecret::expose_secret(&app.config.database_url).to_owned();
    let base = PgConnectOptions::from_str(&url).unwrap();

    let with_options = base.clone().options([("statement_timeout", "5s")]);
    let refused = match PgConnection::connect_with(&with_options).await {
        Ok(_) => panic!("PgBouncer accepted the options startup parameter"),
        Err(error) => error,
    };
    assert!(
        refused
            .to_string()
            .contains("unsupported startup parameter"),
        "{refused}"
    );

    /// Statements that fail among 8 clients × 200, each a `SELECT $1::int + n` on 8
    /// distinct texts, with or without sqlx's statement cache, in a transaction or not.
    async fn failures(options: &PgConnectOptions, in_transaction: bool) -> (usize, Vec<String>) {
        let clients = (0..8).map(|client| {
            let options = options.clone();
            tokio::spawn(async move {
                let mut db = PgConnection::connect_with(&options).await.unwrap();
                let mut errors = Vec::new();
                for round in 0..200 {
                    let sql = format!("SELECT $1::int + {}", (client + round) % 8);
                    let result = if in_transaction {
                        let mut tx = db.begin_with("BEGIN; DEALLOCATE ALL").await.unwrap();
                        let result = sqlx::query_scalar::<_, i32>(&sql)
                            .bind(1)
                            .fetch_one(&mut *tx)
                            .await;
                        if result.is_ok() {
                            tx.commit().await.unwrap();
                        }
                        result
                    } else {
                        sqlx::query_scalar::<_, i32>(&sql)
                            .bind(1)
                            .fetch_one(&mut db)
                            .await
                    };
                    match result {
                        Ok(value) if value == 1 + (client + round) % 8 => {}
                        Ok(value) => errors.push(format!("wrong answer {value}")),
                        Err(error) => errors.push(error.to_string()),
                    }
                }
                errors
            })
        });
        let mut all = Vec::new();
        for client in futures::future::join_all(clients).await {
            all.extend(client.unwrap());
        }
        let mut kinds: Vec<String> = all.clone();
        kinds.sort();
        kinds.dedup();
        (all.len(), kinds)
    }

    let uncached = base.clone().statement_cache_capacity(0);
    for (what, options, in_transaction) in [
        ("statement cache, no transaction", &base, false),
        ("no statement cache, no transaction", &uncached, false),
        (
            "no statement cache, each in a transaction that begins with DEALLOCATE ALL",
            &uncached,
            true,
        ),
    ] {
        let (count, kinds) = failures(options, in_transaction).await;
        let examples: Vec<_> = kinds.iter().take(4).collect();
        eprintln!("through PgBouncer, {what}: {count} of 1600 failed, e.g. {examples:?}");
        if in_transaction {
            assert_eq!(count, 0, "{what}: {kinds:?}");
        }
    }
}
