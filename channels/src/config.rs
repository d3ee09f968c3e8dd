//! The fronts' configuration: `[serve]`, `[telegram]`, `[slack]` and `[discord]` in
//! `shopkeeper.toml`, with tokens from the environment where they are set there.

use serde::{Deserialize, Serialize};
use shopkeeper_agent::config::StaffMember;
use std::collections::BTreeMap;

pub use shopkeeper_tools::secret::Secret;

/// The fronts `shopkeeper serve` runs, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelsConfig {
    /// The process: where webhooks are received, how often the outbox is read.
    pub serve: ServeConfig,
    /// Telegram, if configured.
    pub telegram: Option<TelegramConfig>,
    /// Slack, if configured.
    pub slack: Option<SlackConfig>,
    /// Discord, if configured.
    pub discord: Option<DiscordConfig>,
}

/// `[serve]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Address of the HTTP listener for webhooks (Telegram webhook mode, Slack Events API).
    pub listen: String,
    /// Milliseconds between outbox reads (cards for approvals made elsewhere, decisions).
    pub relay_interval_ms: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            relay_interval_ms: 1000,
        }
    }
}

/// How Telegram delivers updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TelegramMode {
    /// `getUpdates` long polling: no public URL needed.
    #[default]
    Polling,
    /// Telegram posts updates to `webhook_url`, which must reach `[serve] listen`.
    Webhook,
}

/// `[telegram]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// The bot token from @BotFather (`SHOPKEEPER_TELEGRAM_TOKEN`).
    pub token: Option<Secret>,
    /// The Bot API server.
    pub api_url: String,
    /// `polling` (default) or `webhook`.
    pub mode: TelegramMode,
    /// Public HTTPS URL Telegram posts to, ending in `/telegram/webhook` (webhook mode).
    pub webhook_url: Option<String>,
    /// Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`
    /// (`SHOPKEEPER_TELEGRAM_WEBHOOK_SECRET`; webhook mode).
    pub webhook_secret: Option<Secret>,
    /// Chat where approvals requested anywhere are posted.
    pub approvals_chat: Option<i64>,
    /// Seconds one `getUpdates` call waits for updates.
    pub poll_timeout_secs: u32,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        Self {
            token: None,
            api_url: "https://api.telegram.org".into(),
            mode: TelegramMode::Polling,
            webhook_url: None,
            webhook_secret: None,
            approvals_chat: None,
            poll_timeout_secs: 10,
        }
    }
}

/// How Slack delivers events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlackMode {
    /// Socket Mode over a WebSocket: no public URL needed (needs `app_token`).
    #[default]
    Socket,
    /// The Events API: Slack posts to `/slack/events` and `/slack/interactivity`.
    Events,
}

/// `[slack]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConfig {
    /// Bot token `xoxb-...` (`SHOPKEEPER_SLACK_BOT_TOKEN`).
    pub bot_token: Option<Secret>,
    /// App-level token `xapp-...` for Socket Mode (`SHOPKEEPER_SLACK_APP_TOKEN`).
    pub app_token: Option<Secret>,
    /// Signing secret for the Events API (`SHOPKEEPER_SLACK_SIGNING_SECRET`).
    pub signing_secret: Option<Secret>,
    /// `socket` (default) or `events`.
    pub mode: SlackMode,
    /// The Web API.
    pub api_url: String,
    /// Channel id where approvals requested anywhere are posted.
    pub approvals_channel: Option<String>,
}

impl Default for SlackConfig {
    fn default() -> Self {
        Self {
            bot_token: None,
            app_token: None,
            signing_secret: None,
            mode: SlackMode::Socket,
            api_url: "https://slack.com/api".into(),
            approvals_channel: None,
        }
    }
}

/// `[discord]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    /// Bot token (`SHOPKEEPER_DISCORD_TOKEN`).
    pub token: Option<Secret>,
    /// Replaces `https://discord.com` for HTTP calls: a rate-limiting proxy such as
    /// twilight-http-proxy (serenity's own rate limiter is then off); empty means Discord.
    pub api_url: Option<String>,
    /// Channel id where approvals requested anywhere are posted.
    pub approvals_channel: Option<u64>,
}

/// What `shopkeeper serve --check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// One line per front and for the staff list.
    pub lines: Vec<String>,
    /// What must be fixed before `serve` can run.
    pub problems: Vec<String>,
}

impl ChannelsConfig {
    /// Reads the fronts' sections from the text of `shopkeeper.toml` (other sections are
    /// the agent's and are ignored here).
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Environment variables override the file; a token alone turns its front on.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) {
        if let Some(v) = var("SHOPKEEPER_TELEGRAM_TOKEN") {
            self.telegram.get_or_insert_with(Default::default).token = Some(Secret::new(v));
        }
        if let (Some(v), Some(t)) = (
            var("SHOPKEEPER_TELEGRAM_WEBHOOK_SECRET"),
            &mut self.telegram,
        ) {
            t.webhook_secret = Some(Secret::new(v));
        }
        if let Some(v) = var("SHOPKEEPER_SLACK_BOT_TOKEN") {
            self.slack.get_or_insert_with(Default::default).bot_token = Some(Secret::new(v));
        }
        if let (Some(v), Some(s)) = (var("SHOPKEEPER_SLACK_APP_TOKEN"), &mut self.slack) {
            s.app_token = Some(Secret::new(v));
        }
        if let (Some(v), Some(s)) = (var("SHOPKEEPER_SLACK_SIGNING_SECRET"), &mut self.slack) {
            s.signing_secret = Some(Secret::new(v));
        }
        if let Some(v) = var("SHOPKEEPER_DISCORD_TOKEN") {
            self.discord.get_or_insert_with(Default::default).token = Some(Secret::new(v));
        }
    }

    /// Checks the configuration without connecting anywhere.
    pub fn check(&self, staff: &[StaffMember]) -> CheckReport {
        // Whether there is anything to serve at all is for the caller to say: a platform's
        // webhooks need no front.
        let mut report = CheckReport::default();
        if let Some(t) = &self.telegram {
            check_telegram(t, &mut report);
        }
        if let Some(s) = &self.slack {
            check_slack(s, &mut report);
        }
        if let Some(d) = &self.discord {
            check_discord(d, &mut report);
        }
        check_listen(self, &mut report);
        check_staff(staff, &mut report);
        report
    }

    /// Whether any front is configured.
    pub fn any_front(&self) -> bool {
        self.telegram.is_some() || self.slack.is_some() || self.discord.is_some()
    }

    /// The sections as TOML, secrets masked, for `shopkeeper config`.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot print the fronts' configuration: {e}\n"))
    }

    /// Whether some front receives webhooks over HTTP.
    pub fn needs_listener(&self) -> bool {
        self.telegram
            .as_ref()
            .is_some_and(|t| t.mode == TelegramMode::Webhook)
            || self
                .slack
                .as_ref()
                .is_some_and(|s| s.mode == SlackMode::Events)
    }
}

fn check_listen(config: &ChannelsConfig, report: &mut CheckReport) {
    if config.needs_listener() {
        match config.serve.listen.parse::<std::net::SocketAddr>() {
            Ok(addr) => report.lines.push(format!("webhooks: listening on {addr}")),
            Err(e) => report.problems.push(format!(
                "[serve] listen = {:?} is not an address: {e}",
                config.serve.listen
            )),
        }
    }
}

fn check_telegram(t: &TelegramConfig, report: &mut CheckReport) {
    if !cfg!(feature = "telegram") {
        report
            .problems
            .push("telegram: this binary was built without the `telegram` feature".into());
    }
    let token = match &t.token {
        Some(token) if token.expose().contains(':') => token.masked(),
        Some(_) => {
            report.problems.push(
                "telegram: the token does not look like a Bot API token (`123456:ABC...`)".into(),
            );
            return;
        }
        None => {
            report.problems.push(
                "telegram: no token (set [telegram] token or SHOPKEEPER_TELEGRAM_TOKEN)".into(),
            );
            return;
        }
    };
    if let Err(e) = url_ok(&t.api_url) {
        report.problems.push(format!("telegram: api_url {e}"));
    }
    let mode = match t.mode {
        TelegramMode::Polling => "long polling".to_string(),
        TelegramMode::Webhook => {
            match &t.webhook_url {
                None => report
                    .problems
                    .push("telegram: webhook mode needs webhook_url".into()),
                Some(u) => {
                    if let Err(e) = url_ok(u) {
                        report.problems.push(format!("telegram: webhook_url {e}"));
                    }
                }
            }
            match &t.webhook_secret {
                None => report.problems.push(
                    "telegram: webhook mode needs webhook_secret (or SHOPKEEPER_TELEGRAM_WEBHOOK_SECRET)"
                        .into(),
                ),
                Some(s) => {
                    let ok = (1..=256).contains(&s.expose().len())
                        && s.expose()
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if !ok {
                        report.problems.push(
                            "telegram: webhook_secret must be 1-256 of A-Z a-z 0-9 _ -".into(),
                        );
                    }
                }
            }
            "webhook".to_string()
        }
    };
    let approvers = match t.approvals_chat {
        Some(chat) => format!("approval cards to chat {chat}"),
        None => "no approvals_chat: cards appear only in the chat that asked".into(),
    };
    report
        .lines
        .push(format!("telegram: {mode}, token {token}, {approvers}"));
}

fn check_slack(s: &SlackConfig, report: &mut CheckReport) {
    if !cfg!(feature = "slack") {
        report
            .problems
            .push("slack: this binary was built without the `slack` feature".into());
    }
    match &s.bot_token {
        Some(t) if t.expose().starts_with("xoxb-") => {}
        Some(_) => report
            .problems
            .push("slack: bot_token must be a bot token (`xoxb-...`)".into()),
        None => report
            .problems
            .push("slack: no bot_token (or SHOPKEEPER_SLACK_BOT_TOKEN)".into()),
    }
    let mode = match s.mode {
        SlackMode::Socket => {
            match &s.app_token {
                Some(t) if t.expose().starts_with("xapp-") => {}
                Some(_) => report
                    .problems
                    .push("slack: app_token must be an app-level token (`xapp-...`)".into()),
                None => report.problems.push(
                    "slack: Socket Mode needs app_token (or SHOPKEEPER_SLACK_APP_TOKEN)".into(),
                ),
            }
            "Socket Mode"
        }
        SlackMode::Events => {
            if s.signing_secret.is_none() {
                report.problems.push(
                    "slack: the Events API needs signing_secret (or SHOPKEEPER_SLACK_SIGNING_SECRET)"
                        .into(),
                );
            }
            "Events API"
        }
    };
    if let Err(e) = url_ok(&s.api_url) {
        report.problems.push(format!("slack: api_url {e}"));
    }
    report.lines.push(format!(
        "slack: {mode}, approval cards to {}",
        s.approvals_channel
            .as_deref()
            .unwrap_or("the asking thread only")
    ));
}

fn check_discord(d: &DiscordConfig, report: &mut CheckReport) {
    if !cfg!(feature = "discord") {
        report
            .problems
            .push("discord: this binary was built without the `discord` feature".into());
    }
    if d.token.is_none() {
        report
            .problems
            .push("discord: no token (or SHOPKEEPER_DISCORD_TOKEN)".into());
    }
    report.lines.push(format!(
        "discord: gateway, approval cards to {}",
        d.approvals_channel
            .map_or_else(|| "the asking channel only".into(), |c| c.to_string())
    ));
}

fn check_staff(staff: &[StaffMember], report: &mut CheckReport) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for member in staff {
        let ids = [
            member.telegram.map(|id| format!("telegram {id}")),
            member.slack.as_ref().map(|id| format!("slack {id}")),
            member.discord.map(|id| format!("discord {id}")),
        ];
        for id in ids.into_iter().flatten() {
            if let Some(other) = seen.insert(id.clone(), &member.name) {
                report.problems.push(format!(
                    "staff: {id} belongs to both {other} and {}",
                    member.name
                ));
            }
        }
    }
    let approvers = staff
        .iter()
        .filter(|m| m.role.may_approve(shopkeeper_tools::Role::Staff))
        .count();
    report.lines.push(format!(
        "staff: {} people ({approvers} may approve); everyone else is a customer",
        staff.len()
    ));
}

fn url_ok(url: &str) -> Result<(), String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(format!("{url:?} is not an http(s) URL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_tokens_turn_fronts_on_and_are_never_printed() {
        let mut c =
            ChannelsConfig::from_toml("store_name = \"x\"\n[llm]\nmodel = \"m\"\n").unwrap();
        assert!(c.telegram.is_none(), "other sections are ignored");
        c.apply_env(|k| {
            (k == "SHOPKEEPER_TELEGRAM_TOKEN").then(|| "123456:ABCDEFGHIJKLMNOP".to_string())
        });
        let t = c.telegram.as_ref().unwrap();
        assert_eq!(t.api_url, "https://api.telegram.org");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("ABCDEFGH") && shown.contains("***MNOP"),
            "{shown}"
        );
        let report = c.check(&[]);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(report.lines.iter().all(|l| !l.contains("ABCDEFGH")));
    }

    #[test]
    fn check_names_what_is_missing() {
        let c = ChannelsConfig::from_toml(
            "[telegram]\ntoken = \"1:x\"\nmode = \"webhook\"\n[slack]\nmode = \"events\"\n",
        )
        .unwrap();
        let staff = vec![
            StaffMember {
                name: "ana".into(),
                role: shopkeeper_tools::Role::Owner,
                telegram: Some(1),
                slack: None,
                discord: None,
            },
            StaffMember {
                name: "bo".into(),
                role: shopkeeper_tools::Role::Staff,
                telegram: Some(1),
                slack: None,
                discord: None,
            },
        ];
        let problems = c.check(&staff).problems.join("\n");
        for expected in [
            "webhook mode needs webhook_url",
            "webhook mode needs webhook_secret",
            "no bot_token",
            "needs signing_secret",
            "telegram 1 belongs to both ana and bo",
        ] {
            assert!(
                problems.contains(expected),
                "{expected} missing in:\n{problems}"
            );
        }
        assert!(ChannelsConfig::from_toml("[telegram]\ntokn = \"1:x\"\n").is_err());
    }
}
