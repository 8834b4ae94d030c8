//! A ban made through any node holds cluster-wide: set through a node that does not own
//! the room, it closes the room (`room_closed`, reason `banned`) for the user's session
//! on a third node, and their join through that node is refused with `banned` and the
//! ban's expiry (the owner's refusal carries it to the node the session is on); a
//! muted user's sends, forwarded to the owner, are refused with `muted` and the expiry.

use serde_json::json;

use crate::common::assert_error_frame;
use crate::fixture::{create_room, node_id, Cluster};

const ROOM: &str = "modroom";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_through_a_non_owner_node_closes_and_refuses_the_user_on_another_node() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let token = cluster.nodes[0].user("anchor").await;
    let mut anchor = cluster.nodes[0].ws(&token).await;
    anchor.join(ROOM).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let (via, at) = ((owner + 1) % 3, (owner + 2) % 3);
    let token = cluster.nodes[0].user("bob").await;
    let mut bob = cluster.nodes[at].ws(&token).await;
    bob.join(ROOM).await;

    let token = cluster.nodes[0].user("carol").await;
    let mut carol = cluster.nodes[via].ws(&token).await;
    carol.join(ROOM).await;

    let srv = &cluster.nodes[via];
    let expires = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let resp = srv
        .http()
        .put(srv.url(&format!("/api/v1/rooms/{ROOM}/bans/bob")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"expires_at": expires, "reason": "spam"}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(
        resp.status().as_u16(),
        200,
        "ban through {}: {}",
        node_id(via),
        resp.text().await.unwrap_or_default()
    );
    let closed = bob.expect("room_closed").await;
    assert_eq!((&closed["room"], &closed["reason"]), (&json!(ROOM), &json!("banned")), "{closed}");

    let reply = bob.request(json!({"type": "join", "room": ROOM, "id": "j"})).await;
    assert_error_frame(&reply, Some(json!("j")), "banned");
    assert_eq!(reply["expires_at"], json!(expires), "refused on {}: {reply}", node_id(at));

    // A mute through the node carol is on: her sends, forwarded to the owner, are
    // refused with `muted` and the expiry; she still reads.
    let resp = srv
        .http()
        .put(srv.url(&format!("/api/v1/rooms/{ROOM}/mutes/carol")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"expires_at": expires}))
        .send()
        .await
        .expect("PUT");
    assert_eq!(resp.status().as_u16(), 200, "mute: {}", resp.text().await.unwrap_or_default());
    let reply = carol.request(json!({"type": "send", "room": ROOM, "text": "hello?", "id": "s"})).await;
    assert_error_frame(&reply, Some(json!("s")), "muted");
    assert_eq!(reply["expires_at"], json!(expires), "{reply}");
    anchor.say(ROOM, "you can read this").await;
    carol
        .expect_where("the anchor's message", |f| f["type"] == "message" && f["text"] == "you can read this")
        .await;
}
