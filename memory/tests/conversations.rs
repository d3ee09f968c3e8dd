//! Conversation persistence on SQLite, and on PostgreSQL where a test URL is set.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::databases;

use serde_json::json;
use shopkeeper_memory::{ConversationInfo, StoredRun};

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        shopkeeper_memory::db::now_millis()
    )
}

#[tokio::test]
async fn checkpoints_keep_messages_in_order_and_the_latest_run_record() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(&dir).await {
        let conv = ConversationInfo {
            id: unique("conv"),
            channel: "cli".into(),
            role: "staff".into(),
        };
        db.ensure_conversation(&conv).await.unwrap();
        db.ensure_conversation(&conv).await.unwrap();
        assert_eq!(db.conversation(&conv.id).await.unwrap(), Some(conv.clone()));

        let mut run = StoredRun {
            id: unique("run"),
            conversation_id: conv.id.clone(),
            status: "calling_model".into(),
            record: json!({"version": 1, "turns": 0}),
        };
        let first = [json!({"role": "user", "content": "hi"})];
        db.checkpoint(&run, 0, &first).await.unwrap();
        // A retried checkpoint neither duplicates nor rewrites what is stored.
        db.checkpoint(&run, 0, &[json!({"role": "user", "content": "rewritten"})])
            .await
            .unwrap();
        run.status = "done".into();
        run.record = json!({"version": 1, "turns": 1});
        db.checkpoint(&run, 1, &[json!({"role": "assistant", "content": "hello"})])
            .await
            .unwrap();

        let messages = db.messages(&conv.id).await.unwrap();
        assert_eq!(
            messages,
            vec![
                first[0].clone(),
                json!({"role": "assistant", "content": "hello"})
            ],
            "{:?}",
            db.backend()
        );
        assert_eq!(db.run(&run.id).await.unwrap(), Some(run.clone()));
        assert_eq!(
            db.latest_run(&conv.id).await.unwrap().map(|r| r.id),
            Some(run.id.clone())
        );
        assert!(
            db.latest_run("no-such-conversation")
                .await
                .unwrap()
                .is_none()
        );
        db.close().await;
    }
}
