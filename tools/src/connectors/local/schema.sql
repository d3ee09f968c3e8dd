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
