//! A leaky bucket that paces requests so a platform's rate limit is not hit: Shopify's
//! cost points, or one point per request for REST APIs with a request-rate bucket. The
//! platform's own report of the bucket, where it sends one, corrects our estimate.
//!
//! `governor` implements GCRA for a fixed quota kept locally; this bucket must instead
//! follow the platform's figures as they arrive (the same bucket is drained by the shop's
//! other apps), so it is its own few lines.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Level {
    capacity: f64,
    available: f64,
    restore_per_sec: f64,
    at: Instant,
}

impl Level {
    fn now(mut self, now: Instant) -> Self {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.available = (self.available + elapsed * self.restore_per_sec).min(self.capacity);
        self.at = now;
        self
    }
}

/// A bucket of `capacity` points refilling at `restore_per_sec`.
#[derive(Debug)]
pub struct Pacer {
    level: Mutex<Level>,
}

/// What the platform says about its bucket after a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketReport {
    /// Points the bucket holds when full.
    pub capacity: f64,
    /// Points left now.
    pub available: f64,
    /// Points restored per second.
    pub restore_per_sec: f64,
}

impl Pacer {
    /// A full bucket.
    pub fn new(capacity: f64, restore_per_sec: f64) -> Self {
        Self {
            level: Mutex::new(Level {
                capacity,
                available: capacity,
                restore_per_sec: restore_per_sec.max(0.001),
                at: Instant::now(),
            }),
        }
    }

    /// How long to wait before `cost` points are there, reserving them when they are.
    fn reserve(&self, cost: f64) -> Duration {
        let now = Instant::now();
        let Ok(mut level) = self.level.lock() else {
            return Duration::ZERO;
        };
        let mut l = level.now(now);
        // A request dearer than the whole bucket waits for a full one.
        let need = cost.min(l.capacity);
        let wait = if l.available >= need {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((need - l.available) / l.restore_per_sec)
        };
        if wait.is_zero() {
            l.available -= need;
        }
        *level = l;
        wait
    }

    /// Waits until `cost` points are available and takes them.
    pub async fn take(&self, cost: f64) {
        loop {
            let wait = self.reserve(cost);
            if wait.is_zero() {
                return;
            }
            tracing::debug!(
                wait_ms = wait.as_millis() as u64,
                cost,
                "pacing to stay under the rate limit"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// Replaces our estimate with the platform's own figures.
    pub fn observe(&self, report: BucketReport) {
        if let Ok(mut level) = self.level.lock() {
            *level = Level {
                capacity: report.capacity.max(1.0),
                available: report.available.clamp(0.0, report.capacity.max(1.0)),
                restore_per_sec: report.restore_per_sec.max(0.001),
                at: Instant::now(),
            };
        }
    }

    /// How long until `points` are available, without taking them (for a throttled answer).
    pub fn time_until(&self, points: f64) -> Duration {
        let Ok(level) = self.level.lock() else {
            return Duration::ZERO;
        };
        let l = level.now(Instant::now());
        let need = points.min(l.capacity);
        if l.available >= need {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((need - l.available) / l.restore_per_sec)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_serves_at_once_and_an_empty_one_makes_us_wait() {
        let p = Pacer::new(100.0, 50.0);
        assert_eq!(p.reserve(60.0), Duration::ZERO);
        // 40 left: 60 more need 20 points, 0.4 s at 50 a second.
        let wait = p.reserve(60.0);
        assert!((wait.as_secs_f64() - 0.4).abs() < 0.02, "{wait:?}");
    }

    #[test]
    fn the_platform_report_replaces_the_estimate() {
        let p = Pacer::new(1000.0, 50.0);
        p.observe(BucketReport {
            capacity: 1000.0,
            available: 10.0,
            restore_per_sec: 100.0,
        });
        let wait = p.time_until(110.0);
        assert!((wait.as_secs_f64() - 1.0).abs() < 0.02, "{wait:?}");
        // Dearer than the bucket: waits for a full one, never forever.
        assert!(p.time_until(5000.0) <= Duration::from_secs(10));
    }
}
