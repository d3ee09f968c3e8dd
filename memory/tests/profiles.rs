//! Customer profiles on SQLite, and on PostgreSQL where a test URL is set: records
//! join by normalised email, a record that shares identities with two profiles
//! merges them, notes follow the merge.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::databases;

use shopkeeper_memory::profiles::{Identity, Link, NoteRow, Profiles};

fn link(connector: &str, id: &str) -> Link {
    Link {
        connector: connector.into(),
        record_id: id.into(),
    }
}

#[tokio::test]
async fn records_of_one_person_share_a_profile_and_joined_profiles_merge() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(&dir).await {
        let shop = format!(
            "shop-{}-{}",
            std::process::id(),
            shopkeeper_memory::db::now_millis()
        );
        let profiles = Profiles::new(db.clone());
        let mia = profiles
            .link(
                &shop,
                &link("local", "mia_1"),
                "Mia Garcia",
                &[Identity::email("Mia.Garcia@Example.com").unwrap()],
            )
            .await
            .unwrap();
        assert!(mia.created);
        // The helpdesk knows her by the same email in another case: same person.
        let desk = profiles
            .link(
                &shop,
                &link("gorgias", "c-77"),
                "Mia G.",
                &[Identity::email("mia.garcia@example.com ").unwrap()],
            )
            .await
            .unwrap();
        assert_eq!(desk.profile_id, mia.profile_id);
        assert!(!desk.created);
        // Someone only known by phone so far gets a profile of their own...
        let phone_only = profiles
            .link(
                &shop,
                &link("klaviyo", "k-9"),
                "M. Garcia",
                &[Identity::phone("(555) 010-2030").unwrap()],
            )
            .await
            .unwrap();
        assert_ne!(phone_only.profile_id, mia.profile_id);
        profiles
            .add_note(&NoteRow {
                id: format!("n-{shop}"),
                shop: shop.clone(),
                subject_kind: "customer".into(),
                subject_id: phone_only.profile_id.clone(),
                body: "prefers SMS".into(),
                author: "ana".into(),
                created_at: 1,
            })
            .await
            .unwrap();
        // ...until a record carries both the email and the phone: one person, one profile.
        let joined = profiles
            .link(
                &shop,
                &link("shopify", "gid-1"),
                "Mia Garcia",
                &[
                    Identity::email("mia.garcia@example.com").unwrap(),
                    Identity::phone("+1 555 010 2030").unwrap(),
                ],
            )
            .await
            .unwrap();
        assert_eq!(joined.merged.len(), 1);
        assert_eq!(profiles.count(&shop).await.unwrap(), 1);
        let p = profiles
            .find_by_identity(&shop, &Identity::phone("555-010-2030").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.id, joined.profile_id);
        let mut connectors: Vec<&str> = p.links.iter().map(|l| l.connector.as_str()).collect();
        connectors.sort_unstable();
        assert_eq!(connectors, ["gorgias", "klaviyo", "local", "shopify"]);
        assert_eq!(p.identities.len(), 2);
        let notes = profiles
            .notes_about(&shop, "customer", &p.id)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1, "the note followed the merge");
        // Linking the same record again changes nothing.
        let again = profiles
            .link(
                &shop,
                &link("local", "mia_1"),
                "Mia Garcia",
                &[Identity::email("mia.garcia@example.com").unwrap()],
            )
            .await
            .unwrap();
        assert_eq!(again.profile_id, p.id);
        assert!(!again.created && again.merged.is_empty());
        // Shops never share profiles.
        assert!(
            profiles
                .find_by_record(&format!("{shop}-b"), &link("local", "mia_1"))
                .await
                .unwrap()
                .is_none()
        );
        db.close().await;
    }
}
