//! `[shopify]` in `shopkeeper.toml`, with its secrets from the environment where set there.

use serde::{Deserialize, Serialize};
use shopkeeper_tools::secret::Secret;

/// The newest stable Admin API version, the one every document is checked against.
pub const API_VERSION: &str = "2026-10";

/// The section's name in `shopkeeper.toml`.
pub const SECTION: &str = "shopify";

/// `[shopify]`: which shop, and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopifyConfig {
    /// The shop's myshopify domain, e.g. `acme.myshopify.com` (its stable id).
    pub shop: String,
    /// The Admin API access token (`SHOPKEEPER_SHOPIFY_TOKEN`).
    pub access_token: Option<Secret>,
    /// The Admin API version, pinned.
    pub api_version: String,
    /// The app's webhook secret, which signs deliveries (`SHOPKEEPER_SHOPIFY_WEBHOOK_SECRET`).
    pub webhook_secret: Option<Secret>,
    /// The GraphQL endpoint; default `https://{shop}/admin/api/{api_version}/graphql.json`.
    pub api_url: Option<String>,
}

impl Default for ShopifyConfig {
    fn default() -> Self {
        Self {
            shop: String::new(),
            access_token: None,
            api_version: API_VERSION.into(),
            webhook_secret: None,
            api_url: None,
        }
    }
}

/// Why a `[shopify]` section cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A value is missing or malformed.
    #[error("[shopify] {0}")]
    Invalid(String),
}

impl ShopifyConfig {
    /// Reads `[shopify]` from the configuration file's text, if the section is there (the
    /// other sections are read by their owners; unknown keys inside this one are errors).
    pub fn from_toml(text: &str) -> Result<Option<Self>, toml::de::Error> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            shopify: Option<ShopifyConfig>,
        }
        Ok(toml::from_str::<File>(text)?.shopify)
    }

    /// Environment variables override the file; a token alone with a shop turns it on.
    pub fn apply_env(mut this: Option<Self>, var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        if let Some(shop) = var("SHOPKEEPER_SHOPIFY_SHOP") {
            this.get_or_insert_with(Self::default).shop = shop;
        }
        if let Some(token) = var("SHOPKEEPER_SHOPIFY_TOKEN") {
            this.get_or_insert_with(Self::default).access_token = Some(Secret::new(token));
        }
        if let (Some(secret), Some(c)) = (var("SHOPKEEPER_SHOPIFY_WEBHOOK_SECRET"), &mut this) {
            c.webhook_secret = Some(Secret::new(secret));
        }
        this
    }

    /// The shop's domain, normalised: no scheme, no path, lower case.
    pub fn domain(&self) -> String {
        self.shop
            .trim()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_ascii_lowercase()
    }

    /// The GraphQL endpoint.
    pub fn endpoint(&self) -> String {
        match &self.api_url {
            Some(url) => url.clone(),
            None => format!(
                "https://{}/admin/api/{}/graphql.json",
                self.domain(),
                self.api_version
            ),
        }
    }

    /// Every problem with the section, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let domain = self.domain();
        let valid_domain = !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && domain.contains('.');
        if !valid_domain {
            out.push(format!(
                "shop {:?} is not a shop domain such as acme.myshopify.com",
                self.shop
            ));
        }
        if self
            .access_token
            .as_ref()
            .is_none_or(|t| t.expose().trim().is_empty())
        {
            out.push("no access_token (set it here or in SHOPKEEPER_SHOPIFY_TOKEN)".to_string());
        }
        let v = &self.api_version;
        let version_ok = v == "unstable"
            || (v.len() == 7
                && v.as_bytes()[4] == b'-'
                && v[..4].bytes().all(|b| b.is_ascii_digit())
                && v[5..].bytes().all(|b| b.is_ascii_digit()));
        if !version_ok {
            out.push(format!(
                "api_version {v:?} is not a version such as {API_VERSION}"
            ));
        }
        if let Some(url) = &self.api_url
            && reqwest::Url::parse(url).is_err()
        {
            out.push(format!("api_url {url:?} is not a URL"));
        }
        out
    }

    /// The section, checked.
    pub fn validated(self) -> Result<Self, ConfigError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(ConfigError::Invalid(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_reads_defaults_and_the_environment() {
        let c = ShopifyConfig::from_toml("[shopify]\nshop = \"Acme.myshopify.com\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(c.api_version, API_VERSION);
        assert_eq!(
            c.endpoint(),
            "https://acme.myshopify.com/admin/api/2026-10/graphql.json"
        );
        let c = ShopifyConfig::apply_env(Some(c), |k| {
            (k == "SHOPKEEPER_SHOPIFY_TOKEN").then(|| "shpat_abcdef0123456789".into())
        })
        .unwrap();
        assert!(c.problems().is_empty(), "{:?}", c.problems());
        let shown = toml::to_string(&c).unwrap();
        assert!(
            shown.contains("***6789") && !shown.contains("shpat_"),
            "{shown}"
        );
        assert!(ShopifyConfig::from_toml("[llm]\n").unwrap().is_none());
    }

    #[test]
    fn mistakes_are_named() {
        let err = ShopifyConfig::from_toml("[shopify]\nshop = \"a\"\ntoken = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("token"), "{err}");
        let c = ShopifyConfig {
            shop: "not a shop".into(),
            api_version: "2026-1".into(),
            ..ShopifyConfig::default()
        };
        let p = c.problems();
        assert_eq!(p.len(), 3, "{p:?}");
    }
}
