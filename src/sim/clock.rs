//! The simulation's logical clock, shown as wall time.
//!
//! The simulation counts milliseconds from 0. Everything a learner sees as a date
//! (`metadata.creationTimestamp`, describe's `Start Time:`, event names) maps logical time
//! onto a fixed instant, [`EPOCH_RFC3339`], so every run prints the same dates.
//!
//! Invariants: no `std::time`; conversions are pure integer arithmetic on the proleptic
//! Gregorian calendar in UTC (what a cluster running with `TZ=UTC` prints); formatting then
//! parsing a timestamp gives back the same second.

/// Logical time 0 as wall time: Monday 2 June 2025, 09:00:00 UTC. Any fixed instant works;
/// this one is a plausible "now" for a v1.31–v1.33 cluster.
pub const EPOCH_RFC3339: &str = "2025-06-02T09:00:00Z";
/// [`EPOCH_RFC3339`] in seconds since 1970-01-01T00:00:00Z.
pub const EPOCH_UNIX_SECONDS: i64 = 1_748_854_800;

const MS_PER_DAY: i64 = 86_400_000;
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Logical milliseconds as milliseconds since the Unix epoch.
pub fn unix_ms(at_ms: u64) -> i64 {
    EPOCH_UNIX_SECONDS * 1000 + at_ms as i64
}

/// Logical milliseconds as nanoseconds since the Unix epoch (Go's `time.UnixNano()`).
pub fn unix_nanos(at_ms: u64) -> i64 {
    unix_ms(at_ms).saturating_mul(1_000_000)
}

/// A broken-down UTC instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32, // 1..=12
    day: u32,   // 1..=31
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
    weekday: usize, // 0 = Monday
}

fn civil(unix_ms: i64) -> Civil {
    let days = unix_ms.div_euclid(MS_PER_DAY);
    let in_day = unix_ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday (index 3 when Monday is 0).
    let weekday = (days + 3).rem_euclid(7) as usize;
    Civil {
        year,
        month,
        day,
        hour: (in_day / 3_600_000) as u32,
        minute: (in_day / 60_000 % 60) as u32,
        second: (in_day / 1000 % 60) as u32,
        milli: (in_day % 1000) as u32,
        weekday,
    }
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01. Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400); // [0, 399]
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + day as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// `metadata.creationTimestamp` form (metav1.Time, RFC 3339 in seconds, UTC):
/// `2025-06-02T09:00:03Z`. Sub-second time is truncated, as the apiserver stores it.
pub fn rfc3339(at_ms: u64) -> String {
    let c = civil(unix_ms(at_ms));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// metav1.MicroTime form (`eventTime` of events.k8s.io events, lease `renewTime`):
/// `2025-06-02T09:00:03.120000Z` (Go layout `2006-01-02T15:04:05.000000Z07:00`).
pub fn rfc3339_micro(at_ms: u64) -> String {
    let c = civil(unix_ms(at_ms));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// Go's `time.RFC1123Z` as `kubectl describe` prints `Start Time:`, `Started:` and
/// `Finished:`: `Mon, 02 Jun 2025 09:00:03 +0000` (the simulated cluster runs in UTC).
pub fn rfc1123z(at_ms: u64) -> String {
    rfc1123z_signed(at_ms as i64)
}

/// [`rfc1123z`] for any logical time, including instants before the epoch (a timestamp
/// read back from an object may predate the simulation).
pub fn rfc1123z_signed(at_ms: i64) -> String {
    let c = civil(EPOCH_UNIX_SECONDS * 1000 + at_ms);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[c.weekday],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Parses an RFC 3339 timestamp (`2025-06-02T09:00:03Z`, optional fraction, `Z` or
/// `±hh:mm`) back to logical milliseconds. Instants before [`EPOCH_RFC3339`] are negative.
/// Returns `None` for anything that is not a valid timestamp (including `null` objects'
/// empty strings), so callers can print `<unknown>` as kubectl does for a zero time.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let year = num(0..4)?;
    let month = num(5..7)? as u32;
    let day = num(8..10)? as u32;
    let hour = num(11..13)?;
    let minute = num(14..16)?;
    let second = num(17..19)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut milli = 0i64;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        if digits.is_empty() {
            return None;
        }
        // Keep milliseconds; finer digits are truncated like Go's Time.Sub in ms.
        let padded: String = digits.chars().chain("000".chars()).take(3).collect();
        milli = padded.parse().ok()?;
    }
    let offset_ms = match b.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let h = num(i + 1..i + 3)?;
            let m = num(i + 4..i + 6)?;
            let off = (h * 60 + m) * 60_000;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let unix = days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + milli - offset_ms;
    Some(unix - EPOCH_UNIX_SECONDS * 1000)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration, exactly: the AGE column,
/// `RESTARTS … (64s ago)`, describe's event ages. About 2–3 significant figures:
/// `59s`, `119s`, `2m`, `2m1s`, `9m59s`, `10m`, `179m`, `3h`, `7h59m`, `47h`, `2d`,
/// `7d23h`, `729d`, `2y`, `7y364d`, `8y`. Up to 1 s in the future is `0s` (clock skew);
/// further in the future is `<invalid>`.
pub fn human_duration(ms: i64) -> String {
    // Go: int(d.Seconds()) truncates toward zero, like Rust's integer division.
    let seconds = ms / 1000;
    if seconds < -1 {
        return "<invalid>".to_string();
    } else if seconds < 0 {
        return "0s".to_string();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = ms / 60_000;
    if minutes < 10 {
        let s = seconds % 60;
        if s == 0 {
            return format!("{minutes}m");
        }
        return format!("{minutes}m{s}s");
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = ms / 3_600_000;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            return format!("{hours}h");
        }
        return format!("{hours}h{m}m");
    } else if hours < 48 {
        return format!("{hours}h");
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            return format!("{}d", hours / 24);
        }
        return format!("{}d{}h", hours / 24, h);
    } else if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            return format!("{}y", hours / 24 / 365);
        }
        return format!("{}y{}d", hours / 24 / 365, dy);
    }
    format!("{}y", hours / 24 / 365)
}

/// k8s.io/apimachinery/pkg/util/duration.ShortHumanDuration: one unit only (`59s`, `1m`,
/// `23h`, `364d`, `1y`). Used by a few kubectl tables (e.g. `kubectl get events` in
/// releases before 1.14); kept for completeness.
pub fn short_human_duration(ms: i64) -> String {
    let seconds = ms / 1000;
    if seconds < -1 {
        "<invalid>".to_string()
    } else if seconds < 0 {
        "0s".to_string()
    } else if seconds < 60 {
        format!("{seconds}s")
    } else if ms / 60_000 < 60 {
        format!("{}m", ms / 60_000)
    } else if ms / 3_600_000 < 24 {
        format!("{}h", ms / 3_600_000)
    } else if ms / 3_600_000 < 24 * 365 {
        format!("{}d", ms / 3_600_000 / 24)
    } else {
        format!("{}y", ms / 3_600_000 / 24 / 365)
    }
}

/// Time since an RFC 3339 timestamp, as kubectl's `translateTimestampSince`: `<unknown>`
/// for a missing or zero time, otherwise [`human_duration`] of `now − t`.
pub fn since(timestamp: &str, now_ms: u64) -> String {
    match parse_rfc3339(timestamp) {
        Some(t) if !is_zero_time(timestamp) => human_duration(now_ms as i64 - t),
        _ => "<unknown>".to_string(),
    }
}

/// Go's zero `time.Time` serialises as `0001-01-01T00:00:00Z`; kubectl treats it as unset.
fn is_zero_time(timestamp: &str) -> bool {
    timestamp.starts_with("0001-01-01T00:00:00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_constant_matches_its_text() {
        assert_eq!(parse_rfc3339(EPOCH_RFC3339), Some(0));
        assert_eq!(rfc3339(0), EPOCH_RFC3339);
    }

    #[test]
    fn rfc3339_round_trip() {
        for at in [
            0u64,
            999,
            3_000,
            59_999,
            86_399_000,
            31 * 86_400_000 + 12_345,
        ] {
            let text = rfc3339(at);
            assert_eq!(
                parse_rfc3339(&text),
                Some((at / 1000 * 1000) as i64),
                "{text}"
            );
        }
        assert_eq!(rfc3339(3_000), "2025-06-02T09:00:03Z");
        // Across a month boundary and a leap day.
        assert_eq!(rfc3339(29 * 86_400_000), "2025-07-01T09:00:00Z");
        assert_eq!(
            parse_rfc3339("2028-02-29T00:00:00Z").map(|ms| rfc3339(ms as u64)),
            Some("2028-02-29T00:00:00Z".to_string())
        );
    }

    #[test]
    fn parse_accepts_fractions_and_offsets_rejects_garbage() {
        assert_eq!(parse_rfc3339("2025-06-02T09:00:03.120000Z"), Some(3_120));
        assert_eq!(parse_rfc3339("2025-06-02T11:00:03+02:00"), Some(3_000));
        assert_eq!(parse_rfc3339("2025-06-02T08:59:59Z"), Some(-1_000));
        for bad in [
            "",
            "null",
            "2025-06-02",
            "2025-13-02T09:00:00Z",
            "2025-02-30T09:00:00Z",
            "2025-06-02T09:00:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn micro_and_rfc1123z_forms() {
        assert_eq!(rfc3339_micro(3_120), "2025-06-02T09:00:03.120000Z");
        // 2 June 2025 is a Monday.
        assert_eq!(rfc1123z(3_000), "Mon, 02 Jun 2025 09:00:03 +0000");
        assert_eq!(rfc1123z(6 * 86_400_000), "Sun, 08 Jun 2025 09:00:00 +0000");
    }

    #[test]
    fn unix_nanos_hex_is_an_event_suffix() {
        assert_eq!(format!("{:x}", unix_nanos(0)), "18452e2cbdbca000");
    }

    #[test]
    fn human_duration_boundaries() {
        let s = 1000;
        let m = 60 * s;
        let h = 60 * m;
        let d = 24 * h;
        let cases = [
            (-2 * s, "<invalid>"),
            (-1999, "0s"), // int(-1.999) = -1
            (-1, "0s"),
            (0, "0s"),
            (999, "0s"),
            (59 * s, "59s"),
            (119 * s + 999, "119s"),
            (2 * m, "2m"),
            (2 * m + s, "2m1s"),
            (9 * m + 59 * s, "9m59s"),
            (10 * m + 30 * s, "10m"),
            (179 * m + 59 * s, "179m"),
            (3 * h, "3h"),
            (3 * h + 5 * m, "3h5m"),
            (7 * h + 59 * m, "7h59m"),
            (8 * h + 30 * m, "8h"),
            (47 * h, "47h"),
            (48 * h, "2d"),
            (7 * d + 23 * h, "7d23h"),
            (8 * d + 5 * h, "8d"),
            (729 * d, "729d"),
            (730 * d, "2y"),
            (731 * d, "2y1d"),
            (8 * 365 * d, "8y"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(ms), want, "{ms} ms");
        }
    }

    #[test]
    fn short_human_duration_units() {
        assert_eq!(short_human_duration(59_000), "59s");
        assert_eq!(short_human_duration(119_000), "1m");
        assert_eq!(short_human_duration(25 * 3_600_000), "1d");
        assert_eq!(short_human_duration(-5_000), "<invalid>");
    }

    #[test]
    fn since_handles_missing_and_zero_times() {
        assert_eq!(since("2025-06-02T09:00:00Z", 64_000), "64s");
        assert_eq!(since("", 64_000), "<unknown>");
        assert_eq!(since("0001-01-01T00:00:00Z", 64_000), "<unknown>");
    }
}
