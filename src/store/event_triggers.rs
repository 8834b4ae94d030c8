//! The webhook outbox's triggers, present only while at least one webhook exists.
//!
//! The outbox (`webhook_events`, `src/store/webhooks.rs`) is written by `AFTER`
//! triggers on `messages`, `members`, `rooms` and `broadcasts`, inside the transaction
//! that commits each change. A trigger costs every written row something even when it
//! writes nothing: on SQLite the trigger program runs for each row, and a statement
//! with a trigger needs a statement journal (a copy of every page it is about to
//! change). With no webhook registered, 100 rooms × 10, every connection sending,
//! window 8, delivered 10% more per second without the triggers (and with the
//! single-row inserts that then need no statement journal; docs/PERFORMANCE.md). So
//! they are created with the first webhook, in the transaction that stores it, and
//! dropped with the last one; [`sync`] puts them right when the store is opened.
//!
//! Creating and deleting webhooks take one lock first (PostgreSQL: `webhooks` in a
//! self-conflicting mode; SQLite: its one writer), so "is this the first / the last
//! webhook" is answered by one transaction at a time. A writer's transaction that is
//! under way when a webhook is created is not made to write events: its change
//! commits before the webhook exists, which is what the webhook asked for (events
//! from its creation on).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{DbConn, StoreError};
use crate::schema::webhooks;

const SQLITE_TRIGGERS: &str = include_str!("event_triggers/sqlite.sql");
const POSTGRES_TRIGGERS: &str = include_str!("event_triggers/postgres.sql");

/// Every trigger, and the table it is on.
const TRIGGERS: [(&str, &str); 7] = [
    ("webhook_event_message", "messages"),
    ("webhook_event_message_deleted", "messages"),
    ("webhook_event_member_joined", "members"),
    ("webhook_event_member_left", "members"),
    ("webhook_event_room_created", "rooms"),
    ("webhook_event_room_deleted", "rooms"),
    ("webhook_event_broadcast_finished", "broadcasts"),
];

/// Inside a write transaction, before reading whether webhooks exist: on PostgreSQL,
/// waits for any other transaction creating or deleting a webhook (SQLite's write
/// transactions are one at a time already).
pub fn lock_webhooks(c: &mut DbConn) -> Result<(), StoreError> {
    if let DbConn::Postgresql(c) = c {
        c.batch_execute("LOCK TABLE webhooks IN SHARE ROW EXCLUSIVE MODE")?;
    }
    Ok(())
}

/// Inside the caller's write transaction (after [`lock_webhooks`]): creates the
/// triggers when a webhook exists and they do not, drops them when none exists.
pub fn sync(c: &mut DbConn) -> Result<(), StoreError> {
    let wanted = webhooks::table.count().get_result::<i64>(c)? > 0;
    let present = installed(c)?;
    if wanted && present < TRIGGERS.len() {
        drop_all(c)?;
        match c {
            DbConn::Sqlite(c) => c.batch_execute(SQLITE_TRIGGERS)?,
            DbConn::Postgresql(c) => c.batch_execute(POSTGRES_TRIGGERS)?,
        }
    } else if !wanted && present > 0 {
        drop_all(c)?;
    }
    Ok(())
}

/// How many of the triggers exist.
fn installed(c: &mut DbConn) -> Result<usize, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql = match c {
        DbConn::Sqlite(_) => {
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'webhook\\_event\\_%' ESCAPE '\\'"
        }
        DbConn::Postgresql(_) => {
            // The tables as the search path finds them: other schemas may hold other stores.
            "SELECT count(*) AS n FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'webhook\\_event\\_%' ESCAPE '\\' \
             AND tgrelid IN ('messages'::regclass, 'members'::regclass, 'rooms'::regclass, 'broadcasts'::regclass)"
        }
    };
    let count: Count = diesel::sql_query(sql).get_result(c)?;
    Ok(count.n as usize)
}

fn drop_all(c: &mut DbConn) -> Result<(), StoreError> {
    let sql: String = TRIGGERS
        .iter()
        .map(|(name, table)| match c {
            DbConn::Sqlite(_) => format!("DROP TRIGGER IF EXISTS {name};"),
            DbConn::Postgresql(_) => format!("DROP TRIGGER IF EXISTS {name} ON {table};"),
        })
        .collect();
    c.batch_execute(&sql)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::conn::write_txn;
    use crate::store::Store;

    fn triggers(store: &Store) -> usize {
        store.run_blocking(installed).unwrap()
    }

    #[test]
    fn triggers_exist_exactly_while_a_webhook_does() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}/t.db", dir.path().display()), 2, Duration::from_secs(1))
                .unwrap();
        assert_eq!(triggers(&store), 0, "a store without webhooks has no triggers");
        let add = |id: &'static str| {
            store
                .run_blocking(move |c| {
                    c.batch_execute(&format!(
                        "INSERT INTO webhooks (id, url, events, secret, state, position, created_at, updated_at) \
                         VALUES ('{id}', 'http://127.0.0.1:9/', '[]', 's', 'active', 0, 0, 0)"
                    ))?;
                    write_txn(c, |c| {
                        lock_webhooks(c)?;
                        sync(c)
                    })
                })
                .unwrap()
        };
        add("a");
        assert_eq!(triggers(&store), TRIGGERS.len());
        add("b");
        assert_eq!(triggers(&store), TRIGGERS.len());
        store
            .run_blocking(|c| {
                c.batch_execute("DELETE FROM webhooks")?;
                write_txn(c, sync)
            })
            .unwrap();
        assert_eq!(triggers(&store), 0, "the last webhook's deletion drops them");
        // A webhook stored without its triggers (by a build that did not sync): opening
        // the store puts them right.
        store
            .run_blocking(|c| {
                c.batch_execute(
                    "INSERT INTO webhooks (id, url, events, secret, state, position, created_at, updated_at) \
                     VALUES ('c', 'http://127.0.0.1:9/', '[]', 's', 'active', 0, 0, 0)",
                )
                .map_err(StoreError::from)
            })
            .unwrap();
        assert_eq!(triggers(&store), 0);
        drop(store);
        let store =
            Store::open(&format!("sqlite://{}/t.db", dir.path().display()), 2, Duration::from_secs(1))
                .unwrap();
        assert_eq!(triggers(&store), TRIGGERS.len());
    }
}
