//! The execution ledger: approved calls run once, survive crashes, and are
//! reconciled with the store rather than repeated.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_memory::{AppDb, ApprovalRow, AuditRow, Decision, ExecutionRow};
use shopkeeper_tools::ledger::canonical_arguments;
use shopkeeper_tools::{LocalStore, Policy, Registry, Semantics, local_registry};

struct Fixture {
    store: LocalStore,
    registry: Registry,
    db: AppDb,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = AppDb::connect(&format!(
        "sqlite://{}/app.sqlite?mode=rwc",
        dir.path().display()
    ))
    .await
    .unwrap();
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let registry = local_registry(store.clone(), Policy::default()).unwrap();
    Fixture {
        store,
        registry,
        db,
        _dir: dir,
    }
}

fn cancel() -> Value {
    json!({"order_id": "#W6779827", "reason": "no longer needed"})
}

async fn pending_approval(f: &Fixture, id: &str, args: &Value) -> ApprovalRow {
    let (arguments, arguments_hash) = canonical_arguments(args);
    let row = ApprovalRow {
        id: id.into(),
        run_id: None,
        conversation_id: None,
        call_id: None,
        tool: "cancel_pending_order".into(),
        arguments,
        arguments_hash,
        summary: "cancel".into(),
        effect: "money".into(),
        required_role: "manager".into(),
        status: "pending".into(),
        requested_by: "test".into(),
        channel: "test".into(),
        requested_at: 0,
        expires_at: i64::MAX,
        decided_by: None,
        decided_at: None,
        reason: None,
        original_arguments: None,
        result: None,
        cards: "[]".into(),
    };
    f.db.record(&shopkeeper_memory::Alongside {
        approvals: vec![row.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    row
}

async fn approve(f: &Fixture, id: &str) -> bool {
    let d = Decision {
        status: "approved",
        by: "owner",
        reason: None,
        edited: None,
        result: None,
    };
    f.db.decide(id, &d, AuditRow::new("owner", "approved", id, json!({})))
        .await
        .unwrap()
}

#[tokio::test]
async fn only_an_approved_call_runs_and_it_runs_once() {
    let f = fixture().await;
    pending_approval(&f, "a1", &cancel()).await;
    let refused = f.registry.execute_approved(&f.db, "a1").await.unwrap_err();
    assert_eq!(refused.kind(), "not_allowed");

    assert!(approve(&f, "a1").await);
    assert!(
        !approve(&f, "a1").await,
        "a second decision loses the compare-and-set"
    );
    let before = f.store.sha256().await.unwrap();
    let first = f.registry.execute_approved(&f.db, "a1").await.unwrap();
    assert!(first.ok && !first.already_recorded);
    let after = f.store.sha256().await.unwrap();
    assert_ne!(after, before);

    let again = f.registry.execute_approved(&f.db, "a1").await.unwrap();
    assert!(again.already_recorded);
    assert_eq!(again.content, first.content);
    assert_eq!(f.store.sha256().await.unwrap(), after, "nothing ran twice");
    let log = f.db.audit_log().await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "execution_succeeded")
            .count(),
        1
    );
}

#[tokio::test]
async fn arguments_changed_after_approval_are_refused() {
    let f = fixture().await;
    pending_approval(&f, "a2", &cancel()).await;
    assert!(approve(&f, "a2").await);
    sqlx::query("UPDATE approvals SET arguments = $1 WHERE id = 'a2'")
        .bind(json!({"order_id": "#W9093821", "reason": "no longer needed"}).to_string())
        .execute(f.db.pool())
        .await
        .unwrap();
    let before = f.store.sha256().await.unwrap();
    let err = f.registry.execute_approved(&f.db, "a2").await.unwrap_err();
    assert!(err.to_string().contains("do not match"), "{err}");
    assert_eq!(f.store.sha256().await.unwrap(), before);
}

/// Leaves the ledger as a crash between "started" and "finished" would.
async fn crash_after_start(f: &Fixture, id: &str, args: &Value) -> ApprovalRow {
    let row = pending_approval(f, id, args).await;
    assert!(approve(f, id).await);
    let (arguments, _) = canonical_arguments(args);
    f.db.intend_execution(&ExecutionRow {
        idempotency_key: id.into(),
        approval_id: id.into(),
        tool: row.tool.clone(),
        arguments,
        state: "intended".into(),
        result: None,
        updated_at: 0,
    })
    .await
    .unwrap();
    assert!(
        f.db.move_execution(
            id,
            "intended",
            "started",
            None,
            AuditRow::new("system", "execution_started", id, json!({}))
        )
        .await
        .unwrap()
    );
    f.db.approval(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_interrupted_call_that_did_not_apply_runs_once_on_recovery() {
    let f = fixture().await;
    let approval = crash_after_start(&f, "a3", &cancel()).await;
    let busy = f.registry.execute_approved(&f.db, "a3").await.unwrap_err();
    assert!(
        busy.to_string().contains("recovery"),
        "never re-run blindly: {busy}"
    );
    let stale = f.db.stale_executions(0).await.unwrap();
    assert_eq!(stale.len(), 1);
    assert!(
        f.db.take_over_execution(
            &stale[0],
            AuditRow::new("system", "recovery", "a3", json!({}))
        )
        .await
        .unwrap()
    );
    assert!(
        !f.db
            .take_over_execution(
                &stale[0],
                AuditRow::new("system", "recovery", "a3", json!({}))
            )
            .await
            .unwrap(),
        "one recoverer wins"
    );
    let done = f
        .registry
        .reconcile_started(&f.db, &approval)
        .await
        .unwrap();
    assert!(done.ok);
    let order = f
        .registry
        .call(
            &shopkeeper_tools::Caller::new("cli", shopkeeper_tools::Role::Owner),
            "get_order_details",
            json!({"order_id": "#W6779827"}),
        )
        .await
        .unwrap();
    assert_eq!(order["status"], "cancelled");
    assert_eq!(
        order["payment_history"].as_array().unwrap().len(),
        2,
        "refunded exactly once"
    );
    assert_eq!(
        f.db.execution("a3").await.unwrap().unwrap().state,
        "succeeded"
    );
}

#[tokio::test]
async fn an_interrupted_call_that_applied_is_recorded_without_running_again() {
    let f = fixture().await;
    let approval = crash_after_start(&f, "a4", &cancel()).await;
    // The store write happened; the process died before the ledger heard of it.
    let sim = local_registry(f.store.clone(), Policy::allow_all()).unwrap();
    sim.call(
        &shopkeeper_tools::Caller::new("cli", shopkeeper_tools::Role::Owner),
        "cancel_pending_order",
        cancel(),
    )
    .await
    .unwrap();
    let hash = f.store.sha256().await.unwrap();
    let done = f
        .registry
        .reconcile_started(&f.db, &approval)
        .await
        .unwrap();
    assert!(done.ok);
    assert!(done.content.contains("\"cancelled\""));
    assert_eq!(f.store.sha256().await.unwrap(), hash, "not applied twice");
    let log = f.db.audit_log().await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "execution_reconciled" && e.detail.contains("applied"))
    );
}
