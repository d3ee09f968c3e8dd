//! Schema-guided argument extraction: for each parameter of a tool's JSON schema,
//! the value the request (or the conversation so far) states, by the parameter's
//! name and type — order ids, emails, user ids, 10-digit product and item ids, zip
//! codes, names, enum values, amounts, free text.

use regex::Regex;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

// The patterns are literals checked by the tests below; a failure to compile is a bug.
#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid literal pattern")
}

static ORDER_ID: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)#?\s?\bw\s?(\d{7})\b"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"));
static USER_ID: LazyLock<Regex> = LazyLock::new(|| re(r"\b[a-z]+_[a-z]+_\d{4}\b"));
static TEN_DIGITS: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{10}\b"));
static ZIP: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d{5}\b"));
static PAYMENT: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:credit_card|paypal|gift_card)_\d+\b"));
static TICKET: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\bt(\d{4})\b"));
/// A platform's order number: "#1001", "order 1001", "order no. 1001".
static ORDER_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:#\s?|\border\s+(?:number\s+|no\.?\s*|#\s?)?)(\d{3,9})\b"));
/// A SKU: "sku TSHIRT-BLU-M", or a code of capitals and digits with dashes.
static SKU: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i:\bsku\s*:?\s*([a-z0-9][a-z0-9._-]*[a-z0-9]))|\b([A-Z0-9]+(?:-[A-Z0-9]+)+)\b")
});
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| re(r"\$\s?(\d+(?:\.\d{1,2})?)"));
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:[Ii]'?m|[Ii] am|[Nn]ame is|[Nn]ame:|[Cc]ustomer|[Tt]his is)\s+([A-Z][a-z]+)\s+([A-Z][a-z]+)",
    )
});
static PRICE_UNDER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:under|below|less than|cheaper than|max(?:imum)?|up to)\s*\$?\s*(\d+(?:\.\d+)?)")
});
static PRICE_OVER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(?:over|above|more than|at least|min(?:imum)?)\s*\$?\s*(\d+(?:\.\d+)?)")
});
static SPLIT_NEW: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:for|to|with|into|replace(?:d)? by)\b"));
static MATH: LazyLock<Regex> = LazyLock::new(|| re(r"[\d(][\d\s.+\-*/()]*[\d)]"));
static QUANTITY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:^|\s)([+-]?\d{1,6})(?:\s|$|\s*units?)"));

/// `text` with identifiers replaced by what they are ("order #W2378156" becomes
/// "order order-number"): ids carry no meaning for an embedding model, and digits would
/// pull requests about different records apart.
pub fn mask(text: &str, products: &[String]) -> String {
    let mut text = text.to_string();
    for name in products {
        let lower = text.to_lowercase();
        if let Some(at) = lower.find(name.as_str()) {
            text.replace_range(at..at + name.len(), "a product");
        }
    }
    let t = EMAIL.replace_all(&text, "an email address");
    let t = USER_ID.replace_all(&t, "a user id");
    let t = PAYMENT.replace_all(&t, "a payment method");
    let t = ORDER_ID.replace_all(&t, " an order number");
    let t = ORDER_NUMBER.replace_all(&t, " an order number");
    let t = TICKET.replace_all(&t, "a ticket");
    let t = TEN_DIGITS.replace_all(&t, "an id");
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many distinct orders `text` names (no tool acts on two at once).
pub fn distinct_orders(text: &str) -> usize {
    let mut ids: Vec<String> = ORDER_ID
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// Phrases that say which way stock moves.
const STOCK_OUT: &[&str] = &[
    "remove", "sold", "damaged", "lost", "minus", "take out", "broken",
];

/// Known enum values and how people say them.
const ENUM_PHRASES: &[(&str, &[&str])] = &[
    (
        "no longer needed",
        &[
            "no longer need",
            "don't need",
            "dont need",
            "do not need",
            "not needed",
            "anymore",
            "changed my mind",
        ],
    ),
    (
        "ordered by mistake",
        &[
            "mistake",
            "by accident",
            "accidentally",
            "wrong order",
            "mistakenly",
        ],
    ),
];

/// What a request states for a tool's parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// Parameters with a value.
    pub arguments: Map<String, Value>,
    /// Required parameters with none.
    pub missing: Vec<String>,
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn enum_value(text: &str, values: &[Value]) -> Option<Value> {
    let lower = text.to_lowercase();
    let ws = words(text);
    for v in values.iter().filter_map(Value::as_str) {
        if lower.contains(v) {
            return Some(json!(v));
        }
        if let Some((_, phrases)) = ENUM_PHRASES.iter().find(|(value, _)| *value == v)
            && phrases.iter().any(|p| lower.contains(p))
        {
            return Some(json!(v));
        }
        // "close" for "closed", "solve" for "solved".
        if !v.contains(' ') && ws.iter().any(|w| w.len() >= 4 && v.starts_with(w.as_str())) {
            return Some(json!(v));
        }
    }
    None
}

/// The 10-digit ids of `text`, split into those before and after "for/to/with".
fn item_ids(text: &str) -> (Vec<String>, Vec<String>) {
    let split = SPLIT_NEW
        .find_iter(text)
        .map(|m| m.start())
        .find(|at| TEN_DIGITS.is_match(&text[..*at]))
        .unwrap_or(text.len());
    let ids = |s: &str| -> Vec<String> {
        TEN_DIGITS
            .find_iter(s)
            .map(|m| m.as_str().to_string())
            .collect()
    };
    (ids(&text[..split]), ids(&text[split..]))
}

/// Free text with the asking removed: what to search for.
fn search_query(text: &str) -> String {
    let mut q = text.trim().trim_end_matches(['?', '.', '!']).to_string();
    let lower = q.to_lowercase();
    for lead in [
        "do you have any ",
        "do you have a ",
        "have you got a ",
        "have you got ",
        "do you have ",
        "do you sell ",
        "i'm looking for ",
        "im looking for ",
        "i am looking for ",
        "looking for ",
        "search for ",
        "search customers for ",
        "search customers in ",
        "search products for ",
        "find the customer named ",
        "find customers named ",
        "find customers who ",
        "find customer ",
        "find the customer ",
        "find customers ",
        "find me ",
        "find a ",
        "find an ",
        "find ",
        "show me ",
        "search ",
        "who is the customer ",
        "who is ",
    ] {
        if lower.starts_with(lead) {
            q = q[lead.len()..].to_string();
            break;
        }
    }
    for article in ["a ", "an ", "some "] {
        if q.to_lowercase().starts_with(article) {
            q = q[article.len()..].to_string();
            break;
        }
    }
    let q = PRICE_UNDER.replace_all(&q, "");
    let q = PRICE_OVER.replace_all(&q, "");
    q.replace("in stock", "")
        .trim()
        .trim_end_matches([',', ' '])
        .to_string()
}

/// Text after the first of `markers`, if any.
fn after<'a>(text: &'a str, markers: &[&str]) -> Option<&'a str> {
    let lower = text.to_lowercase();
    markers
        .iter()
        .filter_map(|m| lower.find(m).map(|i| i + m.len()))
        .min()
        .map(|i| text[i..].trim())
        .filter(|s| !s.is_empty())
}

/// One parameter's value from `text`, by its name and schema.
fn value_for(name: &str, schema: &Value, text: &str) -> Option<Value> {
    if let Some(values) = schema["enum"].as_array() {
        return enum_value(text, values);
    }
    match name {
        "order_id" => ORDER_ID
            .captures(text)
            .map(|c| json!(format!("#W{}", &c[1]))),
        // The platform tools take the built-in store's ids and other platforms' numbers.
        "order" => ORDER_ID
            .captures(text)
            .map(|c| json!(format!("#W{}", &c[1])))
            .or_else(|| {
                ORDER_NUMBER
                    .captures(text)
                    .map(|c| json!(format!("#{}", &c[1])))
            }),
        "sku" => SKU
            .captures(text)
            .and_then(|c| c.get(1).or_else(|| c.get(2)))
            .map(|m| json!(m.as_str()))
            .or_else(|| TEN_DIGITS.find(text).map(|m| json!(m.as_str()))),
        "amount" => AMOUNT.captures(text).map(|c| json!(&c[1])),
        "email" => EMAIL.find(text).map(|m| json!(m.as_str().to_lowercase())),
        "user_id" => USER_ID.find(text).map(|m| json!(m.as_str())),
        "product_id" | "item_id" => TEN_DIGITS.find(text).map(|m| json!(m.as_str())),
        "item_ids" => Some(item_ids(text).0)
            .filter(|v| !v.is_empty())
            .map(|v| json!(v)),
        "new_item_ids" => Some(item_ids(text).1)
            .filter(|v| !v.is_empty())
            .map(|v| json!(v)),
        "payment_method_id" => PAYMENT.find(text).map(|m| json!(m.as_str())),
        "zip" => ZIP.find(text).map(|m| json!(m.as_str())),
        "first_name" => NAME.captures(text).map(|c| json!(&c[1])),
        "last_name" => NAME.captures(text).map(|c| json!(&c[2])),
        "ticket_id" => TICKET.captures(text).map(|c| json!(format!("T{}", &c[1]))),
        "query" => Some(search_query(text))
            .filter(|q| !q.is_empty())
            .map(|q| json!(q)),
        "filters" => {
            let mut f = Map::new();
            if let Some(c) = PRICE_UNDER.captures(text)
                && let Ok(x) = c[1].parse::<f64>()
            {
                f.insert("max_price".into(), json!(x));
            }
            if let Some(c) = PRICE_OVER.captures(text)
                && let Ok(x) = c[1].parse::<f64>()
            {
                f.insert("min_price".into(), json!(x));
            }
            if text.to_lowercase().contains("in stock") {
                f.insert("available_only".into(), json!(true));
            }
            (!f.is_empty()).then(|| Value::Object(f))
        }
        "summary" => Some(json!(text.trim())),
        "expression" => MATH
            .find(text)
            .map(|m| json!(m.as_str().trim()))
            .filter(|v| {
                v.as_str()
                    .is_some_and(|s| s.chars().any(|c| "+-*/".contains(c)))
            }),
        "delta" => {
            let without_ids = TEN_DIGITS.replace_all(text, " ");
            let n: i64 = QUANTITY
                .captures(&without_ids)
                .and_then(|c| c[1].parse().ok())?;
            let lower = text.to_lowercase();
            let out = STOCK_OUT.iter().any(|w| lower.contains(w));
            Some(json!(if out { -n.abs() } else { n }))
        }
        "reason" => after(text, &[", ", "reason:", "because "]).map(|r| json!(r)),
        "assignee" => after(text, &[" to "])
            .and_then(|r| r.split_whitespace().next())
            .map(|w| json!(w.trim_matches(|c: char| !c.is_alphanumeric()))),
        "body" => after(text, &[" saying ", " that ", ": "]).map(|b| json!(b)),
        "note" => after(text, &[" that ", ": "])
            .map(|n| {
                let n = USER_ID.replace(n, "");
                let n = EMAIL.replace(&n, "");
                TEN_DIGITS
                    .replace(&n, "")
                    .trim()
                    .trim_start_matches("is ")
                    .to_string()
            })
            .filter(|n| !n.is_empty())
            .map(|n| json!(n)),
        "id" => USER_ID
            .find(text)
            .or_else(|| EMAIL.find(text))
            .or_else(|| TEN_DIGITS.find(text))
            .map(|m| json!(m.as_str())),
        "about" => Some(json!(if TEN_DIGITS.is_match(text)
            || text.to_lowercase().contains("product")
        {
            "product"
        } else {
            "customer"
        })),
        "add" => after(text, &["tag ", "as "])
            .and_then(|r| r.split_whitespace().last())
            .map(|w| json!([w.trim_matches(|c: char| !c.is_alphanumeric())])),
        _ => None,
    }
}

/// The arguments `schema` (a tool's parameters) takes from `text`, then from `context`
/// (earlier messages and results, newest first) for required ones still missing.
pub fn extract(schema: &Value, text: &str, context: &[String]) -> Extracted {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Extracted::default();
    let Some(properties) = schema["properties"].as_object() else {
        return out;
    };
    for (name, prop) in properties {
        let is_required = required.contains(&name.as_str());
        let mut found = value_for(name, prop, text);
        // Identifiers may come from earlier in the conversation; free text may not.
        if found.is_none() && is_required && IDENTIFIERS.contains(&name.as_str()) {
            found = context.iter().find_map(|c| value_for(name, prop, c));
        }
        match found {
            Some(v) => {
                out.arguments.insert(name.clone(), v);
            }
            None if is_required => out.missing.push(name.clone()),
            None => {}
        }
    }
    out
}

/// Parameters that name a record, which a conversation may have stated before.
const IDENTIFIERS: &[&str] = &[
    "product_id",
    "order_id",
    "order",
    "sku",
    "user_id",
    "email",
    "ticket_id",
    "payment_method_id",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_emails_and_names_come_out_in_canonical_form() {
        let schema = json!({"properties": {
            "order_id": {"type": "string"}, "email": {"type": "string"},
            "first_name": {"type": "string"}, "last_name": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["order_id", "email", "first_name", "last_name", "zip"]});
        let e = extract(
            &schema,
            "Hi, I'm Mia Garcia (zip 46214), order w 5490111, mail Mia.Garcia2723@Example.com",
            &[],
        );
        assert_eq!(
            Value::Object(e.arguments),
            json!({"order_id": "#W5490111", "email": "mia.garcia2723@example.com",
                   "first_name": "Mia", "last_name": "Garcia", "zip": "46214"})
        );
        assert!(e.missing.is_empty());
    }

    #[test]
    fn missing_required_parameters_are_named_and_context_fills_identifiers() {
        let schema = json!({"properties": {
            "order_id": {"type": "string"},
            "reason": {"type": "string", "enum": ["no longer needed", "ordered by mistake"]}},
            "required": ["order_id", "reason"]});
        let e = extract(&schema, "please cancel my order", &[]);
        assert_eq!(e.missing, ["order_id", "reason"]);
        let e = extract(
            &schema,
            "cancel it, I ordered it by accident",
            &["it was #W2378156".into()],
        );
        assert_eq!(
            Value::Object(e.arguments),
            json!({"order_id": "#W2378156", "reason": "ordered by mistake"})
        );
    }

    #[test]
    fn platform_orders_skus_and_amounts_are_read() {
        let schema = json!({"properties": {"order": {"type": "string"}, "amount": {}, "sku": {"type": "string"}},
                            "required": ["order"]});
        let e = extract(&schema, "refund $20.50 on order 1042", &[]);
        assert_eq!(
            Value::Object(e.arguments),
            json!({"order": "#1042", "amount": "20.50"})
        );
        let e = extract(&schema, "where is #W2378156", &[]);
        assert_eq!(e.arguments["order"], "#W2378156");
        let e = extract(&schema, "what is sku tshirt-blu-m in order #1001", &[]);
        assert_eq!(e.arguments["sku"], "tshirt-blu-m");
        assert_eq!(e.arguments["order"], "#1001");
        let e = extract(&schema, "add 10 units of HOODIE-GRY-L", &[]);
        assert_eq!(e.arguments["sku"], "HOODIE-GRY-L");
        let e = extract(&schema, "how many t-shirts are left", &[]);
        assert!(
            e.arguments.get("sku").is_none(),
            "a word with a dash is no SKU"
        );
        assert_eq!(e.missing, ["order"]);
    }

    #[test]
    fn items_before_for_are_old_and_after_are_new() {
        let (old, new) =
            item_ids("exchange 1151293680 and 8293778132 from #W2378156 for 4983901480");
        assert_eq!(old, ["1151293680", "8293778132"]);
        assert_eq!(new, ["4983901480"]);
    }

    #[test]
    fn searches_lose_the_asking_and_keep_the_filters() {
        let schema = json!({"properties": {"query": {"type": "string"}, "filters": {}}, "required": ["query"]});
        let e = extract(
            &schema,
            "Do you have a water bottle under $50 in stock?",
            &[],
        );
        assert_eq!(
            Value::Object(e.arguments),
            json!({"query": "water bottle", "filters": {"max_price": 50.0, "available_only": true}})
        );
    }
}
