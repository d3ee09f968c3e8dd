//! Slack through slack-morphism: Socket Mode (no public URL) or the Events API over HTTP
//! with every request's signature checked (HMAC with the signing secret, five-minute
//! timestamp window, constant-time compare, replays refused); app mentions and direct
//! messages, replies in threads, Block Kit approval cards.

pub mod fake;

use crate::ChannelError;
use crate::config::SlackConfig;
use crate::front::{Card, CardRef, Click, ClickAction, Front, Inbound, Place};
use crate::hub::Hub;
use crate::render::{Markup, convert, split};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

const PLATFORM: &str = crate::SLACK;
/// A section block's text holds at most 3000 characters.
const LIMIT: usize = 3000;
/// Where the Events API posts events.
pub const EVENTS_PATH: &str = "/slack/events";
/// Where the Events API posts button clicks.
pub const INTERACTIVITY_PATH: &str = "/slack/interactivity";
/// Seconds a signed request stays valid (Slack's own rule).
const WINDOW_SECS: i64 = 5 * 60;

type Connector = SlackClientHyperHttpsConnector;

/// A running Slack app.
pub struct Slack {
    client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
    config: SlackConfig,
    verifier: Option<SlackEventSignatureVerifier>,
    bot_user: OnceLock<String>,
    seen: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for Slack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slack")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn api_error(e: impl std::fmt::Display) -> ChannelError {
    ChannelError::platform(PLATFORM, e)
}

/// Slack escapes these three in message text.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What the state storage of Socket Mode callbacks holds.
struct Handles {
    slack: Arc<Slack>,
    hub: Arc<Hub>,
}

impl Slack {
    /// An app for `config` (its bot token is required).
    pub fn new(config: &SlackConfig) -> Result<Self, ChannelError> {
        let bot_token = config
            .bot_token
            .as_ref()
            .ok_or_else(|| ChannelError::Config("slack: no bot_token".into()))?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| ChannelError::Config(format!("slack: TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let connector = SlackClientHyperConnector::with_connector(https)
            .with_slack_api_url(config.api_url.trim_end_matches('/'));
        let verifier = config
            .signing_secret
            .as_ref()
            .map(|s| SlackEventSignatureVerifier::new(&SlackSigningSecret::new(s.expose().into())));
        Ok(Self {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(SlackApiTokenValue::new(bot_token.expose().into())),
            config: config.clone(),
            verifier,
            bot_user: OnceLock::new(),
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// Connects: learns the bot's own user id (`auth.test`), to strip its mention.
    pub async fn connect(&self) -> Result<(), ChannelError> {
        let me = self
            .client
            .open_session(&self.token)
            .auth_test()
            .await
            .map_err(api_error)?;
        let _ = self.bot_user.set(me.user_id.to_string());
        Ok(())
    }

    /// The Events API endpoints; every request's signature is verified first.
    pub fn router(self: Arc<Self>, hub: Arc<Hub>) -> axum::Router {
        axum::Router::new()
            .route(EVENTS_PATH, post(events))
            .route(INTERACTIVITY_PATH, post(interactivity))
            .with_state((self, hub))
    }

    /// Socket Mode: connects with the app-level token and serves until the process stops.
    pub async fn socket_mode(self: Arc<Self>, hub: Arc<Hub>) -> Result<(), ChannelError> {
        let app_token = self
            .config
            .app_token
            .as_ref()
            .ok_or_else(|| ChannelError::Config("slack: Socket Mode needs app_token".into()))?;
        let environment = Arc::new(
            SlackClientEventsListenerEnvironment::new(self.client.clone()).with_user_state(
                Handles {
                    slack: self.clone(),
                    hub,
                },
            ),
        );
        let callbacks = SlackSocketModeListenerCallbacks::new()
            .with_push_events(socket_push)
            .with_interaction_events(socket_interaction);
        let listener = SlackClientSocketModeListener::new(
            &SlackClientSocketModeConfig::new(),
            environment,
            callbacks,
        );
        listener
            .listen_for(&SlackApiToken::new(SlackApiTokenValue::new(
                app_token.expose().into(),
            )))
            .await
            .map_err(api_error)?;
        listener.serve().await;
        Ok(())
    }

    /// Checks a request's signature and timestamp, and that it was not seen before.
    fn verify(&self, headers: &HeaderMap, body: &str) -> Result<(), String> {
        let verifier = self
            .verifier
            .as_ref()
            .ok_or("no signing secret is configured")?;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(format!("no {name} header"))
        };
        let signature = header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER)?;
        let timestamp = header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP)?;
        verifier
            .verify(signature, body, timestamp)
            .map_err(|e| e.to_string())?;
        let now = chrono::Utc::now().timestamp();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        // Anything older than the window is refused by the timestamp check anyway.
        seen.retain(|_, at| now - *at <= WINDOW_SECS);
        if seen.insert(signature.to_string(), now).is_some() {
            return Err("replayed request".into());
        }
        Ok(())
    }

    /// Slack retries an event it thinks was lost: handle each event id once.
    fn first_time(&self, event_id: &str) -> bool {
        let now = chrono::Utc::now().timestamp();
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.insert(format!("event:{event_id}"), now).is_none()
    }

    /// Hands an event to the hub: direct messages, and mentions in channels (answered in
    /// a thread under the mention).
    fn dispatch_event(self: &Arc<Self>, hub: Arc<Hub>, event: SlackEventCallbackBody) {
        let inbound = match event {
            SlackEventCallbackBody::Message(m)
                if m.subtype.is_none()
                    && m.sender.bot_id.is_none()
                    && m.origin.channel_type.as_ref().map(|t| t.0.as_str()) == Some("im") =>
            {
                let (Some(user), Some(channel)) = (m.sender.user, m.origin.channel) else {
                    return;
                };
                let text = m.content.and_then(|c| c.text).unwrap_or_default();
                Inbound {
                    place: Place {
                        platform: PLATFORM.into(),
                        chat: channel.to_string(),
                        thread: m.origin.thread_ts.map(|t| t.to_string()),
                    },
                    user: user.to_string(),
                    text: unescape(&text),
                }
            }
            SlackEventCallbackBody::AppMention(m) => {
                let mention = format!("<@{}>", self.bot_user.get().map_or("", String::as_str));
                let text = m.content.text.unwrap_or_default().replace(&mention, " ");
                let thread = m.origin.thread_ts.unwrap_or(m.origin.ts);
                Inbound {
                    place: Place {
                        platform: PLATFORM.into(),
                        chat: m.channel.to_string(),
                        thread: Some(thread.to_string()),
                    },
                    user: m.user.to_string(),
                    text: unescape(text.trim()),
                }
            }
            _ => return,
        };
        hub.submit(inbound);
    }

    /// A Block Kit button click: decided in the background (Slack wants its answer within
    /// three seconds); a refusal is told to the clicker alone.
    fn dispatch_click(self: &Arc<Self>, hub: Arc<Hub>, event: SlackInteractionEvent) {
        let SlackInteractionEvent::BlockActions(event) = event else {
            return;
        };
        let (Some(user), Some(action)) = (
            event.user.map(|u| u.id.to_string()),
            event.actions.and_then(|a| a.into_iter().next()),
        ) else {
            return;
        };
        let action_kind = match action.action_id.to_string().as_str() {
            "approve" => ClickAction::Approve,
            "reject" => ClickAction::Reject,
            _ => return,
        };
        let Some(approval_id) = action.value else {
            return;
        };
        let channel = event.channel.map(|c| c.id.to_string());
        let click = Click {
            platform: PLATFORM.into(),
            user: user.clone(),
            approval_id,
            action: action_kind,
        };
        let slack = self.clone();
        tokio::spawn(async move {
            let outcome = async {
                let ack = hub.check_click(&click).await?;
                if ack.proceed {
                    hub.decide_click(&click).await?;
                } else if let Some(channel) = channel {
                    slack.ephemeral(&channel, &user, &ack.text).await?;
                }
                Ok::<(), ChannelError>(())
            };
            if let Err(e) = outcome.await {
                tracing::warn!(error = %e, "slack click not handled");
            }
        });
    }

    async fn ephemeral(&self, channel: &str, user: &str, text: &str) -> Result<(), ChannelError> {
        let request = SlackApiChatPostEphemeralRequest::new(
            channel.into(),
            user.into(),
            SlackMessageContent::new().with_text(text.into()),
        );
        self.client
            .open_session(&self.token)
            .chat_post_ephemeral(&request)
            .await
            .map_err(api_error)?;
        Ok(())
    }

    /// A card as Block Kit: the text, then Approve / Reject buttons whose value is the id.
    fn card_content(card: &Card) -> Result<SlackMessageContent, ChannelError> {
        let text = convert(&card.markdown(), Markup::SlackMrkdwn);
        let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})];
        if card.pending {
            blocks.push(json!({"type": "actions", "elements": [
                {"type": "button", "action_id": "approve", "value": card.approval_id,
                 "style": "primary", "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": "reject", "value": card.approval_id,
                 "style": "danger", "text": {"type": "plain_text", "text": "Reject"}}
            ]}));
        }
        let blocks: Vec<SlackBlock> =
            serde_json::from_value(serde_json::Value::Array(blocks)).map_err(api_error)?;
        Ok(SlackMessageContent::new()
            .with_text(card.title.clone())
            .with_blocks(blocks))
    }
}

async fn socket_push(
    event: SlackPushEventCallback,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let storage = states.read().await;
    if let Some(h) = storage.get_user_state::<Handles>()
        && h.slack.first_time(event.event_id.as_ref())
    {
        h.slack.dispatch_event(h.hub.clone(), event.event);
    }
    Ok(())
}

async fn socket_interaction(
    event: SlackInteractionEvent,
    _client: Arc<SlackClient<Connector>>,
    states: SlackClientEventsUserState,
) -> UserCallbackResult<()> {
    let storage = states.read().await;
    if let Some(h) = storage.get_user_state::<Handles>() {
        h.slack.dispatch_click(h.hub.clone(), event);
    }
    Ok(())
}

/// The body of a request whose signature checks out, or the status refusing it.
fn verified<'b>(
    slack: &Slack,
    headers: &HeaderMap,
    body: &'b Bytes,
) -> Result<&'b str, StatusCode> {
    let text = std::str::from_utf8(body).map_err(|_| StatusCode::BAD_REQUEST)?;
    slack.verify(headers, text).map_err(|why| {
        tracing::warn!(why, "slack request refused");
        StatusCode::UNAUTHORIZED
    })?;
    Ok(text)
}

async fn events(
    State((slack, hub)): State<(Arc<Slack>, Arc<Hub>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = match verified(&slack, &headers, &body) {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    match serde_json::from_str::<SlackPushEvent>(body) {
        Ok(SlackPushEvent::UrlVerification(v)) => {
            axum::Json(json!({"challenge": v.challenge})).into_response()
        }
        Ok(SlackPushEvent::EventCallback(callback)) => {
            if slack.first_time(callback.event_id.as_ref()) {
                slack.dispatch_event(hub, callback.event);
            }
            StatusCode::OK.into_response()
        }
        Ok(SlackPushEvent::AppRateLimited(_)) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "slack event not understood");
            StatusCode::BAD_REQUEST.into_response()
        }
    }
}

async fn interactivity(
    State((slack, hub)): State<(Arc<Slack>, Arc<Hub>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = verified(&slack, &headers, &body) {
        return refused.into_response();
    }
    let payload = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned());
    match payload.map(|p| serde_json::from_str::<SlackInteractionEvent>(&p)) {
        Some(Ok(event)) => {
            slack.dispatch_click(hub, event);
            StatusCode::OK.into_response()
        }
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[async_trait::async_trait]
impl Front for Slack {
    fn platform(&self) -> &'static str {
        PLATFORM
    }

    fn approvers_place(&self) -> Option<Place> {
        self.config
            .approvals_channel
            .as_ref()
            .map(|c| Place::chat(PLATFORM, c.clone()))
    }

    async fn send(&self, place: &Place, markdown: &str) -> Result<(), ChannelError> {
        let session = self.client.open_session(&self.token);
        for piece in split(markdown, LIMIT, Markup::SlackMrkdwn) {
            let mut request = SlackApiChatPostMessageRequest::new(
                place.chat.clone().into(),
                SlackMessageContent::new().with_text(piece),
            );
            if let Some(ts) = &place.thread {
                request = request.with_thread_ts(ts.clone().into());
            }
            session
                .chat_post_message(&request)
                .await
                .map_err(api_error)?;
        }
        Ok(())
    }

    async fn send_card(&self, place: &Place, card: &Card) -> Result<CardRef, ChannelError> {
        let mut request = SlackApiChatPostMessageRequest::new(
            place.chat.clone().into(),
            Self::card_content(card)?,
        );
        if let Some(ts) = &place.thread {
            request = request.with_thread_ts(ts.clone().into());
        }
        let sent = self
            .client
            .open_session(&self.token)
            .chat_post_message(&request)
            .await
            .map_err(api_error)?;
        Ok(CardRef {
            place: place.clone(),
            message: sent.ts.to_string(),
        })
    }

    async fn update_card(&self, at: &CardRef, card: &Card) -> Result<(), ChannelError> {
        let request = SlackApiChatUpdateRequest::new(
            at.place.chat.clone().into(),
            Self::card_content(card)?,
            at.message.clone().into(),
        );
        self.client
            .open_session(&self.token)
            .chat_update(&request)
            .await
            .map_err(api_error)?;
        Ok(())
    }

    async fn typing(&self, _place: &Place) -> Result<(), ChannelError> {
        // Slack has no typing indicator for bots outside the legacy RTM API.
        Ok(())
    }
}
