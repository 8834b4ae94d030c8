//! Welcome messages. When a user (not a bot) joins a room with their first session and
//! was not welcomed there within `welcome.dedupe_secs`, the room posts its template,
//! rendered, as a system message: stored and delivered like any other. The template is
//! the room's `welcome_template` setting (an empty one disables welcomes for the room),
//! else the file `welcome.template_file` as read when the room loaded (missing: no
//! welcome).
//!
//! Nothing blocks the room's thread: who was welcomed recently is read from the store
//! when the room loads and kept in memory; a welcome goes to the `StoreWriter` together
//! with its mark (`AppendWelcome`), so a burst of joins is one group commit, and the
//! message and the mark normally commit in the same transaction (a batch boundary can
//! split them; a crash right then loses that one welcome, never repeats it). Both are
//! admitted with the join's own write: when the writer is over `store.max_pending`,
//! the join is refused (`room_unavailable`) rather than the welcome dropped.

use actix::prelude::*;

use super::life::prune_when_grown;
use super::messages::{ReplyTo, SendTicket};
use super::Room;
use crate::actors::store_writer::{AppendMessage, AppendWelcome};
use crate::model::{now_ms, UserKind, UserRef};
use crate::store::messages::NewMessage;
use crate::store::room_life::WelcomeMark;

/// Id and name of what the room posts itself (`from` of welcomes and command replies).
pub const ROOM_SENDER: &str = "system";

/// Fills `{{name}}`, `{{room}}` and `{{member_count}}` in `template`, in one pass (a
/// name that looks like a placeholder stays as it is); other `{{…}}` are left alone.
pub fn render(template: &str, name: &str, room: &str, member_count: usize) -> String {
    let count = member_count.to_string();
    let values = [("{{name}}", name), ("{{room}}", room), ("{{member_count}}", count.as_str())];
    let mut out = String::with_capacity(template.len() + name.len());
    let mut rest = template;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match values.iter().find(|(key, _)| rest.starts_with(key)) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &rest[key.len()..];
            }
            None => {
                out.push('{');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Room {
    /// The dedupe window in ms.
    fn welcome_window_ms(&self) -> i64 {
        (self.deps.cfg.welcome.dedupe_secs as i64).saturating_mul(1000)
    }

    /// Merges welcomes read from the store into the in-memory map.
    pub(super) fn remember_welcomes(&mut self, rows: Vec<(String, i64)>) {
        for (user, at) in rows {
            let e = self.life.welcomed.entry(user).or_insert(at);
            *e = (*e).max(at);
        }
    }

    /// The welcome text for `user`, who is joining with their first session (`new`:
    /// not a member yet), unless they are a bot, were welcomed within the window, or
    /// the room has no template.
    pub(super) fn welcome_due(&self, user: &UserRef, new: bool) -> Option<String> {
        if user.kind == UserKind::Bot {
            return None;
        }
        let window = self.welcome_window_ms();
        if self.life.welcomed.get(&user.id).is_some_and(|at| now_ms() - at < window) {
            return None;
        }
        let template = match &self.life.settings.welcome_template {
            Some(t) => t.as_str(),
            None => self.life.file_template.as_deref()?,
        };
        let count = self.members.len() + usize::from(new);
        let text = render(template, &user.name, &self.life.name, count);
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        Some(text.chars().take(self.deps.cfg.limits.max_text).collect())
    }

    /// Posts `text` ([`Room::welcome_due`]) as the welcome of `user`, with its mark.
    /// The caller admitted both writes through the gate.
    pub(super) fn post_welcome(&mut self, user: &UserRef, text: String, ctx: &mut Context<Self>) {
        let now = now_ms();
        let window = self.welcome_window_ms();
        prune_when_grown(&mut self.life.welcomed, &mut self.life.welcomed_prune_at, |_, at| {
            now - *at < window
        });
        self.life.welcomed.insert(user.id.clone(), now);
        let msg = NewMessage {
            room_id: self.id.to_string(),
            sender_id: ROOM_SENDER.into(),
            sender_name: ROOM_SENDER.into(),
            sender_kind: UserKind::System.as_str().into(),
            text,
            client_id: None,
            reply_to: None,
            announcement: false,
            ts: now,
        };
        let append = AppendMessage {
            msg,
            ticket: SendTicket { reply: ReplyTo::Room, frame_id: None, client_id: None },
            notify: self.tracked(ctx).recipient(),
        };
        let mark = WelcomeMark { room_id: self.id.to_string(), user_id: user.id.clone(), at: now };
        // do_send: admitted already; the gate bounds what waits.
        self.pending_appends += 1;
        self.writer().do_send(AppendWelcome { append, mark });
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn placeholders_are_filled_everywhere_they_appear() {
        let t = "Hi {{name}}! {{room}} has {{member_count}} members. Bye {{name}}. {{unknown}}";
        assert_eq!(render(t, "Zoe", "Lobby", 3), "Hi Zoe! Lobby has 3 members. Bye Zoe. {{unknown}}");
        assert_eq!(render("{{name}} in {{room}}", "{{room}}", "R", 1), "{{room}} in R");
        assert_eq!(render("{{{name}}}", "a", "R", 1), "{a}");
    }
}
