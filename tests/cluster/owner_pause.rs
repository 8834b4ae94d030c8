//! The owner node of a busy room freezes (SIGSTOP) instead of dying: its heartbeat
//! stops, so another node takes the room over, while the frozen process still holds
//! its clients' connections and the frames they sent. Then it wakes up (SIGCONT)
//! believing nothing happened. Clients behave as in the failover test (resend with the
//! same `client_id`, reconnect elsewhere after silence, resume with `after_seq`). This
//! proves there is never a second owner writing: no seq carries two messages, every
//! acked message is stored once at its acked seq, every logical client gets each seq
//! once, in order, and every node, the woken one included, names the same owner.

use crate::common::eventually;
use crate::fixture::{create_room, node_id, Cluster, FAILOVER};
use crate::peer::Peer;
use crate::traffic::Traffic;

const ROOM: &str = "frozen";
/// Many messages in flight keep the owner's store writer busy, so the freeze is
/// likely to find a commit under way (the case that once blocked the new owner).
const IN_FLIGHT: usize = 16;
/// Acks (all senders) before the owner freezes.
const BEFORE: usize = 200;
/// Acks each sender must get after the freeze, and again after the wake-up.
const AFTER: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_owner_that_wakes_up_never_writes_alongside_the_new_one() {
    let Some(cluster) = Cluster::start(3, &[]).await else { return };
    create_room(&cluster.nodes[0], ROOM).await;
    let token = cluster.nodes[0].user("member0-0").await;
    let first = Peer::join("member0-0", &token, ROOM, cluster.addrs(), 0).await;
    let owner = cluster.wait_owner(0, ROOM, |_| true).await;
    let old_id = node_id(owner);
    let traffic = Traffic::start_with(&cluster, ROOM, first, IN_FLIGHT).await;

    traffic.wait_total(BEFORE).await;
    cluster.nodes[owner].signal("STOP");
    let at_freeze = traffic.acks();
    let survivor = (owner + 1) % 3;
    let new_owner = cluster.wait_owner(survivor, ROOM, |o| o != old_id).await;
    // Includes the frozen node's sender, which must give up on it and move.
    traffic.wait_each_more(&at_freeze, AFTER).await;

    cluster.nodes[owner].signal("CONT");
    let at_wake = traffic.acks();
    traffic.wait_each_more(&at_wake, AFTER).await;
    let want = node_id(new_owner);
    for via in 0..3 {
        eventually(&format!("{} names {want} as the owner", node_id(via)), FAILOVER, || {
            let fut = cluster.owner_of(via, ROOM);
            let want = want.clone();
            async move { fut.await == Some(want) }
        })
        .await;
    }
    let outcome = traffic.finish(&cluster, survivor).await;
    eprintln!("owner {old_id} frozen then woken; new owner {want}; {} messages acked", outcome.acked.len());
}
