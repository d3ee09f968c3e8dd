//! System prompts: minijinja templates shipped in the binary, overridable from a folder.

use minijinja::{Environment, context};
use std::path::PathBuf;

/// Who the assistant is talking to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Merchants and support agents.
    Staff,
    /// The shop's customers.
    Customer,
}

const SHIPPED: &[(&str, &str)] = &[
    ("staff.md.j2", include_str!("../../prompts/staff.md.j2")),
    (
        "customer_service.md.j2",
        include_str!("../../prompts/customer_service.md.j2"),
    ),
    ("policy.md", include_str!("../../prompts/policy.md")),
    (
        "ticket_reply.md.j2",
        include_str!("../../prompts/ticket_reply.md.j2"),
    ),
    ("listing.md.j2", include_str!("../../prompts/listing.md.j2")),
    ("router.md.j2", include_str!("../../prompts/router.md.j2")),
];

/// Why a prompt cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// An override file exists but cannot be read.
    #[error("cannot read prompt override {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The template does not render.
    #[error("prompt template {name}: {source}")]
    Render {
        /// The template.
        name: &'static str,
        /// What is wrong.
        source: minijinja::Error,
    },
}

/// The prompt templates, with an optional override folder.
#[derive(Debug, Clone, Default)]
pub struct Prompts {
    overrides: Option<PathBuf>,
}

impl Prompts {
    /// Shipped templates, overridden by same-named files in `overrides`.
    pub fn new(overrides: Option<PathBuf>) -> Self {
        Self { overrides }
    }

    fn source(&self, name: &'static str) -> Result<String, PromptError> {
        if let Some(path) = self
            .overrides
            .as_ref()
            .map(|d| d.join(name))
            .filter(|p| p.is_file())
        {
            return std::fs::read_to_string(&path)
                .map_err(|source| PromptError::Read { path, source });
        }
        Ok(SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s.to_string())
            .unwrap_or_default())
    }

    /// The system prompt for `audience`.
    pub fn system(
        &self,
        audience: Audience,
        store_name: &str,
        role: &str,
        date: &str,
    ) -> Result<String, PromptError> {
        let name = match audience {
            Audience::Staff => "staff.md.j2",
            Audience::Customer => "customer_service.md.j2",
        };
        let policy = self.source("policy.md")?;
        let ticket_replies = self.render("ticket_reply.md.j2", context! { store_name })?;
        self.render(
            name,
            context! { store_name, role, date, policy, ticket_replies },
        )
    }

    /// The system prompt for writing product listings.
    pub fn listing(&self, store_name: &str) -> Result<String, PromptError> {
        self.render("listing.md.j2", context! { store_name })
    }

    /// An answer of the offline router (see `prompts/router.md.j2` for the variables).
    pub fn router_answer(&self, vars: minijinja::Value) -> Result<String, PromptError> {
        self.render("router.md.j2", vars)
    }

    fn render(&self, name: &'static str, vars: minijinja::Value) -> Result<String, PromptError> {
        let template = self.source(name)?;
        let mut env = Environment::new();
        env.add_filter("money", money);
        env.add_filter("words", |s: String| s.replace('_', " "));
        env.add_template_owned(name, template)
            .map_err(|source| PromptError::Render { name, source })?;
        env.get_template(name)
            .and_then(|t| t.render(vars))
            .map_err(|source| PromptError::Render { name, source })
    }
}

/// `{"amount": "4079.45", "currency": "USD"}` as "$4,079.45"; anything else as it prints.
fn money(value: minijinja::Value) -> String {
    let parsed: Result<shopkeeper_tools::commerce::money::Money, _> =
        serde_json::to_value(&value).and_then(serde_json::from_value);
    match parsed {
        Ok(m) => m.to_string(),
        Err(_) => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_prompts_fill_their_variables() {
        let p = Prompts::default();
        let staff = p
            .system(Audience::Staff, "Acme Outdoors", "merchant", "2026-11-29")
            .unwrap();
        assert!(
            staff.contains("Acme Outdoors")
                && staff.contains("merchant")
                && staff.contains("2026-11-29")
        );
        let customer = p
            .system(
                Audience::Customer,
                "Acme Outdoors",
                "customer",
                "2026-11-29",
            )
            .unwrap();
        assert!(
            customer.contains("# Retail agent policy"),
            "embeds the store policy"
        );
    }

    #[test]
    fn a_folder_overrides_a_shipped_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("staff.md.j2"),
            "Hi {{ role }} of {{ store_name }}",
        )
        .unwrap();
        let p = Prompts::new(Some(dir.path().to_path_buf()));
        assert_eq!(
            p.system(Audience::Staff, "Acme", "support agent", "d")
                .unwrap(),
            "Hi support agent of Acme"
        );
        std::fs::write(dir.path().join("staff.md.j2"), "{{ broken").unwrap();
        assert!(matches!(
            p.system(Audience::Staff, "Acme", "x", "d"),
            Err(PromptError::Render { .. })
        ));
    }
}
