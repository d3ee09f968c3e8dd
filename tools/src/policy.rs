//! Approval policy as data: what each effect needs, with rules by tool and by the
//! money at stake. It is checked in the registry's dispatch, so every caller
//! (agent, workflow, CLI, chat button) gets the same answer.

use crate::effect::Effect;
use serde::{Deserialize, Serialize};

/// A person's standing in the shop, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A shopper. Never approves anything.
    Customer,
    /// A support agent or other staff member.
    Staff,
    /// May approve larger refunds and cancellations.
    Manager,
    /// The shop's owner (and whoever runs the CLI on the shop's machine).
    Owner,
}

impl Role {
    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Manager => "manager",
            Self::Owner => "owner",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "customer" => Some(Self::Customer),
            "staff" => Some(Self::Staff),
            "manager" => Some(Self::Manager),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }

    /// Whether someone with this role may decide an approval that requires `required`.
    pub fn may_approve(self, required: Role) -> bool {
        self != Role::Customer && self >= required
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a call needs before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// It runs without asking.
    Allow,
    /// A person with at least this role must approve it.
    Approve(Role),
    /// It never runs.
    Deny,
}

/// A requirement as written in the configuration: `"allow"`, `"deny"` or a role name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Runs without asking.
    Allow,
    /// Never runs.
    Deny,
    /// Approval by staff or above.
    Staff,
    /// Approval by a manager or the owner.
    Manager,
    /// Approval by the owner.
    Owner,
}

impl Need {
    fn requirement(self) -> Requirement {
        match self {
            Self::Allow => Requirement::Allow,
            Self::Deny => Requirement::Deny,
            Self::Staff => Requirement::Approve(Role::Staff),
            Self::Manager => Requirement::Approve(Role::Manager),
            Self::Owner => Requirement::Approve(Role::Owner),
        }
    }
}

/// Who is asking for a call, and where: policy rules may depend on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The channel, e.g. `cli`, `telegram`, `workflow`.
    pub channel: String,
    /// The role of the person the call is made for (a customer's conversation: `customer`).
    pub role: Role,
}

impl Caller {
    /// A caller on `channel` acting for someone with `role`.
    pub fn new(channel: &str, role: Role) -> Self {
        Self {
            channel: channel.into(),
            role,
        }
    }
}

/// A rule; the first rule that matches a call decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Matches calls made on this channel only (e.g. `telegram`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Matches calls made for someone with this role only (e.g. `customer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_role: Option<Role>,
    /// Matches this tool only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Matches tools with this effect only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// Matches when the money at stake is at least this many dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<f64>,
    /// What a matching call needs.
    pub require: Need,
}

/// What each effect needs by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EffectNeeds {
    /// Lookups.
    pub read: Need,
    /// Drafts and notes for humans.
    pub draft: Need,
    /// Changes to the store.
    pub write: Need,
    /// Money movements.
    pub money: Need,
    /// Messages to customers and third parties.
    pub outbound: Need,
}

impl Default for EffectNeeds {
    fn default() -> Self {
        Self {
            read: Need::Allow,
            draft: Need::Allow,
            write: Need::Staff,
            money: Need::Staff,
            outbound: Need::Staff,
        }
    }
}

/// The `[policy]` section of `shopkeeper.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Minutes an approval stays open before it expires.
    pub expiry_minutes: u64,
    /// Defaults by effect.
    pub effects: EffectNeeds,
    /// Rules checked in order before the defaults.
    pub rules: Vec<Rule>,
}

impl Default for Policy {
    /// Reads and drafts run; changes need staff; money movements of $500 or more need a manager.
    fn default() -> Self {
        Self {
            expiry_minutes: 24 * 60,
            effects: EffectNeeds::default(),
            rules: vec![Rule {
                channel: None,
                caller_role: None,
                tool: None,
                effect: Some(Effect::Money),
                min_amount: Some(500.0),
                require: Need::Manager,
            }],
        }
    }
}

impl Policy {
    /// Everything runs: only for throwaway stores (replays, simulations), never the real one.
    pub fn allow_all() -> Self {
        Self {
            expiry_minutes: 0,
            effects: EffectNeeds {
                read: Need::Allow,
                draft: Need::Allow,
                write: Need::Allow,
                money: Need::Allow,
                outbound: Need::Allow,
            },
            rules: Vec::new(),
        }
    }

    /// What a call of `tool` (with `effect`, and `amount` dollars at stake if known) made by
    /// `caller` needs.
    pub fn requirement(
        &self,
        caller: &Caller,
        tool: &str,
        effect: Effect,
        amount: Option<f64>,
    ) -> Requirement {
        for rule in &self.rules {
            let caller_ok = rule.channel.as_deref().is_none_or(|c| c == caller.channel)
                && rule.caller_role.is_none_or(|r| r == caller.role);
            let tool_ok = rule.tool.as_deref().is_none_or(|t| t == tool);
            let effect_ok = rule.effect.is_none_or(|e| e == effect);
            let amount_ok = match rule.min_amount {
                None => true,
                // Unknown amount: the rule applies, so a lookup failure never loosens the policy.
                Some(min) => amount.is_none_or(|a| a >= min),
            };
            if caller_ok && tool_ok && effect_ok && amount_ok {
                return rule.require.requirement();
            }
        }
        let need = match effect {
            Effect::Read => self.effects.read,
            Effect::Draft => self.effects.draft,
            Effect::Write => self.effects.write,
            Effect::Money => self.effects.money,
            Effect::Outbound => self.effects.outbound,
        };
        need.requirement()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Caller {
        Caller::new("cli", Role::Owner)
    }

    #[test]
    fn defaults_run_reads_and_gate_changes() {
        let p = Policy::default();
        let c = staff();
        assert_eq!(
            p.requirement(&c, "get_order_details", Effect::Read, None),
            Requirement::Allow
        );
        assert_eq!(
            p.requirement(&c, "modify_user_address", Effect::Write, None),
            Requirement::Approve(Role::Staff)
        );
        assert_eq!(
            p.requirement(&c, "cancel_pending_order", Effect::Money, Some(120.0)),
            Requirement::Approve(Role::Staff)
        );
        assert_eq!(
            p.requirement(&c, "cancel_pending_order", Effect::Money, Some(4079.45)),
            Requirement::Approve(Role::Manager)
        );
        assert_eq!(
            p.requirement(&c, "cancel_pending_order", Effect::Money, None),
            Requirement::Approve(Role::Manager),
            "unknown amount is treated as large"
        );
    }

    #[test]
    fn rules_are_data_and_the_first_match_decides() {
        let p: Policy = toml_like(
            r#"{"expiry_minutes": 5, "effects": {"write": "allow"}, "rules": [
            {"caller_role": "customer", "effect": "write", "require": "manager"},
            {"channel": "telegram", "tool": "cancel_pending_order", "require": "deny"},
            {"tool": "modify_user_address", "require": "owner"},
            {"effect": "money", "min_amount": 100, "require": "deny"}]}"#,
        );
        let c = staff();
        assert_eq!(
            p.requirement(&c, "modify_user_address", Effect::Write, None),
            Requirement::Approve(Role::Owner)
        );
        assert_eq!(
            p.requirement(&c, "modify_pending_order_address", Effect::Write, None),
            Requirement::Allow
        );
        assert_eq!(
            p.requirement(&c, "cancel_pending_order", Effect::Money, Some(150.0)),
            Requirement::Deny
        );
        assert_eq!(
            p.requirement(&c, "cancel_pending_order", Effect::Money, Some(50.0)),
            Requirement::Approve(Role::Staff)
        );
        let customer = Caller::new("web", Role::Customer);
        assert_eq!(
            p.requirement(
                &customer,
                "modify_pending_order_address",
                Effect::Write,
                None
            ),
            Requirement::Approve(Role::Manager)
        );
        let telegram = Caller::new("telegram", Role::Staff);
        assert_eq!(
            p.requirement(&telegram, "cancel_pending_order", Effect::Money, Some(1.0)),
            Requirement::Deny
        );
    }

    #[test]
    fn customers_never_approve() {
        assert!(!Role::Customer.may_approve(Role::Customer));
        assert!(Role::Manager.may_approve(Role::Staff));
        assert!(!Role::Staff.may_approve(Role::Manager));
    }

    fn toml_like(json: &str) -> Policy {
        serde_json::from_str(json).unwrap()
    }
}
