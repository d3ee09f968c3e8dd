//! Stock tools: adjust and set a variant's units at a location, by SKU.

use super::{Shop, reconcile_keyed, to_value};
use crate::commerce::Capability;
use crate::commerce::request::{AdjustStock, SetStock, StockReason};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// Arguments of `adjust_inventory`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustArgs {
    /// The variant's SKU, e.g. "TSHIRT-BLU-M".
    #[schemars(length(min = 1))]
    pub sku: String,
    /// Units to add (positive) or remove (negative); not 0.
    pub delta: i64,
    /// The location's name or id; the shop's primary location when left out.
    #[serde(default)]
    pub location: Option<String>,
    /// Why: received, restock, correction, cycle_count_available, damaged, shrinkage, promotion, quality_control, other.
    pub reason: StockReason,
}

/// `adjust_inventory`.
pub struct AdjustInventory(pub Shop);

async fn variant_card(shop: &Shop, sku: &str) -> String {
    match shop
        .product(&crate::commerce::query::ProductRef::Sku(sku.to_string()))
        .await
    {
        Ok(p) => match p.variant_by_sku(sku) {
            Some(v) if !v.title.is_empty() => format!("{sku} ({}, {})", p.title, v.title),
            _ => format!("{sku} ({})", p.title),
        },
        Err(e) => format!("{sku} ({e})"),
    }
}

/// "at Main warehouse" and the units there now, when the store can say.
async fn level_card(shop: &Shop, sku: &str, location: Option<&str>) -> (String, Option<i64>) {
    let levels = shop.inventory(sku).await.unwrap_or_default();
    let level = match location {
        Some(l) => levels
            .iter()
            .find(|x| x.location.id == l || x.location.name.eq_ignore_ascii_case(l)),
        None => levels.first(),
    };
    match level {
        Some(x) => (format!("at {}", x.location.name), Some(x.available)),
        None => (
            format!("at {}", location.unwrap_or("the primary location")),
            None,
        ),
    }
}

#[async_trait]
impl Tool for AdjustInventory {
    type Args = AdjustArgs;
    const NAME: &'static str = "adjust_inventory";
    const DESCRIPTION: &'static str = "Add or remove stock of a variant (by SKU) at a location, with a reason. Returns the stock level afterwards.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = false;
    const EXAMPLES: &'static [&'static str] = &[
        "add 10 units of TSHIRT-BLU-M, we received a delivery",
        "remove 3 of sku 8293778132, damaged",
        "we received 25 more of item 4983901480",
    ];

    async fn call(&self, a: AdjustArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        if a.delta == 0 {
            return Err(ToolError::invalid(Self::NAME, "delta must not be 0"));
        }
        let request = AdjustStock {
            sku: a.sku,
            location: a.location,
            delta: a.delta,
            reason: a.reason,
        };
        to_value(&self.0.adjust_stock(&request, &ctx.key).await?)
    }

    async fn render(&self, a: &AdjustArgs) -> String {
        let variant = variant_card(&self.0, &a.sku).await;
        let (place, now) = level_card(&self.0, &a.sku, a.location.as_deref()).await;
        let sign = if a.delta > 0 { "+" } else { "" };
        let change = now
            .map(|n| format!(" ({n} -> {})", n + a.delta))
            .unwrap_or_default();
        format!(
            "Adjust stock of {variant} {place} by {sign}{}{change} — reason: {}",
            a.delta,
            a.reason.as_str()
        )
    }

    async fn reconcile(&self, _a: &AdjustArgs, ctx: &CallContext) -> Reconciliation {
        // A delta leaves no trace to read back: only the key can tell.
        reconcile_keyed(&self.0, ctx, Capability::Inventory)
            .await
            .unwrap_or(Reconciliation::Unknown)
    }
}

/// Arguments of `set_inventory`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetArgs {
    /// The variant's SKU, e.g. "TSHIRT-BLU-M".
    #[schemars(length(min = 1))]
    pub sku: String,
    /// The new number of units available.
    #[schemars(range(min = 0))]
    pub quantity: i64,
    /// The location's name or id; the shop's primary location when left out.
    #[serde(default)]
    pub location: Option<String>,
    /// The quantity you expect there now (from a recent read); the change is refused if it differs.
    #[serde(default)]
    pub expected: Option<i64>,
    /// Why: received, restock, correction, cycle_count_available, damaged, shrinkage, promotion, quality_control, other.
    pub reason: StockReason,
}

/// `set_inventory`.
pub struct SetInventory(pub Shop);

#[async_trait]
impl Tool for SetInventory {
    type Args = SetArgs;
    const NAME: &'static str = "set_inventory";
    const DESCRIPTION: &'static str = "Set the stock of a variant (by SKU) at a location to a number, e.g. after a count; refused when `expected` is given and differs from the stock now. Returns the stock level afterwards.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "set the stock of TSHIRT-BLU-M to 40",
        "we counted 12 of sku HOODIE-GRY-L",
    ];

    async fn call(&self, a: SetArgs, ctx: &CallContext) -> Result<Value, ToolError> {
        let request = SetStock {
            sku: a.sku,
            location: a.location,
            quantity: a.quantity,
            expected: a.expected,
            reason: a.reason,
        };
        to_value(&self.0.set_stock(&request, &ctx.key).await?)
    }

    async fn render(&self, a: &SetArgs) -> String {
        let variant = variant_card(&self.0, &a.sku).await;
        let (place, now) = level_card(&self.0, &a.sku, a.location.as_deref()).await;
        let from = now.map(|n| format!(" from {n}")).unwrap_or_default();
        let expected = a
            .expected
            .map(|e| format!(" (only if it is {e} then)"))
            .unwrap_or_default();
        format!(
            "Set stock of {variant} {place}{from} to {}{expected} — reason: {}",
            a.quantity,
            a.reason.as_str()
        )
    }

    async fn reconcile(&self, a: &SetArgs, ctx: &CallContext) -> Reconciliation {
        if let Some(r) = reconcile_keyed(&self.0, ctx, Capability::Inventory).await {
            return r;
        }
        let (_, now) = level_card(&self.0, &a.sku, a.location.as_deref()).await;
        match now {
            Some(n) if n == a.quantity => Reconciliation::Applied(serde_json::json!({
                "sku": a.sku, "available": n
            })),
            Some(_) => Reconciliation::NotApplied,
            None => Reconciliation::Unknown,
        }
    }
}
