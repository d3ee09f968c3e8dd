//! Query cost as Shopify documents it: scalars and enums cost nothing, an object one
//! point, a connection two plus its page size times one node, a mutation ten. The
//! requested cost is reserved before a query runs; the actual cost counts what came back.

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;

/// The largest cost one query may request.
pub const MAX_COST: f64 = 1000.0;

fn is_object(schema: &Schema, ty: &str) -> bool {
    schema
        .types
        .get(ty)
        .is_some_and(|t| !matches!(t, ExtendedType::Scalar(_) | ExtendedType::Enum(_)))
}

fn first_arg(field: &apollo_compiler::executable::Field, variables: &Value) -> f64 {
    for name in ["first", "last"] {
        if let Some(v) = field.specified_argument_by_name(name) {
            let n = match v.as_ref() {
                apollo_compiler::ast::Value::Int(i) => i.try_to_i32().ok().map(f64::from),
                apollo_compiler::ast::Value::Variable(var) => variables[var.as_str()].as_f64(),
                _ => None,
            };
            if let Some(n) = n {
                return n;
            }
        }
    }
    // Shopify asks for `first` or `last`; without them a page is small.
    10.0
}

fn selection_cost(
    schema: &Valid<Schema>,
    doc: &Valid<ExecutableDocument>,
    set: &SelectionSet,
    variables: &Value,
) -> f64 {
    let mut cost = 0.0;
    for s in &set.selections {
        match s {
            Selection::Field(f) => {
                let ty = f.definition.ty.inner_named_type().as_str();
                if !is_object(schema, ty) {
                    continue;
                }
                let child = selection_cost(schema, doc, &f.selection_set, variables);
                cost += if ty.ends_with("Connection") {
                    2.0 + first_arg(f, variables) * child
                } else {
                    1.0 + child
                };
            }
            Selection::InlineFragment(i) => {
                cost += selection_cost(schema, doc, &i.selection_set, variables)
            }
            Selection::FragmentSpread(spread) => {
                if let Some(frag) = doc.fragments.get(&spread.fragment_name) {
                    cost += selection_cost(schema, doc, &frag.selection_set, variables);
                }
            }
        }
    }
    cost
}

/// What the operation will reserve.
pub fn requested(
    schema: &Valid<Schema>,
    doc: &Valid<ExecutableDocument>,
    operation: &apollo_compiler::executable::Operation,
    variables: &Value,
) -> f64 {
    if operation.is_mutation() {
        return 10.0 * operation.root_fields(doc).count() as f64;
    }
    selection_cost(schema, doc, &operation.selection_set, variables).max(1.0)
}

/// What the answer cost: connections counted by the nodes they returned.
pub fn actual(data: &Value, requested: f64) -> f64 {
    fn walk(v: &Value) -> f64 {
        match v {
            Value::Object(map) => {
                let nodes = map
                    .get("nodes")
                    .or_else(|| map.get("edges"))
                    .and_then(Value::as_array);
                match nodes {
                    Some(items) => 2.0 + items.iter().map(walk).sum::<f64>(),
                    None => 1.0 + map.values().map(walk).sum::<f64>(),
                }
            }
            Value::Array(items) => items.iter().map(walk).sum(),
            _ => 0.0,
        }
    }
    walk(data).min(requested.max(1.0))
}
