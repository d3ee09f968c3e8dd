//! Chat threads: which conversation a person's messages in a chat belong to, and
//! where a conversation's replies go (the place is the channel's own opaque JSON).

use crate::db::{AppDb, DbError, now_millis};
use sqlx::Row;

impl AppDb {
    /// The conversation currently bound to `key` (a person in a chat thread), if any.
    pub async fn thread_conversation(&self, key: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query("SELECT conversation_id FROM chat_threads WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("conversation_id"))
            .transpose()?)
    }

    /// Binds `key` to `conversation_id` (replacing an earlier binding) at `place`.
    pub async fn bind_thread(
        &self,
        key: &str,
        conversation_id: &str,
        place: &str,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO chat_threads (key, conversation_id, place, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET conversation_id = $2, place = $3, updated_at = $4",
        )
        .bind(key)
        .bind(conversation_id)
        .bind(place)
        .bind(now_millis())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Where a conversation's replies go, if it lives in a chat.
    pub async fn thread_place(&self, conversation_id: &str) -> Result<Option<String>, DbError> {
        let row = sqlx::query(
            "SELECT place FROM chat_threads WHERE conversation_id = $1 ORDER BY updated_at DESC",
        )
        .bind(conversation_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| r.try_get::<String, _>("place")).transpose()?)
    }
}
