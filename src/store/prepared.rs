//! Statements that stay prepared on their connection.
//!
//! diesel keeps a statement prepared (SQLite) or named (PostgreSQL) per connection
//! when its query type says, through `QueryId`, that its text is the same on every
//! run. It marks several kinds of statement unsafe to keep: every `UPDATE … SET` and
//! every upsert's `DO UPDATE SET` (a changeset may leave out its `None` fields, so the
//! text can change), a `sql_query` and an `IN (…)` over a list. Those are parsed
//! again on every run: on SQLite in the writer's own thread, inside its transaction.
//! The statements the store writer runs for every batch or every first join are
//! therefore query types of their own, declared with [`kept_prepared!`]: a struct of
//! the bound values, whose `walk_ast` writes fixed text.
//!
//! Measured in docs/PERFORMANCE.md ("Statements kept prepared"): before, a join's
//! membership upsert was parsed again in every commit.

/// Declares a query type that diesel keeps prepared: the struct (one lifetime, for
/// borrowed values), its static `QueryId` and `RunQueryDsl` on any connection. Its
/// SQL (`push_sql`, and [`push_binds!`] for the values) is either written beside it as
/// a `QueryFragment` for the backend it runs on, or, for a statement both stores run
/// alike with `Text` and `BigInt` values, given after the struct:
/// `sql on either store |q, out| { … }` (`q` is the statement, `out` the `AstPass`).
macro_rules! kept_prepared {
    (
        $(#[$attr:meta])*
        $vis:vis struct $name:ident<$lt:lifetime> {
            $($(#[$field_attr:meta])* $field:ident: $ty:ty),* $(,)?
        }
        $(sql on either store |$q:ident, $out:ident| $sql:block)?
    ) => {
        $(#[$attr])*
        $vis struct $name<$lt> {
            $($(#[$field_attr])* pub $field: $ty),*
        }

        impl diesel::query_builder::QueryId for $name<'_> {
            type QueryId = $name<'static>;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl<Conn> diesel::RunQueryDsl<Conn> for $name<'_> {}

        $(
            impl<DB> diesel::query_builder::QueryFragment<DB> for $name<'_>
            where
                DB: diesel::backend::Backend,
                str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
                i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
            {
                fn walk_ast<'b>(
                    &'b self,
                    mut $out: diesel::query_builder::AstPass<'_, 'b, DB>,
                ) -> diesel::QueryResult<()> {
                    use diesel::sql_types::{BigInt, Text};
                    let $q = self;
                    $sql
                    Ok(())
                }
            }
        )?
    };
}
pub(crate) use kept_prepared;

/// Writes binds separated by `, ` into a query's `AstPass`, each with its SQL type:
/// `push_binds!(out, Text => self.room, BigInt => &self.ts)`.
macro_rules! push_binds {
    ($out:expr, $first_type:ty => $first:expr $(, $sql_type:ty => $value:expr)* $(,)?) => {{
        $out.push_bind_param::<$first_type, _>($first)?;
        $(
            $out.push_sql(", ");
            $out.push_bind_param::<$sql_type, _>($value)?;
        )*
    }};
}
pub(crate) use push_binds;
