//! Scheduled raids: reading the `when` an organizer types, the server's time zone, and the
//! reminder's lead time. Pure functions of their inputs (the caller passes "now").

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How far ahead a raid may be scheduled.
pub const MAX_AHEAD_DAYS: i64 = 30;
/// The reminder's default lead time, in minutes.
pub const DEFAULT_REMINDER_MINUTES: i32 = 15;
/// The longest reminder lead an administrator may set, in minutes (one day).
pub const MAX_REMINDER_MINUTES: i32 = 1440;
/// The longest description of a scheduled raid (the run's own limit).
pub const DESCRIPTION_MAX: usize = 500;

/// Why a `when` was refused; the bot words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhenError {
    #[error("no time given")]
    Empty,
    #[error("not a time raidbot understands")]
    Unrecognized,
    #[error("that time has already passed")]
    Past,
    #[error("more than {MAX_AHEAD_DAYS} days ahead")]
    TooFar,
    /// A local time skipped by a daylight saving change.
    #[error("that local time does not exist in the server's time zone")]
    NoSuchLocalTime,
}

/// A member's answer to a scheduled raid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupKind {
    /// Signed up: pinged by the reminder, told when it opens, a no-show if never joined.
    Going,
    Maybe,
}

impl SignupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignupKind::Going => "going",
            SignupKind::Maybe => "maybe",
        }
    }
}

impl SignupKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "going" => Some(SignupKind::Going),
            "maybe" => Some(SignupKind::Maybe),
            _ => None,
        }
    }
}

/// Where a scheduled raid is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleStatus {
    /// Announced, waiting for its time.
    Scheduled,
    /// Its run panel opened (at its time or started early).
    Opened,
    Cancelled,
}

impl ScheduleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleStatus::Scheduled => "scheduled",
            ScheduleStatus::Opened => "opened",
            ScheduleStatus::Cancelled => "cancelled",
        }
    }
}

impl ScheduleStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scheduled" => Some(ScheduleStatus::Scheduled),
            "opened" => Some(ScheduleStatus::Opened),
            "cancelled" => Some(ScheduleStatus::Cancelled),
            _ => None,
        }
    }
}

/// An IANA time zone name ("Europe/Berlin", "UTC"), checked against the tz database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an IANA time zone name (like Europe/Berlin or America/New_York)")]
pub struct UnknownTimeZone(pub String);

pub fn parse_time_zone(name: &str) -> Result<Tz, UnknownTimeZone> {
    let name = name.trim();
    name.parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
                .copied()
        })
        .ok_or_else(|| UnknownTimeZone(name.chars().take(60).collect()))
}

/// When the reminder goes out: `lead` minutes before the start, but never before now.
pub fn remind_at(starts_at: DateTime<Utc>, lead_minutes: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    (starts_at - Duration::minutes(i64::from(lead_minutes.max(0)))).max(now)
}

/// Reads `when`: a Discord timestamp (`<t:1700000000:F>`), a delay (`in 2h`, `in 90m`,
/// `in 1h30m`, `in 2 days`), a weekday and time (`sat 20:00`, the next one), a date and time
/// (`2026-12-24 20:00`) or a time alone (`20:00`, today or else tomorrow); local times are
/// in `tz`. The result must be after `now` and at most 30 days ahead.
pub fn parse_when(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, WhenError> {
    let text = input.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err(WhenError::Empty);
    }
    let at = if let Some(ts) = discord_timestamp(&text) {
        DateTime::from_timestamp(ts, 0).ok_or(WhenError::Unrecognized)?
    } else if let Some(rest) = text.strip_prefix("in ") {
        now + delay(rest).ok_or(WhenError::Unrecognized)?
    } else {
        local(&text, now, tz)?
    };
    if at <= now {
        return Err(WhenError::Past);
    }
    if at > now + Duration::days(MAX_AHEAD_DAYS) {
        return Err(WhenError::TooFar);
    }
    Ok(at)
}

/// `<t:1700000000>` or `<t:1700000000:F>` (any style letter).
fn discord_timestamp(text: &str) -> Option<i64> {
    let inner = text.strip_prefix("<t:")?.strip_suffix('>')?;
    let (secs, style) = match inner.split_once(':') {
        Some((s, style)) => (s, Some(style)),
        None => (inner, None),
    };
    if let Some(style) = style
        && !(style.len() == 1 && "tfdr".contains(style))
    {
        return None;
    }
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    secs.parse().ok()
}

/// `2h`, `90m`, `1h30m`, `2 hours`, `1 day 3 hours`: a sum of amounts with units.
fn delay(text: &str) -> Option<Duration> {
    let mut total = Duration::zero();
    let mut rest = text.trim();
    let mut any = false;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return None;
        }
        let amount: i64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        rest = rest[letters..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        rest = rest.strip_prefix("and ").unwrap_or(rest).trim_start();
        let step = match unit {
            "m" | "min" | "mins" | "minute" | "minutes" => Duration::minutes(amount),
            "h" | "hr" | "hrs" | "hour" | "hours" => Duration::hours(amount),
            "d" | "day" | "days" => Duration::days(amount),
            _ => return None,
        };
        total += step;
        any = true;
    }
    any.then_some(total)
}

fn weekday(word: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    let days = [
        ("mon", "monday", Mon),
        ("tue", "tuesday", Tue),
        ("wed", "wednesday", Wed),
        ("thu", "thursday", Thu),
        ("fri", "friday", Fri),
        ("sat", "saturday", Sat),
        ("sun", "sunday", Sun),
    ];
    days.iter()
        .find(|(short, long, _)| {
            word == *short
                || word == *long
                || (word == "tues" && *short == "tue")
                || (word == "thurs" && *short == "thu")
        })
        .map(|(_, _, d)| *d)
}

fn clock(word: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(word, "%H:%M").ok()
}

/// A local date and time in `tz`, as UTC.
fn in_zone(tz: Tz, naive: NaiveDateTime) -> Result<DateTime<Utc>, WhenError> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(WhenError::NoSuchLocalTime)
}

fn local(text: &str, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, WhenError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let today = now.with_timezone(&tz).date_naive();
    match words.as_slice() {
        [date, time] if date.contains('-') => {
            let date =
                NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| WhenError::Unrecognized)?;
            let time = clock(time).ok_or(WhenError::Unrecognized)?;
            in_zone(tz, date.and_time(time))
        }
        [day, time] => {
            let day = weekday(day).ok_or(WhenError::Unrecognized)?;
            let time = clock(time).ok_or(WhenError::Unrecognized)?;
            let ahead = (i64::from(day.num_days_from_monday())
                - i64::from(today.weekday().num_days_from_monday()))
            .rem_euclid(7);
            let date = today + Duration::days(ahead);
            let at = in_zone(tz, date.and_time(time))?;
            if at > now {
                Ok(at)
            } else {
                in_zone(tz, (date + Duration::days(7)).and_time(time))
            }
        }
        [time] => {
            let time = clock(time).ok_or(WhenError::Unrecognized)?;
            let at = in_zone(tz, today.and_time(time))?;
            if at > now {
                Ok(at)
            } else {
                in_zone(tz, (today + Duration::days(1)).and_time(time))
            }
        }
        _ => Err(WhenError::Unrecognized),
    }
}

impl fmt::Display for SignupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    // Sunday 6 December 2026, 05:00 UTC.
    const NOW: &str = "2026-12-06T05:00:00Z";

    #[test]
    fn reads_every_form() {
        let now = utc(NOW);
        let tz = Tz::UTC;
        let ts = now.timestamp() + 3600;
        assert_eq!(
            parse_when(&format!("<t:{ts}:F>"), now, tz),
            Ok(now + Duration::hours(1))
        );
        assert_eq!(
            parse_when(&format!("<t:{ts}>"), now, tz),
            Ok(now + Duration::hours(1))
        );
        assert_eq!(parse_when("in 2h", now, tz), Ok(now + Duration::hours(2)));
        assert_eq!(
            parse_when("in 90m", now, tz),
            Ok(now + Duration::minutes(90))
        );
        assert_eq!(
            parse_when("In 1h30m", now, tz),
            Ok(now + Duration::minutes(90))
        );
        assert_eq!(
            parse_when("in 2 days", now, tz),
            Ok(now + Duration::days(2))
        );
        assert_eq!(
            parse_when("sat 20:00", now, tz),
            Ok(utc("2026-12-12T20:00:00Z"))
        );
        assert_eq!(
            parse_when("Saturday 20:00", now, tz),
            Ok(utc("2026-12-12T20:00:00Z"))
        );
        // Today (Sunday) later, or next week when the time has passed.
        assert_eq!(
            parse_when("sun 20:00", now, tz),
            Ok(utc("2026-12-06T20:00:00Z"))
        );
        assert_eq!(
            parse_when("sun 04:00", now, tz),
            Ok(utc("2026-12-13T04:00:00Z"))
        );
        assert_eq!(
            parse_when("2026-12-24 20:00", now, tz),
            Ok(utc("2026-12-24T20:00:00Z"))
        );
        assert_eq!(
            parse_when("20:00", now, tz),
            Ok(utc("2026-12-06T20:00:00Z"))
        );
        assert_eq!(
            parse_when("04:30", now, tz),
            Ok(utc("2026-12-07T04:30:00Z"))
        );
    }

    #[test]
    fn local_times_are_in_the_server_zone() {
        let now = utc(NOW);
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        // Winter: Berlin is UTC+1.
        assert_eq!(
            parse_when("sat 20:00", now, berlin),
            Ok(utc("2026-12-12T19:00:00Z"))
        );
        let ny = parse_time_zone("america/new_york").unwrap();
        assert_eq!(
            parse_when("2026-12-24 20:00", now, ny),
            Ok(utc("2026-12-25T01:00:00Z"))
        );
        // A Discord timestamp is absolute: the zone does not move it.
        let ts = now.timestamp() + 600;
        assert_eq!(
            parse_when(&format!("<t:{ts}:R>"), now, ny),
            Ok(now + Duration::minutes(10))
        );
    }

    #[test]
    fn refuses_past_far_and_garbage() {
        let now = utc(NOW);
        let tz = Tz::UTC;
        assert_eq!(
            parse_when("<t:1700000000:F>", now, tz),
            Err(WhenError::Past)
        );
        assert_eq!(
            parse_when("2026-12-01 20:00", now, tz),
            Err(WhenError::Past)
        );
        assert_eq!(parse_when("in 0m", now, tz), Err(WhenError::Past));
        assert_eq!(parse_when("in 31d", now, tz), Err(WhenError::TooFar));
        assert_eq!(
            parse_when("2027-02-01 20:00", now, tz),
            Err(WhenError::TooFar)
        );
        assert_eq!(parse_when("in 30d", now, tz), Ok(now + Duration::days(30)));
        assert_eq!(parse_when("", now, tz), Err(WhenError::Empty));
        for bad in [
            "tomorrow",
            "in 2x",
            "in h",
            "sat",
            "sat 25:00",
            "2026-13-01 20:00",
            "<t:abc:F>",
            "<t:1700000000:Z>",
            "in 9999999999h",
        ] {
            assert_eq!(
                parse_when(bad, now, tz),
                Err(WhenError::Unrecognized),
                "{bad}"
            );
        }
        // 02:30 on 28 March 2027 does not exist in Berlin (clocks go 02:00 -> 03:00).
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let march = utc("2027-03-20T00:00:00Z");
        assert_eq!(
            parse_when("2027-03-28 02:30", march, berlin),
            Err(WhenError::NoSuchLocalTime)
        );
    }

    #[test]
    fn time_zone_names_are_checked() {
        assert_eq!(parse_time_zone("UTC"), Ok(Tz::UTC));
        assert_eq!(parse_time_zone(" Europe/Berlin "), Ok(Tz::Europe__Berlin));
        assert!(parse_time_zone("Mars/Olympus").is_err());
        assert!(parse_time_zone("").is_err());
    }

    #[test]
    fn reminder_never_before_now() {
        let now = utc(NOW);
        let start = now + Duration::hours(1);
        assert_eq!(remind_at(start, 15, now), start - Duration::minutes(15));
        assert_eq!(remind_at(now + Duration::minutes(5), 15, now), now);
    }

    proptest! {
        /// Every delay inside the window reads back exactly; every accepted answer is
        /// in the window.
        #[test]
        fn delays_round_trip(minutes in 1i64..=(MAX_AHEAD_DAYS * 24 * 60), secs in 0i64..2_000_000_000) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            let tz = Tz::UTC;
            prop_assert_eq!(parse_when(&format!("in {minutes}m"), now, tz), Ok(now + Duration::minutes(minutes)));
            let (h, m) = (minutes / 60, minutes % 60);
            let text = if m == 0 { format!("in {h}h") } else { format!("in {h}h{m}m") };
            prop_assert_eq!(parse_when(&text, now, tz), Ok(now + Duration::minutes(minutes)));
        }

        #[test]
        fn anything_accepted_is_in_the_window(text in "\\PC{0,30}", secs in 0i64..2_000_000_000) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            if let Ok(at) = parse_when(&text, now, Tz::Europe__Berlin) {
                prop_assert!(at > now);
                prop_assert!(at <= now + Duration::days(MAX_AHEAD_DAYS));
            }
        }

        #[test]
        fn weekday_answers_are_within_a_week(day in 0usize..7, hh in 0u32..24, mm in 0u32..60, secs in 0i64..2_000_000_000) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            let at = parse_when(&format!("{} {hh:02}:{mm:02}", names[day]), now, Tz::UTC).unwrap();
            prop_assert!(at > now && at <= now + Duration::days(7));
            prop_assert_eq!(at.weekday().num_days_from_monday() as usize, day);
        }
    }
}
