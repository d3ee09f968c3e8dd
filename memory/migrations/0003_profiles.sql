-- Customer profiles: one per person, keyed by normalised email and phone, linking
-- the person's records in every connector; and notes the agent was asked to remember.
-- Portable SQL: the same file migrates SQLite and PostgreSQL. Times are Unix milliseconds.
CREATE TABLE IF NOT EXISTS profiles (
    id           TEXT PRIMARY KEY,
    shop         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- A normalised email ('email') or phone number in E.164 form ('phone') -> its profile.
CREATE TABLE IF NOT EXISTS profile_identities (
    shop       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    PRIMARY KEY (shop, kind, value)
);
CREATE INDEX IF NOT EXISTS profile_identities_by_profile ON profile_identities (profile_id);

-- A connector's record of the person (e.g. 'local' user 'mia_garcia_4516').
CREATE TABLE IF NOT EXISTS profile_links (
    shop       TEXT NOT NULL,
    connector  TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    profile_id TEXT NOT NULL,
    PRIMARY KEY (shop, connector, record_id)
);
CREATE INDEX IF NOT EXISTS profile_links_by_profile ON profile_links (profile_id);

-- Notes about a customer or a product ('remember').
CREATE TABLE IF NOT EXISTS notes (
    id           TEXT PRIMARY KEY,
    shop         TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    body         TEXT NOT NULL,
    author       TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_subject ON notes (shop, subject_kind, subject_id, created_at);
