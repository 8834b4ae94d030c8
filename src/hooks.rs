//! The publish hook: before a `send` is stored, roomd POSTs it to the application's
//! backend, which accepts it, rejects it with a reason code, or accepts it with a
//! changed text (docs/INTEGRATIONS.md, "Publish hook"). This module asks and reads
//! the answer; the room decides what follows (`src/actors/room/publish_hook.rs`).
//!
//! Which hook applies: the room's `publish_hook` setting if it has one (an empty `url`
//! switches the hook off in that room), else `[hooks]`. A hook that fails (no answer
//! within the timeout, a non-2xx status, an answer that is not one of the three forms,
//! a changed text that is not a valid message) is handled by the policy:
//! `fail_open` stores the message as sent, `fail_closed` refuses it with the reason
//! `hook_unavailable`.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::HooksConfig;
use crate::metrics::metrics;
use crate::store::rooms::RoomSettings;

/// The reason a `fail_closed` hook that failed gives.
pub const HOOK_UNAVAILABLE: &str = "hook_unavailable";
/// The longest reason code passed on to the sender.
const MAX_REASON: usize = 64;
/// The outcome labels of `roomd_publish_hook_seconds`.
pub const OUTCOMES: [&str; 4] = ["accept", "rewrite", "reject", "error"];

/// What happens to a message when the hook fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HookPolicy {
    /// Store the message as sent.
    #[default]
    FailOpen,
    /// Refuse it (`rejected_by_hook`, reason `hook_unavailable`).
    FailClosed,
}

/// A room's own publish hook, overriding `[hooks]` (room setting `publish_hook`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishHookSettings {
    /// An `http://` or `https://` URL; empty: no publish hook in this room.
    pub url: String,
    /// Milliseconds; null: `hooks.publish_timeout_ms`.
    #[serde(default)]
    #[schema(required = true, minimum = 1)]
    pub timeout_ms: Option<u64>,
    /// Null: `hooks.publish_policy`.
    #[serde(default)]
    #[schema(required = true)]
    pub policy: Option<HookPolicy>,
}

impl PublishHookSettings {
    /// Why these settings cannot be stored, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if !self.url.is_empty() && !is_http_url(&self.url) {
            return Err("publish_hook.url must be an http:// or https:// URL (or empty for none)".into());
        }
        if self.timeout_ms == Some(0) {
            return Err("publish_hook.timeout_ms must be at least 1".into());
        }
        Ok(())
    }
}

/// True for an absolute `http://` or `https://` URL with a host.
pub fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// The hook that applies to a room, borrowed from the settings (nothing is allocated
/// when none applies).
#[derive(Debug, Clone, Copy)]
pub struct PublishHook<'a> {
    pub url: &'a str,
    pub timeout: Duration,
    pub policy: HookPolicy,
}

impl<'a> PublishHook<'a> {
    /// The hook for a room with `settings` on a server with `cfg`; `None` when no hook applies.
    pub fn applying(cfg: &'a HooksConfig, settings: &'a RoomSettings) -> Option<Self> {
        let global_timeout = Duration::from_millis(cfg.publish_timeout_ms.max(1));
        match &settings.publish_hook {
            Some(own) if own.url.is_empty() => None,
            Some(own) => Some(Self {
                url: &own.url,
                timeout: own.timeout_ms.map_or(global_timeout, |ms| Duration::from_millis(ms.max(1))),
                policy: own.policy.unwrap_or(cfg.publish_policy),
            }),
            None if cfg.publish_url.is_empty() => None,
            None => Some(Self { url: &cfg.publish_url, timeout: global_timeout, policy: cfg.publish_policy }),
        }
    }
}

/// What the hook is sent: `{"room", "user": {"id","name","kind"}, "text", "reply_to", "client_id"}`.
#[derive(Debug, Serialize)]
pub struct HookRequest {
    pub room: String,
    pub user: HookUser,
    pub text: String,
    pub reply_to: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HookUser {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
}

/// The hook's answer.
#[derive(Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
enum Answer {
    Accept {
        #[serde(default)]
        text: Option<String>,
    },
    Reject {
        reason: String,
    },
}

/// What the room does with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Store it, with this text instead when given.
    Accept(Option<String>),
    /// Refuse it with this reason code.
    Reject(String),
}

/// Asks the hook at `url` about `req`; a changed text must pass `valid_text`.
pub async fn ask(
    url: &str,
    timeout: Duration,
    policy: HookPolicy,
    req: &HookRequest,
    valid_text: impl Fn(&str) -> bool,
) -> Verdict {
    let started = Instant::now();
    let answer = call(url, timeout, req).await;
    let (verdict, outcome) = match answer {
        Some(Answer::Accept { text: None }) => (Verdict::Accept(None), "accept"),
        Some(Answer::Accept { text: Some(t) }) if t == req.text => (Verdict::Accept(None), "accept"),
        Some(Answer::Accept { text: Some(t) }) if valid_text(&t) => (Verdict::Accept(Some(t)), "rewrite"),
        Some(Answer::Reject { reason }) if is_reason(&reason) => (Verdict::Reject(reason), "reject"),
        // No answer, or one that cannot be used: the policy decides.
        _ => match policy {
            HookPolicy::FailOpen => (Verdict::Accept(None), "error"),
            HookPolicy::FailClosed => (Verdict::Reject(HOOK_UNAVAILABLE.into()), "error"),
        },
    };
    metrics().publish_hook_seconds.with_label_values(&[outcome]).observe(started.elapsed().as_secs_f64());
    verdict
}

async fn call(url: &str, timeout: Duration, req: &HookRequest) -> Option<Answer> {
    let resp = crate::webhooks::http_client().post(url).timeout(timeout).json(req).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.json::<Answer>().await.ok()
}

/// A reason code the sender may be shown: 1 to 64 of `[A-Za-z0-9_.-]`.
fn is_reason(reason: &str) -> bool {
    (1..=MAX_REASON).contains(&reason.len())
        && reason.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> HooksConfig {
        HooksConfig { publish_url: url.into(), publish_timeout_ms: 300, publish_policy: HookPolicy::FailOpen }
    }

    #[test]
    fn a_room_setting_overrides_the_global_hook_and_an_empty_url_switches_it_off() {
        let mut settings = RoomSettings::default();
        let (none, server) = (cfg(""), cfg("http://127.0.0.1:9/h"));
        assert!(PublishHook::applying(&none, &settings).is_none());
        let global = PublishHook::applying(&server, &settings).expect("global hook");
        assert_eq!(
            (global.url, global.timeout, global.policy),
            ("http://127.0.0.1:9/h", Duration::from_millis(300), HookPolicy::FailOpen)
        );
        settings.publish_hook = Some(PublishHookSettings {
            url: "http://127.0.0.1:9/room".into(),
            timeout_ms: None,
            policy: Some(HookPolicy::FailClosed),
        });
        let own = PublishHook::applying(&server, &settings).expect("room hook");
        assert_eq!(
            (own.url, own.timeout, own.policy),
            ("http://127.0.0.1:9/room", Duration::from_millis(300), HookPolicy::FailClosed)
        );
        settings.publish_hook =
            Some(PublishHookSettings { url: String::new(), timeout_ms: None, policy: None });
        assert!(PublishHook::applying(&server, &settings).is_none());
    }

    #[test]
    fn answers_are_read_in_their_three_documented_forms_only() {
        let read = |s: &str| serde_json::from_str::<Answer>(s).ok();
        assert!(matches!(read(r#"{"action":"accept"}"#), Some(Answer::Accept { text: None })));
        assert!(matches!(read(r#"{"action":"accept","text":"x"}"#), Some(Answer::Accept { text: Some(_) })));
        assert!(matches!(read(r#"{"action":"reject","reason":"spam"}"#), Some(Answer::Reject { .. })));
        assert!(read(r#"{"action":"reject"}"#).is_none());
        assert!(read(r#"{"action":"maybe"}"#).is_none());
        assert!(!is_reason("") && !is_reason("has space") && is_reason("too_rude.v2"));
    }
}
