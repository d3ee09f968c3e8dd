//! Discord through serenity: the gateway for direct messages and mentions, message
//! components (buttons) for approval cards, and interactions acknowledged at once (Discord
//! allows three seconds), before the decision runs.

pub mod fake;

use crate::ChannelError;
use crate::config::DiscordConfig;
use crate::front::{Card, CardRef, Click, ClickAction, Front, Inbound, Place};
use crate::hub::Hub;
use crate::render::{Markup, convert, split};
use serenity::all::{
    ButtonStyle, ChannelId, ComponentInteraction, Context, CreateActionRow, CreateButton,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, EditMessage,
    EventHandler, GatewayIntents, Http, HttpBuilder, Interaction, Message, MessageId, Ready,
    UserId,
};
use std::sync::{Arc, OnceLock};

const PLATFORM: &str = crate::DISCORD;
/// Discord's message limit.
const LIMIT: usize = 2000;

/// A running Discord bot.
pub struct Discord {
    http: Arc<Http>,
    config: DiscordConfig,
    bot: OnceLock<UserId>,
}

impl std::fmt::Debug for Discord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discord")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn api_error(e: impl std::fmt::Display) -> ChannelError {
    ChannelError::platform(PLATFORM, e)
}

fn id(text: &str) -> Result<u64, ChannelError> {
    text.parse::<u64>()
        .ok()
        .filter(|n| *n != 0)
        .ok_or_else(|| api_error(format!("bad id {text:?}")))
}

fn buttons(approval_id: &str) -> Vec<CreateActionRow> {
    vec![CreateActionRow::Buttons(vec![
        CreateButton::new(ClickAction::Approve.payload(approval_id))
            .label("Approve")
            .style(ButtonStyle::Success),
        CreateButton::new(ClickAction::Reject.payload(approval_id))
            .label("Reject")
            .style(ButtonStyle::Danger),
    ])]
}

/// serenity's HTTP client, through `proxy` when set. serenity's own rate limiter ignores
/// the proxy, so behind one it is off: the proxy is the one that rate-limits.
fn http(token: &str, proxy: Option<&str>) -> Http {
    let builder = HttpBuilder::new(token);
    match proxy {
        Some(url) => builder
            .proxy(url.trim_end_matches('/'))
            .ratelimiter_disabled(true)
            .build(),
        None => builder.build(),
    }
}

impl Discord {
    /// A bot for `config` (its token is required). `api_url`, when set, replaces
    /// `https://discord.com` (a proxy, or a fake server in tests).
    pub fn new(config: &DiscordConfig) -> Result<Self, ChannelError> {
        let token = config
            .token
            .as_ref()
            .ok_or_else(|| ChannelError::Config("discord: no token".into()))?;
        Ok(Self {
            http: Arc::new(http(token.expose(), config.api_url.as_deref())),
            config: config.clone(),
            bot: OnceLock::new(),
        })
    }

    /// Connects over HTTP: learns the bot's own user id (to find its mentions).
    pub async fn connect(&self) -> Result<(), ChannelError> {
        let me = self.http.get_current_user().await.map_err(api_error)?;
        let _ = self.bot.set(me.id);
        Ok(())
    }

    /// The gateway: receives messages and interactions until the process stops.
    pub async fn gateway(self: Arc<Self>, hub: Arc<Hub>) -> Result<(), ChannelError> {
        let token = self
            .config
            .token
            .as_ref()
            .ok_or_else(|| ChannelError::Config("discord: no token".into()))?;
        let intents = GatewayIntents::GUILD_MESSAGES
            | GatewayIntents::DIRECT_MESSAGES
            | GatewayIntents::MESSAGE_CONTENT;
        let http = http(token.expose(), self.config.api_url.as_deref());
        let mut client = serenity::all::ClientBuilder::new_with_http(http, intents)
            .event_handler(Gateway {
                discord: self.clone(),
                hub,
            })
            .await
            .map_err(api_error)?;
        client.start().await.map_err(api_error)
    }

    /// A message from the gateway: direct messages, and mentions in guild channels.
    pub fn on_message(self: &Arc<Self>, hub: Arc<Hub>, message: Message) {
        if message.author.bot {
            return;
        }
        let text = if message.guild_id.is_none() {
            message.content.clone()
        } else {
            let Some(bot) = self.bot.get() else {
                return;
            };
            if !message.mentions_user_id(*bot) {
                return;
            }
            message
                .content
                .replace(&format!("<@{bot}>"), " ")
                .replace(&format!("<@!{bot}>"), " ")
                .trim()
                .to_string()
        };
        let inbound = Inbound {
            place: Place::chat(PLATFORM, message.channel_id.get().to_string()),
            user: message.author.id.get().to_string(),
            text,
        };
        hub.submit(inbound);
    }

    /// A button click: acknowledged at once (a refusal says why, to the clicker alone),
    /// then decided.
    pub async fn on_interaction(
        &self,
        hub: &Hub,
        interaction: Interaction,
    ) -> Result<(), ChannelError> {
        let Interaction::Component(component) = interaction else {
            return Ok(());
        };
        self.on_component(hub, &component).await
    }

    async fn on_component(
        &self,
        hub: &Hub,
        component: &ComponentInteraction,
    ) -> Result<(), ChannelError> {
        let Some((action, approval_id)) = ClickAction::parse(&component.data.custom_id) else {
            return Ok(());
        };
        let click = Click {
            platform: PLATFORM.into(),
            user: component.user.id.get().to_string(),
            approval_id: approval_id.to_string(),
            action,
        };
        let ack = hub.check_click(&click).await?;
        let response = if ack.proceed {
            CreateInteractionResponse::Acknowledge
        } else {
            CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new()
                    .content(ack.text.clone())
                    .ephemeral(true),
            )
        };
        component
            .create_response(&self.http, response)
            .await
            .map_err(api_error)?;
        if ack.proceed {
            hub.decide_click(&click).await?;
        }
        Ok(())
    }
}

/// serenity's event handler: hands gateway events to the front.
struct Gateway {
    discord: Arc<Discord>,
    hub: Arc<Hub>,
}

#[serenity::async_trait]
impl EventHandler for Gateway {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let _ = self.discord.bot.set(ready.user.id);
        tracing::info!(user = %ready.user.name, "discord gateway ready");
    }

    async fn message(&self, _ctx: Context, message: Message) {
        self.discord.on_message(self.hub.clone(), message);
    }

    async fn interaction_create(&self, _ctx: Context, interaction: Interaction) {
        if let Err(e) = self.discord.on_interaction(&self.hub, interaction).await {
            tracing::warn!(error = %e, "discord interaction not handled");
        }
    }
}

#[async_trait::async_trait]
impl Front for Discord {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn approvers_place(&self) -> Option<Place> {
        self.config
            .approvals_channel
            .map(|c| Place::chat(PLATFORM, c.to_string()))
    }

    async fn send(&self, place: &Place, markdown: &str) -> Result<(), ChannelError> {
        let channel = ChannelId::new(id(&place.chat)?);
        for piece in split(markdown, LIMIT, Markup::Discord) {
            channel
                .send_message(&self.http, CreateMessage::new().content(piece))
                .await
                .map_err(api_error)?;
        }
        Ok(())
    }

    async fn send_card(&self, place: &Place, card: &Card) -> Result<CardRef, ChannelError> {
        let channel = ChannelId::new(id(&place.chat)?);
        let mut message = CreateMessage::new().content(convert(&card.markdown(), Markup::Discord));
        if card.pending {
            message = message.components(buttons(&card.approval_id));
        }
        let sent = channel
            .send_message(&self.http, message)
            .await
            .map_err(api_error)?;
        Ok(CardRef {
            place: place.clone(),
            message: sent.id.get().to_string(),
        })
    }

    async fn update_card(&self, at: &CardRef, card: &Card) -> Result<(), ChannelError> {
        let channel = ChannelId::new(id(&at.place.chat)?);
        let components = if card.pending {
            buttons(&card.approval_id)
        } else {
            Vec::new()
        };
        channel
            .edit_message(
                &self.http,
                MessageId::new(id(&at.message)?),
                EditMessage::new()
                    .content(convert(&card.markdown(), Markup::Discord))
                    .components(components),
            )
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn typing(&self, place: &Place) -> Result<(), ChannelError> {
        ChannelId::new(id(&place.chat)?)
            .broadcast_typing(&self.http)
            .await
            .map_err(api_error)
    }
}
