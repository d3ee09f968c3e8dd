//! Builds the agent from configuration: the model, the store's tools, the
//! conversation store and the system prompt.

use anyhow::Context;
use shopkeeper_agent::config::{Config, HOW_TO_CONFIGURE};
use shopkeeper_agent::llm::openai::OpenAiModel;
use shopkeeper_agent::prompts::{Audience, Prompts};
use shopkeeper_agent::{Agent, AgentSettings};
use shopkeeper_memory::{AppDb, DataDir};
use shopkeeper_tools::{LocalStore, Semantics, local_registry};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Exit status when no language model is configured.
pub const EXIT_NOT_CONFIGURED: u8 = 2;

/// The effective configuration and the data directory.
pub fn load_config(
    explicit: Option<&Path>,
) -> anyhow::Result<(Config, DataDir, Option<std::path::PathBuf>)> {
    let dir = DataDir::resolve()?;
    dir.ensure()?;
    let (config, source) = Config::load(explicit, dir.root())?;
    Ok((config, dir, source))
}

/// A ready agent with what it acts on.
pub struct Session {
    /// The agent.
    pub agent: Agent,
    /// What the model is.
    pub model: String,
    store: LocalStore,
}

impl Session {
    /// Closes the store and the database.
    pub async fn close(&self) {
        self.agent.db().close().await;
        self.store.close().await;
    }
}

/// Builds the session, or prints how to configure a model and returns `None`.
pub async fn open(explicit_config: Option<&Path>) -> anyhow::Result<Option<Session>> {
    let (config, dir, _) = load_config(explicit_config)?;
    let Some(settings) = config.openai_settings() else {
        eprintln!("{HOW_TO_CONFIGURE}");
        return Ok(None);
    };
    let model = OpenAiModel::new(settings).context("setting up the model client")?;
    let store = LocalStore::open(&dir.store_path(), Semantics::Correct).await?;
    let registry = Arc::new(local_registry(store.clone())?);
    let db = match &config.database_url {
        Some(url) => AppDb::connect(url).await?,
        None => AppDb::open_in(&dir).await?,
    };
    let today = chrono::Local::now().format("%A, %B %-d, %Y").to_string();
    let system = Prompts::new(config.agent.prompts_dir.clone()).system(
        Audience::Staff,
        &config.store_name,
        "merchant",
        &today,
    )?;
    let settings = AgentSettings {
        max_turns: config.agent.max_turns,
        tool_timeout: Duration::from_secs(config.agent.tool_timeout_secs.max(1)),
        tool_concurrency: config.agent.tool_concurrency,
    };
    use shopkeeper_agent::ChatModel;
    let description = model.describe();
    Ok(Some(Session {
        agent: Agent::new(Arc::new(model), registry, db, system, settings),
        model: description,
        store,
    }))
}
