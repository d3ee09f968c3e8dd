//! Telegram through teloxide's Bot API client: long polling (or a webhook whose secret
//! token is verified), replies in Telegram's HTML, inline-keyboard approval cards and
//! their callback queries, and `/start`, `/new`, `/pending`.

pub mod fake;

use crate::ChannelError;
use crate::config::{TelegramConfig, TelegramMode};
use crate::front::{Card, CardRef, Click, ClickAction, Front, Inbound, Place};
use crate::hub::Hub;
use crate::render::{Markup, convert, split};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use teloxide::ApiError;
use teloxide::Bot;
use teloxide::RequestError;
use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageTextSetters, GetUpdatesSetters, SendMessageSetters,
    SetWebhookSetters,
};
use teloxide::prelude::Requester;
use teloxide::types::{
    AllowedUpdate, ChatAction, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId,
    ParseMode, ThreadId, Update, UpdateKind,
};

const PLATFORM: &str = crate::TELEGRAM;
/// Telegram's limit is 4096 UTF-16 units; characters with a margin for astral symbols.
const LIMIT: usize = 4000;
/// Where Telegram posts updates in webhook mode.
pub const WEBHOOK_PATH: &str = "/telegram/webhook";
/// The header carrying the webhook's secret token.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// A running Telegram bot.
pub struct Telegram {
    bot: Bot,
    config: TelegramConfig,
    username: std::sync::OnceLock<String>,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bot holds the token: never print it.
        f.debug_struct("Telegram")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn api_error(e: RequestError) -> ChannelError {
    ChannelError::platform(PLATFORM, e)
}

fn chat_id(place: &Place) -> Result<ChatId, ChannelError> {
    place
        .chat
        .parse()
        .map(ChatId)
        .map_err(|_| ChannelError::platform(PLATFORM, format!("bad chat id {:?}", place.chat)))
}

fn keyboard(approval_id: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("✅ Approve", ClickAction::Approve.payload(approval_id)),
        InlineKeyboardButton::callback("❌ Reject", ClickAction::Reject.payload(approval_id)),
    ]])
}

impl Telegram {
    /// A bot for `config` (its token is required).
    pub fn new(config: &TelegramConfig) -> Result<Self, ChannelError> {
        let token = config
            .token
            .as_ref()
            .ok_or_else(|| ChannelError::Config("telegram: no token".into()))?;
        let url = config
            .api_url
            .parse()
            .map_err(|e| ChannelError::Config(format!("telegram: api_url: {e}")))?;
        let bot = Bot::new(token.expose()).set_api_url(url);
        Ok(Self {
            bot,
            config: config.clone(),
            username: std::sync::OnceLock::new(),
        })
    }

    /// Connects: learns the bot's username, and in webhook mode registers the webhook
    /// with its secret token (in polling mode removes any webhook, which would block it).
    pub async fn connect(&self) -> Result<(), ChannelError> {
        let me = self.bot.get_me().await.map_err(api_error)?;
        let _ = self.username.set(me.username().to_string());
        match self.config.mode {
            TelegramMode::Polling => {
                self.bot.delete_webhook().await.map_err(api_error)?;
            }
            TelegramMode::Webhook => {
                let url = self
                    .config
                    .webhook_url
                    .as_deref()
                    .ok_or_else(|| ChannelError::Config("telegram: no webhook_url".into()))?
                    .parse()
                    .map_err(|e| ChannelError::Config(format!("telegram: webhook_url: {e}")))?;
                let secret =
                    self.config.webhook_secret.as_ref().ok_or_else(|| {
                        ChannelError::Config("telegram: no webhook_secret".into())
                    })?;
                self.bot
                    .set_webhook(url)
                    .secret_token(secret.expose())
                    .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
                    .await
                    .map_err(api_error)?;
            }
        }
        Ok(())
    }

    /// Long-polls `getUpdates` for ever, handing each update to the hub. Network errors
    /// back off (1 s doubling to 30 s) and never stop the loop.
    pub async fn poll(self: Arc<Self>, hub: Arc<Hub>) {
        let mut offset: i32 = 0;
        let mut backoff = Duration::from_secs(1);
        loop {
            let updates = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(self.config.poll_timeout_secs)
                .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
                .await;
            match updates {
                Ok(updates) => {
                    backoff = Duration::from_secs(1);
                    for update in updates {
                        let next =
                            i32::try_from(update.id.0).map_or(i32::MAX, |id| id.saturating_add(1));
                        offset = offset.max(next);
                        self.clone().dispatch(hub.clone(), update);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "telegram getUpdates failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// The webhook endpoint: checks the secret token in constant time, then hands the
    /// update to the hub and answers at once.
    pub fn router(self: Arc<Self>, hub: Arc<Hub>) -> axum::Router {
        axum::Router::new()
            .route(WEBHOOK_PATH, post(webhook))
            .with_state((self, hub))
    }

    /// Handles one update in the background: messages through the hub (in order per person
    /// and thread), clicks at once.
    pub fn dispatch(self: Arc<Self>, hub: Arc<Hub>, update: Update) {
        match update.kind {
            UpdateKind::Message(message) => {
                let Some(inbound) = self.inbound(&message) else {
                    return;
                };
                hub.submit(inbound);
            }
            UpdateKind::CallbackQuery(query) => {
                tokio::spawn(async move {
                    if let Err(e) = self.on_callback(&hub, query).await {
                        tracing::warn!(error = %e, "telegram click not handled");
                    }
                });
            }
            _ => {}
        }
    }

    /// A text message addressed to the bot: anything in a private chat; in groups, commands
    /// and messages that mention the bot (the mention removed).
    fn inbound(&self, message: &teloxide::types::Message) -> Option<Inbound> {
        let user = message.from.as_ref().filter(|u| !u.is_bot)?;
        let text = message.text()?;
        let text = if message.chat.is_private() {
            text.to_string()
        } else {
            let mention = format!("@{}", self.username.get().map_or("", String::as_str));
            if text.starts_with('/') {
                text.to_string()
            } else if mention.len() > 1 && text.contains(&mention) {
                text.replace(&mention, " ").trim().to_string()
            } else {
                return None;
            }
        };
        let thread = message
            .is_topic_message
            .then(|| message.thread_id.map(|t| t.0.0.to_string()))
            .flatten();
        Some(Inbound {
            place: Place {
                platform: PLATFORM.into(),
                chat: message.chat.id.0.to_string(),
                thread,
            },
            user: user.id.0.to_string(),
            text,
        })
    }

    async fn on_callback(
        &self,
        hub: &Hub,
        query: teloxide::types::CallbackQuery,
    ) -> Result<(), ChannelError> {
        let Some((action, id)) = query.data.as_deref().and_then(ClickAction::parse) else {
            self.bot
                .answer_callback_query(query.id.clone())
                .await
                .map_err(api_error)?;
            return Ok(());
        };
        let click = Click {
            platform: PLATFORM.into(),
            user: query.from.id.0.to_string(),
            approval_id: id.to_string(),
            action,
        };
        let ack = hub.check_click(&click).await?;
        self.bot
            .answer_callback_query(query.id.clone())
            .text(ack.text.clone())
            .show_alert(!ack.proceed)
            .await
            .map_err(api_error)?;
        if ack.proceed {
            hub.decide_click(&click).await?;
        }
        Ok(())
    }

    fn thread(place: &Place) -> Option<ThreadId> {
        place
            .thread
            .as_deref()
            .and_then(|t| t.parse().ok())
            .map(|n| ThreadId(MessageId(n)))
    }
}

async fn webhook(
    State((telegram, hub)): State<(Arc<Telegram>, Arc<Hub>)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(expected) = telegram.config.webhook_secret.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !bool::from(given.ct_eq(expected.expose().as_bytes())) {
        tracing::warn!("telegram webhook call with a wrong secret token refused");
        return StatusCode::UNAUTHORIZED;
    }
    match serde_json::from_slice::<Update>(&body) {
        Ok(update) => {
            telegram.dispatch(hub, update);
            StatusCode::OK
        }
        Err(e) => {
            tracing::warn!(error = %e, "telegram webhook body is not an update");
            StatusCode::BAD_REQUEST
        }
    }
}

#[async_trait::async_trait]
impl Front for Telegram {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn approvers_place(&self) -> Option<Place> {
        self.config
            .approvals_chat
            .map(|chat| Place::chat(PLATFORM, chat.to_string()))
    }

    async fn send(&self, place: &Place, markdown: &str) -> Result<(), ChannelError> {
        let chat = chat_id(place)?;
        for piece in split(markdown, LIMIT, Markup::TelegramHtml) {
            let mut request = self
                .bot
                .send_message(chat, piece)
                .parse_mode(ParseMode::Html);
            if let Some(thread) = Self::thread(place) {
                request = request.message_thread_id(thread);
            }
            request.await.map_err(api_error)?;
        }
        Ok(())
    }

    async fn send_card(&self, place: &Place, card: &Card) -> Result<CardRef, ChannelError> {
        let text = convert(&card.markdown(), Markup::TelegramHtml);
        let mut request = self
            .bot
            .send_message(chat_id(place)?, text)
            .parse_mode(ParseMode::Html);
        if card.pending {
            request = request.reply_markup(keyboard(&card.approval_id));
        }
        if let Some(thread) = Self::thread(place) {
            request = request.message_thread_id(thread);
        }
        let sent = request.await.map_err(api_error)?;
        Ok(CardRef {
            place: place.clone(),
            message: sent.id.0.to_string(),
        })
    }

    async fn update_card(&self, at: &CardRef, card: &Card) -> Result<(), ChannelError> {
        let message = at
            .message
            .parse()
            .map(MessageId)
            .map_err(|_| ChannelError::platform(PLATFORM, "bad message id"))?;
        let text = convert(&card.markdown(), Markup::TelegramHtml);
        let mut request = self
            .bot
            .edit_message_text(chat_id(&at.place)?, message, text)
            .parse_mode(ParseMode::Html);
        if card.pending {
            request = request.reply_markup(keyboard(&card.approval_id));
        }
        match request.await {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) => Err(api_error(e)),
        }
    }

    async fn typing(&self, place: &Place) -> Result<(), ChannelError> {
        self.bot
            .send_chat_action(chat_id(place)?, ChatAction::Typing)
            .await
            .map_err(api_error)?;
        Ok(())
    }
}
