//! Cron expressions with an IANA time zone: parsing (5 fields, or 6 with seconds
//! first) with `croner`, zones from `chrono-tz`, and the next due time after an
//! instant. Pure; the DST behaviour is croner's (OCPS / Vixie cron):
//!
//! * a fixed time that falls into a spring-forward gap (`30 2 * * *` on the day
//!   02:00 jumps to 03:00) runs once, at the first valid time after the gap (03:00);
//! * a fixed time in a fall-back overlap (02:30 happens twice) runs once, at its
//!   first occurrence;
//! * interval and wildcard fields (`0 * * * *`) skip the times inside a gap and run
//!   for each real occurrence in an overlap (23 and 25 hourly runs on those days).

use chrono::TimeZone as _;
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

/// Why a schedule's cron or time zone is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CronError {
    #[error("cron must have 5 fields (or 6 with seconds first), got {0}")]
    FieldCount(usize),
    #[error("cron is not valid: {0}")]
    Pattern(String),
    #[error("timezone {0:?} is not an IANA time zone name")]
    Timezone(String),
    #[error("cron never fires after now")]
    Never,
}

impl crate::error::HasCode for CronError {
    fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::Unprocessable
    }
}

/// A parsed cron expression in its time zone.
#[derive(Debug, Clone)]
pub struct CronSpec {
    cron: Cron,
    tz: Tz,
}

impl CronSpec {
    pub fn parse(expr: &str, timezone: &str) -> Result<Self, CronError> {
        let fields = expr.split_whitespace().count();
        if !(5..=6).contains(&fields) {
            return Err(CronError::FieldCount(fields));
        }
        if expr.len() > 200 || expr.contains('\0') {
            return Err(CronError::Pattern("too long".into()));
        }
        let tz: Tz =
            timezone.parse().map_err(|_| CronError::Timezone(timezone.chars().take(64).collect()))?;
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(expr)
            .map_err(|e| CronError::Pattern(e.to_string()))?;
        Ok(Self { cron, tz })
    }

    /// The first due time strictly after `ms` (Unix ms), if any.
    pub fn next_after(&self, ms: i64) -> Option<i64> {
        let start = self.tz.timestamp_millis_opt(ms).single()?;
        self.cron.find_next_occurrence(&start, false).ok().map(|t| t.timestamp_millis())
    }

    /// Like [`next_after`](Self::next_after), but an expression that never fires is an error.
    pub fn first_after(&self, ms: i64) -> Result<i64, CronError> {
        self.next_after(ms).ok_or(CronError::Never)
    }

    /// The next `count` due times strictly after `ms` (fewer if it stops firing), in
    /// the spec's time zone; an expression that never fires after `ms` is an error.
    pub fn upcoming(&self, ms: i64, count: usize) -> Result<Vec<chrono::DateTime<Tz>>, CronError> {
        let mut at = self.first_after(ms)?;
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            out.push(self.tz.timestamp_millis_opt(at).single().ok_or(CronError::Never)?);
            match self.next_after(at) {
                Some(next) => at = next,
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(rfc: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc).unwrap().timestamp_millis()
    }

    /// Every due time in `[from, to)`.
    fn runs(spec: &CronSpec, from: &str, to: &str) -> Vec<i64> {
        let (mut t, end) = (ms(from) - 1, ms(to));
        let mut out = Vec::new();
        while let Some(n) = spec.next_after(t).filter(|n| *n < end) {
            out.push(n);
            t = n;
        }
        out
    }

    #[test]
    fn five_or_six_fields_and_a_real_zone() {
        assert!(CronSpec::parse("*/5 * * * *", "UTC").is_ok());
        assert!(CronSpec::parse("0 */5 * * * *", "Europe/Berlin").is_ok());
        assert_eq!(CronSpec::parse("* * * *", "UTC").unwrap_err(), CronError::FieldCount(4));
        assert_eq!(CronSpec::parse("0 0 0 1 1 * 2030", "UTC").unwrap_err(), CronError::FieldCount(7));
        assert!(matches!(CronSpec::parse("61 * * * *", "UTC"), Err(CronError::Pattern(_))));
        assert!(matches!(CronSpec::parse("* * * * *", "Mars/Olympus"), Err(CronError::Timezone(_))));
        let never = CronSpec::parse("0 0 30 2 *", "UTC").unwrap();
        assert_eq!(never.first_after(ms("2026-01-01T00:00:00Z")), Err(CronError::Never));
    }

    #[test]
    fn odd_patterns_are_refused_or_handled_without_panicking() {
        let t = ms("2026-01-01T00:00:00Z");
        for expr in [
            "*/0 * * * *",
            "0-99999999999 * * * *",
            "5-1 * * * *",
            "# # # # #",
            "L * * * *",
            "0 0 L * *",
            "0 0 * * 5#6",
            "0 0 * * 5L",
            "0 0 31 2 *",
            "0 0 29 2 MON",
            "? ? ? ? ?",
            "0 0 1W * *",
            "* * * * * *",
        ] {
            let parsed = std::panic::catch_unwind(|| CronSpec::parse(expr, "UTC").map(|s| s.next_after(t)));
            assert!(parsed.is_ok(), "{expr} panicked");
        }
    }

    #[test]
    fn spring_forward_fixed_time_runs_once_right_after_the_gap() {
        // Europe/Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        let spec = CronSpec::parse("30 2 * * *", "Europe/Berlin").unwrap();
        let got = runs(&spec, "2026-03-28T12:00:00Z", "2026-03-30T12:00:00Z");
        assert_eq!(got, vec![ms("2026-03-29T01:00:00Z"), ms("2026-03-30T00:30:00Z")]);
    }

    #[test]
    fn fall_back_fixed_time_runs_once_at_its_first_occurrence() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        let spec = CronSpec::parse("30 2 * * *", "Europe/Berlin").unwrap();
        let got = runs(&spec, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z");
        assert_eq!(got, vec![ms("2026-10-25T00:30:00Z")]);
    }

    #[test]
    fn upcoming_times_carry_the_zone_offset_across_a_dst_change() {
        let spec = CronSpec::parse("0 9 * * *", "Europe/Berlin").unwrap();
        let got: Vec<String> = spec
            .upcoming(ms("2026-03-27T12:00:00Z"), 3)
            .unwrap()
            .iter()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .collect();
        assert_eq!(
            got,
            ["2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"]
        );
        let never = CronSpec::parse("0 0 30 2 *", "UTC").unwrap();
        assert_eq!(never.upcoming(ms("2026-01-01T00:00:00Z"), 5), Err(CronError::Never));
    }

    #[test]
    fn hourly_runs_23_and_25_times_on_dst_days() {
        let spec = CronSpec::parse("0 * * * *", "Europe/Berlin").unwrap();
        // Local midnight to midnight: 2026-03-29 00:00 CET = 03-28T23:00Z, 03-30 00:00 CEST = 03-29T22:00Z.
        assert_eq!(runs(&spec, "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z").len(), 23);
        // 2026-10-25 00:00 CEST = 10-24T22:00Z, 10-26 00:00 CET = 10-25T23:00Z.
        assert_eq!(runs(&spec, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z").len(), 25);
    }
}
