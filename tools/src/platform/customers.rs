//! Customer tools: find a customer by email, phone or name; tag a customer.

use super::orders::{tag, tag_summary, tags_reconciled};
use super::{Shop, to_value};
use crate::commerce::request::Tagged;
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Arguments of `find_customer`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindCustomerArgs {
    /// An email address, a phone number, or a name, e.g. "mia.garcia@example.com".
    #[schemars(length(min = 1))]
    pub query: String,
    /// Most customers to return, 1 to 50 (default 5).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
}

/// `find_customer`.
pub struct FindCustomer(pub Shop);

#[async_trait]
impl Tool for FindCustomer {
    type Args = FindCustomerArgs;
    const NAME: &'static str = "find_customer";
    const DESCRIPTION: &'static str = "Find customers by email, phone number or name, best match first: id, name, email, phone, default address, tags, number of orders and amount spent.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const STAFF_ONLY: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "find the customer jane@example.com",
        "who is the customer with phone +1 415 555 0100",
        "look up customer Jane Smith",
    ];

    async fn call(&self, a: FindCustomerArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let found = self
            .0
            .find_customers(a.query.trim(), a.limit.unwrap_or(5).clamp(1, 50))
            .await?;
        to_value(&found)
    }

    async fn render(&self, a: &FindCustomerArgs) -> String {
        format!("Find customers matching {:?}", a.query)
    }
}

/// Arguments of `tag_customer`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TagCustomerArgs {
    /// The customer's id, from find_customer.
    #[schemars(length(min = 1))]
    pub customer_id: String,
    /// Tags to add, e.g. ["vip"].
    #[serde(default)]
    pub add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// `tag_customer`.
pub struct TagCustomer(pub Shop);

#[async_trait]
impl Tool for TagCustomer {
    type Args = TagCustomerArgs;
    const NAME: &'static str = "tag_customer";
    const DESCRIPTION: &'static str =
        "Add and remove tags on a customer. Returns the customer's tags afterwards.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "tag customer 207119551 as vip",
        "remove the wholesale tag from customer 207119551",
    ];

    async fn call(&self, a: TagCustomerArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        tag(
            &self.0,
            Tagged::Customer(a.customer_id),
            a.add,
            a.remove,
            ctx,
        )
        .await
    }

    async fn render(&self, a: &TagCustomerArgs) -> String {
        let who = match self.0.customer(&a.customer_id).await {
            Ok(c) => format!(
                "{} ({})",
                c.name(),
                c.email.as_deref().unwrap_or(&a.customer_id)
            ),
            Err(e) => format!("{} ({e})", a.customer_id),
        };
        format!("On customer {who}: {}", tag_summary(&a.add, &a.remove))
    }

    async fn reconcile(&self, a: &TagCustomerArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.customer(&a.customer_id).await {
            Ok(c) => tags_reconciled(&c.tags, &a.add, &a.remove),
            Err(_) => Reconciliation::Unknown,
        }
    }
}
