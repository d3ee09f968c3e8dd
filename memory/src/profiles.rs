//! Customer profiles: one per person, keyed by normalised email and phone, linking
//! that person's records in every connector; and notes about customers and products.

use crate::db::{AppDb, DbError, now_millis};
use sha2::{Digest, Sha256};
use sqlx::Row;
use std::collections::BTreeSet;

/// A way to recognise a person across tools, normalised.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    /// A normalised email address.
    Email(String),
    /// A phone number in E.164 form (`+15551234567`).
    Phone(String),
}

impl Identity {
    /// An email identity, if `raw` looks like an address.
    pub fn email(raw: &str) -> Option<Self> {
        normalize_email(raw).map(Self::Email)
    }

    /// A phone identity, if `raw` holds enough digits to be a number.
    pub fn phone(raw: &str) -> Option<Self> {
        normalize_phone(raw).map(Self::Phone)
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::Phone(_) => "phone",
        }
    }

    fn value(&self) -> &str {
        match self {
            Self::Email(v) | Self::Phone(v) => v,
        }
    }
}

/// Lower-cased and trimmed; for Gmail, dots and `+tags` in the local part dropped,
/// since Gmail delivers all those spellings to the same mailbox.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.rsplit_once('@')?;
    if local.is_empty() || !domain.contains('.') || domain.starts_with('.') {
        return None;
    }
    if domain == "gmail.com" || domain == "googlemail.com" {
        let local = local.split('+').next().unwrap_or(local).replace('.', "");
        return Some(format!("{local}@gmail.com"));
    }
    Some(email)
}

/// E.164: digits with a leading `+`; ten-digit numbers are taken as North American (+1).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    let international = trimmed.starts_with('+') || trimmed.starts_with("00");
    let mut digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with("00") {
        digits.drain(..2);
    }
    let digits = match digits.len() {
        10 if !international => format!("1{digits}"),
        _ => digits,
    };
    (8..=15)
        .contains(&digits.len())
        .then(|| format!("+{digits}"))
}

/// A connector's record of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The connector (`local`, later `shopify`, `gorgias`, `klaviyo`...).
    pub connector: String,
    /// The record's id there.
    pub record_id: String,
}

/// One person across every connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Stable id.
    pub id: String,
    /// The shop.
    pub shop: String,
    /// The name last seen for the person.
    pub display_name: String,
    /// Normalised emails and phones.
    pub identities: Vec<Identity>,
    /// Records in connectors.
    pub links: Vec<Link>,
}

/// What linking a record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// The profile the record now belongs to.
    pub profile_id: String,
    /// A profile was created for it.
    pub created: bool,
    /// Profiles merged into this one because the record's identities joined them.
    pub merged: Vec<String>,
}

/// A note someone asked Shopkeeper to remember.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow {
    /// Id.
    pub id: String,
    /// The shop.
    pub shop: String,
    /// `customer` or `product`.
    pub subject_kind: String,
    /// The customer's profile id or the product id.
    pub subject_id: String,
    /// The note.
    pub body: String,
    /// Who asked.
    pub author: String,
    /// When (Unix milliseconds).
    pub created_at: i64,
}

/// Profiles and notes in the application database.
#[derive(Debug, Clone)]
pub struct Profiles {
    db: AppDb,
}

fn profile_id(shop: &str, seed: &str) -> String {
    let digest = Sha256::digest(format!("{shop}\u{1f}{seed}").as_bytes());
    format!("prof_{}", &hex::encode(digest)[..16])
}

impl Profiles {
    /// Profiles kept in `db`.
    pub fn new(db: AppDb) -> Self {
        Self { db }
    }

    /// Attaches a connector's record to the profile its identities (or an earlier link)
    /// point to, creating one if none does, merging profiles the record joins.
    pub async fn link(
        &self,
        shop: &str,
        link: &Link,
        display_name: &str,
        identities: &[Identity],
    ) -> Result<Linked, DbError> {
        let mut tx = self.db.pool().begin().await?;
        let mut found = BTreeSet::new();
        let linked: Option<String> = sqlx::query_scalar(
            "SELECT profile_id FROM profile_links WHERE shop = $1 AND connector = $2 AND record_id = $3",
        )
        .bind(shop)
        .bind(&link.connector)
        .bind(&link.record_id)
        .fetch_optional(&mut *tx)
        .await?;
        found.extend(linked);
        for identity in identities {
            let owner: Option<String> = sqlx::query_scalar(
                "SELECT profile_id FROM profile_identities WHERE shop = $1 AND kind = $2 AND value = $3",
            )
            .bind(shop)
            .bind(identity.kind())
            .bind(identity.value())
            .fetch_optional(&mut *tx)
            .await?;
            found.extend(owner);
        }
        let now = now_millis();
        let mut found = found.into_iter();
        let (keep, created) = match found.next() {
            Some(id) => (id, false),
            None => {
                let seed = identities.iter().min().map_or_else(
                    || format!("{}:{}", link.connector, link.record_id),
                    |i| format!("{}:{}", i.kind(), i.value()),
                );
                let id = profile_id(shop, &seed);
                sqlx::query(
                    "INSERT INTO profiles (id, shop, display_name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&id)
                .bind(shop)
                .bind(display_name)
                .bind(now)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                (id, true)
            }
        };
        let merged: Vec<String> = found.collect();
        for other in &merged {
            for table in ["profile_identities", "profile_links"] {
                sqlx::query(&format!(
                    "UPDATE {table} SET profile_id = $1 WHERE profile_id = $2"
                ))
                .bind(&keep)
                .bind(other)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query("UPDATE notes SET subject_id = $1 WHERE subject_kind = 'customer' AND subject_id = $2")
                .bind(&keep)
                .bind(other)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM profiles WHERE id = $1")
                .bind(other)
                .execute(&mut *tx)
                .await?;
        }
        for identity in identities {
            sqlx::query(
                "INSERT INTO profile_identities (shop, kind, value, profile_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (shop, kind, value) DO NOTHING",
            )
            .bind(shop)
            .bind(identity.kind())
            .bind(identity.value())
            .bind(&keep)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO profile_links (shop, connector, record_id, profile_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (shop, connector, record_id) DO UPDATE SET profile_id = excluded.profile_id",
        )
        .bind(shop)
        .bind(&link.connector)
        .bind(&link.record_id)
        .bind(&keep)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE profiles SET display_name = $1, updated_at = $2 WHERE id = $3")
            .bind(display_name)
            .bind(now)
            .bind(&keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Linked {
            profile_id: keep,
            created,
            merged,
        })
    }

    /// A profile by id, with its identities and links.
    pub async fn get(&self, id: &str) -> Result<Option<Profile>, DbError> {
        let Some(row) = sqlx::query("SELECT id, shop, display_name FROM profiles WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
        else {
            return Ok(None);
        };
        let identities = sqlx::query(
            "SELECT kind, value FROM profile_identities WHERE profile_id = $1 ORDER BY kind, value",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?
        .into_iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let value: String = r.try_get("value")?;
            Ok(if kind == "phone" {
                Identity::Phone(value)
            } else {
                Identity::Email(value)
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let links = sqlx::query(
            "SELECT connector, record_id FROM profile_links WHERE profile_id = $1 \
             ORDER BY connector, record_id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(Link {
                connector: r.try_get("connector")?,
                record_id: r.try_get("record_id")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Some(Profile {
            id: row.try_get("id")?,
            shop: row.try_get("shop")?,
            display_name: row.try_get("display_name")?,
            identities,
            links,
        }))
    }

    /// The profile an email or phone belongs to.
    pub async fn find_by_identity(
        &self,
        shop: &str,
        identity: &Identity,
    ) -> Result<Option<Profile>, DbError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT profile_id FROM profile_identities WHERE shop = $1 AND kind = $2 AND value = $3",
        )
        .bind(shop)
        .bind(identity.kind())
        .bind(identity.value())
        .fetch_optional(self.db.pool())
        .await?;
        match id {
            Some(id) => self.get(&id).await,
            None => Ok(None),
        }
    }

    /// The profile a connector's record is linked to.
    pub async fn find_by_record(
        &self,
        shop: &str,
        link: &Link,
    ) -> Result<Option<Profile>, DbError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT profile_id FROM profile_links WHERE shop = $1 AND connector = $2 AND record_id = $3",
        )
        .bind(shop)
        .bind(&link.connector)
        .bind(&link.record_id)
        .fetch_optional(self.db.pool())
        .await?;
        match id {
            Some(id) => self.get(&id).await,
            None => Ok(None),
        }
    }

    /// Record id -> profile id for every record of `connector` linked in `shop`.
    pub async fn linked_records(
        &self,
        shop: &str,
        connector: &str,
    ) -> Result<std::collections::HashMap<String, String>, DbError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT record_id, profile_id FROM profile_links WHERE shop = $1 AND connector = $2",
        )
        .bind(shop)
        .bind(connector)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Moves everything kept under `old` (profiles, identities, links, notes) to `new`, in one
    /// transaction, when `new` has nothing yet: memory once keyed by a shop's display name
    /// follows it to its stable id. Returns how many profiles moved.
    pub async fn adopt(&self, old: &str, new: &str) -> Result<u64, DbError> {
        if old == new || self.count(new).await? > 0 {
            return Ok(0);
        }
        let mut tx = self.db.pool().begin().await?;
        let moved = sqlx::query("UPDATE profiles SET shop = $1 WHERE shop = $2")
            .bind(new)
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        for table in ["profile_identities", "profile_links", "notes"] {
            sqlx::query(&format!("UPDATE {table} SET shop = $1 WHERE shop = $2"))
                .bind(new)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// How many profiles `shop` has.
    pub async fn count(&self, shop: &str) -> Result<i64, DbError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE shop = $1")
                .bind(shop)
                .fetch_one(self.db.pool())
                .await?,
        )
    }

    /// Stores a note.
    pub async fn add_note(&self, note: &NoteRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO notes (id, shop, subject_kind, subject_id, body, author, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&note.id)
        .bind(&note.shop)
        .bind(&note.subject_kind)
        .bind(&note.subject_id)
        .bind(&note.body)
        .bind(&note.author)
        .bind(note.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Notes about a subject, oldest first.
    pub async fn notes_about(
        &self,
        shop: &str,
        subject_kind: &str,
        subject_id: &str,
    ) -> Result<Vec<NoteRow>, DbError> {
        sqlx::query(
            "SELECT id, shop, subject_kind, subject_id, body, author, created_at FROM notes \
             WHERE shop = $1 AND subject_kind = $2 AND subject_id = $3 ORDER BY created_at, id",
        )
        .bind(shop)
        .bind(subject_kind)
        .bind(subject_id)
        .fetch_all(self.db.pool())
        .await?
        .into_iter()
        .map(|r| {
            Ok(NoteRow {
                id: r.try_get("id")?,
                shop: r.try_get("shop")?,
                subject_kind: r.try_get("subject_kind")?,
                subject_id: r.try_get("subject_id")?,
                body: r.try_get("body")?,
                author: r.try_get("author")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(DbError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_normalise_case_space_and_gmail_spellings() {
        assert_eq!(
            normalize_email("  Mia.Garcia@Example.COM "),
            Some("mia.garcia@example.com".into())
        );
        assert_eq!(
            normalize_email("mia.garcia+shop@gmail.com"),
            Some("miagarcia@gmail.com".into())
        );
        assert_eq!(normalize_email("not an email"), None);
        assert_eq!(normalize_email("a@localhost"), None);
    }

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(
            normalize_phone("(555) 123-4567"),
            Some("+15551234567".into())
        );
        assert_eq!(
            normalize_phone("+44 20 7946 0958"),
            Some("+442079460958".into())
        );
        assert_eq!(
            normalize_phone("0044 20 7946 0958"),
            Some("+442079460958".into())
        );
        assert_eq!(normalize_phone("12345"), None);
    }
}
