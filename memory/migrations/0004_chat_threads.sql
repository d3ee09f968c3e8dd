-- Where each chat-platform conversation lives: one row per person per chat thread, so a
-- reply, a card or a resumed answer finds its way back. Portable SQL (SQLite and PostgreSQL).
CREATE TABLE IF NOT EXISTS chat_threads (
    key             TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    place           TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_threads_by_conversation ON chat_threads (conversation_id);
