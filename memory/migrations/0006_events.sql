-- The event log: everything that happens in a shop (platform webhooks, the built-in
-- store's own writes, events pushed by the API or the CLI), stored before it is
-- acknowledged, de-duplicated by the source's own event id, consumed by memory sync and
-- workflows. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS events (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL,
    source       TEXT NOT NULL,
    topic        TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    event_type   TEXT,
    occurred_at  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    payload      TEXT NOT NULL,
    data         TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_source_id ON events (source, external_id);
CREATE INDEX IF NOT EXISTS events_by_received ON events (received_at, id);
CREATE INDEX IF NOT EXISTS events_by_type ON events (event_type, received_at);
CREATE INDEX IF NOT EXISTS events_to_process ON events (processed_at, received_at);
