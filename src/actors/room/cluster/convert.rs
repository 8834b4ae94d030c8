//! `JoinReply` to and from its wire form.

use crate::actors::room::messages::{JoinReply, Replay};
use crate::cluster::wire::{JoinedWire, MemberWire, ReplayWire};
use crate::protocol::outbound::MemberView;

pub(super) fn joined_wire(r: JoinReply) -> JoinedWire {
    JoinedWire {
        last_seq: r.last_seq,
        last_read_seq: r.last_read_seq,
        members: r
            .members
            .into_iter()
            .map(|m| MemberWire {
                id: m.id,
                name: m.name,
                kind: m.kind,
                role: crate::model::Role::parse(m.role).unwrap_or(crate::model::Role::Member),
                online: m.online,
            })
            .collect(),
        replay: match r.replay {
            Replay::Nothing => ReplayWire::Nothing,
            Replay::Frames(f) => ReplayWire::Frames { frames: f.iter().map(|t| t.to_string()).collect() },
            Replay::FromStore { after, upto } => ReplayWire::FromStore { after, upto },
            Replay::Truncated => ReplayWire::Truncated,
        },
    }
}

pub(super) fn join_reply(w: JoinedWire) -> JoinReply {
    JoinReply {
        last_seq: w.last_seq,
        last_read_seq: w.last_read_seq,
        members: w
            .members
            .into_iter()
            .map(|m| MemberView {
                id: m.id,
                name: m.name,
                kind: m.kind,
                role: m.role.as_str(),
                online: m.online,
            })
            .collect(),
        replay: match w.replay {
            ReplayWire::Nothing => Replay::Nothing,
            ReplayWire::Frames { frames } => Replay::Frames(frames.into_iter().map(Into::into).collect()),
            ReplayWire::FromStore { after, upto } => Replay::FromStore { after, upto },
            ReplayWire::Truncated => Replay::Truncated,
        },
    }
}
