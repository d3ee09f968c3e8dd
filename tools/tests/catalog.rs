//! The catalog editor in the built-in store: drafts, creation through the policy,
//! diffs, stock, bundles from co-purchases, taxonomy lookups.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use shopkeeper_tools::{Caller, LocalStore, Policy, Registry, Role, Semantics, local_registry};
use std::collections::{BTreeMap, BTreeSet};

fn me() -> Caller {
    Caller::new("cli", Role::Owner)
}

async fn registries() -> (LocalStore, Registry, Registry) {
    let store = LocalStore::fresh(Semantics::Correct).await.unwrap();
    let gated = local_registry(store.clone(), Policy::default()).unwrap();
    let open = local_registry(store.clone(), Policy::allow_all()).unwrap();
    (store, gated, open)
}

fn linen_shirt() -> Value {
    json!({"name": "Linen Shirt", "product_type": "Shirt", "vendor": "Acme",
           "attributes": {"material": "100% linen", "fit": "relaxed", "care": "machine wash cold"},
           "variants": [{"options": {"size": "M"}, "price": 59.0, "inventory_quantity": 8},
                        {"options": {"size": "L"}, "price": 59.0, "inventory_quantity": 0}]})
}

#[tokio::test]
async fn a_plain_draft_is_valid_and_creating_it_needs_approval() {
    let (store, gated, open) = registries().await;
    let draft = gated
        .call(&me(), "draft_product_listing", linen_shirt())
        .await
        .unwrap();
    assert_eq!(draft["source"], "plain", "no model configured");
    let listing = draft["listing"].clone();
    assert_eq!(listing["status"], "draft");
    assert!(
        draft["category_name"].as_str().unwrap().contains("Shirts"),
        "{}",
        draft["category_name"]
    );
    assert!(
        listing["description_html"]
            .as_str()
            .unwrap()
            .contains("100% linen")
    );

    let before = store.sha256().await.unwrap();
    let create = json!({"listing": listing});
    assert_eq!(
        gated
            .call(&me(), "create_product", create.clone())
            .await
            .unwrap_err()
            .kind(),
        "needs_approval"
    );
    let card = gated.render("create_product", &create).await.unwrap();
    assert!(
        card.starts_with("Create a new draft product \"Linen Shirt\"")
            && card.contains("+ seo_title: Linen Shirt"),
        "{card}"
    );
    assert_eq!(store.sha256().await.unwrap(), before);

    let created = open.call(&me(), "create_product", create).await.unwrap();
    assert_eq!(
        created["status"], "draft",
        "the product as created: {created}"
    );
    assert_eq!(created["handle"], "linen-shirt");
    let id = created["id"].as_str().unwrap();
    let product = gated
        .call(&me(), "get_product_details", json!({"product_id": id}))
        .await
        .unwrap();
    assert_eq!(product["name"], "Linen Shirt");
    let variants = product["variants"].as_object().unwrap();
    assert_eq!(variants.len(), 2);
    assert!(
        variants.values().all(|v| v["available"] == false),
        "a draft is not for sale"
    );
    let types = gated
        .call(&me(), "list_all_product_types", json!({}))
        .await
        .unwrap();
    assert_eq!(types["Linen Shirt"], id);
}

#[tokio::test]
async fn listings_over_the_limits_are_refused_with_the_field_named() {
    let (_, gated, _) = registries().await;
    let draft = gated
        .call(&me(), "draft_product_listing", linen_shirt())
        .await
        .unwrap();
    let mut listing = draft["listing"].clone();
    listing["seo_title"] = json!("x".repeat(80));
    listing["category"] = json!("gid://shopify/TaxonomyCategory/zz-9");
    let err = gated
        .validate("create_product", &json!({"listing": listing}))
        .unwrap_err();
    assert!(err.to_string().contains("/listing/seo_title"), "{err}");
}

#[tokio::test]
async fn updating_shows_a_diff_and_publishing_makes_tracked_stock_decide() {
    let (_, gated, open) = registries().await;
    let listing = gated
        .call(&me(), "draft_product_listing", linen_shirt())
        .await
        .unwrap()["listing"]
        .clone();
    let id = open
        .call(&me(), "create_product", json!({"listing": listing}))
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let change =
        json!({"product_id": id, "changes": {"title": "Relaxed Linen Shirt", "status": "active"}});
    let card = gated.render("update_product", &change).await.unwrap();
    assert!(
        card.contains("- title: Linen Shirt")
            && card.contains("+ title: Relaxed Linen Shirt")
            && card.contains("+ status: active"),
        "{card}"
    );
    assert!(
        !card.contains("vendor"),
        "unchanged fields stay out of the card: {card}"
    );
    open.call(&me(), "update_product", change).await.unwrap();
    let product = gated
        .call(&me(), "get_product_details", json!({"product_id": id}))
        .await
        .unwrap();
    let available: BTreeSet<bool> = product["variants"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["available"].as_bool().unwrap())
        .collect();
    assert_eq!(
        available,
        BTreeSet::from([true, false]),
        "M has 8 in stock, L has none"
    );
    let bad =
        json!({"product_id": id, "changes": {"category": "gid://shopify/TaxonomyCategory/zz-9"}});
    assert_eq!(
        open.call(&me(), "update_product", bad)
            .await
            .unwrap_err()
            .kind(),
        "invalid_arguments"
    );
}

#[tokio::test]
async fn stock_changes_by_delta_and_never_below_zero() {
    let (store, gated, open) = registries().await;
    // The seed's items are their own SKUs.
    let add = json!({"sku": "9612497925", "delta": 5, "reason": "restock"});
    assert_eq!(
        gated
            .call(&me(), "adjust_inventory", add.clone())
            .await
            .unwrap_err()
            .kind(),
        "needs_approval"
    );
    let card = gated.render("adjust_inventory", &add).await.unwrap();
    assert!(
        card.contains("at Built-in store by +5 (0 -> 5) — reason: restock"),
        "{card}"
    );
    let done = open.call(&me(), "adjust_inventory", add).await.unwrap();
    assert_eq!(done["available"], 5, "{done}");
    assert_eq!(done["sku"], "9612497925");
    let before = store.sha256().await.unwrap();
    let err = open
        .call(
            &me(),
            "adjust_inventory",
            json!({"sku": "9612497925", "delta": -6, "reason": "cycle_count_available"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "rejected");
    assert_eq!(store.sha256().await.unwrap(), before);
    open.call(
        &me(),
        "adjust_inventory",
        json!({"sku": "9612497925", "delta": -5, "reason": "shrinkage"}),
    )
    .await
    .unwrap();
    let item = gated
        .call(&me(), "get_item_details", json!({"item_id": "9612497925"}))
        .await
        .unwrap();
    assert_eq!(item["available"], false, "no stock left");
}

#[tokio::test]
async fn bundles_come_from_real_co_purchase_counts() {
    let (store, gated, _) = registries().await;
    let tshirt = "9523456873";
    let got = gated
        .call(
            &me(),
            "suggest_bundles",
            json!({"product_id": tshirt, "limit": 3}),
        )
        .await
        .unwrap();
    // Count independently from the exported orders.
    let db = store.export().await.unwrap();
    let mut with: BTreeMap<String, u64> = BTreeMap::new();
    let mut orders = 0;
    for o in db["orders"].as_object().unwrap().values() {
        let products: BTreeSet<&str> = o["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["product_id"].as_str().unwrap())
            .collect();
        if products.contains(tshirt) {
            orders += 1;
            for p in products.iter().filter(|p| **p != tshirt) {
                *with.entry(p.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(got["orders_with_product"], orders);
    let top = with.values().max().unwrap();
    assert_eq!(got["suggestions"][0]["orders_together"], *top);
    assert_eq!(
        with[got["suggestions"][0]["product_id"].as_str().unwrap()],
        *top
    );
    assert_eq!(
        gated
            .call(&me(), "suggest_bundles", json!({"product_id": "0"}))
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
}

#[tokio::test]
async fn category_search_finds_the_taxonomy_gid() {
    let (_, gated, _) = registries().await;
    for (query, gid) in [
        ("office chair", "gid://shopify/TaxonomyCategory/fr-12-2"),
        (
            "electric kettle",
            "gid://shopify/TaxonomyCategory/hg-11-7-11",
        ),
    ] {
        let found = gated
            .call(&me(), "search_categories", json!({"query": query}))
            .await
            .unwrap();
        assert_eq!(found[0]["gid"], gid, "{query}: {found}");
    }
    let listing = gated
        .call(
            &me(),
            "get_product_listing",
            json!({"product_id": "4794339885"}),
        )
        .await
        .unwrap();
    assert_eq!(
        listing["listing"]["category"], "gid://shopify/TaxonomyCategory/fr-12-2",
        "Office Chair"
    );
}
