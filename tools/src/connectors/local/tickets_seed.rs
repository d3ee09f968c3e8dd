//! Demo tickets for the built-in helpdesk, generated from the seeded store so each
//! one names a real customer and a real order: where is my order, wrong size, cancel,
//! refund, address change, product question, angry follow-up.

use super::helpdesk::save;
use super::unavailable;
use crate::commerce::CommerceError;
use crate::helpdesk::{Priority, Sender, Ticket, TicketMessage, TicketStatus};
use crate::retail::model::{Order, OrderStatus, User};
use sqlx::SqlitePool;

/// Seeds the demo tickets once per store.
pub(super) async fn seed_if_empty(pool: &SqlitePool) -> Result<(), CommerceError> {
    let Some(mut tx) = super::begin_seed(pool, "tickets_seeded").await? else {
        return Ok(());
    };
    let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM orders ORDER BY order_id")
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
    let orders: Vec<Order> = docs
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    let users: Vec<User> =
        sqlx::query_scalar::<_, String>("SELECT doc FROM users ORDER BY user_id")
            .fetch_all(&mut *tx)
            .await
            .map_err(unavailable)?
            .iter()
            .filter_map(|d| serde_json::from_str(d).ok())
            .collect();
    for ticket in generate(&orders, &users) {
        save(&mut tx, &ticket).await?;
    }
    super::mark_seeded(tx, "tickets_seeded", "demo").await
}

/// A time on the demo's timeline: 2026-11-20 09:00 UTC plus `minutes`.
fn at(minutes: i64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or_default();
    (base + chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

struct Builder<'a> {
    users: &'a [User],
    tickets: Vec<Ticket>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        order: Option<&Order>,
        user_id: &str,
        subject: String,
        tags: &[&str],
        priority: Priority,
        bodies: &[String],
    ) {
        let Some(user) = self.users.iter().find(|u| u.user_id == user_id) else {
            return;
        };
        let n = self.tickets.len() as i64;
        let start = n * 37;
        let messages = bodies
            .iter()
            .enumerate()
            .map(|(k, body)| TicketMessage {
                from: Sender::Customer,
                author: format!("{} {}", user.name.first_name, user.name.last_name),
                body: body.clone(),
                at: at(start + 180 * k as i64),
            })
            .collect::<Vec<_>>();
        let updated_at = messages.last().map_or_else(|| at(start), |m| m.at.clone());
        self.tickets.push(Ticket {
            id: format!("T{}", 1001 + n),
            channel: ["email", "chat", "contact_form"][(n % 3) as usize].into(),
            user_id: Some(user.user_id.clone()),
            email: user.email.clone(),
            order_id: order.map(|o| o.order_id.clone()),
            subject,
            status: TicketStatus::Open,
            priority,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            assignee: None,
            escalated: false,
            created_at: at(start),
            updated_at,
            messages,
            notes: Vec::new(),
            draft: None,
        });
    }
}

fn first_name(users: &[User], id: &str) -> String {
    users
        .iter()
        .find(|u| u.user_id == id)
        .map_or_else(|| "there".into(), |u| u.name.first_name.clone())
}

/// The demo tickets, deterministic for a given store.
fn generate(orders: &[Order], users: &[User]) -> Vec<Ticket> {
    let mut b = Builder {
        users,
        tickets: Vec::new(),
    };
    let with = |status: OrderStatus| orders.iter().filter(move |o| o.status == status);

    for o in with(OrderStatus::Processed).step_by(17).take(6) {
        let item = o.items.first().map_or("my items", |i| i.name.as_str());
        b.add(Some(o), &o.user_id, format!("Where is my order {}?", o.order_id), &["where-is-my-order"], Priority::Normal,
              &[format!("Hi, I ordered the {item} a while ago (order {}). Has it shipped yet? Do you have a tracking number?", o.order_id)]);
    }
    for o in with(OrderStatus::Processed).step_by(23).skip(1).take(4) {
        let first = first_name(users, &o.user_id);
        b.add(Some(o), &o.user_id, format!("Still waiting on {}", o.order_id), &["where-is-my-order", "follow-up"], Priority::Urgent,
              &[format!("Hello, where is order {}?", o.order_id),
                format!("This is the third time I'm writing. Order {} still hasn't arrived and nobody answers. I want an update today or I'm disputing the charge. — {first}", o.order_id)]);
    }
    let sized = with(OrderStatus::Delivered)
        .filter(|o| o.items.iter().any(|i| i.options.contains_key("size")));
    for o in sized.step_by(11).take(5) {
        let item = o
            .items
            .iter()
            .find(|i| i.options.contains_key("size"))
            .map(|i| {
                (
                    i.name.clone(),
                    i.options.get("size").cloned().unwrap_or_default(),
                )
            });
        let (name, size) = item.unwrap_or_default();
        b.add(Some(o), &o.user_id, format!("Wrong size: {name}"), &["exchange", "sizing"], Priority::Normal,
              &[format!("The {name} from order {} arrived in size {size} and it doesn't fit. Can I exchange it for a different size?", o.order_id)]);
    }
    for o in with(OrderStatus::Pending).step_by(29).take(5) {
        b.add(
            Some(o),
            &o.user_id,
            format!("Please cancel {}", o.order_id),
            &["cancel"],
            Priority::High,
            &[format!(
                "I ordered by mistake — please cancel order {} before it ships.",
                o.order_id
            )],
        );
    }
    for o in with(OrderStatus::Delivered).step_by(31).take(5) {
        let item = o.items.last().map_or("the item", |i| i.name.as_str());
        b.add(Some(o), &o.user_id, format!("Refund for {}", o.order_id), &["refund", "return"], Priority::Normal,
              &[format!("The {item} in order {} isn't what I expected. How do I return it and get my money back?", o.order_id)]);
    }
    for o in with(OrderStatus::Pending).step_by(37).skip(1).take(4) {
        b.add(Some(o), &o.user_id, format!("New address for {}", o.order_id), &["address-change"], Priority::Normal,
              &[format!("I just moved. Can you ship order {} to 455 Lakeview Drive, Apt 12, Portland, OR 97205 instead?", o.order_id)]);
    }
    for (k, o) in orders.iter().step_by(97).take(5).enumerate() {
        let Some(item) = o.items.first() else {
            continue;
        };
        let question = match k % 3 {
            0 => format!(
                "Does the {} come in other colors or sizes than the one I bought?",
                item.name
            ),
            1 => format!(
                "Is the {} still available? I'd like to buy a second one as a gift.",
                item.name
            ),
            _ => format!(
                "What's the difference between the {} options you sell? I'm trying to choose.",
                item.name
            ),
        };
        b.add(
            None,
            &o.user_id,
            format!("Question about the {}", item.name),
            &["product-question"],
            Priority::Low,
            &[question],
        );
    }
    b.tickets
}
