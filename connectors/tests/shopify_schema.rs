//! Every GraphQL document the Shopify connector can send, judged by Shopify's own
//! published Admin schema for the pinned version: it must validate, it must declare the
//! access scopes the schema says its fields need, and the mutations Shopify refuses to run
//! without an idempotency key must carry one.

// Tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::{Selection, SelectionSet};
use shopkeeper_connectors::shopify::fake::schema::{AdminSchema, admin};
use shopkeeper_connectors::shopify::queries::{ALL, BULK_QUERIES};
use std::collections::BTreeSet;

/// `(type, field)` of every field a selection set reaches.
fn fields(doc: &ExecutableDocument, set: &SelectionSet, out: &mut BTreeSet<(String, String)>) {
    for s in &set.selections {
        match s {
            Selection::Field(f) => {
                out.insert((set.ty.to_string(), f.name.to_string()));
                fields(doc, &f.selection_set, out);
            }
            Selection::InlineFragment(i) => fields(doc, &i.selection_set, out),
            Selection::FragmentSpread(spread) => {
                if let Some(frag) = doc.fragments.get(&spread.fragment_name) {
                    fields(doc, &frag.selection_set, out);
                }
            }
        }
    }
}

fn missing_scopes(
    schema: &AdminSchema,
    doc: &ExecutableDocument,
    declared: &[&str],
) -> Vec<String> {
    let mut used = BTreeSet::new();
    for op in doc.operations.iter() {
        fields(doc, &op.selection_set, &mut used);
    }
    let mut missing = Vec::new();
    for (ty, field) in &used {
        // Each list is "any one of": one declared scope must be among them.
        for needs in [schema.field_scopes(ty, field), schema.type_scopes(ty)] {
            if !needs.is_empty() && !needs.iter().any(|n| declared.contains(&n.as_str())) {
                missing.push(format!("{ty}.{field} needs one of {needs:?}"));
            }
        }
    }
    missing
}

#[test]
fn every_document_is_valid_against_the_published_schema() {
    let schema = admin().unwrap();
    let mut names = BTreeSet::new();
    for op in ALL {
        assert!(names.insert(op.name), "{} twice", op.name);
        let doc = schema
            .validate(op.document)
            .unwrap_or_else(|e| panic!("{} does not validate:\n{e}", op.name));
        let ops: Vec<_> = doc.operations.iter().collect();
        assert_eq!(ops.len(), 1, "{}", op.name);
        assert_eq!(
            ops[0].name.as_deref(),
            Some(op.name),
            "the operation is named"
        );
    }
    for (what, query, _) in BULK_QUERIES {
        schema
            .validate(query)
            .unwrap_or_else(|e| panic!("bulk {what} does not validate:\n{e}"));
    }
    // The judge can refute: a misspelt field and a missing argument are caught.
    assert!(schema.validate("query Q { shop { nme } }").is_err());
    assert!(
        schema
            .validate("mutation M { orderCancel(reason: CUSTOMER, restock: true) { job { id } } }")
            .is_err()
    );
}

#[test]
fn declared_scopes_cover_what_the_schema_says_each_field_needs() {
    let schema = admin().unwrap();
    for op in ALL {
        let doc = schema.validate(op.document).unwrap();
        let missing = missing_scopes(schema, &doc, op.scopes);
        assert!(missing.is_empty(), "{}: {missing:#?}", op.name);
    }
    for (what, query, declared) in BULK_QUERIES {
        let doc = schema.validate(query).unwrap();
        let missing = missing_scopes(schema, &doc, declared);
        assert!(missing.is_empty(), "bulk {what}: {missing:#?}");
    }
}

#[test]
fn mutations_that_need_an_idempotency_key_carry_one() {
    let schema = admin().unwrap();
    // What validation alone cannot catch: these fail at run time without the key.
    assert!(schema.idempotent_required.contains("refundCreate"));
    assert!(
        schema
            .idempotent_required
            .contains("inventoryAdjustQuantities")
    );
    assert!(
        schema
            .idempotent_required
            .contains("inventorySetQuantities")
    );
    assert!(!schema.idempotent_required.contains("orderCancel"));
    let mut checked = 0;
    for op in ALL {
        let doc = schema.validate(op.document).unwrap();
        for operation in doc.operations.iter() {
            for field in operation.root_fields(&doc) {
                if schema.idempotent_required.contains(field.name.as_str()) {
                    checked += 1;
                    assert!(
                        field.directives.iter().any(|d| d.name == "idempotent"),
                        "{} sends {} without @idempotent",
                        op.name,
                        field.name
                    );
                }
            }
        }
    }
    assert_eq!(checked, 3, "refunds, adjustments and sets");
}
