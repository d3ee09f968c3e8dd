//! The hub every front hands its messages and clicks to: it finds the conversation,
//! runs the agent, posts the answer, decides clicked approvals through the approvals
//! service, and relays the outbox (cards for new approvals, edits for decided ones, the
//! answers of runs that resume).

use crate::ChannelError;
use crate::front::{Card, CardRef, Click, ClickAction, Front, Inbound, Place};
use crate::lanes::Lanes;
use crate::people::{Directory, Person};
use shopkeeper_agent::approvals::Approvals;
use shopkeeper_agent::{Agent, AgentError, Decided, Observer, Outcome, RunStatus, ToolCallRequest};
use shopkeeper_memory::{ApprovalRow, ConversationInfo, OutboxRow};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

/// How often the typing indicator is renewed (Telegram's lasts five seconds).
const TYPING_EVERY: Duration = Duration::from_secs(4);
/// How long a relay's claim on a notification holds before another relay may take over.
const CLAIM_LEASE_MS: i64 = 60_000;

/// What to answer a click with at once, and whether to go on and decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Shown to the person who clicked.
    pub text: String,
    /// The click is allowed: decide it now.
    pub proceed: bool,
}

/// The fronts' shared core.
pub struct Hub {
    agent: Arc<Agent>,
    directory: Directory,
    store_name: String,
    fronts: RwLock<BTreeMap<String, Arc<dyn Front>>>,
    relay: tokio::sync::Mutex<()>,
    /// This process's name when claiming notifications from the shared outbox.
    relay_id: String,
    lanes: Lanes,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("store_name", &self.store_name)
            .finish_non_exhaustive()
    }
}

/// Collects tool activity for the compact line above an answer.
#[derive(Default)]
struct Activity {
    calls: Mutex<Vec<(String, Option<bool>)>>,
}

impl Observer for Activity {
    fn tool_started(&self, call: &ToolCallRequest) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((call.name.clone(), None));
    }

    fn tool_finished(&self, call: &ToolCallRequest, ok: bool) {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = calls
            .iter_mut()
            .rev()
            .find(|(name, done)| name == &call.name && done.is_none())
        {
            entry.1 = Some(ok);
        }
    }
}

impl Activity {
    /// `🔧 get_order_details ✓ · cancel_pending_order ✗`, or nothing.
    fn line(&self) -> Option<String> {
        let calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        if calls.is_empty() {
            return None;
        }
        let shown: Vec<String> = calls
            .iter()
            .map(|(name, ok)| {
                let mark = match ok {
                    Some(true) => "✓",
                    Some(false) => "✗",
                    None => "…",
                };
                format!("`{name}` {mark}")
            })
            .collect();
        Some(format!("🔧 {}", shown.join(" · ")))
    }
}

impl Hub {
    /// A hub over `agent`, knowing staff from `directory`.
    pub fn new(agent: Arc<Agent>, directory: Directory, store_name: &str) -> Self {
        Self {
            agent,
            directory,
            store_name: store_name.into(),
            fronts: RwLock::new(BTreeMap::new()),
            relay: tokio::sync::Mutex::new(()),
            relay_id: uuid::Uuid::now_v7().to_string(),
            lanes: Lanes::default(),
        }
    }

    /// Adds a running front.
    pub fn attach(&self, front: Arc<dyn Front>) {
        self.fronts
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(front.platform().to_string(), front);
    }

    fn front(&self, platform: &str) -> Result<Arc<dyn Front>, ChannelError> {
        self.fronts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(platform)
            .cloned()
            .ok_or_else(|| ChannelError::NoFront(platform.into()))
    }

    fn fronts(&self) -> Vec<Arc<dyn Front>> {
        self.fronts
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    fn approvals(&self) -> &Approvals {
        self.agent.approvals()
    }

    /// Who `user` on `platform` is.
    pub fn person(&self, platform: &str, user: &str) -> Person {
        self.directory.person(platform, user)
    }

    /// Takes a message in: handled in the background, a person's messages in one thread in
    /// the order they came, different threads side by side. Failures are logged.
    pub fn submit(self: &Arc<Self>, msg: Inbound) {
        let person = self.person(&msg.place.platform, &msg.user);
        let key = thread_key(&msg.place, &msg.user, &person);
        let hub = self.clone();
        let lane = key.clone();
        self.lanes.run(&lane, async move {
            if let Err(e) = hub.on_message(msg, person, key).await {
                tracing::warn!(error = %e, "message not handled");
            }
        });
    }

    /// Handles a message: a command, or a request for the agent.
    async fn on_message(
        &self,
        msg: Inbound,
        person: Person,
        key: String,
    ) -> Result<(), ChannelError> {
        let front = self.front(&msg.place.platform)?;
        let text = msg.text.trim();
        if let Some(command) = command(text) {
            return self
                .command(&*front, &msg.place, &person, &key, command)
                .await;
        }
        if text.is_empty() {
            return Ok(());
        }
        let conversation = self.conversation(&key, &msg.place, &person, false).await?;
        let typing = {
            let (front, place) = (front.clone(), msg.place.clone());
            tokio::spawn(async move {
                loop {
                    if let Err(e) = front.typing(&place).await {
                        tracing::debug!(error = %e, "typing indicator failed");
                    }
                    tokio::time::sleep(TYPING_EVERY).await;
                }
            })
        };
        let activity = Activity::default();
        let outcome = self.agent.send(&conversation, text, &activity).await;
        typing.abort();
        let awaiting = matches!(&outcome, Ok(o) if o.status == RunStatus::AwaitingApproval);
        self.post_outcome(&*front, &msg.place, &person, outcome, &activity)
            .await?;
        // Cards for the new approvals now, not at the next relay tick; answers alone leave
        // nothing in the outbox, and the relay is one at a time, so it is skipped then.
        if awaiting { self.flush().await } else { Ok(()) }
    }

    /// The conversation of a person in a thread; a new one when `fresh` or the first time.
    async fn conversation(
        &self,
        key: &str,
        place: &Place,
        person: &Person,
        fresh: bool,
    ) -> Result<ConversationInfo, ChannelError> {
        let db = self.agent.db();
        let existing = if fresh {
            None
        } else {
            db.thread_conversation(key).await?
        };
        let id = match existing {
            Some(id) => id,
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                let place_json = serde_json::to_string(place)
                    .map_err(|e| ChannelError::Config(e.to_string()))?;
                db.bind_thread(key, &id, &place_json).await?;
                id
            }
        };
        Ok(ConversationInfo {
            id,
            channel: place.platform.clone(),
            role: person.role.as_str().into(),
        })
    }

    async fn command(
        &self,
        front: &dyn Front,
        place: &Place,
        person: &Person,
        key: &str,
        command: &str,
    ) -> Result<(), ChannelError> {
        match command {
            "start" | "help" => {
                let text = if person.is_customer() {
                    format!(
                        "Hello! I'm the assistant of **{}**. Ask me about your orders, returns or our products.",
                        self.store_name
                    )
                } else {
                    format!(
                        "Hello {}, I'm Shopkeeper for **{}** (you are **{}**). Ask me anything about the store; \
                         changes wait for an approval card.\n\n/new starts a new conversation · /pending lists approvals waiting for a decision",
                        person.name, self.store_name, person.role
                    )
                };
                front.send(place, &text).await
            }
            "new" => {
                self.conversation(key, place, person, true).await?;
                front.send(place, "New conversation started.").await
            }
            "pending" if person.is_customer() => {
                front
                    .send(place, "Only the shop's staff can see pending approvals.")
                    .await
            }
            "pending" => {
                let pending = self.agent.db().approvals(Some("pending")).await?;
                if pending.is_empty() {
                    return front.send(place, "Nothing is waiting for approval.").await;
                }
                front
                    .send(place, &format!("{} waiting for approval:", pending.len()))
                    .await?;
                for approval in pending {
                    self.post_card(front, place, &approval).await?;
                }
                Ok(())
            }
            other => {
                front
                    .send(
                        place,
                        &format!("Unknown command /{other}. Try /new, /pending or /help."),
                    )
                    .await
            }
        }
    }

    /// Posts what a run ended with: tool activity (staff only), the answer, or what waits.
    async fn post_outcome(
        &self,
        front: &dyn Front,
        place: &Place,
        person: &Person,
        outcome: Result<Outcome, AgentError>,
        activity: &Activity,
    ) -> Result<(), ChannelError> {
        let mut parts = Vec::new();
        if !person.is_customer() {
            parts.extend(activity.line());
        }
        match outcome {
            Ok(outcome) => match outcome.status {
                RunStatus::Done => parts.push(outcome.answer.unwrap_or_default()),
                RunStatus::AwaitingApproval => {
                    for call in &outcome.awaiting {
                        parts.push(if person.is_customer() {
                            format!(
                                "I've asked the team to approve this: {}. I'll reply here as soon as they decide.",
                                call.summary
                            )
                        } else {
                            format!(
                                "⏸ Waiting for approval (needs **{}**): {}",
                                call.required_role, call.summary
                            )
                        });
                    }
                }
                RunStatus::MaxTurns => parts.push(format!(
                    "I stopped after {} steps without an answer. Could you rephrase?",
                    outcome.turns
                )),
                _ => {
                    tracing::warn!(error = ?outcome.error, "run failed");
                    parts.push(failure(person, outcome.error.as_deref().unwrap_or("")));
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "agent failed");
                parts.push(failure(person, &e.to_string()));
            }
        }
        let text = parts.join("\n\n");
        if text.trim().is_empty() {
            return Ok(());
        }
        front.send(place, &text).await
    }

    /// Answers a click at once: refused (audited, nothing changes), already decided, or
    /// allowed — then call [`Hub::decide_click`].
    pub async fn check_click(&self, click: &Click) -> Result<Ack, ChannelError> {
        let person = self.person(&click.platform, &click.user);
        let decider = person.decider();
        let Some(approval) = self.agent.db().approval(&click.approval_id).await? else {
            return Ok(Ack {
                text: "This approval does not exist any more.".into(),
                proceed: false,
            });
        };
        if approval.status != "pending" {
            return Ok(Ack {
                text: format!(
                    "Already {} by {}.",
                    approval.status,
                    approval.decided_by.as_deref().unwrap_or("someone")
                ),
                proceed: false,
            });
        }
        if let Err(why) = Approvals::authorise(&decider, &approval) {
            // Through the service, so the refusal is in the audit log.
            let _ = self.approvals().approve(&approval.id, &decider).await?;
            return Ok(Ack {
                text: format!("Not allowed: {why}"),
                proceed: false,
            });
        }
        let text = match click.action {
            ClickAction::Approve => "Approving…",
            ClickAction::Reject => "Rejecting…",
        };
        Ok(Ack {
            text: text.into(),
            proceed: true,
        })
    }

    /// Decides a click through the approvals service (one winner; the service checks the
    /// person again), then updates the cards and resumes the run.
    pub async fn decide_click(&self, click: &Click) -> Result<Decided, ChannelError> {
        let person = self.person(&click.platform, &click.user);
        let decider = person.decider();
        let decided = match click.action {
            ClickAction::Approve => {
                self.approvals()
                    .approve(&click.approval_id, &decider)
                    .await?
            }
            ClickAction::Reject => {
                let reason = format!("rejected in {}", click.platform);
                self.approvals()
                    .reject(&click.approval_id, &decider, &reason)
                    .await?
            }
        };
        self.flush().await?;
        Ok(decided)
    }

    /// Relays the outbox: posts cards for new approvals (to the asking staff thread and
    /// every approvers' chat), edits the cards of decided ones wherever they show, and
    /// posts the answers of runs whose approvals are all settled. Safe to call any time;
    /// one relay runs at a time.
    pub async fn flush(&self) -> Result<(), ChannelError> {
        let _relay = self.relay.lock().await;
        // A resumed run can ask for another approval: go round until nothing is left.
        for _ in 0..8 {
            self.approvals().sweep().await?;
            let mut worked = self.deliver_outbox().await?;
            let ready = self.approvals().runs_ready().await?;
            if !ready.is_empty() {
                // The decisions that made these runs ready are in the outbox by now (a
                // decision is written before its call's result): cards first, then answers.
                self.deliver_outbox().await?;
            }
            for run_id in ready {
                worked = true;
                self.resume(&run_id).await?;
            }
            if !worked {
                break;
            }
        }
        Ok(())
    }

    /// Delivers what this relay can claim from the outbox; whether there was anything.
    async fn deliver_outbox(&self) -> Result<bool, ChannelError> {
        let mut worked = false;
        for row in self.agent.db().undelivered().await? {
            // Another `serve` on the same database may be relaying too: one delivers.
            if !self
                .agent
                .db()
                .claim_notification(&row.id, &self.relay_id, CLAIM_LEASE_MS)
                .await?
            {
                continue;
            }
            worked = true;
            match self.deliver(&row).await {
                Ok(()) => self.agent.db().mark_delivered(&row.id).await?,
                // Left undelivered: the next flush tries again.
                Err(e) => {
                    tracing::warn!(topic = row.topic, error = %e, "cannot deliver a notification")
                }
            }
        }
        Ok(worked)
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<(), ChannelError> {
        let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap_or_default();
        let Some(id) = payload.get("approval_id").and_then(|v| v.as_str()) else {
            return Ok(());
        };
        let Some(approval) = self.agent.db().approval(id).await? else {
            return Ok(());
        };
        match row.topic.as_str() {
            "approval_requested" if approval.status == "pending" => {
                for place in self.card_places(&approval).await? {
                    let front = match self.front(&place.platform) {
                        Ok(front) => front,
                        Err(_) => continue,
                    };
                    self.post_card(&*front, &place, &approval).await?;
                }
                Ok(())
            }
            "approval_decided" => {
                let card = Card::of(&approval);
                for at in cards(&approval) {
                    if let Ok(front) = self.front(&at.place.platform) {
                        front.update_card(&at, &card).await?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Where a new approval's card goes: the staff thread that asked, and every
    /// approvers' chat; not where it already shows.
    async fn card_places(&self, approval: &ApprovalRow) -> Result<Vec<Place>, ChannelError> {
        let mut places = Vec::new();
        if let Some(conversation) = &approval.conversation_id {
            let staff = self
                .agent
                .db()
                .conversation(conversation)
                .await?
                .is_some_and(|c| c.role != "customer");
            if staff && let Some(place) = self.place_of(conversation).await? {
                places.push(place);
            }
        }
        places.extend(self.fronts().iter().filter_map(|f| f.approvers_place()));
        let shown: Vec<Place> = cards(approval).into_iter().map(|c| c.place).collect();
        let mut unique = Vec::new();
        for place in places {
            if !shown.contains(&place) && !unique.contains(&place) {
                unique.push(place);
            }
        }
        Ok(unique)
    }

    /// Posts a card and records where, so a decision made anywhere can edit it.
    async fn post_card(
        &self,
        front: &dyn Front,
        place: &Place,
        approval: &ApprovalRow,
    ) -> Result<(), ChannelError> {
        let at = front.send_card(place, &Card::of(approval)).await?;
        // Re-read: the card list may have grown since `approval` was loaded.
        let current = self.agent.db().approval(&approval.id).await?;
        let mut shown = current.as_ref().map(cards).unwrap_or_default();
        shown.push(at);
        let json =
            serde_json::to_string(&shown).map_err(|e| ChannelError::Config(e.to_string()))?;
        self.agent
            .db()
            .set_approval_cards(&approval.id, &json)
            .await?;
        // Decided while the card was on its way (another relay edited the cards it knew of):
        // show the decision on this one too.
        if let Some(now) = current.filter(|a| a.status != "pending")
            && let Some(at) = shown.last()
        {
            front.update_card(at, &Card::of(&now)).await?;
        }
        Ok(())
    }

    async fn place_of(&self, conversation_id: &str) -> Result<Option<Place>, ChannelError> {
        Ok(self
            .agent
            .db()
            .thread_place(conversation_id)
            .await?
            .and_then(|p| serde_json::from_str(&p).ok()))
    }

    /// Resumes a run whose approvals are settled and posts its answer where it was asked.
    async fn resume(&self, run_id: &str) -> Result<(), ChannelError> {
        let activity = Activity::default();
        let Some(outcome) = self.agent.resume_decided(run_id, &activity).await? else {
            return Ok(());
        };
        let conversation = self
            .agent
            .db()
            .conversation(&outcome.conversation_id)
            .await?;
        let Some(place) = self.place_of(&outcome.conversation_id).await? else {
            // Not a chat conversation (CLI, workflow): its answer is stored, nothing to post.
            return Ok(());
        };
        let front = self.front(&place.platform)?;
        let role = conversation
            .and_then(|c| shopkeeper_tools::Role::parse(&c.role))
            .unwrap_or(shopkeeper_tools::Role::Customer);
        let person = Person {
            name: String::new(),
            role,
        };
        self.post_outcome(&*front, &place, &person, Ok(outcome), &activity)
            .await
    }
}

/// The cards an approval shows on.
fn cards(approval: &ApprovalRow) -> Vec<CardRef> {
    serde_json::from_str(&approval.cards).unwrap_or_default()
}

/// One conversation per person per thread; a change of role starts another one, so a
/// conversation never mixes what a customer and staff may see.
fn thread_key(place: &Place, user: &str, person: &Person) -> String {
    format!(
        "{}:{}:{}:{}:{}",
        place.platform,
        place.chat,
        place.thread.as_deref().unwrap_or("-"),
        user,
        person.role.as_str()
    )
}

/// `/new@shop_bot args` → `new`.
fn command(text: &str) -> Option<&str> {
    let word = text.strip_prefix('/')?.split_whitespace().next()?;
    Some(word.split('@').next().unwrap_or(word))
}

/// What a failure looks like to the person: staff see the error, customers do not.
fn failure(person: &Person, error: &str) -> String {
    if person.is_customer() {
        "Sorry, something went wrong on our side. Please try again in a moment.".into()
    } else {
        format!("Something went wrong: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_drop_the_bot_name() {
        assert_eq!(command("/new@shop_bot"), Some("new"));
        assert_eq!(command("/pending now"), Some("pending"));
        assert_eq!(command("cancel /new"), None);
    }

    #[test]
    fn a_customer_and_staff_never_share_a_conversation() {
        let place = Place::chat("telegram", "-100");
        let staff = Person {
            name: "ana".into(),
            role: shopkeeper_tools::Role::Staff,
        };
        let customer = Person {
            name: "telegram:7".into(),
            role: shopkeeper_tools::Role::Customer,
        };
        assert_ne!(
            thread_key(&place, "7", &staff),
            thread_key(&place, "7", &customer)
        );
        assert_ne!(
            thread_key(&place, "7", &staff),
            thread_key(&place, "8", &staff)
        );
    }
}
