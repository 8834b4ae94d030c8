//! Cluster mode off (the default) and misconfigured: `GET /api/v1/nodes` is 404, and
//! `serve` with `cluster.enabled` refuses to start without a valid node id or on SQLite,
//! saying why (docs/CLUSTER.md covers a real cluster; tests/cluster runs one).

use crate::common::db::PG_ENV;
use crate::common::{assert_api_error, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_is_not_found_on_a_single_node() {
    let srv = TestServer::start().await;
    let resp = srv.get("/api/v1/nodes").send().await.expect("GET /nodes");
    assert_api_error(resp, 404, "not_found").await;
    let page = srv.get("/api/v1/rooms").send().await.expect("GET /rooms");
    assert_eq!(page.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_cluster_it_cannot_run() {
    let srv =
        TestServer::new(&[("ROOMD__CLUSTER__ENABLED", "true"), ("ROOMD__CLUSTER__NODE_ID", "Not Valid!")]);
    let out = srv.cli(&["serve"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "serve must exit non-zero: {stderr}");
    assert!(stderr.contains("cluster"), "the error says what is wrong: {stderr}");

    if std::env::var(PG_ENV).is_err() {
        let srv = TestServer::new(&[("ROOMD__CLUSTER__ENABLED", "true"), ("ROOMD__CLUSTER__NODE_ID", "n1")]);
        let out = srv.cli(&["serve"]).await;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "cluster mode on SQLite must not start: {stderr}");
        assert!(stderr.contains("postgres"), "the error names PostgreSQL: {stderr}");
    }
}
