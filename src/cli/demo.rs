//! `shopkeeper demo`: what a new user meets first.

use super::{open_store, semantics};
use serde_json::json;
use shopkeeper_memory::DataDir;
use shopkeeper_tools::{Caller, Policy, Role, local_registry};
use std::process::ExitCode;

/// Opens (and on first run seeds) the built-in store, then shows a lookup and
/// what an approval card for a cancellation would say, without running it.
pub async fn run() -> anyhow::Result<ExitCode> {
    let dir = DataDir::resolve()?;
    let store = open_store(semantics(None)).await?;
    let registry = local_registry(store.clone(), Policy::default())?;
    let me = Caller::new("cli", Role::Owner);
    println!("Shopkeeper demo store: {}", dir.store_path().display());
    println!(
        "{} tools available (`shopkeeper tool list`).\n",
        registry.list().count()
    );

    let user = registry
        .call(
            &me,
            "find_user_id_by_email",
            json!({"email": "ethan.lopez8943@example.com"}),
        )
        .await?;
    println!("find_user_id_by_email ethan.lopez8943@example.com -> {user}");
    let details = registry
        .call(&me, "get_order_details", json!({"order_id": "#W6779827"}))
        .await?;
    println!(
        "get_order_details #W6779827 -> status {}, {} item(s)\n",
        details["status"],
        details["items"].as_array().map_or(0, Vec::len)
    );
    let cancel = json!({"order_id": "#W6779827", "reason": "no longer needed"});
    println!(
        "A cancellation would need your approval; its card would read:\n  {}\n",
        registry.render("cancel_pending_order", &cancel).await?
    );
    let tickets = registry
        .call(&me, "list_tickets", json!({"status": "open", "limit": 200}))
        .await?;
    println!(
        "{} open support tickets (`shopkeeper tool call list_tickets '{{\"tag\": \"cancel\"}}'`).\n",
        tickets.as_array().map_or(0, Vec::len)
    );
    println!("Try: shopkeeper tool call get_user_details '{{\"user_id\": \"ethan_lopez_6291\"}}'");
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
