//! Every id roomd makes up, and the check of its shape. Ids that clients choose (rooms,
//! users, `client_id`) are checked in src/model.rs and src/protocol/inbound.rs.
//!
//! | id | shape | names |
//! |---|---|---|
//! | token id | `tok_` + 16 of `[a-z0-9]` (up to 64 accepted) | an opaque token's row |
//! | token secret | `rmd_` + 40 alphanumerics | an opaque bearer token (only its hash is stored) |
//! | broadcast job id | `bc_` + creation time (11 hex digits, ms) + 6 random hex digits (up to 32 accepted) | a broadcast job; ids sort by creation |
//! | schedule id | `sch_` + 16 of `[a-z0-9]` (up to 32 accepted) | a schedule |
//! | webhook id | `wh_` + 16 of `[a-z0-9]` (up to 32 accepted) | a webhook endpoint |
//! | invocation id | `inv-` + 16 alphanumerics | a bot command invocation (`command` / `reply_to`) |
//! | session name | `s` + the session's number (hex) + `-` + 8 random hex digits | a WebSocket session in logs and `/api/v1/actors` |
//! | request id | 16 hex digits | an HTTP request without a usable `X-Request-Id` |
//! | node incarnation | a random 63-bit number | one run of a cluster node |

use rand::distr::{Alphanumeric, SampleString};

/// Prefix of every opaque token secret, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "rmd_";

/// A stored row's id: a prefix and a random tail of lower-case letters and digits,
/// 16 when made; up to `max_tail` accepted.
struct RowId {
    prefix: &'static str,
    max_tail: usize,
}

const TOKEN_ID: RowId = RowId { prefix: "tok_", max_tail: 64 };
const SCHEDULE_ID: RowId = RowId { prefix: "sch_", max_tail: 32 };
const WEBHOOK_ID: RowId = RowId { prefix: "wh_", max_tail: 32 };
const JOB_ID: &str = "bc_";

impl RowId {
    fn make(&self) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let tail: String = (0..16).map(|_| CHARS[rand::random_range(0..CHARS.len())] as char).collect();
        format!("{}{tail}", self.prefix)
    }

    fn matches(&self, id: &str) -> bool {
        tail_is(id, self.prefix, self.max_tail, |b| b.is_ascii_lowercase() || b.is_ascii_digit())
    }
}

pub fn new_token_id() -> String {
    TOKEN_ID.make()
}

/// True for strings shaped like a token id (anything else cannot name a token).
pub fn is_token_id(id: &str) -> bool {
    TOKEN_ID.matches(id)
}

pub fn new_schedule_id() -> String {
    SCHEDULE_ID.make()
}

/// True for strings shaped like a schedule id (anything else cannot name a schedule).
pub fn is_schedule_id(id: &str) -> bool {
    SCHEDULE_ID.matches(id)
}

pub fn new_webhook_id() -> String {
    WEBHOOK_ID.make()
}

/// True for strings shaped like a webhook id (anything else cannot name a webhook).
pub fn is_webhook_id(id: &str) -> bool {
    WEBHOOK_ID.matches(id)
}

/// A broadcast job id created at `now_ms`: ids sort by creation.
pub fn new_job_id(now_ms: i64) -> String {
    format!("{JOB_ID}{:011x}{:06x}", now_ms.max(0), rand::random::<u32>() & 0xff_ffff)
}

/// True for strings shaped like a job id (anything else cannot name a job).
pub fn is_job_id(id: &str) -> bool {
    tail_is(id, JOB_ID, 32, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn new_token_secret() -> String {
    format!("{SECRET_PREFIX}{}", Alphanumeric.sample_string(&mut rand::rng(), 40))
}

pub fn new_invocation_id() -> String {
    format!("inv-{}", Alphanumeric.sample_string(&mut rand::rng(), 16))
}

/// The name of session number `n` (numbers restart with the process, the random
/// part tells two runs apart).
pub fn new_session_name(n: u64) -> String {
    format!("s{n:x}-{:08x}", rand::random::<u32>())
}

/// True for strings shaped like a session name (`s` + 1 to 16 hex digits + `-` + 8 hex
/// digits; anything else cannot name a session).
pub fn is_session_name(id: &str) -> bool {
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    id.strip_prefix('s')
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(n, r)| (1..=16).contains(&n.len()) && r.len() == 8 && hex(n) && hex(r))
}

pub fn new_request_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A node's incarnation: positive as an `i64` too.
pub fn new_node_incarnation() -> u64 {
    rand::random::<u64>() >> 1
}

/// `id` is `prefix` and then 1 to `max` bytes that all pass `allowed`.
fn tail_is(id: &str, prefix: &str, max: usize, allowed: fn(u8) -> bool) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && rest.len() <= max && rest.bytes().all(allowed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_recognised() {
        assert!(is_token_id(&new_token_id()));
        for bad in ["", "tok_", "tok_ABC", "x_abc", "tok_a b", "tok_a/../b"] {
            assert!(!is_token_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn job_ids_sort_by_creation_and_are_recognised() {
        let (a, b) = (new_job_id(1_700_000_000_000), new_job_id(1_700_000_000_001));
        assert!(a < b, "{a} < {b}");
        assert!(is_job_id(&a));
        for bad in ["", "bc_", "bc_XYZ", "x_12", "bc_1/2"] {
            assert!(!is_job_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn schedule_ids_are_recognised() {
        assert!(is_schedule_id(&new_schedule_id()));
        for bad in ["", "sch_", "sch_A", "x_1", "sch_a/b"] {
            assert!(!is_schedule_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn made_up_ids_have_their_documented_shapes() {
        let secret = new_token_secret();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 40, "{secret}");
        assert_eq!(new_token_id().len(), 4 + 16);
        let inv = new_invocation_id();
        assert!(inv.starts_with("inv-") && inv.len() == 4 + 16, "{inv}");
        let session = new_session_name(0x2a);
        assert!(session.starts_with("s2a-") && session.len() == 4 + 8, "{session}");
        assert!(is_session_name(&session) && is_session_name(&new_session_name(u64::MAX)));
        for bad in
            ["", "s", "s-", "s1-", "s1-0000000", "s1-000000000", "sG-00000000", "t1-00000000", "s1-0000000A"]
        {
            assert!(!is_session_name(bad), "{bad:?}");
        }
        let request = new_request_id();
        assert!(request.len() == 16 && request.bytes().all(|b| b.is_ascii_hexdigit()), "{request}");
        assert!(i64::try_from(new_node_incarnation()).is_ok());
    }
}
