//! The session's side of `delete`: the frame is checked here (joined room, `reason`),
//! the room decides and deletes (`actors/room/deletion.rs`), and the session answers
//! `deleted` (or the error) and records the deletion in the audit log with the user as
//! the actor.

use actix::prelude::*;

use super::WsSession;
use crate::actors::room::{DeleteMessages, Deleter, RoomError};
use crate::error::HasCode;
use crate::model::rfc3339;
use crate::protocol::inbound::check_reason;
use crate::protocol::outbound as out;
use crate::protocol::FrameId;
use crate::store::audit::{append_logged, NewAudit};
use crate::store::tombstones::DeleteTarget;

impl WsSession {
    /// `delete`: answered `deleted` once the tombstone committed (also when the
    /// message was deleted already); audited when this frame deleted it.
    pub(super) fn on_delete(
        &mut self,
        id: Option<FrameId>,
        room: &str,
        seq: i64,
        reason: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        let (room_id, addr) = match self.joined_room(room) {
            Ok((r, j)) => (r, j.addr.clone()),
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if let Err(msg) = check_reason(reason.as_deref()) {
            return self.error(ctx, id.as_ref(), crate::error::ErrorCode::BadRequest, &msg, None);
        }
        let user = self.identity.user.clone();
        let by = Deleter::Member { session: self.id, user: user.clone() };
        let asked = addr.send(DeleteMessages { target: DeleteTarget::Seq { seq }, by });
        let (store, log) = (self.deps.store.clone(), self.log.clone());
        let fut = async move {
            let deletion = asked.await.map_err(RoomError::from)??;
            if let Some(m) = deletion.messages.first().filter(|_| deletion.fresh) {
                let detail = serde_json::json!({
                    "seq": m.seq, "user_id": m.sender_id, "reason": reason, "via": "websocket",
                });
                let entry = NewAudit {
                    at: m.deleted_at,
                    actor_id: user.id.clone(),
                    actor_name: user.name.clone(),
                    action: "message.delete".into(),
                    target: room_id.to_string(),
                    detail: detail.to_string(),
                    request_id: None,
                };
                append_logged(&store, &log, entry).await;
            }
            Ok::<_, RoomError>((room_id, deletion))
        };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok((room_id, deletion)) => {
                let Some(m) = deletion.messages.first() else { return };
                act.write(
                    ctx,
                    out::encode(&out::Deleted {
                        id: id.as_ref(),
                        room: room_id.as_str(),
                        seq: m.seq,
                        deleted_by: &m.deleted_by,
                        deleted_at: rfc3339(m.deleted_at),
                    }),
                );
            }
            Err(e) => act.error(ctx, id.as_ref(), e.code(), &e.to_string(), None),
        }));
    }
}
