//! Loading a room from the store at start and after every restart. On a restart the
//! room keeps its online sessions and tail (same struct); it re-reads roles and read
//! positions, and delivers any committed messages its members have not seen yet.

use super::messages::RoomGone;
use crate::actors::shell::Shell;
use std::time::Duration;

use actix::prelude::*;
use slog::{info, warn};

use super::{Member, Room, Status};
use crate::actors::exchange::RoomFrame;
use crate::actors::store_writer::WriteRoom;
use crate::model::{now_ms, Role, UserKind, UserRef};
use crate::protocol::outbound as out;
use crate::store::conn::read_snapshot;
use crate::store::members::MemberRow;
use crate::store::messages::MessageRow;
use crate::store::restrictions::RestrictionRow;
use crate::store::room_life::{RoomWrite, WelcomeMark};
use crate::store::rooms::{RoomRow, RoomSettings};
use crate::store::StoreError;

/// How long to wait before reading again when the store is unreachable.
const LOAD_RETRY: Duration = Duration::from_millis(500);

/// The room's state as read from the store.
pub(super) struct Loaded {
    exists: bool,
    /// The row of a room this load creates (`rooms.auto_create`), for the store writer.
    created: Option<RoomRow>,
    members: Vec<MemberRow>,
    /// Bans and mutes in force.
    restrictions: Vec<RestrictionRow>,
    last_seq: i64,
    /// The newest messages (first start) or those after the last delivered seq (restart).
    recent: Vec<MessageRow>,
    /// Name, settings, welcome template and recent welcomes (`life.rs`).
    life: LoadedLife,
}

/// What `RoomLife` needs from the store and the disk.
#[derive(Default)]
struct LoadedLife {
    name: String,
    settings: RoomSettings,
    file_template: Option<String>,
    welcomed: Vec<(String, i64)>,
}

impl Room {
    /// Reads the room from the store, after `delay`; the mailbox waits meanwhile
    /// (`ctx.wait`), so messages queued behind a crash are handled after the reload.
    pub(super) fn load(&mut self, delay: Duration, ctx: &mut Context<Self>) {
        self.set_status(Status::Loading);
        let id = self.id.to_string();
        let auto_create = self.deps.cfg.rooms.auto_create;
        let tail_len = self.deps.cfg.rooms.tail_len as i64;
        let since = self.delivered_seq;
        let store = self.deps.store.clone();
        let welcome = self.deps.cfg.welcome.clone();
        let fut = async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            store
                .run(move |c| {
                    let mut loaded = read_snapshot(c, |c| {
                        let mut loaded = read_room(c, &id, auto_create, tail_len, since)?;
                        // A room without a row has no welcomes (they go with the row).
                        if loaded.exists && loaded.created.is_none() {
                            let window_ms = (welcome.dedupe_secs as i64).saturating_mul(1000);
                            loaded.life.welcomed =
                                WelcomeMark::since(c, &id, now_ms().saturating_sub(window_ms))?;
                        }
                        Ok::<_, StoreError>(loaded)
                    })?;
                    if loaded.exists {
                        loaded.life.file_template = read_template(&welcome.template_file);
                    }
                    Ok(loaded)
                })
                .await
        };
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| {
            act.guarded(ctx, "load", |act, ctx| act.loaded(res, ctx));
        }));
    }

    fn loaded(&mut self, res: Result<Loaded, StoreError>, ctx: &mut Context<Self>) {
        let l = match res {
            Ok(l) => l,
            Err(e) => {
                warn!(self.log, "room load failed, retrying"; "err" => %e);
                self.set_status(Status::Unavailable);
                ctx.run_later(LOAD_RETRY, |act, ctx| act.load(Duration::ZERO, ctx));
                return;
            }
        };
        if !l.exists {
            self.set_status(Status::NotFound);
            self.deps.registry.do_send(RoomGone { id: self.id.clone(), addr: self.tracked(ctx) });
            return;
        }
        for row in l.members {
            let Some(kind) = UserKind::parse(&row.kind) else { continue };
            let entry = self.members.entry(row.user_id.clone()).or_insert_with(|| {
                Member::new(UserRef { id: row.user_id.clone(), name: row.name.clone(), kind })
            });
            entry.set_grant(&row);
            entry.last_read_seq = entry.last_read_seq.max(row.last_read_seq);
        }
        if let Some(row) = l.created {
            // Ahead of every membership write of the room, in the writer's order; an
            // auto-create is not refused for lack of room (the join behind it may be).
            self.deps.writes.force_admit(1);
            self.writer().do_send(WriteRoom(RoomWrite::Create(row)));
        }
        self.set_restrictions(l.restrictions);
        self.life.set_settings(l.life.name, l.life.settings);
        self.life.file_template = l.life.file_template;
        self.remember_welcomes(l.life.welcomed);
        let frames = l.recent.iter().map(|r| RoomFrame { seq: r.seq, text: out::message_frame(r) });
        match self.delivered_seq {
            None => {
                self.delivered_seq = Some(l.last_seq);
                self.tail = frames.collect();
            }
            Some(delivered) if l.last_seq > delivered => {
                info!(self.log, "delivering messages committed while the room was down";
                      "after" => delivered, "upto" => l.last_seq);
                self.fan_out(frames.collect());
            }
            Some(_) => {}
        }
        self.adopt_sessions();
        self.set_status(Status::Running);
    }
}

/// Reads the room `id`. A room without a row is created when `auto_create` is on: its
/// row goes to the store writer ([`Loaded::created`]) rather than being inserted here,
/// so that a load never competes with the writer for SQLite's write lock (a pool
/// connection waiting for it sleeps in SQLite's busy handler, and the writer behind it).
fn read_room(
    c: &mut crate::store::DbConn,
    id: &str,
    auto_create: bool,
    tail_len: i64,
    since: Option<i64>,
) -> Result<Loaded, StoreError> {
    let found = RoomRow::find(c, id)?;
    let mut life = LoadedLife::default();
    let created = match &found {
        Some(row) => {
            life.name = row.name.clone();
            life.settings = row.settings();
            None
        }
        None => {
            life.name = id.to_string();
            auto_create.then(|| {
                let now = now_ms();
                RoomRow {
                    id: id.to_string(),
                    name: id.to_string(),
                    tags: "[]".into(),
                    settings: "{}".into(),
                    created_at: now,
                    updated_at: now,
                }
            })
        }
    };
    let exists = found.is_some() || created.is_some();
    if !exists {
        return Ok(Loaded {
            exists,
            created,
            members: vec![],
            restrictions: vec![],
            last_seq: 0,
            recent: vec![],
            life,
        });
    }
    // Messages outlive a room deleted without `purge`: one created again with the same
    // id continues their seqs.
    let last_seq = MessageRow::last_seq(c, id)?;
    let recent = match since {
        None => MessageRow::newest(c, id, tail_len)?,
        Some(s) if last_seq > s => MessageRow::range(c, id, s, last_seq)?,
        Some(_) => Vec::new(),
    };
    // Memberships, bans and mutes go with the room's row (ON DELETE CASCADE).
    let (members, restrictions) = match created {
        Some(_) => (Vec::new(), Vec::new()),
        None => (MemberRow::for_room(c, id)?, RestrictionRow::in_force_for_room(c, id, now_ms())?),
    };
    Ok(Loaded { exists, created, members, restrictions, last_seq, recent, life })
}

/// The welcome template file; `None` if it is missing, unreadable or blank (not
/// logged: a missing file is the documented way to have no default welcome).
fn read_template(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().filter(|t| !t.trim().is_empty())
}

impl Member {
    /// Takes the grant stored in `row`.
    fn set_grant(&mut self, row: &MemberRow) {
        self.granted = Role::parse(&row.role).unwrap_or(Role::Member);
        self.expires_at = row.role_expires_at;
        self.base = Role::parse(&row.base_role).unwrap_or(Role::Member);
    }
}

impl Room {
    /// Re-reads the stored grants, bans and mutes (after an operator changed one); the
    /// mailbox waits meanwhile so later joins and sends see the change.
    pub(super) fn reload_roles(&mut self, ctx: &mut Context<Self>) {
        let (store, id) = (self.deps.store.clone(), self.id.to_string());
        let fut = async move {
            store
                .run(move |c| {
                    Ok((MemberRow::for_room(c, &id)?, RestrictionRow::in_force_for_room(c, &id, now_ms())?))
                })
                .await
        };
        ctx.wait(fut.into_actor(self).map(|rows, act, _| match rows {
            Ok((rows, restrictions)) => {
                act.set_restrictions(restrictions);
                for row in rows {
                    // A grant to someone who never joined creates the member, so
                    // their first join finds the role.
                    let Some(kind) = UserKind::parse(&row.kind) else { continue };
                    let m = act.members.entry(row.user_id.clone()).or_insert_with(|| {
                        Member::new(UserRef { id: row.user_id.clone(), name: row.name.clone(), kind })
                    });
                    m.set_grant(&row);
                }
            }
            Err(e) => warn!(act.log, "role reload failed"; "err" => %e),
        }));
    }
}
