//! Builds what commands act on from configuration: the store and its tools under
//! the shop's policy, the application database, the approvals service, and (when
//! a model is configured) the agent.

use anyhow::Context;
use shopkeeper_agent::config::{Config, HOW_TO_CONFIGURE, RouterMode};
use shopkeeper_agent::listing_writer::ModelListingWriter;
use shopkeeper_agent::llm::ChatModel;
use shopkeeper_agent::llm::openai::OpenAiModel;
use shopkeeper_agent::prompts::{Audience, Prompts};
use shopkeeper_agent::router::{RouterFirst, RouterModel, RouterSettings};
use shopkeeper_agent::{Agent, AgentSettings, Approvals, Decider, Silent};
use shopkeeper_memory::profiles::Profiles;
use shopkeeper_memory::{AppDb, DataDir};
use shopkeeper_tools::catalog::ListingWriter;
use shopkeeper_tools::commerce::query::PageQuery;
use shopkeeper_tools::recall::Recall;
use shopkeeper_tools::{ActiveStore, LocalStore, Registry, Role, Semantics, ToolInfo};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The sections of `shopkeeper.toml` read by the chat fronts and the connectors; with the
/// agent's own, nothing else is accepted.
const OTHER_SECTIONS: &[&str] = &["serve", "telegram", "slack", "discord", "shopify"];

/// Exit status when no language model is configured.
pub const EXIT_NOT_CONFIGURED: u8 = 2;

/// The effective configuration, the data directory and the file read, if any.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<(Config, DataDir, Option<PathBuf>)> {
    let dir = DataDir::resolve()?;
    dir.ensure()?;
    let (config, source) = Config::load(explicit, dir.root(), OTHER_SECTIONS)?;
    Ok((config, dir, source))
}

/// The store, its tools under the shop's policy, and the approvals service.
pub struct Ops {
    /// The configuration.
    pub config: Config,
    /// The tools.
    pub registry: Arc<Registry>,
    /// Approvals, ledger, audit.
    pub approvals: Approvals,
    /// The agent, when a model is configured.
    pub agent: Option<Agent>,
    /// Search memory and customer profiles.
    pub recall: Recall,
    /// The agent answers through the offline router alone (no language model).
    pub offline: bool,
    llm: Option<Arc<dyn ChatModel>>,
    db: AppDb,
    dir: DataDir,
    store: ActiveStore,
}

impl Ops {
    /// Opens everything; builds the agent when a model is configured. Finishes work a
    /// crash interrupted (executions, expiries, runs ready to resume) before returning.
    pub async fn open(explicit_config: Option<&Path>) -> anyhow::Result<Self> {
        Self::open_with(explicit_config, Semantics::Correct).await
    }

    /// `open`, with the store applying `semantics`.
    pub async fn open_with(
        explicit_config: Option<&Path>,
        semantics: Semantics,
    ) -> anyhow::Result<Self> {
        let (config, dir, source) = load_config(explicit_config)?;
        let store = match super::connect::connected_store(source.as_deref()).await? {
            Some(connected) => connected,
            None => ActiveStore::Local(Arc::new(
                LocalStore::open(&dir.store_path(), semantics).await?,
            )),
        };
        let prompts = Prompts::new(config.agent.prompts_dir.clone());
        let model = match config.openai_settings() {
            Some(settings) => {
                Some(OpenAiModel::new(settings).context("setting up the model client")?)
            }
            None => None,
        };
        // With a model, listings are drafted by it; without, plainly from the attributes.
        let writer = model.clone().map(|m| {
            Arc::new(ModelListingWriter::new(
                m,
                prompts.clone(),
                config.store_name.clone(),
            )) as Arc<dyn ListingWriter>
        });
        let db = match &config.database_url {
            Some(url) => AppDb::connect(url).await?,
            None => AppDb::open_in(&dir).await?,
        };
        let commerce = store.commerce();
        let shop_id = commerce.shop().id.to_string();
        let profiles = Profiles::new(db.clone());
        // Memory was once keyed by the shop's display name; it follows the shop to its id.
        profiles.adopt(&config.store_name, &shop_id).await?;
        let recall = Recall::new(shop_id, profiles, super::recall::opener(&config, &dir));
        let mut registry = shopkeeper_tools::registry_for(&store, config.policy.clone(), writer)?;
        shopkeeper_tools::recall::tools::register(
            &mut registry,
            recall.clone(),
            commerce,
            store.helpdesk(),
        )?;
        let registry = Arc::new(registry);
        let approvals = Approvals::new(db.clone(), registry.clone());
        let llm = model.map(|m| Arc::new(m) as Arc<dyn ChatModel>);
        let ops = Self {
            config,
            registry,
            approvals,
            agent: None,
            recall,
            offline: false,
            llm: llm.clone(),
            db,
            dir,
            store,
        };
        let mut ops = ops;
        if let Some(llm) = llm {
            ops.agent = Some(ops.make_agent(llm)?);
        }
        ops.recover().await?;
        Ok(ops)
    }

    /// An agent over the shop's tools answering through `model`.
    fn make_agent(&self, model: Arc<dyn ChatModel>) -> anyhow::Result<Agent> {
        let prompts = Prompts::new(self.config.agent.prompts_dir.clone());
        let today = chrono::Local::now().format("%A, %B %-d, %Y").to_string();
        let system =
            prompts.system(Audience::Staff, &self.config.store_name, "merchant", &today)?;
        let customer_system = prompts.system(
            Audience::Customer,
            &self.config.store_name,
            "customer",
            &today,
        )?;
        let settings = AgentSettings {
            max_turns: self.config.agent.max_turns,
            tool_timeout: Duration::from_secs(self.config.agent.tool_timeout_secs.max(1)),
            tool_concurrency: self.config.agent.tool_concurrency,
        };
        Ok(Agent::new(
            model,
            self.registry.clone(),
            self.db.clone(),
            system,
            settings,
        )
        .with_customer_prompt(customer_system))
    }

    /// The offline router over this shop's tools (loads the local embedding model).
    async fn router(&self) -> anyhow::Result<RouterModel> {
        let embedder = super::recall::embedder(&self.config, &self.dir)
            .await
            .map_err(anyhow::Error::msg)?;
        let tools: Vec<ToolInfo> = self.registry.list().cloned().collect();
        let products = self.product_names().await?;
        let settings = RouterSettings {
            threshold: self.config.agent.router_threshold,
            ..RouterSettings::default()
        };
        Ok(RouterModel::new(
            embedder,
            &tools,
            Prompts::new(self.config.agent.prompts_dir.clone()),
            &self.config.store_name,
            products,
            settings,
        )
        .await?)
    }

    /// Opens everything with an agent: the configured model, the offline router in front
    /// of it (`router = "first"`), or the router alone when no model is configured
    /// (`router = "auto"`). Prints how to configure one when there is neither.
    pub async fn with_agent(explicit_config: Option<&Path>) -> anyhow::Result<Option<Self>> {
        let mut ops = Self::open(explicit_config).await?;
        let mode = ops.config.agent.router;
        let wanted = match mode {
            RouterMode::Off => false,
            RouterMode::Auto => ops.llm.is_none(),
            RouterMode::First => true,
        };
        if wanted {
            match ops.router().await {
                Ok(router) => {
                    let model: Arc<dyn ChatModel> = match ops.llm.clone() {
                        Some(llm) => Arc::new(RouterFirst::new(router, llm)),
                        None => {
                            ops.offline = true;
                            Arc::new(router)
                        }
                    };
                    ops.agent = Some(ops.make_agent(model)?);
                }
                Err(e) if ops.agent.is_some() => {
                    tracing::warn!(error = %e, "the offline router is unavailable; using the model alone");
                }
                Err(e) => {
                    eprintln!("{HOW_TO_CONFIGURE}");
                    eprintln!("Offline mode (no language model) is unavailable too: {e}");
                    ops.close().await;
                    return Ok(None);
                }
            }
        }
        if ops.agent.is_none() {
            eprintln!("{HOW_TO_CONFIGURE}");
            ops.close().await;
            return Ok(None);
        }
        Ok(Some(ops))
    }

    /// What the model is, if there is one.
    pub fn model(&self) -> String {
        self.agent
            .as_ref()
            .map_or_else(|| "no model".into(), Agent::model)
    }

    /// Expires overdue approvals, finishes interrupted executions, resumes runs whose
    /// approvals are all resolved (when a model is configured).
    async fn recover(&self) -> anyhow::Result<()> {
        self.relay_store_events().await?;
        self.approvals.sweep().await?;
        self.approvals.recover().await?;
        if let Some(agent) = &self.agent {
            for run_id in self.approvals.runs_ready().await? {
                if !self.resumes_here(&run_id).await? {
                    continue;
                }
                if let Err(e) = agent.resume_decided(&run_id, &Silent).await {
                    tracing::warn!(run_id, error = %e, "could not resume a run");
                }
            }
        }
        Ok(())
    }

    /// Whether a command-line process should resume this run: conversations held in a
    /// chat front are resumed by `serve`, which posts the answer where it was asked.
    pub async fn resumes_here(&self, run_id: &str) -> anyhow::Result<bool> {
        let Some(run) = self.db.run(run_id).await? else {
            return Ok(false);
        };
        let channel = self
            .db
            .conversation(&run.conversation_id)
            .await?
            .map(|c| c.channel);
        Ok(!channel.is_some_and(|c| shopkeeper_channels::PLATFORMS.contains(&c.as_str())))
    }

    /// The person deciding at this terminal: `--as NAME` from `[[staff]]`, else the owner.
    pub fn decider(&self, name: Option<&str>) -> anyhow::Result<Decider> {
        match name {
            None => Ok(Decider::terminal(None, Role::Owner)),
            Some(name) => {
                let member = self.config.staff_member(name).with_context(|| {
                    format!("no staff member named {name:?} in shopkeeper.toml ([[staff]] entries)")
                })?;
                Ok(Decider::terminal(Some(&member.name), member.role))
            }
        }
    }

    /// The store the tools act on.
    pub fn store(&self) -> &ActiveStore {
        &self.store
    }

    /// The application database.
    pub fn db(&self) -> &AppDb {
        &self.db
    }

    /// Product titles, lower case, for the router to recognise (the first few pages of a
    /// large catalog: names only help it tell a product from other words).
    pub async fn product_names(&self) -> anyhow::Result<Vec<String>> {
        let commerce = self.store.commerce();
        let mut names = Vec::new();
        let mut page = PageQuery::first(250);
        for _ in 0..4 {
            let got = commerce.products(&page).await?;
            names.extend(got.items.into_iter().map(|p| p.title.to_lowercase()));
            match got.next {
                Some(next) => page.cursor = Some(next),
                None => break,
            }
        }
        Ok(names)
    }

    /// Moves the built-in store's own events into the event log.
    pub async fn relay_store_events(&self) -> anyhow::Result<usize> {
        match &self.store {
            ActiveStore::Local(local) => Ok(local.relay_events(&self.db).await?),
            ActiveStore::Connected(_) => Ok(0),
        }
    }

    /// Closes the store and the database.
    pub async fn close(&self) {
        self.approvals.db().close().await;
        if let ActiveStore::Local(local) = &self.store {
            local.close().await;
        }
    }
}
