//! Which access scopes each capability needs: the scopes of the operations it sends (those
//! are checked against Shopify's own `offline_scopes` in a test), so the list is derived,
//! never written twice.

use super::queries::{self as q, Operation};
use shopkeeper_tools::commerce::Capability;
use std::collections::BTreeSet;

/// The operations a capability sends.
pub fn operations(c: Capability) -> &'static [Operation] {
    use Capability::*;
    match c {
        ReadOrders => &[q::ORDER, q::ORDER_BY_NAME, q::ORDERS],
        ReadCustomers => &[q::CUSTOMER, q::CUSTOMERS],
        ReadProducts => &[
            q::PRODUCT,
            q::PRODUCT_BY_HANDLE,
            q::VARIANT_BY_SKU,
            q::PRODUCTS,
        ],
        CancelOrders => &[q::ORDER_BY_NAME, q::ORDER_CANCEL, q::JOB, q::ORDER],
        Refunds => &[
            q::ORDER_BY_NAME,
            q::SUGGESTED_REFUND,
            q::REFUND_CREATE,
            q::LOCATIONS,
        ],
        Returns => &[q::ORDER_BY_NAME, q::RETURN_REQUEST],
        EditOrders => &[q::ORDER_BY_NAME, q::ORDER_UPDATE],
        Inventory => &[
            q::VARIANT_BY_SKU,
            q::LOCATIONS,
            q::INVENTORY_ADJUST,
            q::INVENTORY_SET,
        ],
        WriteProducts => &[
            q::PRODUCT_BY_HANDLE,
            q::PRODUCT_SET,
            q::PRODUCT_UPDATE,
            q::LOCATIONS,
        ],
        Tags => &[q::TAGS_ADD, q::TAGS_REMOVE, q::TAGS],
        Discounts => &[q::DISCOUNT_BY_CODE, q::DISCOUNT_CREATE],
    }
}

/// The scopes a capability needs.
pub fn needed(c: Capability) -> BTreeSet<&'static str> {
    operations(c)
        .iter()
        .flat_map(|op| op.scopes.iter().copied())
        .collect()
}

/// The scopes every capability needs together (what to ask the shop owner to grant).
pub fn all_needed() -> BTreeSet<&'static str> {
    Capability::all().into_iter().flat_map(needed).collect()
}

/// The scopes of `c` that `granted` lacks.
pub fn lacking(c: Capability, granted: &BTreeSet<String>) -> Vec<&'static str> {
    needed(c)
        .into_iter()
        .filter(|s| !granted.contains(*s) && !implied(s, granted))
        .collect()
}

/// A `write_` scope implies its `read_` one on Shopify.
fn implied(scope: &str, granted: &BTreeSet<String>) -> bool {
    scope
        .strip_prefix("read_")
        .is_some_and(|rest| granted.contains(&format!("write_{rest}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_scope_takes_exactly_its_capabilities() {
        let mut granted: BTreeSet<String> = all_needed().iter().map(|s| s.to_string()).collect();
        assert!(
            Capability::all()
                .iter()
                .all(|c| lacking(*c, &granted).is_empty())
        );
        granted.remove("write_returns");
        granted.remove("read_returns");
        let lost: Vec<Capability> = Capability::all()
            .into_iter()
            .filter(|c| !lacking(*c, &granted).is_empty())
            .collect();
        assert_eq!(lost, vec![Capability::Returns]);
        // write_orders stands for read_orders.
        let only_write: BTreeSet<String> = ["write_orders", "read_customers", "read_products"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(lacking(Capability::ReadOrders, &only_write).is_empty());
    }
}
