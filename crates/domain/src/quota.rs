//! Quota and raider points: exact decimal amounts, what each kind of award counts towards,
//! and period schedules (weekly, every N days, monthly) with their boundary math.
//!
//! Amounts are integer hundredths (`Points(125)` is 1.25), so sums are exact and the
//! database stores plain `BIGINT`s.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// The most any single configured value or adjustment may be, in whole points.
pub const POINTS_MAX: i64 = 9999;

/// A decimal amount of points with two places, stored as hundredths.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Points(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("`{0}` is not a number of points (use digits, e.g. 2 or 1.25).")]
    NotNumber(String),
    #[error("`{0}` has more than two decimals; points have at most two (e.g. 1.25).")]
    TooManyDecimals(String),
    #[error("`{0}` is too large: at most {POINTS_MAX} points.")]
    TooLarge(String),
    #[error("`{0}` is negative; this value must be 0 or more.")]
    Negative(String),
    #[error("The amount cannot be 0.")]
    Zero,
}

impl Points {
    pub const ZERO: Points = Points(0);
    pub const ONE: Points = Points(100);

    pub fn whole(n: i64) -> Points {
        Points(n.saturating_mul(100))
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// Parses "2", "1.5", "1.25", "-3" (any sign); at most two decimals and at most
    /// [`POINTS_MAX`] in absolute value.
    pub fn parse_signed(text: &str) -> Result<Points, PointsError> {
        let t = text.trim();
        let bad = || PointsError::NotNumber(t.to_owned());
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int_part, frac_part) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
            return Err(bad());
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let frac = frac_part.unwrap_or("");
        if !frac.bytes().all(|b| b.is_ascii_digit()) || frac_part.is_some_and(str::is_empty) {
            return Err(bad());
        }
        if frac.len() > 2 {
            return Err(PointsError::TooManyDecimals(t.to_owned()));
        }
        let int_trimmed = int_part.trim_start_matches('0');
        if int_trimmed.len() > 4 {
            return Err(PointsError::TooLarge(t.to_owned()));
        }
        let whole: i64 = if int_trimmed.is_empty() {
            0
        } else {
            int_trimmed.parse().map_err(|_| bad())?
        };
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            _ => frac.parse().map_err(|_| bad())?,
        };
        let value = whole * 100 + cents;
        if value > POINTS_MAX * 100 {
            return Err(PointsError::TooLarge(t.to_owned()));
        }
        Ok(Points(if negative { -value } else { value }))
    }

    /// A configured value: 0 to [`POINTS_MAX`].
    pub fn parse(text: &str) -> Result<Points, PointsError> {
        let p = Self::parse_signed(text)?;
        if p.0 < 0 {
            return Err(PointsError::Negative(text.trim().to_owned()));
        }
        Ok(p)
    }

    /// An adjustment: ±[`POINTS_MAX`], never 0.
    pub fn parse_adjustment(text: &str) -> Result<Points, PointsError> {
        let p = Self::parse_signed(text)?;
        if p.0 == 0 {
            return Err(PointsError::Zero);
        }
        Ok(p)
    }

    pub fn times(self, n: i64) -> Points {
        Points(self.0.saturating_mul(n))
    }
}

impl fmt::Display for Points {
    /// "2", "1.5", "1.25", "-0.5".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        match cents {
            0 => write!(f, "{sign}{whole}"),
            c if c % 10 == 0 => write!(f, "{sign}{whole}.{}", c / 10),
            c => write!(f, "{sign}{whole}.{c:02}"),
        }
    }
}

/// The two currencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Currency {
    /// Staff work, measured against a quota role's requirement per period.
    Quota,
    /// Participation; never resets.
    Raider,
}

impl Currency {
    pub fn as_str(self) -> &'static str {
        match self {
            Currency::Quota => "quota",
            Currency::Raider => "raider",
        }
    }
    pub fn parse(text: &str) -> Option<Currency> {
        [Currency::Quota, Currency::Raider]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// Moderation actions that can earn quota points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModAction {
    Warn,
    Suspend,
    Verify,
    Editname,
    ModmailReply,
}

impl ModAction {
    pub const ALL: [ModAction; 5] = [
        ModAction::Warn,
        ModAction::Suspend,
        ModAction::Verify,
        ModAction::Editname,
        ModAction::ModmailReply,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ModAction::Warn => "warn",
            ModAction::Suspend => "suspend",
            ModAction::Verify => "verify",
            ModAction::Editname => "editname",
            ModAction::ModmailReply => "modmail_reply",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ModAction::Warn => "Warn",
            ModAction::Suspend => "Suspend",
            ModAction::Verify => "Verify",
            ModAction::Editname => "Edit name",
            ModAction::ModmailReply => "Modmail reply",
        }
    }
}

/// Why points were awarded: the `kind` column of `point_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    /// The organizer of an ended run (quota).
    RunOrganized,
    /// A raider present when a dungeon of a run was completed (raider).
    RunCompleted,
    /// A key popped in a run (raider).
    KeyPopped,
    /// A moderation action (quota).
    Moderation(ModAction),
    /// `/addquotapoints` or `/addpoints`.
    Adjustment,
    /// `/logrun` (quota).
    RunLogged,
    /// `/logkey` (raider).
    KeyLogged,
}

impl PointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::RunOrganized => "run_organized",
            PointKind::RunCompleted => "run_completed",
            PointKind::KeyPopped => "key_popped",
            PointKind::Moderation(ModAction::Warn) => "mod_warn",
            PointKind::Moderation(ModAction::Suspend) => "mod_suspend",
            PointKind::Moderation(ModAction::Verify) => "mod_verify",
            PointKind::Moderation(ModAction::Editname) => "mod_editname",
            PointKind::Moderation(ModAction::ModmailReply) => "mod_modmail_reply",
            PointKind::Adjustment => "adjustment",
            PointKind::RunLogged => "run_logged",
            PointKind::KeyLogged => "key_logged",
        }
    }

    pub fn parse(text: &str) -> Option<PointKind> {
        let simple = [
            PointKind::RunOrganized,
            PointKind::RunCompleted,
            PointKind::KeyPopped,
            PointKind::Adjustment,
            PointKind::RunLogged,
            PointKind::KeyLogged,
        ];
        simple
            .into_iter()
            .chain(ModAction::ALL.into_iter().map(PointKind::Moderation))
            .find(|k| k.as_str() == text)
    }

    /// The count metric this kind adds its `units` to, if any.
    pub fn count_metric(self) -> Option<Metric> {
        match self {
            PointKind::RunOrganized | PointKind::RunLogged => Some(Metric::RunsOrganized),
            PointKind::RunCompleted => Some(Metric::RunsCompleted),
            PointKind::KeyPopped | PointKind::KeyLogged => Some(Metric::KeysPopped),
            PointKind::Moderation(ModAction::Verify) => Some(Metric::Verifications),
            PointKind::Moderation(_) | PointKind::Adjustment => None,
        }
    }
}

/// What leaderboards rank and summaries keep per member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    RaiderPoints,
    QuotaPoints,
    RunsOrganized,
    RunsCompleted,
    KeysPopped,
    Verifications,
}

impl Metric {
    /// The leaderboard categories, in menu order.
    pub const CATEGORIES: [Metric; 5] = [
        Metric::RaiderPoints,
        Metric::QuotaPoints,
        Metric::RunsOrganized,
        Metric::RunsCompleted,
        Metric::KeysPopped,
    ];

    /// The `metric` column's code.
    pub fn code(self) -> i16 {
        match self {
            Metric::RaiderPoints => 1,
            Metric::QuotaPoints => 2,
            Metric::RunsOrganized => 3,
            Metric::RunsCompleted => 4,
            Metric::KeysPopped => 5,
            Metric::Verifications => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::RaiderPoints => "raider_points",
            Metric::QuotaPoints => "quota_points",
            Metric::RunsOrganized => "runs_organized",
            Metric::RunsCompleted => "runs_completed",
            Metric::KeysPopped => "keys_popped",
            Metric::Verifications => "verifications",
        }
    }

    pub fn parse(text: &str) -> Option<Metric> {
        Metric::CATEGORIES
            .into_iter()
            .chain([Metric::Verifications])
            .find(|m| m.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::RaiderPoints => "Raider points",
            Metric::QuotaPoints => "Quota points",
            Metric::RunsOrganized => "Runs organized",
            Metric::RunsCompleted => "Runs completed",
            Metric::KeysPopped => "Keys popped",
            Metric::Verifications => "Verifications",
        }
    }

    /// Points metrics hold hundredths; the others plain counts.
    pub fn is_points(self) -> bool {
        matches!(self, Metric::RaiderPoints | Metric::QuotaPoints)
    }

    /// A value of this metric as people read it.
    pub fn format(self, value: i64) -> String {
        if self.is_points() {
            Points(value).to_string()
        } else {
            value.to_string()
        }
    }
}

/// What one event adds to which metric: its amount to its currency's points, its units to
/// its kind's count. Summary tables apply exactly this, so totals equal sums of events.
pub fn contributions(
    currency: Currency,
    kind: PointKind,
    amount: Points,
    units: i32,
) -> Vec<(Metric, i64)> {
    let (points, count) = metrics_of(currency, kind);
    let mut out = vec![(points, amount.0)];
    if let Some(m) = count {
        out.push((m, i64::from(units)));
    }
    out
}

/// The metrics an event of this currency and kind feeds: its amount goes to the first, its
/// units to the second (when the kind is counted). [`contributions`] in another shape, for
/// writers that add up in SQL.
pub fn metrics_of(currency: Currency, kind: PointKind) -> (Metric, Option<Metric>) {
    let points = match currency {
        Currency::Quota => Metric::QuotaPoints,
        Currency::Raider => Metric::RaiderPoints,
    };
    (points, kind.count_metric())
}

/// Which periods the leaderboard can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodChoice {
    Current,
    Last,
    AllTime,
}

impl PeriodChoice {
    pub const ALL: [PeriodChoice; 3] = [
        PeriodChoice::Current,
        PeriodChoice::Last,
        PeriodChoice::AllTime,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodChoice::Current => "current",
            PeriodChoice::Last => "last",
            PeriodChoice::AllTime => "all",
        }
    }
    pub fn parse(text: &str) -> Option<PeriodChoice> {
        match text {
            "all_time" | "alltime" => Some(PeriodChoice::AllTime),
            _ => PeriodChoice::ALL.into_iter().find(|p| p.as_str() == text),
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PeriodChoice::Current => "Current period",
            PeriodChoice::Last => "Last period",
            PeriodChoice::AllTime => "All time",
        }
    }
}

/// When periods roll over. All times UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Every week on `weekday` (0 = Monday … 6 = Sunday) at `hour:minute`.
    Weekly { weekday: u8, hour: u8, minute: u8 },
    /// Every `days` days counted from `anchor`.
    EveryDays { days: u16, anchor: DateTime<Utc> },
    /// Every month on `day` (1–28) at `hour:minute`.
    Monthly { day: u8, hour: u8, minute: u8 },
}

impl Default for Schedule {
    /// Weekly, Monday 00:00 UTC.
    fn default() -> Self {
        Schedule::Weekly {
            weekday: 0,
            hour: 0,
            minute: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("The day of the week must be one of Monday … Sunday.")]
    Weekday,
    #[error("The hour must be 0–23 (UTC).")]
    Hour,
    #[error("The minute must be 0–59.")]
    Minute,
    #[error("Every N days needs N between 1 and 365.")]
    Days,
    #[error("The day of the month must be 1–28 (so that every month has it).")]
    MonthDay,
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "monday", "Mon", "1" (Monday) … "7" (Sunday) → 0…6.
pub fn parse_weekday(text: &str) -> Option<u8> {
    let t = text.trim().to_lowercase();
    if let Ok(n) = t.parse::<u8>() {
        return (1..=7).contains(&n).then(|| n - 1);
    }
    if t.len() < 3 {
        return None;
    }
    WEEKDAYS
        .iter()
        .position(|d| d.to_lowercase().starts_with(&t))
        .and_then(|i| u8::try_from(i).ok())
}

impl Schedule {
    pub fn validate(self) -> Result<Schedule, ScheduleError> {
        let hm = |h: u8, m: u8| {
            if h > 23 {
                Err(ScheduleError::Hour)
            } else if m > 59 {
                Err(ScheduleError::Minute)
            } else {
                Ok(())
            }
        };
        match self {
            Schedule::Weekly {
                weekday,
                hour,
                minute,
            } => {
                if weekday > 6 {
                    return Err(ScheduleError::Weekday);
                }
                hm(hour, minute)?;
            }
            Schedule::EveryDays { days, .. } => {
                if !(1..=365).contains(&days) {
                    return Err(ScheduleError::Days);
                }
            }
            Schedule::Monthly { day, hour, minute } => {
                if !(1..=28).contains(&day) {
                    return Err(ScheduleError::MonthDay);
                }
                hm(hour, minute)?;
            }
        }
        Ok(self)
    }

    /// "Weekly, Monday 00:00 UTC".
    pub fn describe(&self) -> String {
        match *self {
            Schedule::Weekly {
                weekday,
                hour,
                minute,
            } => format!(
                "Weekly, {} {hour:02}:{minute:02} UTC",
                WEEKDAYS.get(usize::from(weekday)).copied().unwrap_or("?")
            ),
            Schedule::EveryDays { days, anchor } => format!(
                "Every {days} day{} from {} UTC",
                if days == 1 { "" } else { "s" },
                anchor.format("%Y-%m-%d %H:%M")
            ),
            Schedule::Monthly { day, hour, minute } => {
                format!("Monthly, day {day} at {hour:02}:{minute:02} UTC")
            }
        }
    }

    /// The last boundary at or before `t`.
    pub fn boundary_at_or_before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            Schedule::Weekly {
                weekday,
                hour,
                minute,
            } => {
                let date = t.date_naive();
                let back = (i64::from(date.weekday().num_days_from_monday()) - i64::from(weekday))
                    .rem_euclid(7);
                let candidate = at(date - Duration::days(back), hour, minute);
                if candidate <= t {
                    candidate
                } else {
                    candidate - Duration::days(7)
                }
            }
            Schedule::EveryDays { days, anchor } => {
                let len = Duration::days(i64::from(days.max(1)));
                let k = (t - anchor).num_seconds().div_euclid(len.num_seconds());
                anchor + len * i32::try_from(k).unwrap_or(0)
            }
            Schedule::Monthly { day, hour, minute } => {
                let (y, m) = (t.year(), t.month());
                let this = month_at(y, m, day, hour, minute);
                if this <= t {
                    this
                } else {
                    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
                    month_at(py, pm, day, hour, minute)
                }
            }
        }
    }

    /// The first boundary strictly after `t`.
    pub fn next_boundary_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let last = self.boundary_at_or_before(t);
        match *self {
            Schedule::Weekly { .. } => last + Duration::days(7),
            Schedule::EveryDays { days, .. } => last + Duration::days(i64::from(days.max(1))),
            Schedule::Monthly { day, hour, minute } => {
                let (y, m) = (last.year(), last.month());
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                month_at(ny, nm, day, hour, minute)
            }
        }
    }

    /// The period `[start, end)` containing `t`.
    pub fn period_containing(&self, t: DateTime<Utc>) -> Period {
        Period {
            start: self.boundary_at_or_before(t),
            end: self.next_boundary_after(t),
        }
    }
}

fn at(date: NaiveDate, hour: u8, minute: u8) -> DateTime<Utc> {
    let naive = date
        .and_hms_opt(u32::from(hour.min(23)), u32::from(minute.min(59)), 0)
        .unwrap_or_default();
    Utc.from_utc_datetime(&naive)
}

fn month_at(y: i32, m: u32, day: u8, hour: u8, minute: u8) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(y, m, u32::from(day.clamp(1, 28))).unwrap_or_default();
    at(date, hour, minute)
}

/// A period `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Period {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// The period after this one under `schedule` (a schedule change applies from here).
    pub fn next(&self, schedule: &Schedule) -> Period {
        Period {
            start: self.end,
            end: schedule.next_boundary_after(self.end),
        }
    }
}

/// A "▰▰▰▰▱▱▱▱▱▱" bar of `width` cells for `value` out of `required`.
pub fn progress_bar(value: Points, required: Points, width: usize) -> String {
    let filled = if required.0 <= 0 {
        width
    } else {
        let ratio = value.0.max(0) as f64 / required.0 as f64;
        ((ratio * width as f64).floor() as usize).min(width)
    };
    let mut s = "▰".repeat(filled);
    s.push_str(&"▱".repeat(width - filled));
    s
}

/// Parses "2026-11-23 00:00" (UTC) or "2026-11-23".
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M") {
        return Some(Utc.from_utc_datetime(&dt));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .map(|d| at(d, 0, 0))
}

/// Seconds since midnight of `t` (used by tests and descriptions).
pub fn minute_of_day(t: DateTime<Utc>) -> u32 {
    t.hour() * 60 + t.minute()
}

/// Rank with ties: the rank of each value in a list sorted best first (1, 2, 2, 4).
pub fn competition_ranks(
    sorted_values: &[i64],
    first_rank: i64,
    previous: Option<(i64, i64)>,
) -> Vec<i64> {
    let mut out = Vec::with_capacity(sorted_values.len());
    let mut last = previous;
    for (i, v) in sorted_values.iter().enumerate() {
        let position = first_rank + i as i64;
        let rank = match last {
            Some((value, rank)) if value == *v => rank,
            _ => position,
        };
        out.push(rank);
        last = Some((*v, rank));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn parses_decimal_points() {
        assert_eq!(Points::parse("1.25"), Ok(Points(125)));
        assert_eq!(Points::parse("2"), Ok(Points(200)));
        assert_eq!(Points::parse(" 0.5 "), Ok(Points(50)));
        assert_eq!(Points::parse(".5"), Ok(Points(50)));
        assert_eq!(Points::parse("9999"), Ok(Points(999_900)));
        assert_eq!(Points::parse("0"), Ok(Points(0)));
        assert!(matches!(
            Points::parse("1.234"),
            Err(PointsError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Points::parse("10000"),
            Err(PointsError::TooLarge(_))
        ));
        assert!(matches!(
            Points::parse("9999.01"),
            Err(PointsError::TooLarge(_))
        ));
        assert!(matches!(Points::parse("-1"), Err(PointsError::Negative(_))));
        for bad in ["", "abc", "1,5", "1.", "1e3", "--1", "1.2.3", " ", "."] {
            assert!(
                matches!(Points::parse(bad), Err(PointsError::NotNumber(_))),
                "{bad}"
            );
        }
        assert_eq!(Points::parse_adjustment("-5"), Ok(Points(-500)));
        assert_eq!(Points::parse_adjustment("0.00"), Err(PointsError::Zero));
        assert!(matches!(
            Points::parse_adjustment("-10000"),
            Err(PointsError::TooLarge(_))
        ));
    }

    #[test]
    fn displays_without_needless_zeros() {
        assert_eq!(Points(200).to_string(), "2");
        assert_eq!(Points(150).to_string(), "1.5");
        assert_eq!(Points(125).to_string(), "1.25");
        assert_eq!(Points(5).to_string(), "0.05");
        assert_eq!(Points(-50).to_string(), "-0.5");
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(v in -999_900i64..=999_900) {
            let p = Points(v);
            prop_assert_eq!(Points::parse_signed(&p.to_string()), Ok(p));
        }

        #[test]
        fn three_decimals_are_refused(whole in 0u32..9999, frac in 0u32..1000) {
            let text = format!("{whole}.{frac:03}");
            prop_assert!(matches!(Points::parse(&text), Err(PointsError::TooManyDecimals(_))));
        }

        #[test]
        fn periods_tile_time(
            secs in 0i64..(20 * 365 * 86_400),
            kind in 0u8..3, wd in 0u8..7, h in 0u8..24, m in 0u8..60, days in 1u16..60, md in 1u8..29,
        ) {
            let t = DateTime::<Utc>::from_timestamp(1_500_000_000 + secs, 0).unwrap();
            let schedule = match kind {
                0 => Schedule::Weekly { weekday: wd, hour: h, minute: m },
                1 => Schedule::EveryDays { days, anchor: utc(2020, 1, 1, h.into(), m.into()) },
                _ => Schedule::Monthly { day: md, hour: h, minute: m },
            };
            let p = schedule.period_containing(t);
            prop_assert!(p.contains(t));
            prop_assert!(p.end > p.start);
            // The next period starts where this one ends and contains its own start.
            let n = p.next(&schedule);
            prop_assert_eq!(schedule.period_containing(n.start), n);
            prop_assert_eq!(schedule.period_containing(p.end - Duration::seconds(1)), p);
        }
    }

    #[test]
    fn worked_example_sunday_2359_and_monday_0001_are_different_periods() {
        let weekly = Schedule::default();
        // 2026-11-22 is a Sunday.
        let sunday = utc(2026, 11, 22, 23, 59);
        let monday = utc(2026, 11, 23, 0, 1);
        let old = weekly.period_containing(sunday);
        let new = weekly.period_containing(monday);
        assert_eq!(old.start, utc(2026, 11, 16, 0, 0));
        assert_eq!(old.end, utc(2026, 11, 23, 0, 0));
        assert_eq!(new.start, old.end);
        assert!(!old.contains(monday) && !new.contains(sunday));
    }

    #[test]
    fn monthly_and_every_n_days() {
        let monthly = Schedule::Monthly {
            day: 1,
            hour: 12,
            minute: 30,
        };
        let p = monthly.period_containing(utc(2026, 12, 31, 23, 0));
        assert_eq!(p.start, utc(2026, 12, 1, 12, 30));
        assert_eq!(p.end, utc(2027, 1, 1, 12, 30));
        let p = monthly.period_containing(utc(2026, 1, 1, 12, 0));
        assert_eq!(p.start, utc(2025, 12, 1, 12, 30));
        let every3 = Schedule::EveryDays {
            days: 3,
            anchor: utc(2026, 1, 1, 0, 0),
        };
        let p = every3.period_containing(utc(2026, 1, 7, 5, 0));
        assert_eq!(p.start, utc(2026, 1, 7, 0, 0));
        assert_eq!(p.end, utc(2026, 1, 10, 0, 0));
        let p = every3.period_containing(utc(2025, 12, 31, 0, 0));
        assert_eq!(p.start, utc(2025, 12, 29, 0, 0));
        assert_eq!(
            Schedule::Monthly {
                day: 29,
                hour: 0,
                minute: 0
            }
            .validate(),
            Err(ScheduleError::MonthDay)
        );
        assert_eq!(
            Schedule::Weekly {
                weekday: 0,
                hour: 24,
                minute: 0
            }
            .validate(),
            Err(ScheduleError::Hour)
        );
    }

    #[test]
    fn weekdays_and_dates_parse() {
        assert_eq!(parse_weekday("monday"), Some(0));
        assert_eq!(parse_weekday("Sun"), Some(6));
        assert_eq!(parse_weekday("7"), Some(6));
        assert_eq!(parse_weekday("mo"), None);
        assert_eq!(
            parse_utc("2026-11-23 13:05"),
            Some(utc(2026, 11, 23, 13, 5))
        );
        assert_eq!(parse_utc("2026-11-23"), Some(utc(2026, 11, 23, 0, 0)));
        assert_eq!(parse_utc("yesterday"), None);
    }

    #[test]
    fn bars_ranks_and_contributions() {
        assert_eq!(progress_bar(Points(800), Points(2000), 10), "▰▰▰▰▱▱▱▱▱▱");
        assert_eq!(progress_bar(Points(5000), Points(2000), 10), "▰".repeat(10));
        assert_eq!(progress_bar(Points(-100), Points(2000), 4), "▱▱▱▱");
        assert_eq!(competition_ranks(&[10, 8, 8, 5], 1, None), vec![1, 2, 2, 4]);
        assert_eq!(competition_ranks(&[8, 5], 4, Some((8, 2))), vec![2, 5]);
        assert_eq!(
            contributions(Currency::Quota, PointKind::RunLogged, Points(600), 3),
            vec![(Metric::QuotaPoints, 600), (Metric::RunsOrganized, 3)]
        );
        for k in ["run_organized", "mod_verify", "adjustment", "key_logged"] {
            assert_eq!(PointKind::parse(k).map(PointKind::as_str), Some(k));
        }
    }
}

/// What an automatic promotion rule counts (`/configpromotions`): all-time runs completed
/// (of one dungeon or all), keys popped (of one dungeon or all), or raider points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromotionKind {
    Completions,
    Keys,
    RaiderPoints,
}

impl PromotionKind {
    pub const ALL: [PromotionKind; 3] = [
        PromotionKind::Completions,
        PromotionKind::Keys,
        PromotionKind::RaiderPoints,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromotionKind::Completions => "completions",
            PromotionKind::Keys => "keys",
            PromotionKind::RaiderPoints => "raider_points",
        }
    }

    pub fn parse(s: &str) -> Option<PromotionKind> {
        PromotionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The metric whose all-time sum the rule compares with its threshold.
    pub fn metric(self) -> Metric {
        match self {
            PromotionKind::Completions => Metric::RunsCompleted,
            PromotionKind::Keys => Metric::KeysPopped,
            PromotionKind::RaiderPoints => Metric::RaiderPoints,
        }
    }

    /// Whether a rule of this kind may name one dungeon (raider points are not kept per
    /// dungeon for rules).
    pub fn per_dungeon(self) -> bool {
        !matches!(self, PromotionKind::RaiderPoints)
    }
}

impl std::fmt::Display for PromotionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
