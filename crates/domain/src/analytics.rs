//! Raid statistics: runs per week by dungeon, how runs end, how long they last and how many
//! raiders stay to the end. The store counts runs by week, dungeon and outcome; this module
//! folds those counts into the figures `/raidstats`, its chart and the REST API show.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};

/// Runs created in one week of one dungeon, by outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWeek {
    /// Monday 00:00 UTC.
    pub week: DateTime<Utc>,
    pub dungeon_code: String,
    /// Ended by the organizer or staff.
    pub completed: i64,
    /// Ended by the auto-end timer.
    pub auto_ended: i64,
    pub cancelled: i64,
    /// Still open or live.
    pub active: i64,
    /// Sum over ended runs with a start time of their length, in seconds.
    pub length_secs: f64,
    /// Ended runs with a start time.
    pub timed: i64,
    /// Sum over ended runs of the raiders joined at the end.
    pub attendance: i64,
    /// Ended runs whose attendance is known (imported runs have none).
    pub attended: i64,
}

impl RunWeek {
    pub fn total(&self) -> i64 {
        self.completed + self.auto_ended + self.cancelled + self.active
    }
}

/// Longest span one report covers (two years of weeks).
pub const MAX_WEEKS: i64 = 104;
/// Dungeons drawn with their own colour; the rest are summed as "other".
pub const TOP_DUNGEONS: usize = 6;

/// The period `/raidstats` offers (and the REST API's default span).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsPeriod {
    Weeks4,
    Weeks12,
    Weeks26,
    Weeks52,
}

impl StatsPeriod {
    pub const ALL: [StatsPeriod; 4] = [
        StatsPeriod::Weeks4,
        StatsPeriod::Weeks12,
        StatsPeriod::Weeks26,
        StatsPeriod::Weeks52,
    ];
    pub fn weeks(self) -> i64 {
        match self {
            StatsPeriod::Weeks4 => 4,
            StatsPeriod::Weeks12 => 12,
            StatsPeriod::Weeks26 => 26,
            StatsPeriod::Weeks52 => 52,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            StatsPeriod::Weeks4 => "4w",
            StatsPeriod::Weeks12 => "12w",
            StatsPeriod::Weeks26 => "26w",
            StatsPeriod::Weeks52 => "52w",
        }
    }
    pub fn parse(s: &str) -> Option<StatsPeriod> {
        StatsPeriod::ALL.into_iter().find(|p| p.as_str() == s)
    }
    /// The span ending with the current week: `[Monday weeks−1 ago, next Monday)`.
    pub fn span(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = week_start(now) + Duration::weeks(1);
        (end - Duration::weeks(self.weeks()), end)
    }
}

/// Monday 00:00 UTC of the week `t` falls in.
pub fn week_start(t: DateTime<Utc>) -> DateTime<Utc> {
    let date = t.date_naive() - Duration::days(i64::from(t.weekday().num_days_from_monday()));
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

/// One dungeon's runs per week (or "other": `dungeon_code` is `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub dungeon_code: Option<String>,
    pub total: i64,
    /// One count per week of [`Summary::weeks`].
    pub per_week: Vec<i64>,
}

/// Everything `/raidstats` shows for a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub dungeon: Option<String>,
    /// Every week start in the span, oldest first (weeks without runs included).
    pub weeks: Vec<DateTime<Utc>>,
    /// The most-run dungeons first, at most [`TOP_DUNGEONS`], then "other" if any.
    pub series: Vec<Series>,
    /// Runs per week, all dungeons.
    pub per_week: Vec<i64>,
    pub total: i64,
    pub completed: i64,
    pub auto_ended: i64,
    pub cancelled: i64,
    pub active: i64,
    /// Average length of ended runs, seconds.
    pub avg_length_secs: Option<f64>,
    /// Average raiders at the end of ended runs.
    pub avg_attendance: Option<f64>,
}

/// A share in percent, one decimal, of runs that are over (completed + auto-ended +
/// cancelled); `None` when none are.
pub fn rate(part: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| (part as f64 * 1000.0 / of as f64).round() / 10.0)
}

impl Summary {
    /// Folds the store's rows (any order) into the report for `[from, to)`; rows outside
    /// the span are ignored.
    pub fn build(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        dungeon: Option<String>,
        rows: &[RunWeek],
    ) -> Summary {
        let mut weeks = Vec::new();
        let mut w = week_start(from);
        while w < to && weeks.len() < (MAX_WEEKS as usize + 2) {
            weeks.push(w);
            w += Duration::weeks(1);
        }
        let index = |t: DateTime<Utc>| weeks.iter().position(|w| *w == t);
        let mut by_dungeon: Vec<(String, i64, Vec<i64>)> = Vec::new();
        let mut s = Summary {
            from,
            to,
            dungeon,
            per_week: vec![0; weeks.len()],
            weeks: Vec::new(),
            series: Vec::new(),
            total: 0,
            completed: 0,
            auto_ended: 0,
            cancelled: 0,
            active: 0,
            avg_length_secs: None,
            avg_attendance: None,
        };
        let (mut length, mut timed, mut attendance, mut attended) = (0.0, 0i64, 0i64, 0i64);
        for r in rows {
            let Some(i) = index(r.week) else { continue };
            let n = r.total();
            s.per_week[i] += n;
            s.total += n;
            s.completed += r.completed;
            s.auto_ended += r.auto_ended;
            s.cancelled += r.cancelled;
            s.active += r.active;
            length += r.length_secs;
            timed += r.timed;
            attendance += r.attendance;
            attended += r.attended;
            match by_dungeon.iter_mut().find(|d| d.0 == r.dungeon_code) {
                Some(d) => {
                    d.1 += n;
                    d.2[i] += n;
                }
                None => {
                    let mut per = vec![0; weeks.len()];
                    per[i] = n;
                    by_dungeon.push((r.dungeon_code.clone(), n, per));
                }
            }
        }
        s.avg_length_secs = (timed > 0).then(|| length / timed as f64);
        s.avg_attendance = (attended > 0).then(|| attendance as f64 / attended as f64);
        by_dungeon.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut other: Option<Series> = None;
        for (i, (code, total, per_week)) in by_dungeon.into_iter().enumerate() {
            if i < TOP_DUNGEONS {
                s.series.push(Series {
                    dungeon_code: Some(code),
                    total,
                    per_week,
                });
            } else {
                let o = other.get_or_insert_with(|| Series {
                    dungeon_code: None,
                    total: 0,
                    per_week: vec![0; weeks.len()],
                });
                o.total += total;
                for (a, b) in o.per_week.iter_mut().zip(per_week) {
                    *a += b;
                }
            }
        }
        s.series.extend(other);
        s.weeks = weeks;
        s
    }

    /// Runs that are over: completed, auto-ended or cancelled.
    pub fn finished(&self) -> i64 {
        self.completed + self.auto_ended + self.cancelled
    }
    pub fn completion_rate(&self) -> Option<f64> {
        rate(self.completed, self.finished())
    }
    pub fn auto_end_rate(&self) -> Option<f64> {
        rate(self.auto_ended, self.finished())
    }
    pub fn cancel_rate(&self) -> Option<f64> {
        rate(self.cancelled, self.finished())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn row(week: &str, code: &str, completed: i64, auto: i64, cancelled: i64) -> RunWeek {
        RunWeek {
            week: t(week),
            dungeon_code: code.to_owned(),
            completed,
            auto_ended: auto,
            cancelled,
            active: 0,
            length_secs: (completed + auto) as f64 * 600.0,
            timed: completed + auto,
            attendance: (completed + auto) * 10,
            attended: completed + auto,
        }
    }

    #[test]
    fn weeks_start_on_monday_utc() {
        assert_eq!(
            week_start(t("2026-12-06T23:59:00Z")),
            t("2026-11-30T00:00:00Z")
        );
        assert_eq!(
            week_start(t("2026-11-30T00:00:00Z")),
            t("2026-11-30T00:00:00Z")
        );
        let (from, to) = StatsPeriod::Weeks4.span(t("2026-12-06T12:00:00Z"));
        assert_eq!(from, t("2026-11-09T00:00:00Z"));
        assert_eq!(to, t("2026-12-07T00:00:00Z"));
    }

    #[test]
    fn folds_rows_into_rates_averages_and_series() {
        let from = t("2026-11-09T00:00:00Z");
        let to = t("2026-12-07T00:00:00Z");
        let rows = vec![
            row("2026-11-09T00:00:00Z", "shatters", 3, 1, 0),
            row("2026-11-23T00:00:00Z", "shatters", 1, 0, 1),
            row("2026-11-23T00:00:00Z", "nest", 2, 0, 2),
            row("2025-01-06T00:00:00Z", "nest", 99, 0, 0),
        ];
        let s = Summary::build(from, to, None, &rows);
        assert_eq!(s.weeks.len(), 4);
        assert_eq!(s.per_week, vec![4, 0, 6, 0]);
        assert_eq!(
            (s.total, s.completed, s.auto_ended, s.cancelled),
            (10, 6, 1, 3)
        );
        assert_eq!(s.completion_rate(), Some(60.0));
        assert_eq!(s.auto_end_rate(), Some(10.0));
        assert_eq!(s.cancel_rate(), Some(30.0));
        assert_eq!(s.avg_length_secs, Some(600.0));
        assert_eq!(s.avg_attendance, Some(10.0));
        assert_eq!(s.series[0].dungeon_code.as_deref(), Some("shatters"));
        assert_eq!(s.series[0].per_week, vec![4, 0, 2, 0]);
        assert_eq!(s.series[1].per_week, vec![0, 0, 4, 0]);
    }

    #[test]
    fn more_than_six_dungeons_fold_into_other() {
        let from = t("2026-11-30T00:00:00Z");
        let to = t("2026-12-07T00:00:00Z");
        let rows: Vec<RunWeek> = (0..9)
            .map(|i| row("2026-11-30T00:00:00Z", &format!("d{i}"), 10 - i, 0, 0))
            .collect();
        let s = Summary::build(from, to, None, &rows);
        assert_eq!(s.series.len(), TOP_DUNGEONS + 1);
        let other = s.series.last().expect("other");
        assert_eq!(other.dungeon_code, None);
        assert_eq!(other.total, 4 + 3 + 2);
        assert_eq!(s.series.iter().map(|x| x.total).sum::<i64>(), s.total);
    }

    #[test]
    fn empty_span_has_no_averages() {
        let from = t("2026-11-30T00:00:00Z");
        let s = Summary::build(from, from + Duration::weeks(1), None, &[]);
        assert_eq!(s.total, 0);
        assert_eq!(s.avg_length_secs, None);
        assert_eq!(s.completion_rate(), None);
    }
}
