-- Human approvals, the execution ledger, the outbox and the audit log.
-- Portable SQL: the same file migrates SQLite and PostgreSQL. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS approvals (
    id                 TEXT PRIMARY KEY,
    run_id             TEXT,
    conversation_id    TEXT,
    call_id            TEXT,
    tool               TEXT NOT NULL,
    arguments          TEXT NOT NULL,
    arguments_hash     TEXT NOT NULL,
    summary            TEXT NOT NULL,
    effect             TEXT NOT NULL,
    required_role      TEXT NOT NULL,
    status             TEXT NOT NULL,
    requested_by       TEXT NOT NULL,
    channel            TEXT NOT NULL,
    requested_at       BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    decided_by         TEXT,
    decided_at         BIGINT,
    reason             TEXT,
    original_arguments TEXT,
    result             TEXT,
    cards              TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS approvals_by_status ON approvals (status, expires_at);
CREATE INDEX IF NOT EXISTS approvals_by_run ON approvals (run_id);

-- One row per approved call: intended -> started -> succeeded | failed.
CREATE TABLE IF NOT EXISTS executions (
    idempotency_key TEXT PRIMARY KEY,
    approval_id     TEXT NOT NULL UNIQUE,
    tool            TEXT NOT NULL,
    arguments       TEXT NOT NULL,
    state           TEXT NOT NULL,
    result          TEXT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_state ON executions (state);

-- Notifications to deliver (approval cards, decisions), written in the same
-- transaction as the change they announce.
CREATE TABLE IF NOT EXISTS outbox (
    id           TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT
);

-- Append-only: who asked, who decided, what ran, with what result.
CREATE TABLE IF NOT EXISTS audit_log (
    id      TEXT PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at, id);
