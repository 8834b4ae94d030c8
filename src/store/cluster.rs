//! Cluster bookkeeping in PostgreSQL: a row per node that its heartbeat refreshes, and
//! leases (`room:ID`, `scheduler`, `broadcast:ID`) held by a node while its heartbeat is
//! fresh. A lease never expires on its own: it is valid as long as its holder is alive,
//! so a node renews every lease it holds with one heartbeat. Another node takes a lease
//! over only when the holder's heartbeat is older than `cluster.lease_ms`, in one
//! statement (`INSERT … ON CONFLICT DO UPDATE … WHERE holder is dead`), so two nodes
//! racing for it cannot both win. Times come from the database's clock.
//!
//! Cluster mode requires PostgreSQL; on SQLite these functions answer
//! [`StoreError::Unavailable`].

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::PgConnection;

use super::{DbConn, StoreError};

/// The database clock, in milliseconds since the epoch.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Who holds a lease after an attempt to take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseHolder {
    /// This node (it held it already, or just took it).
    Me { epoch: i64 },
    /// Another node, alive.
    Other(String),
}

/// A node as `GET /api/v1/nodes` shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct NodeRow {
    #[diesel(sql_type = Text)]
    pub node_id: String,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = BigInt)]
    pub started_at: i64,
    #[diesel(sql_type = BigInt)]
    pub heartbeat_at: i64,
    #[diesel(sql_type = BigInt)]
    pub connections: i64,
    #[diesel(sql_type = BigInt)]
    pub rooms_owned: i64,
    /// `heartbeat_at` is within the lease time of the database clock.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub alive: bool,
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Text)]
    node_id: String,
    #[diesel(sql_type = BigInt)]
    epoch: i64,
}

fn pg(c: &mut DbConn) -> Result<&mut PgConnection, StoreError> {
    match c {
        DbConn::Postgresql(pg) => Ok(pg),
        DbConn::Sqlite(_) => Err(StoreError::Unavailable("cluster mode needs PostgreSQL".into())),
    }
}

/// Writes this node's heartbeat (creating its row), with its open connection count.
pub fn heartbeat(
    c: &mut DbConn,
    node: &str,
    address: &str,
    connections: i64,
    first: bool,
) -> Result<(), StoreError> {
    let started = if first { "EXCLUDED.started_at" } else { "cluster_nodes.started_at" };
    let sql = format!(
        "INSERT INTO cluster_nodes (node_id, address, started_at, heartbeat_at, connections) \
         VALUES ($1, $2, {NOW_MS}, {NOW_MS}, $3) \
         ON CONFLICT (node_id) DO UPDATE SET address = EXCLUDED.address, started_at = {started}, \
         heartbeat_at = EXCLUDED.heartbeat_at, connections = EXCLUDED.connections"
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(node)
        .bind::<Text, _>(address)
        .bind::<BigInt, _>(connections)
        .execute(pg(c)?)?;
    Ok(())
}

/// Takes the lease `name` for `node` unless another node holds it and is alive.
pub fn acquire(c: &mut DbConn, name: &str, node: &str, lease_ms: i64) -> Result<LeaseHolder, StoreError> {
    let pg = pg(c)?;
    let sql = format!(
        "INSERT INTO cluster_leases (name, node_id, epoch, acquired_at) VALUES ($1, $2, 1, {NOW_MS}) \
         ON CONFLICT (name) DO UPDATE SET node_id = EXCLUDED.node_id, epoch = cluster_leases.epoch + 1, \
         acquired_at = EXCLUDED.acquired_at \
         WHERE cluster_leases.node_id <> EXCLUDED.node_id AND NOT EXISTS ( \
             SELECT 1 FROM cluster_nodes n WHERE n.node_id = cluster_leases.node_id \
             AND n.heartbeat_at > {NOW_MS} - $3) \
         RETURNING node_id, epoch"
    );
    let taken: Vec<Holder> = diesel::sql_query(sql)
        .bind::<Text, _>(name)
        .bind::<Text, _>(node)
        .bind::<BigInt, _>(lease_ms)
        .load(pg)?;
    let holder = match taken.into_iter().next() {
        Some(h) => h,
        None => diesel::sql_query("SELECT node_id, epoch FROM cluster_leases WHERE name = $1")
            .bind::<Text, _>(name)
            .get_result::<Holder>(pg)?,
    };
    Ok(if holder.node_id == node {
        LeaseHolder::Me { epoch: holder.epoch }
    } else {
        LeaseHolder::Other(holder.node_id)
    })
}

/// The holders of several leases, by name (names with no lease are absent).
pub fn holders(c: &mut DbConn, names: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        node_id: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT name, node_id FROM cluster_leases WHERE name = ANY($1)")
        .bind::<diesel::sql_types::Array<Text>, _>(names)
        .load(pg(c)?)?;
    Ok(rows.into_iter().map(|r| (r.name, r.node_id)).collect())
}

/// Gives up a lease this node holds (a room deleted, a job finished).
pub fn release(c: &mut DbConn, name: &str, node: &str) -> Result<(), StoreError> {
    diesel::sql_query("DELETE FROM cluster_leases WHERE name = $1 AND node_id = $2")
        .bind::<Text, _>(name)
        .bind::<Text, _>(node)
        .execute(pg(c)?)?;
    Ok(())
}

/// A node shutting down: marks it dead at once, so other nodes take its leases at
/// their next heartbeat instead of after `cluster.lease_ms`.
pub fn leave(c: &mut DbConn, node: &str) -> Result<(), StoreError> {
    diesel::sql_query("UPDATE cluster_nodes SET heartbeat_at = 0, connections = 0 WHERE node_id = $1")
        .bind::<Text, _>(node)
        .execute(pg(c)?)?;
    Ok(())
}

/// The ids of the nodes alive now (cheap: read every heartbeat).
pub fn alive_nodes(c: &mut DbConn, lease_ms: i64) -> Result<Vec<String>, StoreError> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        node_id: String,
    }
    let sql = format!("SELECT node_id FROM cluster_nodes WHERE heartbeat_at > {NOW_MS} - $1");
    let rows: Vec<Row> = diesel::sql_query(sql).bind::<BigInt, _>(lease_ms).load(pg(c)?)?;
    Ok(rows.into_iter().map(|r| r.node_id).collect())
}

/// Every node that ever joined, with its rooms and liveness.
pub fn nodes(c: &mut DbConn, lease_ms: i64) -> Result<Vec<NodeRow>, StoreError> {
    let sql = format!(
        "SELECT n.node_id, n.address, n.started_at, n.heartbeat_at, n.connections, \
         (SELECT count(*) FROM cluster_leases l WHERE l.node_id = n.node_id AND starts_with(l.name, 'room:')) \
           AS rooms_owned, \
         n.heartbeat_at > {NOW_MS} - $1 AS alive \
         FROM cluster_nodes n ORDER BY n.node_id"
    );
    Ok(diesel::sql_query(sql).bind::<BigInt, _>(lease_ms).load(pg(c)?)?)
}
