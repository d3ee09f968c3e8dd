//! Configuration: `shopkeeper.toml` (working directory, else the data directory),
//! overridden by the environment variables the OpenAI ecosystem uses.

use crate::llm::openai::OpenAiSettings;
use crate::llm::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use shopkeeper_tools::{Policy, Role};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file's name.
pub const FILE_NAME: &str = "shopkeeper.toml";
/// OpenAI's API, the default when only a key is given.
pub const OPENAI_API: &str = "https://api.openai.com/v1";
/// The model used against OpenAI's API when none is named.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

/// Why the configuration cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this configuration.
    #[error("invalid {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        source: toml::de::Error,
    },
    /// The file has sections or keys nobody reads (a misspelling would be silently ignored).
    #[error("invalid {path}: {}", problems.join("; "))]
    Unknown {
        /// The file.
        path: PathBuf,
        /// One line per unknown name, with a suggestion where one is close.
        problems: Vec<String>,
    },
}

/// The top-level keys and sections this crate reads; other parts of the program read
/// theirs from the same file (the chat fronts, the connectors) and name them to `load`.
pub const SECTIONS: &[&str] = &[
    "store_name",
    "database_url",
    "llm",
    "agent",
    "policy",
    "staff",
    "memory",
];

/// Unknown top-level names of `table`, each with the closest known one when it is close.
pub fn unknown_names(table: &toml::Table, known: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, value) in table {
        if known.contains(&name.as_str()) {
            continue;
        }
        let what = if value.is_table() || value.is_array() {
            format!("unknown section [{name}]")
        } else {
            format!("unknown key `{name}`")
        };
        let closest = known
            .iter()
            .map(|k| (strsim::levenshtein(name, k), *k))
            .min()
            .filter(|(d, k)| *d <= 2.max(k.len() / 3));
        problems.push(match closest {
            Some((_, k)) => format!("{what} (did you mean `{k}`?)"),
            None => format!("{what} (known: {})", known.join(", ")),
        });
    }
    problems.sort();
    problems
}

/// The whole configuration, with documented defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The shop's name, used in prompts.
    pub store_name: String,
    /// The language model.
    pub llm: LlmConfig,
    /// The agent loop.
    pub agent: AgentConfig,
    /// Application database URL; empty means `app.sqlite` in the data directory.
    pub database_url: Option<String>,
    /// Who must approve what.
    pub policy: Policy,
    /// The shop's staff: names, roles, and their ids on chat platforms.
    pub staff: Vec<StaffMember>,
    /// Search memory: embeddings and the vector store.
    pub memory: MemoryConfig,
}

/// Which embeddings compute vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingsSource {
    /// all-MiniLM-L6-v2 in-process (`shopkeeper models fetch` installs it).
    Local,
    /// The OpenAI-compatible `/embeddings` endpoint of `[llm]` (or `embeddings_base_url`).
    Openai,
}

/// `[memory]`: how text becomes vectors and where vectors live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryConfig {
    /// `local` (default) or `openai` (`SHOPKEEPER_EMBEDDINGS`).
    pub embeddings: EmbeddingsSource,
    /// Model name for `openai` embeddings.
    pub embedding_model: String,
    /// Vector size of that model.
    pub embedding_dimensions: usize,
    /// Endpoint for `openai` embeddings; empty means the `[llm]` one.
    pub embeddings_base_url: Option<String>,
    /// A Qdrant server's gRPC URL (`QDRANT_URL`); empty means the embedded store
    /// in the data directory.
    pub qdrant_url: Option<String>,
    /// The Qdrant server's API key (`QDRANT_API_KEY`).
    pub qdrant_api_key: Option<String>,
    /// Prefix of the Qdrant collection's name (the model's name is appended).
    pub collection: String,
    /// The embedded store keeps an int8 copy of the vectors, searches it and rescores on
    /// the full ones: about a third of the search time at a million points, for a fifth
    /// more memory. Applies to a store when it is opened.
    pub quantized: bool,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            embeddings: EmbeddingsSource::Local,
            embedding_model: "text-embedding-3-small".into(),
            embedding_dimensions: 1536,
            embeddings_base_url: None,
            qdrant_url: None,
            qdrant_api_key: None,
            collection: "shopkeeper".into(),
            quantized: false,
        }
    }
}

/// A member of staff, as `[[staff]]` in `shopkeeper.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// Their name (used by `--as NAME` and in the audit log).
    pub name: String,
    /// Their role: `staff`, `manager` or `owner`.
    pub role: Role,
    /// Telegram user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telegram: Option<i64>,
    /// Slack user id, e.g. `U0123`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<String>,
    /// Discord user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discord: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            store_name: "Shopkeeper Demo Store".into(),
            llm: LlmConfig::default(),
            agent: AgentConfig::default(),
            database_url: None,
            policy: Policy::default(),
            staff: Vec::new(),
            memory: MemoryConfig::default(),
        }
    }
}

/// The OpenAI-compatible model endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    /// Base URL up to `/v1` (`OPENAI_BASE_URL`).
    pub base_url: Option<String>,
    /// API key (`OPENAI_API_KEY`).
    pub api_key: Option<String>,
    /// Model name (`SHOPKEEPER_MODEL`).
    pub model: Option<String>,
    /// Sampling temperature; unset leaves the server's default.
    pub temperature: Option<f32>,
    /// Seconds the server may stay silent before the call fails.
    pub timeout_secs: u64,
    /// Retries on 429, 5xx and connection errors.
    pub max_retries: u32,
    /// Stream answers as they are generated.
    pub stream: bool,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            api_key: None,
            model: None,
            temperature: None,
            timeout_secs: 120,
            max_retries: 4,
            stream: true,
        }
    }
}

/// The agent loop's limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// Model calls allowed per run.
    pub max_turns: u32,
    /// Seconds one tool call may take.
    pub tool_timeout_secs: u64,
    /// Read tools of one turn run at most this many at a time.
    pub tool_concurrency: usize,
    /// Folder whose templates override the shipped prompts.
    pub prompts_dir: Option<PathBuf>,
    /// The offline router: `auto` (answers when no LLM is configured), `first` (answers what
    /// it is confident about, the LLM the rest) or `off` (`SHOPKEEPER_ROUTER`).
    pub router: RouterMode,
    /// Least similarity for the router to answer (0 to 1).
    pub router_threshold: f32,
}

/// When the offline router answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouterMode {
    /// Only when no language model is configured.
    Auto,
    /// Before the language model, for the requests it is confident about.
    First,
    /// Never.
    Off,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            max_turns: 12,
            tool_timeout_secs: 30,
            tool_concurrency: 4,
            prompts_dir: None,
            router: RouterMode::Auto,
            router_threshold: crate::router::RouterSettings::default().threshold,
        }
    }
}

impl Config {
    /// Loads `explicit`, else `./shopkeeper.toml`, else `<data_dir>/shopkeeper.toml`, else
    /// defaults; then applies the environment. Top-level names other than `SECTIONS` and
    /// `others` (read elsewhere) are refused, each named. Returns the file used, if any.
    pub fn load(
        explicit: Option<&Path>,
        data_dir: &Path,
        others: &[&str],
    ) -> Result<(Self, Option<PathBuf>), ConfigError> {
        let candidates: Vec<PathBuf> = match explicit {
            Some(p) => vec![p.to_path_buf()],
            None => vec![PathBuf::from(FILE_NAME), data_dir.join(FILE_NAME)],
        };
        let mut config = Config::default();
        let mut source = None;
        for path in candidates {
            if explicit.is_none() && !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let table: toml::Table =
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.clone(),
                    source,
                })?;
            let known: Vec<&str> = SECTIONS.iter().chain(others).copied().collect();
            let problems = unknown_names(&table, &known);
            if !problems.is_empty() {
                return Err(ConfigError::Unknown { path, problems });
            }
            config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.clone(),
                source,
            })?;
            source = Some(path);
            break;
        }
        config.apply_env(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
        Ok((config, source))
    }

    /// Environment variables override the file.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(v) = var("OPENAI_BASE_URL") {
            self.llm.base_url = Some(v);
        }
        if let Some(v) = var("OPENAI_API_KEY") {
            self.llm.api_key = Some(v);
        }
        if let Some(v) = var("SHOPKEEPER_MODEL") {
            self.llm.model = Some(v);
        }
        if let Some(v) = var("SHOPKEEPER_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = var("SHOPKEEPER_STORE_NAME") {
            self.store_name = v;
        }
        match var("SHOPKEEPER_ROUTER").as_deref() {
            Some("auto") => self.agent.router = RouterMode::Auto,
            Some("first") => self.agent.router = RouterMode::First,
            Some("off") => self.agent.router = RouterMode::Off,
            _ => {}
        }
        match var("SHOPKEEPER_EMBEDDINGS").as_deref() {
            Some("local") => self.memory.embeddings = EmbeddingsSource::Local,
            Some("openai") => self.memory.embeddings = EmbeddingsSource::Openai,
            _ => {}
        }
        if let Some(v) = var("QDRANT_URL") {
            self.memory.qdrant_url = Some(v);
        }
        if let Some(v) = var("QDRANT_API_KEY") {
            self.memory.qdrant_api_key = Some(v);
        }
    }

    /// The model endpoint, or `None` when no LLM is configured (no key and no URL).
    pub fn openai_settings(&self) -> Option<OpenAiSettings> {
        let llm = &self.llm;
        if llm.base_url.is_none() && llm.api_key.is_none() {
            return None;
        }
        let base_url = llm
            .base_url
            .clone()
            .unwrap_or_else(|| OPENAI_API.to_string());
        let model = llm
            .model
            .clone()
            .unwrap_or_else(|| DEFAULT_OPENAI_MODEL.to_string());
        Some(OpenAiSettings {
            base_url,
            // Local servers (Ollama, llama.cpp, LM Studio) accept any key.
            api_key: llm.api_key.clone().unwrap_or_else(|| "not-needed".into()),
            model,
            temperature: llm.temperature,
            timeout: Duration::from_secs(llm.timeout_secs.max(1)),
            retry: RetryPolicy {
                max_retries: llm.max_retries,
                ..RetryPolicy::default()
            },
            stream: llm.stream,
        })
    }

    /// The staff member called `name`.
    pub fn staff_member(&self, name: &str) -> Option<&StaffMember> {
        self.staff.iter().find(|s| s.name == name)
    }

    /// The configuration as TOML, with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        if let Some(key) = &shown.llm.api_key {
            shown.llm.api_key = Some(mask(key));
        }
        if let Some(url) = &shown.database_url {
            shown.database_url = Some(shopkeeper_memory::db::mask_password(url));
        }
        if let Some(key) = &shown.memory.qdrant_api_key {
            shown.memory.qdrant_api_key = Some(mask(key));
        }
        toml::to_string_pretty(&shown)
            .unwrap_or_else(|e| format!("# cannot print the configuration: {e}\n"))
    }
}

pub use shopkeeper_tools::secret::mask;

/// What to tell a person who has no LLM configured.
pub const HOW_TO_CONFIGURE: &str = "No language model is configured. Either:
  - use OpenAI:      export OPENAI_API_KEY=sk-...   (model: gpt-4o-mini unless SHOPKEEPER_MODEL is set)
  - or a local server, e.g. Ollama:
                     export OPENAI_BASE_URL=http://localhost:11434/v1
                     export SHOPKEEPER_MODEL=llama3.1
  (vLLM, llama.cpp's server, LM Studio, OpenRouter and Azure OpenAI work the same way), or put
  base_url / api_key / model under [llm] in shopkeeper.toml.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_the_file() {
        let mut c: Config = toml::from_str(
            "store_name = \"Acme\"\n[llm]\nmodel = \"file-model\"\nbase_url = \"http://file/v1\"\n",
        )
        .unwrap();
        c.apply_env(|k| (k == "SHOPKEEPER_MODEL").then(|| "env-model".to_string()));
        let s = c.openai_settings().unwrap();
        assert_eq!(s.model, "env-model");
        assert_eq!(s.base_url, "http://file/v1");
        assert_eq!(c.store_name, "Acme");
        assert_eq!(
            c.agent,
            AgentConfig::default(),
            "missing sections take defaults"
        );
    }

    #[test]
    fn a_key_alone_means_openai_and_nothing_means_unconfigured() {
        let mut c = Config::default();
        assert!(c.openai_settings().is_none());
        c.apply_env(|k| (k == "OPENAI_API_KEY").then(|| "sk-test-1234567890".to_string()));
        let s = c.openai_settings().unwrap();
        assert_eq!(
            (s.base_url.as_str(), s.model.as_str()),
            (OPENAI_API, DEFAULT_OPENAI_MODEL)
        );
        let shown = c.to_masked_toml();
        assert!(
            shown.contains("***7890") && !shown.contains("sk-test"),
            "{shown}"
        );
    }

    #[test]
    fn misspelt_sections_and_keys_are_named_with_a_suggestion() {
        let table: toml::Table =
            toml::from_str("store_nme = \"Acme\"\n[polcy]\nexpiry_minutes = 5\n[telegram]\n")
                .unwrap();
        let problems = unknown_names(&table, &[SECTIONS, &["telegram"]].concat());
        assert_eq!(
            problems,
            vec![
                "unknown key `store_nme` (did you mean `store_name`?)".to_string(),
                "unknown section [polcy] (did you mean `policy`?)".to_string(),
            ]
        );
        let nested = toml::from_str::<Config>("[llm]\nmodle = \"x\"\n").unwrap_err();
        assert!(nested.to_string().contains("modle"), "{nested}");
    }

    #[test]
    fn unknown_values_are_reported_with_their_place() {
        let err = toml::from_str::<Config>("[llm]\ntimeout_secs = \"soon\"\n").unwrap_err();
        assert!(err.to_string().contains("timeout_secs"), "{err}");
    }
}
