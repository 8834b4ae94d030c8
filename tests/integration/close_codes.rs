//! Protocol 1.1 as a browser or a client library meets it: the token in the
//! `roomd.token.<T>` subprotocol with `roomd.v1` negotiated, auth failures told by
//! close codes after the upgrade (4500 unauthorized, 4501 expired, 4502 revoked) to
//! clients that offer `roomd.v1` or send `Origin`, the heartbeat timeout's 4000, the
//! admin API refusing `?token=`, and `roomd token jwt`.

use std::time::Duration;

use futures_util::StreamExt;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::{self, Message};

use crate::common::{Auth, TestServer, WsClient, TIMEOUT};

const SECRET: &str = "close-codes-test-secret";

/// How the server answered an upgrade.
#[derive(Debug)]
enum Answer {
    /// Upgraded: the subprotocol it chose, and the `hello` frame.
    Hello { subprotocol: Option<String>, hello: Value },
    /// Upgraded, then closed before any frame: the subprotocol, close code and reason;
    /// `ended` says whether the server then ended the TCP connection promptly.
    Closed { subprotocol: Option<String>, code: u16, reason: String, ended: bool },
    /// Refused with this HTTP status (no upgrade).
    Status(u16),
}

/// Upgrades `GET /ws{query}` offering `protocols` (and sending `Origin` if given).
async fn upgrade(addr: &str, query: &str, protocols: &[&str], origin: Option<&str>) -> Answer {
    let mut req = format!("ws://{addr}/ws{query}").into_client_request().unwrap();
    if !protocols.is_empty() {
        req.headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_str(&protocols.join(", ")).unwrap());
    }
    if let Some(origin) = origin {
        req.headers_mut().insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
    }
    let (mut ws, resp) = match tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(req)).await {
        Err(_) => panic!("upgrade timed out"),
        Ok(Err(tungstenite::Error::Http(resp))) => return Answer::Status(resp.status().as_u16()),
        Ok(Err(e)) => panic!("upgrade failed: {e}"),
        Ok(Ok(ok)) => ok,
    };
    let subprotocol =
        resp.headers().get(header::SEC_WEBSOCKET_PROTOCOL).map(|v| v.to_str().unwrap().to_string());
    loop {
        match tokio::time::timeout(TIMEOUT, ws.next()).await.expect("a frame or the close in time") {
            Some(Ok(Message::Text(t))) => {
                return Answer::Hello { subprotocol, hello: serde_json::from_str(t.as_str()).unwrap() }
            }
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) =
                    frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or_default();
                // The server ends the connection once its close frame is out: the
                // stream ends without the client closing anything.
                let ended = tokio::time::timeout(Duration::from_secs(3), async {
                    while let Some(Ok(_)) = ws.next().await {}
                })
                .await
                .is_ok();
                return Answer::Closed { subprotocol, code, reason, ended };
            }
            Some(Ok(_)) => continue,
            other => panic!("the connection ended without a close frame: {other:?}"),
        }
    }
}

fn jwt(secret: &str, sub: &str, exp_in: i64) -> String {
    let claims = json!({"sub": sub, "exp": chrono::Utc::now().timestamp() + exp_in});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn token_protocol(token: &str) -> String {
    format!("roomd.token.{token}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_subprotocol_connects_and_roomd_v1_is_the_protocol_chosen() {
    let srv = TestServer::start().await;
    let alice = srv.user("alice").await;
    let carrier = token_protocol(&alice);
    // Other offers around it do not matter; the token-bearing name is never echoed.
    for offer in
        [vec!["roomd.v1", carrier.as_str()], vec!["chat", carrier.as_str(), "roomd.v1", "graphql-ws"]]
    {
        match upgrade(&srv.addr, "", &offer, Some("http://app.example")).await {
            Answer::Hello { subprotocol, hello } => {
                assert_eq!(subprotocol.as_deref(), Some("roomd.v1"), "offered {offer:?}");
                assert_eq!(
                    (hello["protocol"].as_str(), hello["user"]["id"].as_str()),
                    (Some("1.1"), Some("alice"))
                );
            }
            other => panic!("offered {offer:?}: {other:?}"),
        }
    }
    // A client that offers nothing still connects, as in 1.0 (no subprotocol chosen).
    match upgrade(&srv.addr, &format!("?token={alice}"), &[], None).await {
        Answer::Hello { subprotocol: None, hello } => assert_eq!(hello["protocol"], "1.1"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sees_only_close_codes_learns_why_its_token_was_refused() {
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    let addr = srv.addr.as_str();
    let revoked = srv.token("user", "mallory").await;
    let id = srv.get("/api/v1/tokens").send().await.unwrap().json::<Value>().await.unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mallory")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = srv
        .http()
        .delete(srv.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&srv.admin_token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let (unknown, expired, forged) =
        (token_protocol("rmd_not-a-real-token"), jwt(SECRET, "zoe", -3600), jwt("x", "zoe", 3600));
    let cases = [
        (
            "no token, roomd.v1 offered",
            String::new(),
            vec!["roomd.v1".to_string()],
            None,
            4500,
            "unauthorized",
        ),
        ("unknown token", String::new(), vec!["roomd.v1".into(), unknown], None, 4500, "unauthorized"),
        (
            "forged JWT",
            String::new(),
            vec!["roomd.v1".into(), token_protocol(&forged)],
            None,
            4500,
            "unauthorized",
        ),
        (
            "expired JWT",
            String::new(),
            vec!["roomd.v1".into(), token_protocol(&expired)],
            None,
            4501,
            "token expired",
        ),
        (
            "revoked token",
            String::new(),
            vec!["roomd.v1".into(), token_protocol(&revoked)],
            None,
            4502,
            "token revoked",
        ),
        // A browser that puts the token in the query sends Origin, and offers nothing.
        (
            "revoked token, browser",
            format!("?token={revoked}"),
            vec![],
            Some("http://app.example"),
            4502,
            "token revoked",
        ),
    ];
    for (what, query, offer, origin, want_code, want_reason) in cases {
        let offer: Vec<&str> = offer.iter().map(String::as_str).collect();
        match upgrade(addr, &query, &offer, origin).await {
            Answer::Closed { subprotocol, code, reason, ended } => {
                assert_eq!(code, want_code, "{what}: {reason}");
                assert!(reason.starts_with(want_reason), "{what}: reason {reason:?}");
                assert!(ended, "{what}: the server did not end the connection after its close frame");
                let want_sub = offer.contains(&"roomd.v1").then_some("roomd.v1");
                assert_eq!(subprotocol.as_deref(), want_sub, "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    // A client that offers neither keeps the 1.0 answer: HTTP 401, no upgrade.
    assert_eq!(WsClient::refused_status(addr, Auth::Query(&revoked)).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_upgrades_answered_with_a_close_code_count_against_the_per_ip_limit() {
    let srv = TestServer::start_with(&[
        ("ROOMD__LIMITS__CONNECTS_PER_IP_PER_SEC", "3"),
        ("ROOMD__LIMITS__CONNECTS_LIMIT_LOOPBACK", "true"),
    ])
    .await;
    let bad = token_protocol("rmd_not-a-real-token");
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(match upgrade(&srv.addr, "", &["roomd.v1", &bad], None).await {
            Answer::Closed { code, .. } => code,
            Answer::Status(s) => s,
            other => panic!("{other:?}"),
        });
    }
    assert_eq!(
        answers.iter().filter(|&&a| a == 4500).count(),
        3,
        "the burst of 3 gets close codes: {answers:?}"
    );
    assert_eq!(answers.last(), Some(&429), "past the burst: HTTP 429 with no upgrade: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_closed_with_the_heartbeat_timeout_code() {
    let srv = TestServer::start_with(&[("ROOMD__SESSION__HEARTBEAT_MS", "300")]).await;
    let alice = srv.user("alice").await;
    let req = format!("ws://{}/ws?token={alice}", srv.addr).into_client_request().unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    // Not reading means not answering the server's pings either.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let close = loop {
        match tokio::time::timeout(TIMEOUT, ws.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(f))) => break f.map(|f| (u16::from(f.code), f.reason.to_string())),
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(close, Some((4000, "heartbeat timeout".to_string())));
    let _ = ws.close(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_and_metrics_take_a_token_only_from_the_authorization_header() {
    let srv = TestServer::start_with(&[("ROOMD__METRICS__TOKEN", "scrape-secret")]).await;
    let plain = reqwest::Client::new();
    let resp = plain.get(srv.url(&format!("/api/v1/rooms?token={}", srv.admin_token))).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().contains("Authorization header"), "{body}");
    let ok = plain.get(srv.url("/api/v1/rooms")).bearer_auth(&srv.admin_token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let metrics = plain.get(srv.url("/metrics?token=scrape-secret")).send().await.unwrap();
    assert_eq!(metrics.status(), 401, "metrics token in the query");
    let metrics = plain.get(srv.url("/metrics")).bearer_auth("scrape-secret").send().await.unwrap();
    assert_eq!(metrics.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roomd_token_jwt_mints_a_token_the_server_accepts_until_it_expires() {
    let srv = TestServer::start_with(&[("ROOMD__AUTH__JWT_SECRET", SECRET)]).await;
    let out = srv
        .cli(&["token", "jwt", "--sub", "helper-7", "--name", "Helper", "--kind", "bot", "--ttl", "1h"])
        .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let jwt = String::from_utf8(out.stdout).unwrap().trim().to_string();
    match upgrade(&srv.addr, "", &["roomd.v1", &token_protocol(&jwt)], None).await {
        Answer::Hello { hello, .. } => {
            assert_eq!(hello["user"], json!({"id": "helper-7", "name": "Helper", "kind": "bot"}))
        }
        other => panic!("{other:?}"),
    }
    let out = srv.cli(&["token", "jwt", "--sub", "zoe", "--ttl", "2s"]).await;
    let short = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(matches!(
        upgrade(&srv.addr, "", &["roomd.v1", &token_protocol(&short)], None).await,
        Answer::Hello { .. }
    ));
    tokio::time::sleep(Duration::from_millis(3100)).await;
    match upgrade(&srv.addr, "", &["roomd.v1", &token_protocol(&short)], None).await {
        Answer::Closed { code, .. } => assert_eq!(code, 4501, "expired"),
        other => panic!("{other:?}"),
    }
    // Bad input is refused with the reason, and nothing is printed on stdout.
    for (args, says) in [
        (vec!["token", "jwt", "--sub", "system"], "reserved"),
        (vec!["token", "jwt", "--sub", "zoe", "--ttl", "90d"], "30d"),
        (vec!["token", "jwt", "--sub", "zoe", "--kind", "admin"], "admin"),
    ] {
        let out = srv.cli(&args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && out.stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roomd_token_jwt_says_so_when_no_jwt_secret_is_set() {
    let srv = TestServer::start().await;
    let out = srv.cli(&["token", "jwt", "--sub", "zoe"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.jwt_secret is empty"));
}
