//! The registry: lists tools with their schemas, validates arguments, checks the
//! approval policy, and dispatches. Every caller reaches a tool through here.

use crate::effect::Effect;
use crate::error::ToolError;
use crate::policy::{Caller, Policy, Requirement, Role};
use crate::tool::{CallContext, DynTool, Tool};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::Instrument;

/// A request to run a tool: `{"name": ..., "arguments": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The tool's name.
    pub name: String,
    /// The arguments object.
    #[serde(default = "empty_object")]
    pub arguments: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// What the registry tells about a tool.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    /// The tool's name.
    pub name: &'static str,
    /// Its description, written for the model.
    pub description: &'static str,
    /// What it does to the world.
    pub effect: Effect,
    /// Whether calling it twice equals calling it once.
    pub idempotent: bool,
    /// The JSON schema of its arguments.
    pub parameters: Value,
    /// Example requests that call for it (for the offline router).
    pub examples: &'static [&'static str],
    /// Only staff may call it (never a customer's conversation).
    pub staff_only: bool,
    /// Why the active store cannot serve it; `None` when it is offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<String>,
    /// What it needs the store to be able to do, for tools over a store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<crate::commerce::Capability>,
}

impl ToolInfo {
    /// The tool in OpenAI's function-calling format.
    pub fn openai_function(&self) -> Value {
        json!({
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            }
        })
    }
}

struct Entry {
    tool: Arc<dyn DynTool>,
    info: ToolInfo,
    validator: jsonschema::Validator,
}

/// The set of tools a caller may use, with validation, policy and dispatch.
pub struct Registry {
    tools: BTreeMap<&'static str, Entry>,
    /// Tools the active store cannot serve: listed with the reason, never offered or run.
    not_offered: BTreeMap<&'static str, ToolInfo>,
    policy: Policy,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.tools.keys()).finish()
    }
}

impl Registry {
    /// An empty registry governed by `policy`.
    pub fn new(policy: Policy) -> Self {
        Self {
            tools: BTreeMap::new(),
            not_offered: BTreeMap::new(),
            policy,
        }
    }

    /// The policy this registry enforces.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Adds a tool; fails if the name is taken or its schema does not compile.
    pub fn register<T: Tool>(&mut self, tool: T) -> Result<(), ToolError> {
        let info = self.describe::<T>(None)?;
        let validator = jsonschema::validator_for(&info.parameters)
            .map_err(|e| ToolError::Definition(format!("schema of `{}`: {e}", T::NAME)))?;
        self.tools.insert(
            T::NAME,
            Entry {
                tool: Arc::new(tool),
                info,
                validator,
            },
        );
        Ok(())
    }

    /// Lists a tool the active store cannot serve, with the reason; it is never offered to a
    /// model, and calling it says why.
    pub fn register_not_offered<T: Tool>(
        &mut self,
        reason: impl Into<String>,
    ) -> Result<(), ToolError> {
        let info = self.describe::<T>(Some(reason.into()))?;
        self.not_offered.insert(T::NAME, info);
        Ok(())
    }

    /// Registers `tool` when `missing` is `None`, else lists it as not offered for that reason.
    pub fn register_if<T: Tool>(
        &mut self,
        tool: T,
        missing: Option<String>,
    ) -> Result<(), ToolError> {
        match missing {
            None => self.register(tool),
            Some(reason) => self.register_not_offered::<T>(reason),
        }
    }

    /// Registers a tool over `store` that needs `capability`: offered when the store has
    /// it, else listed as not offered, saying so.
    pub fn register_capable<T: Tool>(
        &mut self,
        tool: T,
        capability: crate::commerce::Capability,
        store: &dyn crate::commerce::Commerce,
    ) -> Result<(), ToolError> {
        self.register_if(tool, store.unable(capability))?;
        for info in [
            self.tools.get_mut(T::NAME).map(|e| &mut e.info),
            self.not_offered.get_mut(T::NAME),
        ]
        .into_iter()
        .flatten()
        {
            info.capability = Some(capability);
        }
        Ok(())
    }

    fn describe<T: Tool>(&self, unavailable: Option<String>) -> Result<ToolInfo, ToolError> {
        if self.tools.contains_key(T::NAME) || self.not_offered.contains_key(T::NAME) {
            return Err(ToolError::Definition(format!(
                "tool `{}` registered twice",
                T::NAME
            )));
        }
        Ok(ToolInfo {
            name: T::NAME,
            description: T::DESCRIPTION,
            effect: T::EFFECT,
            idempotent: T::IDEMPOTENT,
            parameters: crate::schema::parameters_schema::<T::Args>(),
            examples: T::EXAMPLES,
            staff_only: T::STAFF_ONLY,
            unavailable,
            capability: None,
        })
    }

    /// Every tool offered, by name.
    pub fn list(&self) -> impl Iterator<Item = &ToolInfo> {
        self.tools.values().map(|e| &e.info)
    }

    /// Every tool offered, then those the active store cannot serve (with the reason).
    pub fn list_all(&self) -> impl Iterator<Item = &ToolInfo> {
        self.list().chain(self.not_offered.values())
    }

    /// One tool's description.
    pub fn info(&self, name: &str) -> Result<&ToolInfo, ToolError> {
        self.entry(name).map(|e| &e.info)
    }

    /// Every tool in OpenAI's function-calling format.
    pub fn openai_tools(&self) -> Vec<Value> {
        self.list().map(ToolInfo::openai_function).collect()
    }

    fn entry(&self, name: &str) -> Result<&Entry, ToolError> {
        if let Some(info) = self.not_offered.get(name) {
            return Err(ToolError::NotOffered {
                tool: name.to_string(),
                reason: info.unavailable.clone().unwrap_or_default(),
            });
        }
        self.tools.get(name).ok_or_else(|| ToolError::UnknownTool {
            name: name.to_string(),
            available: self.tools.keys().map(|k| k.to_string()).collect(),
        })
    }

    pub(crate) fn tool(&self, name: &str) -> Result<&Arc<dyn DynTool>, ToolError> {
        self.entry(name).map(|e| &e.tool)
    }

    /// Checks a call's arguments against the tool's schema, naming every problem.
    pub fn validate(&self, name: &str, args: &Value) -> Result<&ToolInfo, ToolError> {
        let entry = self.entry(name)?;
        let problems: Vec<String> = entry
            .validator
            .iter_errors(args)
            .map(|e| {
                let path = e.instance_path().to_string();
                if path.is_empty() {
                    e.to_string()
                } else {
                    format!("{path}: {e}")
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(&entry.info)
        } else {
            Err(ToolError::InvalidArguments {
                tool: name.to_string(),
                problems,
            })
        }
    }

    /// Parses arguments as the model sends them (a JSON string) into a value.
    pub fn parse_arguments(name: &str, raw: &str) -> Result<Value, ToolError> {
        let raw = if raw.trim().is_empty() { "{}" } else { raw };
        serde_json::from_str(raw)
            .map_err(|e| ToolError::invalid(name, format!("arguments are not valid JSON: {e}")))
    }

    /// Says exactly what a call would do, after validating it.
    pub async fn render(&self, name: &str, args: &Value) -> Result<String, ToolError> {
        self.validate(name, args)?;
        self.entry(name)?.tool.render_value(args.clone()).await
    }

    /// What the policy requires before `caller`'s call runs (validating it first).
    pub async fn requirement(
        &self,
        caller: &Caller,
        name: &str,
        args: &Value,
    ) -> Result<Requirement, ToolError> {
        let info = self.validate(name, args)?;
        let effect = info.effect;
        // Not a policy choice: a customer's conversation never browses other customers.
        if info.staff_only && caller.role == Role::Customer {
            return Ok(Requirement::Deny);
        }
        let amount = match effect {
            Effect::Read | Effect::Draft => None,
            _ => self.entry(name)?.tool.amount_value(args.clone()).await?,
        };
        Ok(self.policy.requirement(caller, name, effect, amount))
    }

    /// Validates a call, checks the policy, and runs it if the policy lets it run without a
    /// human. A call that needs approval is refused with `NeedsApproval`: it can only run
    /// through an approval and `execute_approved`.
    pub async fn call(&self, caller: &Caller, name: &str, args: Value) -> Result<Value, ToolError> {
        match self.requirement(caller, name, &args).await? {
            Requirement::Allow => {}
            Requirement::Approve(required_role) => {
                return Err(ToolError::NeedsApproval {
                    tool: name.to_string(),
                    required_role,
                });
            }
            Requirement::Deny => {
                return Err(ToolError::NotAllowed(format!(
                    "the shop's policy does not allow `{name}`"
                )));
            }
        }
        let entry = self.entry(name)?;
        let span = tracing::info_span!("tool_call", tool = name, effect = %entry.info.effect);
        let started = std::time::Instant::now();
        let result = entry
            .tool
            .call_value(args, &CallContext::fresh())
            .instrument(span)
            .await;
        tracing::debug!(
            tool = name,
            elapsed_us = started.elapsed().as_micros() as u64,
            ok = result.is_ok(),
            "tool call finished"
        );
        result
    }
}
