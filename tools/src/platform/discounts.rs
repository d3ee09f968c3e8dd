//! Discount codes.

use super::{Shop, applied, parse_time, to_value};
use crate::commerce::money::Amount;
use crate::commerce::request::{DiscountDraft, DiscountOff};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Arguments of `create_discount_code`: give percent_off or amount_off.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountArgs {
    /// The code customers type at checkout, e.g. "WELCOME10": letters, digits, dashes and underscores.
    #[schemars(length(min = 3, max = 64))]
    pub code: String,
    /// Percent off the order, e.g. 10 for 10%.
    #[serde(default)]
    pub percent_off: Option<Amount>,
    /// A fixed amount off the order in the shop's currency, e.g. "5.00".
    #[serde(default)]
    pub amount_off: Option<Amount>,
    /// From when it applies, RFC 3339 (default: now).
    #[serde(default)]
    pub starts_at: Option<String>,
    /// Until when it applies, RFC 3339 (default: no end).
    #[serde(default)]
    pub ends_at: Option<String>,
    /// How many times it can be used in all (default: no limit).
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub usage_limit: Option<u32>,
    /// Each customer may use it only once (default false).
    #[serde(default)]
    pub once_per_customer: bool,
}

impl DiscountArgs {
    fn draft(&self, tool: &str) -> Result<DiscountDraft, ToolError> {
        let off = match (self.percent_off, self.amount_off) {
            (Some(p), None) if p.0 > Decimal::ZERO && p.0 <= Decimal::ONE_HUNDRED => {
                DiscountOff::Percent(p.0)
            }
            (Some(p), None) => {
                return Err(ToolError::invalid(
                    tool,
                    format!("percent_off must be more than 0 and at most 100, not {p}"),
                ));
            }
            (None, Some(a)) if a.0 > Decimal::ZERO => DiscountOff::Amount(a),
            (None, Some(a)) => {
                return Err(ToolError::invalid(
                    tool,
                    format!("amount_off must be more than 0, not {a}"),
                ));
            }
            _ => {
                return Err(ToolError::invalid(
                    tool,
                    "give exactly one of percent_off or amount_off",
                ));
            }
        };
        if !self
            .code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ToolError::invalid(
                tool,
                format!(
                    "code {:?} may hold only letters, digits, dashes and underscores",
                    self.code
                ),
            ));
        }
        let time = |field: &str, t: &Option<String>| {
            t.as_deref().map(|t| parse_time(tool, field, t)).transpose()
        };
        Ok(DiscountDraft {
            code: self.code.clone(),
            off,
            starts_at: time("starts_at", &self.starts_at)?,
            ends_at: time("ends_at", &self.ends_at)?,
            usage_limit: self.usage_limit,
            once_per_customer: self.once_per_customer,
        })
    }
}

/// `create_discount_code`.
pub struct CreateDiscountCode(pub Shop);

#[async_trait]
impl Tool for CreateDiscountCode {
    type Args = DiscountArgs;
    const NAME: &'static str = "create_discount_code";
    const DESCRIPTION: &'static str = "Create a discount code for the whole order: a percentage or a fixed amount off, with optional start, end, usage limit and once per customer. Returns the discount as created.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "create a discount code WELCOME10 for 10% off",
        "make a $5 off code SORRY5 for one use",
    ];

    async fn call(&self, a: DiscountArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        let draft = a.draft(Self::NAME)?;
        to_value(&self.0.create_discount(&draft, &ctx.key).await?)
    }

    async fn render(&self, a: &DiscountArgs) -> String {
        let currency = &self.0.shop().currency;
        let off = match (a.percent_off, a.amount_off) {
            (Some(p), _) => format!("{p}% off the order"),
            (None, Some(m)) => format!("{} off the order", m.money(currency)),
            (None, None) => "(no amount given)".into(),
        };
        let mut text = format!("Create discount code {}: {off}", a.code);
        if let Some(s) = &a.starts_at {
            text.push_str(&format!(", from {s}"));
        }
        if let Some(e) = &a.ends_at {
            text.push_str(&format!(", until {e}"));
        }
        if let Some(n) = a.usage_limit {
            text.push_str(&format!(", {n} use(s) in all"));
        }
        if a.once_per_customer {
            text.push_str(", once per customer");
        }
        text
    }

    async fn reconcile(&self, a: &DiscountArgs, _ctx: &CallContext) -> Reconciliation {
        // Codes are unique in a shop: the code existing means it was made.
        match self.0.discount(&a.code).await {
            Ok(Some(d)) => applied(&d),
            Ok(None) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
