//! `modify_user_address`.

use super::args::UserAddressArgs;
use super::modify::address_line;
use super::{Store, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Reconciliation, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// Replaces a customer's default address.
pub struct ModifyUserAddressTool(pub Store);

#[async_trait]
impl Tool for ModifyUserAddressTool {
    type Args = UserAddressArgs;
    const NAME: &'static str = "modify_user_address";
    const DESCRIPTION: &'static str = "Modify the default address of a user. The agent needs to explain the modification detail and ask for explicit user confirmation (yes/no) to proceed.";
    const EFFECT: Effect = Effect::Write;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "update the default address of user mia_garcia_4516",
        "change my address, I moved",
        "set a new home address for noah_brown_6181",
    ];

    async fn call(&self, a: UserAddressArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.modify_user_address(&a.user_id, a.address()).await?)
    }

    async fn render(&self, a: &UserAddressArgs) -> String {
        let current = match self.0.user(&a.user_id).await {
            Ok(u) => format!(" (now {})", address_line(&u.address)),
            Err(_) => " (customer not found)".to_string(),
        };
        format!(
            "Set the default address of customer {}{current} to {}",
            a.user_id,
            address_line(&a.address())
        )
    }
    async fn reconcile(&self, a: &UserAddressArgs, _ctx: &CallContext) -> Reconciliation {
        match self.0.user(&a.user_id).await {
            Ok(u) if u.address == a.address() => super::applied(&u),
            Ok(_) => Reconciliation::NotApplied,
            Err(_) => Reconciliation::Unknown,
        }
    }
}
