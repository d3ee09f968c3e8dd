//! The `Tool` trait: a typed, schema'd operation the agent can plan over.

use crate::commerce::request::IdempotencyKey;
use crate::effect::Effect;
use crate::error::ToolError;
use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A tool: a name, a description for the model, typed arguments whose schema
/// is derived from the type, an effect, and a human-readable rendering.
#[async_trait]
pub trait Tool: Send + Sync + 'static {
    /// Arguments; the schema the model sees is derived from this type.
    type Args: DeserializeOwned + JsonSchema + Send + Sync;

    /// The name the model calls, e.g. `cancel_pending_order`.
    const NAME: &'static str;
    /// What the tool does, written for the model.
    const DESCRIPTION: &'static str;
    /// What it does to the world.
    const EFFECT: Effect;
    /// Whether calling it twice has the same effect as calling it once.
    const IDEMPOTENT: bool;
    /// How people ask for it, for routing requests without a language model.
    const EXAMPLES: &'static [&'static str] = &[];
    /// Whether only staff may call it, whatever the policy says: tools that browse across
    /// customers must never answer a customer's conversation.
    const STAFF_ONLY: bool = false;

    /// Runs the tool.
    async fn call(&self, args: Self::Args, ctx: &CallContext) -> Result<Value, ToolError>;

    /// Says exactly what the call will do, for the human who approves it. Deterministic
    /// for a given store state; never model prose.
    async fn render(&self, args: &Self::Args) -> String;

    /// Dollars at stake (refund, charge, order value), for policy rules; `None` if unknown.
    async fn amount(&self, _args: &Self::Args) -> Option<f64> {
        None
    }

    /// After a crash between "started" and "finished": did this call take effect?
    async fn reconcile(&self, _args: &Self::Args, _ctx: &CallContext) -> Reconciliation {
        Reconciliation::Unknown
    }
}

/// What a call carries besides its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// The write's idempotency key: its approval's id when one stands behind it, so a
    /// retry after a crash is the same write to the connector.
    pub key: IdempotencyKey,
}

impl CallContext {
    /// A call keyed by `key` (an approval's id).
    pub fn keyed(key: impl Into<String>) -> Self {
        Self {
            key: IdempotencyKey::new(key),
        }
    }

    /// A call with a key of its own (reads, and writes no approval stands behind).
    pub fn fresh() -> Self {
        Self {
            key: IdempotencyKey::fresh(),
        }
    }
}

/// What the store says about a call whose outcome was lost in a crash.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciliation {
    /// It took effect; here is the record as it stands.
    Applied(Value),
    /// It did not take effect, and running it now cannot apply it twice.
    NotApplied,
    /// The store cannot tell; a human must check before anything is retried.
    Unknown,
}

/// A tool with its argument type erased, as the registry holds it.
#[async_trait]
pub trait DynTool: Send + Sync {
    /// The tool's name.
    fn name(&self) -> &'static str;
    /// The tool's description.
    fn description(&self) -> &'static str;
    /// The tool's effect.
    fn effect(&self) -> Effect;
    /// Whether the tool is idempotent.
    fn idempotent(&self) -> bool;
    /// Example requests that call for it.
    fn examples(&self) -> &'static [&'static str];
    /// The JSON schema of the arguments.
    fn parameters(&self) -> Value;
    /// Parses arguments that already passed schema validation, and runs the tool.
    async fn call_value(&self, args: Value, ctx: &CallContext) -> Result<Value, ToolError>;
    /// Parses arguments that already passed schema validation, and renders the call.
    async fn render_value(&self, args: Value) -> Result<String, ToolError>;
    /// Parses arguments and says how much money is at stake.
    async fn amount_value(&self, args: Value) -> Result<Option<f64>, ToolError>;
    /// Parses arguments and reconciles the call with the store.
    async fn reconcile_value(
        &self,
        args: Value,
        ctx: &CallContext,
    ) -> Result<Reconciliation, ToolError>;
}

fn parse<T: Tool>(args: Value) -> Result<T::Args, ToolError> {
    serde_json::from_value(args).map_err(|e| ToolError::invalid(T::NAME, e.to_string()))
}

#[async_trait]
impl<T: Tool> DynTool for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn description(&self) -> &'static str {
        T::DESCRIPTION
    }

    fn effect(&self) -> Effect {
        T::EFFECT
    }

    fn idempotent(&self) -> bool {
        T::IDEMPOTENT
    }

    fn examples(&self) -> &'static [&'static str] {
        T::EXAMPLES
    }

    fn parameters(&self) -> Value {
        crate::schema::parameters_schema::<T::Args>()
    }

    async fn call_value(&self, args: Value, ctx: &CallContext) -> Result<Value, ToolError> {
        let args = parse::<T>(args)?;
        self.call(args, ctx).await
    }

    async fn render_value(&self, args: Value) -> Result<String, ToolError> {
        let args = parse::<T>(args)?;
        Ok(self.render(&args).await)
    }

    async fn amount_value(&self, args: Value) -> Result<Option<f64>, ToolError> {
        let args = parse::<T>(args)?;
        Ok(self.amount(&args).await)
    }

    async fn reconcile_value(
        &self,
        args: Value,
        ctx: &CallContext,
    ) -> Result<Reconciliation, ToolError> {
        let args = parse::<T>(args)?;
        Ok(self.reconcile(&args, ctx).await)
    }
}
