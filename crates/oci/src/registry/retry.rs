//! When and how long to wait before trying a registry request again.
//!
//! Retried: 408, 429 (honouring `Retry-After`), 502, 503, 504, connection failures, timeouts
//! and dropped connections. Never retried: any other 4xx, and a request whose streamed body
//! was already consumed (uploads restart from a fresh `POST` instead).

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Bounded exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubles each time.
    pub initial_backoff: Duration,
    /// Longest computed wait between attempts.
    pub max_backoff: Duration,
    /// Longest wait chainseal accepts from a `Retry-After` header; a registry asking for more
    /// is waited on for this long.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// Build a policy.
    pub fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> RetryPolicy {
        RetryPolicy { max_attempts: max_attempts.max(1), initial_backoff, max_backoff, ..RetryPolicy::default() }
    }

    /// How long to wait after failed attempt number `attempt` (1-based): the exponential
    /// backoff capped at `max_backoff`, with "equal jitter" (between half and all of it).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        let jitter_ms = half.as_millis() as u64;
        let extra = if jitter_ms == 0 { 0 } else { random_u64() % (jitter_ms + 1) };
        half + Duration::from_millis(extra)
    }

    /// The wait for a response that carried `Retry-After`, capped; falls back to the backoff.
    pub(crate) fn wait_for(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        match retry_after.and_then(|v| parse_retry_after(v, SystemTime::now())) {
            Some(wait) => wait.min(self.max_retry_after),
            None => self.backoff(attempt),
        }
    }
}

/// Is this status worth another attempt?
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// Is this transport error worth another attempt? Connection failures, timeouts and dropped
/// connections are; a certificate problem or a malformed URL is not.
pub(crate) fn is_retryable_error(err: &reqwest::Error) -> bool {
    if err.is_builder() || err.is_redirect() || super::transport::is_certificate_error(err) {
        return false;
    }
    err.is_connect() || err.is_timeout() || err.is_request() || err.is_body()
}

/// Parse `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A random number for jitter (not for anything secret): std's randomly keyed hasher.
fn random_u64() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0));
    h.finish()
}

/// A random jitter in `0..=max`.
pub(crate) fn jitter(max: Duration) -> Duration {
    let ms = max.as_millis() as u64;
    if ms == 0 { Duration::ZERO } else { Duration::from_millis(random_u64() % (ms + 1)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.wait_for(1, Some("100000")), policy.max_retry_after);
        assert_eq!(policy.wait_for(1, Some("2")), Duration::from_secs(2));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(1));
        for attempt in 1..40 {
            let wait = policy.backoff(attempt);
            assert!(wait <= Duration::from_secs(1), "{attempt}: {wait:?}");
        }
        let first = policy.backoff(1);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
        assert!(policy.backoff(5) >= Duration::from_millis(500));
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408u16, 429, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [400u16, 401, 403, 404, 405, 409, 416, 500, 501] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
    }
}
