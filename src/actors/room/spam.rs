//! Spam control inside a room: the repeated-text limit per user (`spam.max_repeats`
//! sends of one text within `spam.window_secs`, overridable by the room's `spam`
//! setting) and the room's `banned_words` (case-insensitive, whole words). A refused
//! send is not stored; the sender's session gets a `notice` and counts a violation.
//!
//! A resend with a `client_id` already seen in the window is a retry, not a repeat:
//! it passes, so the store answers it as a duplicate.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use std::time::{Duration, Instant};

use super::messages::{ReplyTo, SendText};
use super::{Room, SLOW_TEXT};
use crate::actors::exchange::Outbound;
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
    /// Every [`Refusal::reason`] (label values of `roomd_rejected_total`, declared at start).
    pub const REASONS: [&'static str; 2] = ["repeated", "banned_word"];

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

/// Most sends remembered per user per room; older ones are forgotten early. At the
/// default frame rate (50/s, burst 100) a 30 s window holds at most 1600.
const MAX_REMEMBERED: usize = 2048;

/// One recent send of a user.
#[derive(Debug)]
struct Sent {
    at: Instant,
    text_hash: u64,
    client_id_hash: Option<u64>,
}

/// A user's sends within the window, with counts by text and by `client_id` so a check
/// costs O(1) however many messages the user sent. The keys are hashes already, so the
/// maps hash them with the cheap Fx hasher (a collision costs only the sender: two of
/// its texts counted as one).
#[derive(Debug, Default)]
struct UserSends {
    log: VecDeque<Sent>,
    texts: FxHashMap<u64, u32>,
    client_ids: FxHashMap<u64, u32>,
}

impl UserSends {
    /// Forgets sends older than `window`, and the oldest beyond [`MAX_REMEMBERED`].
    fn expire(&mut self, window: Duration, now: Instant) {
        while let Some(first) = self.log.front() {
            if now.duration_since(first.at) < window && self.log.len() < MAX_REMEMBERED {
                break;
            }
            if let Some(old) = self.log.pop_front() {
                decrement(&mut self.texts, old.text_hash);
                if let Some(c) = old.client_id_hash {
                    decrement(&mut self.client_ids, c);
                }
            }
        }
    }

    fn record(&mut self, sent: Sent) {
        *self.texts.entry(sent.text_hash).or_default() += 1;
        if let Some(c) = sent.client_id_hash {
            *self.client_ids.entry(c).or_default() += 1;
        }
        self.log.push_back(sent);
    }
}

fn decrement(counts: &mut FxHashMap<u64, u32>, key: u64) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// Recent sends per user, for the repeat limit.
#[derive(Debug, Default)]
pub struct RepeatTracker {
    by_user: HashMap<String, UserSends>,
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
        // Looked up before inserting: a known user (every send but the first) costs no
        // allocation of its id.
        if !self.by_user.contains_key(user) {
            self.by_user.insert(user.to_string(), UserSends::default());
        }
        let Some(sends) = self.by_user.get_mut(user) else { return Ok(()) };
        sends.expire(limit.window, now);
        let client_id_hash = client_id.map(hash);
        if client_id_hash.is_some_and(|c| sends.client_ids.contains_key(&c)) {
            return Ok(());
        }
        let text_hash = hash(text);
        if sends.texts.get(&text_hash).copied().unwrap_or(0) >= limit.max_repeats {
            return Err(Refusal::Repeated(limit));
        }
        sends.record(Sent { at: now, text_hash, client_id_hash });
        Ok(())
    }

    fn prune(&mut self, window: Duration, now: Instant) {
        self.by_user.retain(|_, s| s.log.back().is_some_and(|last| now.duration_since(last.at) < window));
    }
}

fn hash(text: &str) -> u64 {
    let mut h = FxHasher::default();
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
        if let ReplyTo::Session(to) | ReplyTo::Forwarded { out: to, .. } = &m.ticket.reply {
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
    fn reasons_lists_every_reason() {
        assert_eq!(Refusal::REASONS, [Refusal::Repeated(LIMIT).reason(), Refusal::BannedWord.reason()]);
    }

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
    fn memory_per_user_is_bounded() {
        let mut t = RepeatTracker::default();
        let t0 = Instant::now();
        for n in 0..3 * MAX_REMEMBERED {
            assert_eq!(t.check("u", &n.to_string(), Some(&n.to_string()), LIMIT, t0), Ok(()));
        }
        let sends = &t.by_user["u"];
        assert!(sends.log.len() <= MAX_REMEMBERED && sends.texts.len() <= MAX_REMEMBERED);
        assert!(sends.client_ids.len() <= MAX_REMEMBERED);
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
