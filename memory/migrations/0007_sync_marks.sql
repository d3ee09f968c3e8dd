-- When each shop's memory was last brought up to date with its store, per kind of record:
-- the next `sync` reads only what changed since (Unix milliseconds).
CREATE TABLE IF NOT EXISTS sync_marks (
    shop_id   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    synced_at BIGINT NOT NULL,
    PRIMARY KEY (shop_id, kind)
);
