//! Shopify's published Admin API schema for `API_VERSION` (the introspection JSON Shopify
//! ships in `@shopify/dev-mcp`, `connectors/data/shopify-admin-schema/`, ISC licence), as a
//! validated schema for apollo-compiler, with the access scopes each type and field needs
//! and the mutations that, from 2026-04, refuse to run without an idempotency key.

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock};

/// The schema file, as Shopify publishes it.
const SCHEMA: &[u8] = include_bytes!("../../../data/shopify-admin-schema/admin_2026-10.json.gz");

/// The Admin schema with what validation alone does not say.
#[derive(Debug)]
pub struct AdminSchema {
    /// The schema.
    pub schema: Valid<Schema>,
    /// Scopes by `(type, field)` (`field` empty for the type itself); any one will do.
    scopes: HashMap<(String, String), Vec<String>>,
    /// Mutations that fail without `@idempotent(key:)` (their descriptions say so).
    pub idempotent_required: HashSet<String>,
    documents: Mutex<HashMap<String, Arc<Valid<ExecutableDocument>>>>,
}

fn load() -> Result<AdminSchema, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(SCHEMA)
        .read_to_string(&mut text)
        .map_err(|e| format!("the schema file: {e}"))?;
    let raw: Value = serde_json::from_str(&text).map_err(|e| format!("the schema file: {e}"))?;
    let query: cynic_introspection::IntrospectionQuery =
        serde_json::from_value(raw["data"].clone()).map_err(|e| format!("introspection: {e}"))?;
    let sdl = query
        .into_schema()
        .map_err(|e| format!("introspection: {e}"))?
        .to_sdl();
    let schema = Schema::parse_and_validate(sdl, "admin_2026-10.graphql")
        .map_err(|e| format!("the schema does not validate: {}", e.errors))?;
    let mut scopes = HashMap::new();
    for item in raw["offline_scopes"]["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let list: Vec<String> = item["offlineScopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if list.is_empty() {
            continue;
        }
        let ty = item["typeName"].as_str().unwrap_or_default().to_string();
        let field = item["fieldName"].as_str().unwrap_or_default().to_string();
        scopes.insert((ty, field), list);
    }
    let mutation = raw["data"]["__schema"]["types"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "Mutation");
    let idempotent_required = mutation
        .and_then(|m| m["fields"].as_array())
        .into_iter()
        .flatten()
        .filter(|f| {
            f["description"]
                .as_str()
                .is_some_and(|d| d.contains("idempotency key is required"))
        })
        .filter_map(|f| f["name"].as_str().map(String::from))
        .collect();
    Ok(AdminSchema {
        schema,
        scopes,
        idempotent_required,
        documents: Mutex::new(HashMap::new()),
    })
}

/// The schema, loaded once per process (a few hundred milliseconds).
pub fn admin() -> Result<&'static AdminSchema, String> {
    static ADMIN: OnceLock<Result<AdminSchema, String>> = OnceLock::new();
    ADMIN.get_or_init(load).as_ref().map_err(Clone::clone)
}

impl AdminSchema {
    /// Parses and validates a document against the schema (each text once).
    pub fn validate(&self, document: &str) -> Result<Arc<Valid<ExecutableDocument>>, String> {
        if let Ok(cache) = self.documents.lock()
            && let Some(doc) = cache.get(document)
        {
            return Ok(doc.clone());
        }
        let doc = ExecutableDocument::parse_and_validate(&self.schema, document, "request.graphql")
            .map_err(|e| e.errors.to_string())?;
        let doc = Arc::new(doc);
        if let Ok(mut cache) = self.documents.lock() {
            cache.insert(document.to_string(), doc.clone());
        }
        Ok(doc)
    }

    /// The scopes a type needs (any one of them).
    pub fn type_scopes(&self, ty: &str) -> &[String] {
        self.scopes
            .get(&(ty.to_string(), String::new()))
            .map_or(&[], Vec::as_slice)
    }

    /// The scopes a field needs (any one of them).
    pub fn field_scopes(&self, ty: &str, field: &str) -> &[String] {
        self.scopes
            .get(&(ty.to_string(), field.to_string()))
            .map_or(&[], Vec::as_slice)
    }
}
