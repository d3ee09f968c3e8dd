//! Crash injection for recovery tests: `SHOPKEEPER_CRASH_AT=<step>` aborts the
//! process at that step, as a power cut or `kill -9` would. Unset, it costs one
//! cached environment lookup.

use std::sync::OnceLock;

/// The environment variable naming the step to crash at.
pub const CRASH_ENV: &str = "SHOPKEEPER_CRASH_AT";

/// Aborts the process if `SHOPKEEPER_CRASH_AT` names `step`.
pub fn point(step: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var(CRASH_ENV).ok().filter(|s| !s.is_empty()));
    if at.as_deref() == Some(step) {
        eprintln!("crash injected at {step}");
        std::process::abort();
    }
}
