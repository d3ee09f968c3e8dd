//! Secrets (tokens, passwords, signing keys): read from configuration, never printed.

use serde::{Deserialize, Serialize};

/// A token or secret: `Debug` and `Serialize` show only `***` and its last four characters.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `***` and the last four characters, for messages.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

/// `***` and the last four characters of a secret (only `***` when it is short).
pub fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() > 8 {
        format!("***{tail}")
    } else {
        "***".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_whole() {
        let s = Secret::new("shpat_0123456789abcdef");
        assert_eq!(format!("{s:?}"), "***cdef");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"***cdef\"");
        assert_eq!(mask("short"), "***");
        assert_eq!(s.expose(), "shpat_0123456789abcdef");
    }
}
