//! Spam control inside a room: the repeated-text limit per user (`spam.max_repeats`
//! sends of one text within `spam.window_secs`, overridable by the room's `spam`
//! setting) and the room's `banned_words` (case-insensitive, whole words). A refused
//! send is not stored; the sender's session gets a `notice` and counts a violation.
//!
//! A resend with a `client_id` already seen in the window is a retry, not a repeat:
//! it passes, so the store answers it as a duplicate.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use super::messages::{ReplyTo, SendText};
use super::{Room, SLOW_TEXT};
use crate::actors::ws_session::Outbound;
use crate::metrics::metrics;
use crate::model::UserKind;
use crate::protocol::outbound::encode;
use crate::protocol::room_life::Notice;

/// Every this many checks, users whose window emptied are forgotten.
const PRUNE_EVERY: u32 = 1024;

/// How many times one text may be sent, and within what time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatLimit {
    /// 0 = no limit.
    pub max_repeats: u32,
    pub window: Duration,
}

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Repeated(RepeatLimit),
    BannedWord,
}

impl Refusal {
    /// `notice.reason`.
    fn reason(self) -> &'static str {
        match self {
            Self::Repeated(_) => "repeated",
            Self::BannedWord => "banned_word",
        }
    }

    fn text(self) -> String {
        match self {
            Self::Repeated(l) => format!(
                "message not sent: the same text at most {} times in {} s",
                l.max_repeats,
                l.window.as_secs()
            ),
            Self::BannedWord => "message not sent: it contains a word banned in this room".into(),
        }
    }
}

/// One recent send of a user.
#[derive(Debug)]
struct Sent {
    at: Instant,
    text_hash: u64,
    client_id: Option<String>,
}

/// Recent sends per user, for the repeat limit.
#[derive(Debug, Default)]
pub struct RepeatTracker {
    by_user: HashMap<String, VecDeque<Sent>>,
    checks: u32,
}

impl RepeatTracker {
    /// Checks one send and, if it passes, records it.
    pub fn check(
        &mut self,
        user: &str,
        text: &str,
        client_id: Option<&str>,
        limit: RepeatLimit,
        now: Instant,
    ) -> Result<(), Refusal> {
        if limit.max_repeats == 0 {
            return Ok(());
        }
        self.checks = self.checks.wrapping_add(1);
        if self.checks.is_multiple_of(PRUNE_EVERY) {
            self.prune(limit.window, now);
        }
        let sent = self.by_user.entry(user.to_string()).or_default();
        while sent.front().is_some_and(|s| now.duration_since(s.at) >= limit.window) {
            sent.pop_front();
        }
        if client_id.is_some() && sent.iter().any(|s| s.client_id.as_deref() == client_id) {
            return Ok(());
        }
        let text_hash = hash(text);
        let same = sent.iter().filter(|s| s.text_hash == text_hash).count();
        if same >= limit.max_repeats as usize {
            return Err(Refusal::Repeated(limit));
        }
        sent.push_back(Sent { at: now, text_hash, client_id: client_id.map(str::to_string) });
        Ok(())
    }

    fn prune(&mut self, window: Duration, now: Instant) {
        self.by_user.retain(|_, sent| sent.back().is_some_and(|s| now.duration_since(s.at) < window));
    }
}

fn hash(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Lower-cases and trims the room's banned words, dropping empty ones.
pub fn normalize_banned(words: &[String]) -> Vec<String> {
    words.iter().map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect()
}

/// True when `text` contains one of `banned` (already normalized) as a whole word:
/// case-insensitive, and not as part of a longer word (letters and digits join words;
/// anything else separates them). A banned entry may be a phrase ("buy now").
pub fn contains_banned(text: &str, banned: &[String]) -> bool {
    if banned.is_empty() {
        return false;
    }
    let lower = text.to_lowercase();
    banned.iter().any(|word| {
        lower.match_indices(word.as_str()).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

impl Room {
    /// The repeat limit in force: the room's `spam` setting, else `[spam]`.
    fn repeat_limit(&self) -> RepeatLimit {
        let (max_repeats, window_secs) = match &self.life.settings.spam {
            Some(s) => (s.max_repeats, s.window_secs),
            None => (self.deps.cfg.spam.max_repeats, self.deps.cfg.spam.window_secs),
        };
        RepeatLimit { max_repeats, window: Duration::from_secs(window_secs) }
    }

    /// Passes `m` back if it may be stored; else answers it with a `notice` (counted
    /// as a violation by the session) and returns `None`. Only sends from sessions are
    /// checked (not the operator's); bots are exempt from the repeat limit.
    pub(super) fn screen_send(&mut self, m: SendText) -> Option<SendText> {
        if m.session.is_none() || (self.deps.cfg.debug.fault_injection && m.text == SLOW_TEXT) {
            return Some(m);
        }
        let refusal = if contains_banned(&m.text, &self.life.banned) {
            Some(Refusal::BannedWord)
        } else if m.user.kind == UserKind::Bot {
            None
        } else {
            let limit = self.repeat_limit();
            let client_id = m.ticket.client_id.as_deref();
            self.life.repeats.check(&m.user.id, &m.text, client_id, limit, Instant::now()).err()
        };
        let Some(refusal) = refusal else { return Some(m) };
        metrics().reject(refusal.reason());
        if let ReplyTo::Session(to) = &m.ticket.reply {
            let frame = encode(&Notice {
                id: m.ticket.frame_id.as_ref(),
                room: self.id.as_str(),
                text: &refusal.text(),
                reason: Some(refusal.reason()),
            });
            // do_send: one per refused send, like errors; the session must count it.
            to.do_send(Outbound::Violation(frame));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RepeatLimit = RepeatLimit { max_repeats: 2, window: Duration::from_secs(10) };

    #[test]
    fn the_same_text_passes_max_repeats_times_per_window() {
        let mut t = RepeatTracker::default();
        let t0 = Instant::now();
        assert_eq!(t.check("u", "hi", None, LIMIT, t0), Ok(()));
        assert_eq!(t.check("u", "hi", None, LIMIT, t0), Ok(()));
        assert_eq!(t.check("u", "hi", None, LIMIT, t0), Err(Refusal::Repeated(LIMIT)));
        assert_eq!(t.check("u", "other", None, LIMIT, t0), Ok(()), "another text");
        assert_eq!(t.check("v", "hi", None, LIMIT, t0), Ok(()), "another user");
        let later = t0 + Duration::from_secs(10);
        assert_eq!(t.check("u", "hi", None, LIMIT, later), Ok(()), "the window moved on");
    }

    #[test]
    fn a_resend_with_a_seen_client_id_is_not_a_repeat() {
        let mut t = RepeatTracker::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(t.check("u", "hi", Some("c1"), LIMIT, t0), Ok(()));
        }
        assert_eq!(t.check("u", "hi", Some("c2"), LIMIT, t0), Ok(()));
        assert_eq!(t.check("u", "hi", Some("c3"), LIMIT, t0), Err(Refusal::Repeated(LIMIT)));
    }

    #[test]
    fn zero_repeats_means_no_limit() {
        let mut t = RepeatTracker::default();
        let none = RepeatLimit { max_repeats: 0, ..LIMIT };
        assert!((0..50).all(|_| t.check("u", "hi", None, none, Instant::now()).is_ok()));
    }

    #[test]
    fn banned_words_match_whole_words_in_any_case() {
        let banned = normalize_banned(&["Spam".into(), " buy now ".into(), "".into()]);
        assert_eq!(banned, ["spam", "buy now"]);
        assert!(contains_banned("SPAM!", &banned));
        assert!(contains_banned("this is spam", &banned));
        assert!(contains_banned("Buy Now, friends", &banned));
        assert!(!contains_banned("spammer", &banned), "part of a longer word");
        assert!(!contains_banned("antispam", &banned));
        assert!(!contains_banned("buy nowhere", &banned));
        assert!(contains_banned("x spammer spam", &banned), "a later whole-word match counts");
        assert!(!contains_banned("anything", &[]));
    }
}
