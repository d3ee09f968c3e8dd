//! The built-in helpdesk: seeded demo tickets about real customers and orders, and
//! the support tools over it.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_tools::{Caller, LocalStore, Policy, Registry, Role, Semantics, local_registry};

fn me() -> Caller {
    Caller::new("cli", Role::Owner)
}

async fn registry(policy: Policy) -> (LocalStore, Registry) {
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let reg = local_registry(store.clone(), policy).unwrap();
    (store, reg)
}

#[tokio::test]
async fn demo_tickets_name_real_customers_and_orders() {
    let (_, reg) = registry(Policy::default()).await;
    let all = reg
        .call(&me(), "list_tickets", json!({"limit": 200}))
        .await
        .unwrap();
    let all = all.as_array().unwrap();
    assert!(all.len() >= 30, "a few dozen tickets: {}", all.len());
    for tag in [
        "where-is-my-order",
        "sizing",
        "cancel",
        "refund",
        "address-change",
        "product-question",
        "follow-up",
    ] {
        assert!(
            all.iter()
                .any(|t| t["tags"].as_array().unwrap().iter().any(|x| x == tag)),
            "no {tag} ticket"
        );
    }
    for t in all {
        let user = reg
            .call(&me(), "get_user_details", json!({"user_id": t["user_id"]}))
            .await
            .unwrap();
        if let Some(order_id) = t["order_id"].as_str() {
            assert!(
                user["orders"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o == order_id),
                "{} is not {}'s order",
                order_id,
                t["user_id"]
            );
        }
    }
    let cancels = reg
        .call(&me(), "list_tickets", json!({"tag": "cancel"}))
        .await
        .unwrap();
    for t in cancels.as_array().unwrap() {
        let order = reg
            .call(
                &me(),
                "get_order_details",
                json!({"order_id": t["order_id"]}),
            )
            .await
            .unwrap();
        assert_eq!(
            order["status"], "pending",
            "cancel requests are about orders that can still be cancelled"
        );
    }
    let urgent = reg
        .call(&me(), "list_tickets", json!({"priority": "urgent"}))
        .await
        .unwrap();
    assert!(
        urgent
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["priority"] == "urgent")
    );
}

#[tokio::test]
async fn get_ticket_carries_the_customer_and_their_orders_tracking() {
    let (_, reg) = registry(Policy::default()).await;
    let wismo = reg
        .call(
            &me(),
            "list_tickets",
            json!({"tag": "where-is-my-order", "limit": 1}),
        )
        .await
        .unwrap();
    let id = wismo[0]["id"].as_str().unwrap();
    let t = reg
        .call(&me(), "get_ticket", json!({"ticket_id": id}))
        .await
        .unwrap();
    let order_id = t["ticket"]["order_id"].as_str().unwrap();
    let order = t["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["order_id"] == order_id)
        .unwrap();
    let real = reg
        .call(&me(), "get_order_details", json!({"order_id": order_id}))
        .await
        .unwrap();
    assert_eq!(order["status"], real["status"]);
    assert_eq!(order["tracking"], real["fulfillments"][0]["tracking_id"]);
    assert_eq!(t["customer"]["email"], t["ticket"]["email"]);
    let missing = reg
        .call(&me(), "get_ticket", json!({"ticket_id": "T9"}))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), "not_found");
}

#[tokio::test]
async fn drafts_run_freely_but_replies_need_approval() {
    let (store, reg) = registry(Policy::default()).await;
    let draft = reg
        .call(
            &me(),
            "save_ticket_draft",
            json!({"ticket_id": "T1001", "body": "Hi! Your order has shipped."}),
        )
        .await
        .unwrap();
    assert_eq!(draft["has_draft"], true);
    let reply = json!({"ticket_id": "T1001", "body": "Hi! Your order has shipped."});
    let err = reg
        .call(&me(), "send_ticket_reply", reply.clone())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "needs_approval");
    let summary = reg.render("send_ticket_reply", &reply).await.unwrap();
    assert!(
        summary.starts_with("Send this reply to ") && summary.contains("T1001"),
        "{summary}"
    );

    let sim = local_registry(store.clone(), Policy::allow_all()).unwrap();
    let sent = sim.call(&me(), "send_ticket_reply", reply).await.unwrap();
    assert_eq!(
        (sent["status"].as_str(), sent["has_draft"].as_bool()),
        (Some("pending"), Some(false))
    );
    let t: Value = reg
        .call(&me(), "get_ticket", json!({"ticket_id": "T1001"}))
        .await
        .unwrap();
    let last = t["ticket"]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["from"].as_str(), last["body"].as_str()),
        (Some("agent"), Some("Hi! Your order has shipped."))
    );

    let escalated = reg
        .call(
            &me(),
            "escalate_ticket",
            json!({"ticket_id": "T1002", "summary": "Customer wants a refund outside policy."}),
        )
        .await
        .unwrap();
    assert_eq!(escalated["escalated"], true);
    let t = reg
        .call(&me(), "get_ticket", json!({"ticket_id": "T1002"}))
        .await
        .unwrap();
    assert!(
        t["ticket"]["notes"][0]["body"]
            .as_str()
            .unwrap()
            .contains("refund outside policy")
    );
    assert_eq!(
        reg.call(
            &me(),
            "tag_ticket",
            json!({"ticket_id": "T1002", "add": ["vip"]})
        )
        .await
        .unwrap_err()
        .kind(),
        "needs_approval"
    );
}
