//! The fake's mutations: what each does to the shop, and the `userErrors` Shopify answers
//! when it refuses (a refusal changes nothing).

use super::resolve::Ctx;
use super::schema::admin;
use super::shop::{BulkOp, LOCATIONS, Shop, bag, bag_amount, now, user_error};
use apollo_compiler::resolvers::FieldError;
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The reasons Shopify accepts for inventory changes.
const REASONS: &[&str] = &[
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
];

fn err(message: impl Into<String>) -> FieldError {
    FieldError {
        message: message.into(),
    }
}

fn refuse(key: &str, field: &[&str], message: &str, code: Option<&str>) -> Value {
    json!({ key: user_error(field, message, code) })
}

/// Runs mutation `name` with `args`; returns its payload.
pub fn run(shop: &mut Shop, ctx: &Ctx, name: &str, args: &Value) -> Result<Value, FieldError> {
    match name {
        "orderCancel" => Ok(order_cancel(shop, args)),
        "refundCreate" => Ok(refund_create(shop, &args["input"])),
        "returnRequest" => Ok(return_request(shop, &args["input"])),
        "orderUpdate" => Ok(order_update(shop, &args["input"])),
        "tagsAdd" | "tagsRemove" => Ok(tags(shop, args, name == "tagsAdd")),
        "inventoryAdjustQuantities" => Ok(inventory_adjust(shop, &args["input"])),
        "inventorySetQuantities" => Ok(inventory_set(shop, &args["input"])),
        "productSet" => Ok(product_set(shop, &args["input"])),
        "productUpdate" => Ok(product_update(shop, &args["product"])),
        "discountCodeBasicCreate" => Ok(discount_create(shop, &args["basicCodeDiscount"])),
        "bulkOperationRunQuery" => bulk_run(shop, args),
        "webhookSubscriptionCreate" => Ok(webhook_create(shop, args)),
        other => {
            let _ = ctx;
            Err(err(format!("the fake does not serve Mutation.{other}")))
        }
    }
}

fn order_cancel(shop: &mut Shop, args: &Value) -> Value {
    const ERRORS: &str = "orderCancelUserErrors";
    let id = args["orderId"].as_str().unwrap_or_default();
    let Some(mut order) = shop.order(id) else {
        return refuse(
            ERRORS,
            &["orderId"],
            "Order does not exist",
            Some("NOT_FOUND"),
        );
    };
    if !order["cancelledAt"].is_null() {
        return refuse(
            ERRORS,
            &["orderId"],
            "Order has already been cancelled",
            Some("INVALID"),
        );
    }
    if order["displayFulfillmentStatus"] == "FULFILLED" {
        return refuse(
            ERRORS,
            &["orderId"],
            "Cannot cancel an order that has been fulfilled",
            Some("INVALID"),
        );
    }
    let currency = order["currencyCode"].as_str().unwrap_or("USD").to_string();
    order["cancelledAt"] = json!(now());
    order["cancelReason"] = args["reason"].clone();
    order["closed"] = json!(true);
    if args["refundMethod"]["originalPaymentMethodsRefund"] == true {
        let total = bag_amount(&order["totalPriceSet"]);
        order["totalRefundedSet"] = bag(total, &currency);
        order["displayFinancialStatus"] = json!("REFUNDED");
    }
    if args["restock"] == true {
        for l in order["lineItems"].as_array().cloned().unwrap_or_default() {
            if let Some(v) = l["variant"]["id"].as_str() {
                let item = v.replace("ProductVariant", "InventoryItem");
                shop.add_stock(&item, LOCATIONS[0].0, l["quantity"].as_i64().unwrap_or(0));
            }
        }
    }
    if let Some(lines) = order["lineItems"].as_array_mut() {
        for l in lines {
            l["refundableQuantity"] = json!(0);
        }
    }
    if args["notifyCustomer"] == true {
        shop.notifications
            .push(json!({"to": order["email"], "about": order["name"], "what": "cancelled"}));
    }
    shop.save(order);
    let job = format!("gid://shopify/Job/{}", shop.next_id());
    shop.jobs.insert(job.clone(), false);
    json!({"job": {"id": job, "done": false}, "orderCancelUserErrors": [], "userErrors": []})
}

fn refund_create(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    let id = input["orderId"].as_str().unwrap_or_default();
    let Some(mut order) = shop.order(id) else {
        return refuse(ERRORS, &["orderId"], "Order does not exist", None);
    };
    let currency = order["currencyCode"].as_str().unwrap_or("USD").to_string();
    let refundable = bag_amount(&order["totalPriceSet"]) - bag_amount(&order["totalRefundedSet"]);
    let mut amount = Decimal::ZERO;
    for t in input["transactions"].as_array().into_iter().flatten() {
        if t["kind"] != "REFUND" || t["parentId"].is_null() {
            return refuse(
                ERRORS,
                &["transactions"],
                "A refund transaction needs kind REFUND and its parent",
                None,
            );
        }
        amount += t["amount"]
            .as_str()
            .and_then(|a| a.parse::<Decimal>().ok())
            .unwrap_or_default();
    }
    if amount > refundable {
        return refuse(
            ERRORS,
            &["transactions", "0", "amount"],
            &format!("Amount cannot exceed the refundable amount of {refundable}"),
            None,
        );
    }
    let mut refund_lines = Vec::new();
    for l in input["refundLineItems"].as_array().into_iter().flatten() {
        let lid = l["lineItemId"].as_str().unwrap_or_default();
        let q = l["quantity"].as_i64().unwrap_or(0);
        let Some(line) = order["lineItems"]
            .as_array_mut()
            .and_then(|ls| ls.iter_mut().find(|x| x["id"] == lid))
        else {
            return refuse(
                ERRORS,
                &["refundLineItems"],
                "Line item does not belong to the order",
                None,
            );
        };
        let left = line["refundableQuantity"].as_i64().unwrap_or(0);
        if q < 1 || q > left {
            return refuse(
                ERRORS,
                &["refundLineItems", "0", "quantity"],
                &format!("Quantity cannot refund more items than were purchased ({left} left)"),
                None,
            );
        }
        line["refundableQuantity"] = json!(left - q);
        if l["restockType"] == "RETURN"
            && let Some(v) = line["variant"]["id"].as_str()
        {
            let item = v.replace("ProductVariant", "InventoryItem");
            let location = l["locationId"]
                .as_str()
                .unwrap_or(LOCATIONS[0].0)
                .to_string();
            shop.add_stock(&item, &location, q);
        }
        refund_lines.push(json!({"quantity": q, "lineItem": {"id": lid}}));
    }
    let refunded = bag_amount(&order["totalRefundedSet"]) + amount;
    let total = bag_amount(&order["totalPriceSet"]);
    order["totalRefundedSet"] = bag(refunded, &currency);
    order["displayFinancialStatus"] = json!(if refunded >= total {
        "REFUNDED"
    } else {
        "PARTIALLY_REFUNDED"
    });
    let refund_id = format!("gid://shopify/Refund/{}", shop.next_id());
    let refund = json!({"id": refund_id, "createdAt": now(), "note": input["note"],
                        "totalRefundedSet": bag(amount, &currency), "refundLineItems": refund_lines});
    if let Some(rs) = order["refunds"].as_array_mut() {
        rs.push(refund.clone());
    }
    if input["notify"] == true {
        shop.notifications
            .push(json!({"to": order["email"], "about": order["name"], "what": "refunded"}));
    }
    shop.save(order.clone());
    let saved = shop.order(id).unwrap_or(order);
    json!({"refund": refund, "order": saved, "userErrors": []})
}

fn return_request(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    let id = input["orderId"].as_str().unwrap_or_default();
    let Some(mut order) = shop.order(id) else {
        return refuse(
            ERRORS,
            &["orderId"],
            "Order does not exist",
            Some("NOT_FOUND"),
        );
    };
    let shipped: Vec<Value> = order["fulfillments"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| {
            f["fulfillmentLineItems"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    for l in input["returnLineItems"].as_array().into_iter().flatten() {
        let found = shipped
            .iter()
            .find(|f| f["id"] == l["fulfillmentLineItemId"]);
        match found {
            Some(f) if f["quantity"].as_i64() >= l["quantity"].as_i64() => {}
            _ => {
                return refuse(
                    ERRORS,
                    &["returnLineItems", "0", "fulfillmentLineItemId"],
                    "Fulfillment line item is not returnable",
                    Some("INVALID"),
                );
            }
        }
    }
    order["returnStatus"] = json!("RETURN_REQUESTED");
    let n = shop.next_id();
    let name = format!("{}-R1", order["name"].as_str().unwrap_or_default());
    shop.save(order);
    json!({"return": {"id": format!("gid://shopify/Return/{n}"), "name": name, "status": "REQUESTED"}, "userErrors": []})
}

fn order_update(shop: &mut Shop, input: &Value) -> Value {
    let id = input["id"].as_str().unwrap_or_default();
    let Some(mut order) = shop.order(id) else {
        return refuse("userErrors", &["id"], "Order does not exist", None);
    };
    if order["displayFulfillmentStatus"] == "FULFILLED" && !input["shippingAddress"].is_null() {
        return refuse(
            "userErrors",
            &["shippingAddress"],
            "Shipping address cannot be changed after the order is fulfilled",
            None,
        );
    }
    if let Some(a) = input["shippingAddress"].as_object() {
        order["shippingAddress"] = json!({
            "firstName": a.get("firstName"), "lastName": a.get("lastName"),
            "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"),
            "provinceCode": a.get("provinceCode"), "countryCodeV2": a.get("countryCode"),
            "zip": a.get("zip"), "phone": a.get("phone"),
        });
    }
    if let Some(t) = input.get("tags").filter(|t| t.is_array()) {
        order["tags"] = t.clone();
    }
    shop.save(order);
    json!({"order": shop.order(id), "userErrors": []})
}

fn tags(shop: &mut Shop, args: &Value, add: bool) -> Value {
    let id = args["id"].as_str().unwrap_or_default();
    let record = shop.order(id).or_else(|| shop.customer(id));
    let Some(mut record) = record else {
        return refuse("userErrors", &["id"], "Resource does not exist", None);
    };
    let mut tags: Vec<String> = record["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    for t in args["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let has = tags.iter().position(|x| x.eq_ignore_ascii_case(t));
        match (add, has) {
            (true, None) => tags.push(t.to_string()),
            (false, Some(i)) => {
                tags.remove(i);
            }
            _ => {}
        }
    }
    record["tags"] = json!(tags);
    shop.save(record);
    json!({"node": {"id": id, "__typename": if id.contains("/Order/") { "Order" } else { "Customer" }}, "userErrors": []})
}

fn location_name(id: &str) -> &'static str {
    LOCATIONS
        .iter()
        .find(|(l, _)| *l == id)
        .map_or("?", |(_, n)| n)
}

/// The refusal of an inventory change whose reason is not one Shopify knows.
fn invalid_reason(input: &Value) -> Option<Value> {
    (!REASONS.contains(&input["reason"].as_str().unwrap_or_default())).then(|| {
        refuse(
            "userErrors",
            &["input", "reason"],
            "The specified reason is invalid",
            Some("INVALID_REASON"),
        )
    })
}

fn inventory_adjust(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    if input["name"] != "available" {
        return refuse(
            ERRORS,
            &["input", "name"],
            "The quantity name must be available",
            Some("INVALID_QUANTITY_NAME"),
        );
    }
    if let Some(refused) = invalid_reason(input) {
        return refused;
    }
    let changes = input["changes"].as_array().cloned().unwrap_or_default();
    // Check every change first: a refusal changes nothing.
    for c in &changes {
        let item = c["inventoryItemId"].as_str().unwrap_or_default();
        let location = c["locationId"].as_str().unwrap_or_default();
        let now = shop.available(item, location);
        if let Some(expected) = c["changeFromQuantity"].as_i64()
            && expected != now
        {
            return refuse(
                ERRORS,
                &["input", "changes", "0", "changeFromQuantity"],
                "The specified compare quantity is stale",
                Some("CHANGE_FROM_QUANTITY_STALE"),
            );
        }
        if now + c["delta"].as_i64().unwrap_or(0) < 0 {
            return refuse(
                ERRORS,
                &["input", "changes", "0", "delta"],
                "The quantity can't be negative",
                Some("INVALID_AVAILABLE_QUANTITY"),
            );
        }
    }
    let mut applied = Vec::new();
    for c in &changes {
        let item = c["inventoryItemId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let location = c["locationId"].as_str().unwrap_or_default().to_string();
        let delta = c["delta"].as_i64().unwrap_or(0);
        let after = shop.add_stock(&item, &location, delta);
        applied.push(
            json!({"name": "available", "delta": delta, "quantityAfterChange": after,
                            "location": {"id": location, "name": location_name(&location)}}),
        );
    }
    let n = shop.next_id();
    json!({"inventoryAdjustmentGroup": {"id": format!("gid://shopify/InventoryAdjustmentGroup/{n}"), "reason": input["reason"], "createdAt": now(), "changes": applied}, "userErrors": []})
}

fn inventory_set(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    if input["name"] != "available" && input["name"] != "on_hand" {
        return refuse(
            ERRORS,
            &["input", "name"],
            "The quantity name must be available or on_hand",
            Some("INVALID_NAME"),
        );
    }
    if let Some(refused) = invalid_reason(input) {
        return refused;
    }
    let quantities = input["quantities"].as_array().cloned().unwrap_or_default();
    for q in &quantities {
        let now = shop.available(
            q["inventoryItemId"].as_str().unwrap_or_default(),
            q["locationId"].as_str().unwrap_or_default(),
        );
        if let Some(expected) = q["changeFromQuantity"].as_i64()
            && expected != now
        {
            return refuse(
                ERRORS,
                &["input", "quantities", "0", "changeFromQuantity"],
                "The specified compare quantity is stale",
                Some("CHANGE_FROM_QUANTITY_STALE"),
            );
        }
    }
    let mut applied = Vec::new();
    for q in &quantities {
        let item = q["inventoryItemId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let location = q["locationId"].as_str().unwrap_or_default().to_string();
        let target = q["quantity"].as_i64().unwrap_or(0);
        let delta = target - shop.available(&item, &location);
        shop.add_stock(&item, &location, delta);
        applied.push(
            json!({"name": "available", "delta": delta, "quantityAfterChange": target,
                            "location": {"id": location, "name": location_name(&location)}}),
        );
    }
    let n = shop.next_id();
    json!({"inventoryAdjustmentGroup": {"id": format!("gid://shopify/InventoryAdjustmentGroup/{n}"), "reason": input["reason"], "createdAt": now(), "changes": applied}, "userErrors": []})
}

fn product_set(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    let handle = input["handle"].as_str().unwrap_or_default().to_string();
    if input["title"].as_str().is_none_or(str::is_empty) {
        return refuse(
            ERRORS,
            &["input", "title"],
            "Title can't be blank",
            Some("BLANK"),
        );
    }
    if !handle.is_empty() && shop.product_by_handle(&handle).is_some() {
        return refuse(
            ERRORS,
            &["input", "handle"],
            "Handle has already been taken",
            Some("TAKEN"),
        );
    }
    let options: Vec<String> = input["productOptions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["name"].as_str().map(String::from))
        .collect();
    let pid = shop.next_id();
    let mut variants = Vec::new();
    for v in input["variants"].as_array().into_iter().flatten() {
        let n = shop.next_id();
        let values: Vec<(String, String)> = v["optionValues"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["optionName"].as_str().unwrap_or_default().to_string(),
                    o["name"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        if values.iter().any(|(name, _)| !options.contains(name)) {
            return refuse(
                ERRORS,
                &["input", "variants"],
                "Option values must belong to the product's options",
                Some("INVALID_VARIANT"),
            );
        }
        let item = format!("gid://shopify/InventoryItem/{n}");
        let tracked = v["inventoryItem"]["tracked"] == true;
        for q in v["inventoryQuantities"].as_array().into_iter().flatten() {
            let location = q["locationId"].as_str().unwrap_or_default();
            shop.stock.insert(
                (item.clone(), location.to_string()),
                q["quantity"].as_i64().unwrap_or(0),
            );
        }
        variants.push(json!({
            "__typename": "ProductVariant",
            "id": format!("gid://shopify/ProductVariant/{n}"),
            "sku": v["sku"], "title": values.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / "),
            "price": v["price"], "availableForSale": true,
            "selectedOptions": values.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "inventoryItem": {"id": item, "tracked": tracked, "sku": v["sku"]},
        }));
    }
    let gid = format!("gid://shopify/Product/{pid}");
    let product = json!({
        "__typename": "Product", "id": gid,
        "handle": if handle.is_empty() { format!("product-{pid}") } else { handle },
        "title": input["title"], "status": input["status"].as_str().unwrap_or("ACTIVE"),
        "vendor": input["vendor"].as_str().unwrap_or_default(),
        "productType": input["productType"].as_str().unwrap_or_default(),
        "tags": input["tags"].as_array().cloned().unwrap_or_default(),
        "descriptionHtml": input["descriptionHtml"].as_str().unwrap_or_default(),
        "seo": {"title": input["seo"]["title"], "description": input["seo"]["description"]},
        "category": input["category"].as_str().map(|c| json!({"id": c, "fullName": c})),
        "variants": variants, "totalInventory": 0,
    });
    shop.created_products.push(gid.clone());
    shop.save(product);
    json!({"product": shop.product(&gid), "userErrors": []})
}

fn product_update(shop: &mut Shop, input: &Value) -> Value {
    let id = input["id"].as_str().unwrap_or_default();
    let Some(mut product) = shop.product(id) else {
        return refuse("userErrors", &["id"], "Product does not exist", None);
    };
    for key in [
        "title",
        "descriptionHtml",
        "vendor",
        "productType",
        "status",
        "tags",
    ] {
        if let Some(v) = input.get(key).filter(|v| !v.is_null()) {
            product[key] = v.clone();
        }
    }
    if let Some(c) = input["category"].as_str() {
        product["category"] = json!({"id": c, "fullName": c});
    }
    if input["seo"].is_object() {
        product["seo"] = input["seo"].clone();
    }
    shop.save(product);
    json!({"product": shop.product(id), "userErrors": []})
}

fn discount_create(shop: &mut Shop, input: &Value) -> Value {
    const ERRORS: &str = "userErrors";
    let code = input["code"].as_str().unwrap_or_default().to_string();
    if code.is_empty() {
        return refuse(
            ERRORS,
            &["basicCodeDiscount", "code"],
            "Code can't be blank",
            Some("BLANK"),
        );
    }
    if shop.discounts.contains_key(&code.to_uppercase()) {
        return refuse(
            ERRORS,
            &["basicCodeDiscount", "code"],
            "Code must be unique. Please try a different code.",
            Some("TAKEN"),
        );
    }
    let value = &input["customerGets"]["value"];
    let value = if let Some(p) = value["percentage"].as_f64() {
        if !(0.0..=1.0).contains(&p) {
            return refuse(
                ERRORS,
                &["basicCodeDiscount", "customerGets", "value", "percentage"],
                "Value must be between 0.0 and 1.0",
                Some("VALUE_OUTSIDE_RANGE"),
            );
        }
        json!({"__typename": "DiscountPercentage", "percentage": p})
    } else {
        json!({"__typename": "DiscountAmount", "appliesOnEachItem": false,
               "amount": {"amount": value["discountAmount"]["amount"], "currencyCode": shop.currency}})
    };
    let n = shop.next_id();
    let node = json!({
        "id": format!("gid://shopify/DiscountCodeNode/{n}"),
        "codeDiscount": {
            "__typename": "DiscountCodeBasic", "title": input["title"], "startsAt": input["startsAt"],
            "endsAt": input["endsAt"], "usageLimit": input["usageLimit"],
            "appliesOncePerCustomer": input["appliesOncePerCustomer"] == true, "status": "ACTIVE",
            "codes": [{"code": code}], "customerGets": {"value": value},
        }
    });
    shop.discounts.insert(code.to_uppercase(), node.clone());
    json!({"codeDiscountNode": node, "userErrors": []})
}

fn bulk_run(shop: &mut Shop, args: &Value) -> Result<Value, FieldError> {
    let query = args["query"].as_str().unwrap_or_default().to_string();
    let schema = admin().map_err(err)?;
    // A bulk query is a query document too: Shopify checks it before it runs.
    let doc = match schema.validate(&query) {
        Ok(d) => d,
        Err(e) => {
            return Ok(refuse(
                "userErrors",
                &["query"],
                &format!("Invalid bulk query: {e}"),
                Some("INVALID"),
            ));
        }
    };
    let root = doc
        .operations
        .iter()
        .next()
        .and_then(|op| op.root_fields(&doc).next().map(|f| f.name.to_string()))
        .unwrap_or_default();
    if !["products", "orders", "customers"].contains(&root.as_str()) {
        return Ok(refuse(
            "userErrors",
            &["query"],
            "The fake exports products, orders and customers",
            Some("INVALID"),
        ));
    }
    if shop.bulk.values().any(|b| b.polls_left > 0) {
        return Ok(refuse(
            "userErrors",
            &["query"],
            "A bulk query operation for this app and shop is already in progress",
            Some("OPERATION_IN_PROGRESS"),
        ));
    }
    let n = shop.next_id();
    let id = format!("gid://shopify/BulkOperation/{n}");
    shop.bulk.insert(
        id.clone(),
        BulkOp {
            root,
            query,
            grouped: args["groupObjects"] == true,
            polls_left: 2,
        },
    );
    Ok(
        json!({"bulkOperation": {"id": id, "status": "CREATED", "query": args["query"], "createdAt": now(), "objectCount": "0", "rootObjectCount": "0", "type": "QUERY"}, "userErrors": []}),
    )
}

fn webhook_create(shop: &mut Shop, args: &Value) -> Value {
    let uri = args["webhookSubscription"]["uri"]
        .as_str()
        .unwrap_or_default();
    if !(uri.starts_with("https://") || uri.starts_with("http://")) {
        return refuse(
            "userErrors",
            &["webhookSubscription", "uri"],
            "Address is invalid",
            None,
        );
    }
    let topic = args["topic"].clone();
    if shop
        .webhooks
        .iter()
        .any(|w| w["topic"] == topic && w["uri"] == uri)
    {
        return refuse(
            "userErrors",
            &["webhookSubscription", "uri"],
            "Address for this topic has already been taken",
            None,
        );
    }
    let n = shop.next_id();
    let w = json!({"id": format!("gid://shopify/WebhookSubscription/{n}"), "topic": topic, "uri": uri, "callbackUrl": uri, "format": "JSON"});
    shop.webhooks.push(w.clone());
    json!({"webhookSubscription": w, "userErrors": []})
}
