//! Authentication at the WebSocket upgrade: opaque tokens and HS256 JWTs, in the
//! `token` query parameter or the `Authorization` header; anything else is HTTP 401
//! with no upgrade.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::common::{pick, text, Auth, TestServer, WsClient};

const SECRET: &str = "integration-test-secret";

/// An HS256 JWT signed with `secret`, expiring `exp_in` seconds from now.
fn jwt(secret: &str, sub: &str, name: &str, exp_in: i64) -> String {
    let claims = json!({"sub": sub, "name": name, "exp": chrono::Utc::now().timestamp() + exp_in});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("encode JWT")
}

fn user(hello: &Value) -> Value {
    pick(&hello["user"], &["id", "name", "kind"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_without_a_valid_token_is_refused_with_401() {
    let srv = TestServer::start().await;
    let addr = srv.addr.as_str();
    assert_eq!(WsClient::refused_status(addr, Auth::Anonymous).await, 401, "no token");
    assert_eq!(WsClient::refused_status(addr, Auth::Query("rmd_not-a-real-token")).await, 401, "bad ?token=");
    assert_eq!(WsClient::refused_status(addr, Auth::Header("rmd_not-a-real-token")).await, 401, "bad bearer");
    assert_eq!(WsClient::refused_status(addr, Auth::Query("")).await, 401, "empty ?token=");
    // JWT is off without auth.jwt_secret, so even a well-formed one is refused.
    let token = jwt(SECRET, "u-1", "Zoe", 3600);
    assert_eq!(WsClient::refused_status(addr, Auth::Header(&token)).await, 401, "JWT with JWT disabled");
    // A real token still works afterwards.
    let good = srv.user("alice").await;
    assert_eq!(
        user(&WsClient::connect(addr, &good).await.hello),
        json!({"id": "alice", "name": "alice", "kind": "user"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opaque_tokens_work_in_the_query_and_in_the_header() {
    let srv = TestServer::start().await;
    let addr = srv.addr.as_str();
    let alice = srv.user("alice").await;
    let bot = srv.token("bot", "helper").await;
    for auth in [Auth::Query(&alice), Auth::Header(&alice)] {
        let ws = WsClient::try_connect(addr, auth).await.expect("upgrade with a user token");
        assert_eq!(user(&ws.hello), json!({"id": "alice", "name": "alice", "kind": "user"}));
    }
    let ws = WsClient::try_connect(addr, Auth::Header(&bot)).await.expect("upgrade with a bot token");
    assert_eq!(user(&ws.hello), json!({"id": "helper", "name": "helper", "kind": "bot"}));
    let ws = WsClient::try_connect(addr, Auth::Query(&srv.admin_token))
        .await
        .expect("upgrade with the admin token");
    assert_eq!(ws.hello["user"]["kind"], "admin", "{}", ws.hello);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_signed_with_the_configured_secret_is_a_user() {
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    srv.create_room("lobby").await;
    let token = jwt(SECRET, "u-42", "Zoe", 3600);
    let ws = WsClient::try_connect(&srv.addr, Auth::Header(&token)).await.expect("upgrade with a JWT header");
    assert_eq!(user(&ws.hello), json!({"id": "u-42", "name": "Zoe", "kind": "user"}));

    let mut zoe =
        WsClient::try_connect(&srv.addr, Auth::Query(&token)).await.expect("upgrade with a JWT query");
    zoe.join("lobby").await;
    zoe.say("lobby", "hi from a JWT").await;
    let m = zoe.expect("message").await;
    assert_eq!(
        (text(&m), pick(&m["from"], &["id", "name", "kind"])),
        ("hi from a JWT", json!({"id": "u-42", "name": "Zoe", "kind": "user"}))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_or_forged_jwts_are_refused_with_401() {
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    let addr = srv.addr.as_str();
    // An hour past expiry: beyond any clock-skew leeway.
    let expired = jwt(SECRET, "u-1", "Zoe", -3600);
    assert_eq!(WsClient::refused_status(addr, Auth::Header(&expired)).await, 401, "expired JWT");
    assert_eq!(WsClient::refused_status(addr, Auth::Query(&expired)).await, 401, "expired JWT in the query");
    let forged = jwt("some-other-secret", "u-1", "Zoe", 3600);
    assert_eq!(
        WsClient::refused_status(addr, Auth::Header(&forged)).await,
        401,
        "JWT signed with another secret"
    );
    let valid = jwt(SECRET, "u-1", "Zoe", 3600);
    let ws =
        WsClient::try_connect(addr, Auth::Header(&valid)).await.expect("the same claims, validly signed");
    assert_eq!(ws.hello["user"]["id"], "u-1");
}
