-- The built-in store: one row per aggregate (product, customer, order), the
-- record itself as JSON plus the columns that lookups need.
CREATE TABLE IF NOT EXISTS store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    product_id TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    doc        TEXT NOT NULL
);

-- Item (variant) id -> product, for get_item_details and same-product checks.
CREATE TABLE IF NOT EXISTS items (
    item_id    TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (product_id)
);

CREATE TABLE IF NOT EXISTS users (
    user_id          TEXT PRIMARY KEY,
    email_folded     TEXT NOT NULL,
    first_name_folded TEXT NOT NULL,
    last_name_folded TEXT NOT NULL,
    zip              TEXT NOT NULL,
    doc              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS users_by_email ON users (email_folded);
CREATE INDEX IF NOT EXISTS users_by_name_zip ON users (first_name_folded, last_name_folded, zip);

CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    status   TEXT NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id);

-- The helpdesk: one row per ticket (conversation, notes and draft in the document).
CREATE TABLE IF NOT EXISTS tickets (
    id         TEXT PRIMARY KEY,
    status     TEXT NOT NULL,
    priority   TEXT NOT NULL,
    assignee   TEXT,
    user_id    TEXT,
    updated_at TEXT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_by_update ON tickets (updated_at);

-- Listing fields of products (title, description, SEO, category...) and variants (SKU,
-- inventory), beside the τ²-shaped product records.
CREATE TABLE IF NOT EXISTS listings (
    product_id TEXT PRIMARY KEY,
    doc        TEXT NOT NULL
);

-- Platform facts the τ²-shaped records have no field for (tags, refunds by line, returns,
-- a platform cancel's reason), kept beside them so the τ² export stays the benchmark's.
CREATE TABLE IF NOT EXISTS order_extras (
    order_id TEXT PRIMARY KEY,
    doc      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer_extras (
    user_id TEXT PRIMARY KEY,
    doc     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS discount_codes (
    code_folded TEXT PRIMARY KEY,
    doc         TEXT NOT NULL
);

-- When a record last changed (the seed's records have no row: they date from the seed).
CREATE TABLE IF NOT EXISTS record_times (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS record_times_by_time ON record_times (kind, updated_at);

-- Each platform write's result under its idempotency key, in the write's transaction:
-- the same key again returns this instead of writing twice.
CREATE TABLE IF NOT EXISTS writes (
    key    TEXT PRIMARY KEY,
    result TEXT NOT NULL,
    at     TEXT NOT NULL
);

-- Events of the store's own writes, in the write's transaction; relayed to the event log.
CREATE TABLE IF NOT EXISTS store_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data        TEXT NOT NULL
);

-- Messages the store would send customers (it has no mail server): kept for the shop to read.
CREATE TABLE IF NOT EXISTS customer_outbox (
    id        TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject   TEXT NOT NULL,
    body      TEXT NOT NULL,
    at        TEXT NOT NULL
);
