//! Retries with exponential backoff, for transient faults only.

use std::time::Duration;

use crate::error::{Fault, RemoteError};

/// How often and how patiently to retry a transient fault.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all (1 = no retry).
    pub attempts: u32,
    /// The wait before the second try; it doubles after each failure, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 5, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    pub fn with_attempts(attempts: u32) -> Self {
        RetryPolicy { attempts: attempts.max(1), ..RetryPolicy::default() }
    }

    /// Runs `op` until it succeeds, fails permanently, or the attempts are spent. `on_retry`
    /// hears of each transient fault before the wait (for a message on stderr).
    pub fn run<T>(
        &self,
        what: &str,
        mut op: impl FnMut(u32) -> Result<T, Fault>,
        mut on_retry: impl FnMut(u32, &Fault, Duration),
    ) -> Result<T, RemoteError> {
        self.retry(&mut op, Fault::is_transient, &mut on_retry).map_err(|(fault, attempts)| RemoteError::Http {
            what: what.to_owned(),
            fault,
            attempts,
        })
    }

    /// The loop behind [`RetryPolicy::run`], for any error type that can tell a transient
    /// fault (a Storacha client error, say): the last error comes back with the attempts made.
    pub fn retry<T, E>(
        &self,
        mut op: impl FnMut(u32) -> Result<T, E>,
        is_transient: impl Fn(&E) -> bool,
        mut on_retry: impl FnMut(u32, &E, Duration),
    ) -> Result<T, (E, u32)> {
        let mut delay = self.first_delay;
        let mut attempt = 1;
        loop {
            match op(attempt) {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && attempt < self.attempts => {
                    on_retry(attempt, &e, delay);
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(self.max_delay);
                    attempt += 1;
                }
                Err(e) => return Err((e, attempt)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(attempts: u32) -> RetryPolicy {
        RetryPolicy { attempts, first_delay: Duration::from_millis(1), max_delay: Duration::from_millis(2) }
    }

    #[test]
    fn transient_faults_are_retried_until_the_attempts_are_spent() {
        let mut calls = 0;
        let err = quick(3)
            .run::<()>(
                "x",
                |_| {
                    calls += 1;
                    Err(Fault::Server(503, String::new()))
                },
                |_, _, _| {},
            )
            .unwrap_err();
        assert_eq!(calls, 3);
        assert!(err.to_string().contains("gave up after 3 attempts"), "{err}");
    }

    #[test]
    fn permanent_faults_are_never_retried() {
        for fault in
            [Fault::Auth(401, String::new()), Fault::Refused(400, String::new()), Fault::Protocol("bad cid".into())]
        {
            let mut calls = 0;
            let err = quick(5)
                .run::<()>(
                    "x",
                    |_| {
                        calls += 1;
                        Err(fault.clone())
                    },
                    |_, _, _| {},
                )
                .unwrap_err();
            assert_eq!(calls, 1, "{fault}");
            assert!(err.to_string().contains("permanent; not retried"), "{err}");
        }
    }

    #[test]
    fn a_success_after_a_transient_fault_is_a_success() {
        let mut calls = 0;
        let v = quick(5)
            .run(
                "x",
                |_| {
                    calls += 1;
                    if calls < 3 { Err(Fault::Reset("reset".into())) } else { Ok(7) }
                },
                |_, _, _| {},
            )
            .unwrap();
        assert_eq!((v, calls), (7, 3));
    }
}
