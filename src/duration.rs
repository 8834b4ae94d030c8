//! Durations as people write them: `30s`, `10m`, `2h`, `7d` (or a bare number of
//! seconds). Read by `roomd token jwt --ttl` and by the moderation commands and API
//! (`!ban @user 2h`, a ban's `duration`).

use std::time::Duration;

/// The longest duration read: about 100 years (an expiry after it is written as
/// "until lifted").
pub const MAX: Duration = Duration::from_secs(36_500 * 86_400);

/// Reads `N` followed by `s`, `m`, `h` or `d` (none: seconds); from 1 s to [`MAX`].
/// The error says what is wrong, for people.
pub fn parse(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| format!("{s:?} is not a duration such as 30s, 10m, 2h or 7d"))?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("{s:?}: the unit must be s, m, h or d")),
    };
    match secs.map(Duration::from_secs) {
        Some(d) if !d.is_zero() && d <= MAX => Ok(d),
        _ => Err(format!("{s:?}: a duration must be from 1s to 36500d")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_units() {
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("36500d"), Ok(MAX));
    }

    #[test]
    fn malformed_durations_say_what_is_wrong() {
        for bad in
            ["", "0s", "0", "1w", "h", "-1h", "1.5h", "1h30m", "10 m", "36501d", "99999999999999999999d"]
        {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse("1w").unwrap_err().contains("unit"));
    }
}
