-- Conversations, their messages, and agent runs. Portable SQL: the same file
-- migrates SQLite and PostgreSQL. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS conversations (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per message, in order; a message is our own JSON format, never rewritten.
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);

-- The latest checkpoint of each run: its status and versioned record.
CREATE TABLE IF NOT EXISTS runs (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    status          TEXT NOT NULL,
    record          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_conversation ON runs (conversation_id, created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status);
