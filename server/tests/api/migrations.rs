//! The two migration folders describe one schema: after `migrate`, SQLite
//! and PostgreSQL have the same tables, with the same columns, each as
//! nullable on one as on the other.

use crate::helpers::{Engine, fresh_database};
use herald::db::Db;
use sqlx::Row;
use std::collections::BTreeSet;

/// (table, column, nullable) for every table the migrations made.
async fn schema(engine: Engine) -> BTreeSet<(String, String, bool)> {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database(engine, dir.path()).await;
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let sql = match engine {
        Engine::Sqlite => {
            "select m.name as t, p.name as c, case when p.\"notnull\" = 0 and p.pk = 0 then 1 else 0 end as nullable
             from sqlite_master m, pragma_table_info(m.name) p
             where m.type = 'table' and m.name not like 'sqlite_%' and m.name <> '_sqlx_migrations'"
        }
        Engine::Postgres => {
            "select table_name::text as t, column_name::text as c,
                    case when is_nullable = 'YES' then 1 else 0 end as nullable
             from information_schema.columns
             where table_schema = 'public' and table_name <> '_sqlx_migrations'"
        }
    };
    let rows = sqlx::query(sql).fetch_all(db.pool()).await.expect("schema");
    db.close().await;
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String, _>("t").expect("t"),
                r.try_get::<String, _>("c").expect("c"),
                r.try_get::<i32, _>("nullable").expect("nullable") == 1,
            )
        })
        .collect()
}

#[tokio::test]
async fn both_migration_folders_make_the_same_tables_and_columns() {
    let sqlite = schema(Engine::Sqlite).await;
    let postgres = schema(Engine::Postgres).await;
    assert!(sqlite.len() > 40, "{sqlite:?}");
    let only_sqlite: Vec<_> = sqlite.difference(&postgres).collect();
    let only_postgres: Vec<_> = postgres.difference(&sqlite).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "only on SQLite: {only_sqlite:?}\nonly on PostgreSQL: {only_postgres:?}"
    );
}
