//! What the report warns about from the OS's view over the run: memory pressure that
//! reached the warning or critical level, and a cgroup that came within 10% of its
//! memory limit. Found in every sample of the timeline and in the footprint at exit.

use crate::profile::footprint::{Footprint, Limit};

/// A cgroup whose headroom (`limit - current`) fell under this share of its limit
/// (1/10) is warned about.
pub(crate) const HEADROOM_DIVISOR: u64 = 10;

/// The worst memory pressure seen, and when it was first reached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PressureAlert {
    /// `"warning"` or `"critical"`.
    pub(crate) level: &'static str,
    /// When it was first seen at that level.
    pub(crate) t_ns: u64,
    /// PSI `some avg10` then, percent.
    pub(crate) some: Option<f64>,
    /// PSI `full avg10` then, percent.
    pub(crate) full: Option<f64>,
}

/// The moment the cgroup had the least headroom, when that was under a tenth of its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadroomAlert {
    pub(crate) t_ns: u64,
    /// Charged bytes then.
    pub(crate) current: u64,
    /// The hard limit.
    pub(crate) limit: u64,
}

/// Everything worth a warning.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Alerts {
    pub(crate) pressure: Option<PressureAlert>,
    pub(crate) headroom: Option<HeadroomAlert>,
}

impl Alerts {
    /// The alerts of these moments (time, footprint), in time order.
    pub(crate) fn of<'a>(moments: impl Iterator<Item = (u64, &'a Footprint)>) -> Self {
        let mut alerts = Self::default();
        for (t_ns, footprint) in moments {
            if let Some(pressure) = &footprint.pressure {
                let rank = match pressure.level.as_deref() {
                    Some("critical") => Some(("critical", 2)),
                    Some("warning") => Some(("warning", 1)),
                    _ => None,
                };
                let worst = alerts
                    .pressure
                    .as_ref()
                    .map_or(0, |seen| if seen.level == "critical" { 2 } else { 1 });
                if let Some((level, rank)) = rank
                    && rank > worst
                {
                    alerts.pressure = Some(PressureAlert {
                        level,
                        t_ns,
                        some: pressure.some.and_then(|stall| stall.avg10),
                        full: pressure.full.and_then(|stall| stall.avg10),
                    });
                }
            }
            let Some(cgroup) = &footprint.cgroup else {
                continue;
            };
            let (Some(current), Some(Limit::Bytes(limit))) = (cgroup.current, cgroup.limit) else {
                continue;
            };
            if limit == 0 {
                continue;
            }
            let headroom = limit.saturating_sub(current);
            if headroom.saturating_mul(HEADROOM_DIVISOR) >= limit {
                continue;
            }
            let tighter = alerts.headroom.is_none_or(|seen| {
                // Compare headroom / limit across moments without dividing.
                u128::from(headroom) * u128::from(seen.limit)
                    < u128::from(seen.limit.saturating_sub(seen.current)) * u128::from(limit)
            });
            if tighter {
                alerts.headroom = Some(HeadroomAlert {
                    t_ns,
                    current,
                    limit,
                });
            }
        }
        alerts
    }

    /// The headroom left at the tightest moment, in percent of the limit (one decimal).
    pub(crate) fn headroom_percent(alert: &HeadroomAlert) -> f64 {
        let headroom = alert.limit.saturating_sub(alert.current);
        (headroom as f64 * 1000.0 / alert.limit as f64).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn footprint(value: Value) -> Footprint {
        serde_json::from_value(value).unwrap()
    }

    fn alerts(moments: &[(u64, Value)]) -> Alerts {
        let footprints: Vec<(u64, Footprint)> = moments
            .iter()
            .map(|(t, value)| (*t, footprint(value.clone())))
            .collect();
        Alerts::of(footprints.iter().map(|(t, f)| (*t, f)))
    }

    #[test]
    fn the_worst_pressure_is_kept_from_its_first_moment() {
        let level = |level: &str, some: f64| json!({"pressure": {"level": level, "some": {"avg10": some}, "full": null}});
        let found = alerts(&[
            (1, level("normal", 0.0)),
            (2, level("warning", 12.0)),
            (3, level("critical", 30.0)),
            (4, level("critical", 50.0)),
            (5, level("warning", 11.0)),
        ]);
        assert_eq!(
            found.pressure,
            Some(PressureAlert {
                level: "critical",
                t_ns: 3,
                some: Some(30.0),
                full: None
            })
        );
        assert_eq!(
            alerts(&[(1, level("normal", 0.0)), (2, json!({}))]),
            Alerts::default()
        );
    }

    #[test]
    fn headroom_under_a_tenth_of_the_limit_is_found_at_its_tightest() {
        let cgroup = |current: u64, limit: Value| json!({"cgroup": {"version": 1, "current": current, "limit": limit}});
        let found = alerts(&[
            (1, cgroup(500, json!(1000))),
            (2, cgroup(950, json!(1000))),
            (3, cgroup(980, json!(1000))),
            (4, cgroup(1990, json!(2000))),
            (5, cgroup(900, json!(1000))),
            (6, cgroup(u64::MAX, json!("max"))),
        ]);
        let headroom = found.headroom.unwrap();
        assert_eq!(
            (headroom.t_ns, headroom.current, headroom.limit),
            (4, 1990, 2000)
        );
        assert!((Alerts::headroom_percent(&headroom) - 0.5).abs() < 1e-9);
        // Exactly 10% left is not under 10%; over the limit is no headroom at all.
        assert_eq!(alerts(&[(1, cgroup(900, json!(1000)))]).headroom, None);
        let over = alerts(&[(1, cgroup(1200, json!(1000)))]).headroom.unwrap();
        assert!(Alerts::headroom_percent(&over).abs() < 1e-9);
        assert_eq!(alerts(&[(1, cgroup(0, json!(0)))]).headroom, None);
    }
}
