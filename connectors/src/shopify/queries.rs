//! Every GraphQL document the connector sends, with what it needs: its name, whether it
//! may be resent after a lost answer, and the access scopes it reads or writes with. A
//! test validates each one against Shopify's published Admin schema for `API_VERSION`,
//! and its scopes against the schema's own `offline_scopes`.

use crate::http::Replay;

/// One GraphQL operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The operation's name in the document.
    pub name: &'static str,
    /// The document.
    pub document: &'static str,
    /// Whether sending it twice is harmless.
    pub replay: Replay,
    /// Access scopes it needs (any one of each pair the schema offers will do).
    pub scopes: &'static [&'static str],
}

macro_rules! money {
    () => {
        "fragment Money on MoneyBag { shopMoney { amount currencyCode } }\n"
    };
}

macro_rules! address {
    () => {
        "fragment Address on MailingAddress { firstName lastName address1 address2 city provinceCode countryCodeV2 zip phone }\n"
    };
}

// Nested connections are sized so one order stays well under the 1,000-point cost limit.
macro_rules! order_full {
    () => {
        concat!(
            "fragment OrderFull on Order {
  id name email createdAt updatedAt cancelledAt cancelReason closed
  displayFinancialStatus displayFulfillmentStatus returnStatus currencyCode
  customer { id }
  subtotalPriceSet { ...Money } totalShippingPriceSet { ...Money } totalTaxSet { ...Money }
  totalDiscountsSet { ...Money } totalPriceSet { ...Money } totalRefundedSet { ...Money }
  shippingAddress { ...Address }
  tags
  lineItems(first: 50) { nodes { id title variantTitle sku quantity refundableQuantity originalUnitPriceSet { ...Money } variant { id } product { id } } }
  fulfillments(first: 5) { id displayStatus createdAt trackingInfo(first: 3) { number company url } fulfillmentLineItems(first: 20) { nodes { id quantity lineItem { id } } } }
  refunds(first: 5) { id createdAt note totalRefundedSet { ...Money } refundLineItems(first: 20) { nodes { quantity lineItem { id } } } }
}
",
            money!(),
            address!()
        )
    };
}

// What a page of orders carries: enough to list them and to sum up a customer.
macro_rules! order_summary {
    () => {
        concat!(
            "fragment OrderSummary on Order {
  id name email createdAt updatedAt cancelledAt cancelReason closed
  displayFinancialStatus displayFulfillmentStatus returnStatus currencyCode
  customer { id }
  totalPriceSet { ...Money } totalRefundedSet { ...Money }
  tags
  lineItems(first: 10) { nodes { id title variantTitle sku quantity refundableQuantity originalUnitPriceSet { ...Money } } }
}
",
            money!()
        )
    };
}

macro_rules! customer_fields {
    () => {
        concat!(
            "fragment CustomerFields on Customer {
  id firstName lastName createdAt updatedAt tags numberOfOrders
  defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber }
  amountSpent { amount currencyCode }
  defaultAddress { ...Address }
}
",
            address!()
        )
    };
}

// One product with up to 100 variants; a page of 20 with up to 20 each (about 900 points).
macro_rules! product_fields {
    () => {
        "fragment ProductFields on Product {
  id handle title status vendor productType tags descriptionHtml updatedAt
  seo { title description } category { id }
  variants(first: 100) { nodes { id sku title price inventoryQuantity availableForSale selectedOptions { name value } } }
}
"
    };
}

macro_rules! product_page {
    () => {
        "fragment ProductPage on Product {
  id handle title status vendor productType tags descriptionHtml updatedAt
  seo { title description } category { id }
  variants(first: 20) { nodes { id sku title price inventoryQuantity availableForSale selectedOptions { name value } } }
}
"
    };
}

/// The shop, the plan and the scopes granted.
pub const SHOP: Operation = Operation {
    name: "ShopInfo",
    document: "query ShopInfo {
  shop { id name myshopifyDomain currencyCode plan { publicDisplayName partnerDevelopment shopifyPlus } }
  currentAppInstallation { accessScopes { handle } }
}
",
    replay: Replay::Safe,
    scopes: &[],
};

/// How many products, orders and customers.
pub const COUNTS: Operation = Operation {
    name: "Counts",
    document: "query Counts {
  productsCount(limit: null) { count }
  ordersCount(limit: null) { count }
  customersCount(limit: null) { count }
}
",
    replay: Replay::Safe,
    scopes: &["read_products", "read_orders", "read_customers"],
};

/// One order by id.
pub const ORDER: Operation = Operation {
    name: "Order",
    document: concat!(
        "query Order($id: ID!) { order(id: $id) { ...OrderFull } }\n",
        order_full!()
    ),
    replay: Replay::Safe,
    scopes: &["read_orders", "read_customers", "read_products"],
};

/// One order by its name (`#1001`), through the search syntax.
pub const ORDER_BY_NAME: Operation = Operation {
    name: "OrderByName",
    document: concat!(
        "query OrderByName($query: String!) { orders(first: 1, query: $query) { nodes { ...OrderFull } } }\n",
        order_full!()
    ),
    replay: Replay::Safe,
    scopes: &["read_orders", "read_customers", "read_products"],
};

/// A page of orders, newest first.
pub const ORDERS: Operation = Operation {
    name: "Orders",
    document: concat!(
        "query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT, reverse: true) {
    nodes { ...OrderSummary }
    pageInfo { hasNextPage endCursor }
  }
}
",
        order_summary!()
    ),
    replay: Replay::Safe,
    scopes: &["read_orders", "read_customers"],
};

/// One customer by id.
pub const CUSTOMER: Operation = Operation {
    name: "Customer",
    document: concat!(
        "query Customer($id: ID!) { customer(id: $id) { ...CustomerFields } }\n",
        customer_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["read_customers"],
};

/// A page of customers, optionally matching a search.
pub const CUSTOMERS: Operation = Operation {
    name: "Customers",
    document: concat!(
        "query Customers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes { ...CustomerFields }
    pageInfo { hasNextPage endCursor }
  }
}
",
        customer_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["read_customers"],
};

/// One product by id.
pub const PRODUCT: Operation = Operation {
    name: "Product",
    document: concat!(
        "query Product($id: ID!) { product(id: $id) { ...ProductFields } }\n",
        product_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["read_products"],
};

/// One product by handle.
pub const PRODUCT_BY_HANDLE: Operation = Operation {
    name: "ProductByHandle",
    document: concat!(
        "query ProductByHandle($handle: String!) { productByIdentifier(identifier: {handle: $handle}) { ...ProductFields } }\n",
        product_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["read_products"],
};

/// The variant with a SKU, with its product and stock at every location.
pub const VARIANT_BY_SKU: Operation = Operation {
    name: "VariantBySku",
    document: concat!(
        "query VariantBySku($query: String!) {
  productVariants(first: 1, query: $query) {
    nodes {
      id sku
      product { ...ProductFields }
      inventoryItem { id tracked inventoryLevels(first: 20) { nodes { location { id name } quantities(names: [\"available\"]) { name quantity } } } }
    }
  }
}
",
        product_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["read_products", "read_inventory", "read_locations"],
};

/// A page of products.
pub const PRODUCTS: Operation = Operation {
    name: "Products",
    document: concat!(
        "query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes { ...ProductPage }
    pageInfo { hasNextPage endCursor }
  }
}
",
        product_page!()
    ),
    replay: Replay::Safe,
    scopes: &["read_products"],
};

/// Where stock is kept.
pub const LOCATIONS: Operation = Operation {
    name: "Locations",
    document: "query Locations { locations(first: 50) { nodes { id name isActive fulfillsOnlineOrders } } }\n",
    replay: Replay::Safe,
    scopes: &["read_locations", "read_inventory"],
};

/// A discount by its code.
pub const DISCOUNT_BY_CODE: Operation = Operation {
    name: "DiscountByCode",
    document: "query DiscountByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount {
      ... on DiscountCodeBasic {
        title startsAt endsAt usageLimit appliesOncePerCustomer
        codes(first: 1) { nodes { code } }
        customerGets { value { ... on DiscountPercentage { percentage } ... on DiscountAmount { amount { amount currencyCode } } } }
      }
    }
  }
}
",
    replay: Replay::Safe,
    scopes: &["read_discounts"],
};

/// What a refund of some lines, shipping, or everything would move, and through which
/// transactions.
pub const SUGGESTED_REFUND: Operation = Operation {
    name: "SuggestedRefund",
    document: concat!(
        "query SuggestedRefund($id: ID!, $lines: [RefundLineItemInput!], $shipping: Money, $full: Boolean) {
  order(id: $id) {
    suggestedRefund(refundLineItems: $lines, shippingAmount: $shipping, suggestFullRefund: $full) {
      amountSet { ...Money }
      suggestedTransactions { gateway amountSet { ...Money } parentTransaction { id } }
    }
  }
}
",
        money!()
    ),
    replay: Replay::Safe,
    scopes: &["read_orders"],
};

/// Whether an asynchronous job (an order's cancellation) is done.
pub const JOB: Operation = Operation {
    name: "Job",
    document: "query Job($id: ID!) { job(id: $id) { id done } }\n",
    replay: Replay::Safe,
    scopes: &[],
};

/// Cancels an order. No idempotency key exists for it: a lost answer is reconciled by
/// reading the order back.
pub const ORDER_CANCEL: Operation = Operation {
    name: "OrderCancel",
    document: "mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $restock: Boolean!, $refundMethod: OrderCancelRefundMethodInput, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, restock: $restock, refundMethod: $refundMethod, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
",
    replay: Replay::Unsafe,
    scopes: &["write_orders", "read_orders"],
};

/// Refunds an order; Shopify requires the idempotency key from 2026-04 and deduplicates by it.
pub const REFUND_CREATE: Operation = Operation {
    name: "RefundCreate",
    document: concat!(
        "mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id }
    order { ...OrderFull }
    userErrors { field message }
  }
}
",
        order_full!()
    ),
    replay: Replay::Safe,
    scopes: &[
        "write_orders",
        "read_orders",
        "read_customers",
        "read_products",
    ],
};

/// Opens a return request of fulfilled line items.
pub const RETURN_REQUEST: Operation = Operation {
    name: "ReturnRequest",
    document: "mutation ReturnRequest($input: ReturnRequestInput!) {
  returnRequest(input: $input) { return { id name status } userErrors { field message } }
}
",
    replay: Replay::Unsafe,
    scopes: &["write_returns", "read_returns"],
};

/// Changes an order's shipping address (setting it twice sets it once).
pub const ORDER_UPDATE: Operation = Operation {
    name: "OrderUpdate",
    document: concat!(
        "mutation OrderUpdate($input: OrderInput!) { orderUpdate(input: $input) { order { ...OrderFull } userErrors { field message } } }\n",
        order_full!()
    ),
    replay: Replay::Safe,
    scopes: &[
        "write_orders",
        "read_orders",
        "read_customers",
        "read_products",
    ],
};

/// Adds tags to an order or a customer (adding twice adds once).
pub const TAGS_ADD: Operation = Operation {
    name: "TagsAdd",
    document: "mutation TagsAdd($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }\n",
    replay: Replay::Safe,
    scopes: &["write_orders", "write_customers"],
};

/// Removes tags from an order or a customer.
pub const TAGS_REMOVE: Operation = Operation {
    name: "TagsRemove",
    document: "mutation TagsRemove($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } } }\n",
    replay: Replay::Safe,
    scopes: &["write_orders", "write_customers"],
};

/// The tags of an order or a customer after a change.
pub const TAGS: Operation = Operation {
    name: "Tags",
    document: "query Tags($id: ID!) { node(id: $id) { id ... on Order { tags } ... on Customer { tags } } }\n",
    replay: Replay::Safe,
    scopes: &["read_orders", "read_customers"],
};

/// Adjusts available stock by deltas; the key is required from 2026-04.
pub const INVENTORY_ADJUST: Operation = Operation {
    name: "InventoryAdjust",
    document: "mutation InventoryAdjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange location { id name } } }
    userErrors { field message code }
  }
}
",
    replay: Replay::Safe,
    scopes: &["write_inventory", "read_inventory", "read_locations"],
};

/// Sets available stock, compare-and-set against the quantity expected; the key is required.
pub const INVENTORY_SET: Operation = Operation {
    name: "InventorySet",
    document: "mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange location { id name } } }
    userErrors { field message code }
  }
}
",
    replay: Replay::Safe,
    scopes: &["write_inventory", "read_inventory", "read_locations"],
};

/// Creates a product with its options and variants in one call.
pub const PRODUCT_SET: Operation = Operation {
    name: "ProductSet",
    document: concat!(
        "mutation ProductSet($input: ProductSetInput!) {
  productSet(input: $input, synchronous: true) { product { ...ProductFields } userErrors { field message code } }
}
",
        product_fields!()
    ),
    replay: Replay::Unsafe,
    scopes: &["write_products", "read_products"],
};

/// Changes a product's fields (setting them twice sets them once).
pub const PRODUCT_UPDATE: Operation = Operation {
    name: "ProductUpdate",
    document: concat!(
        "mutation ProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { ...ProductFields } userErrors { field message } }
}
",
        product_fields!()
    ),
    replay: Replay::Safe,
    scopes: &["write_products", "read_products"],
};

/// Creates a code discount on the whole order.
pub const DISCOUNT_CREATE: Operation = Operation {
    name: "DiscountCreate",
    document: "mutation DiscountCreate($discount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $discount) { codeDiscountNode { id } userErrors { field message code } }
}
",
    replay: Replay::Unsafe,
    scopes: &["write_discounts", "read_discounts"],
};

/// Starts a bulk export (the query is the document's argument).
pub const BULK_RUN: Operation = Operation {
    name: "BulkRun",
    document: "mutation BulkRun($query: String!, $group: Boolean!) {
  bulkOperationRunQuery(query: $query, groupObjects: $group) { bulkOperation { id status } userErrors { field message code } }
}
",
    replay: Replay::Unsafe,
    scopes: &[],
};

/// How a bulk export stands.
pub const BULK_STATUS: Operation = Operation {
    name: "BulkStatus",
    document: "query BulkStatus($id: ID!) { bulkOperation(id: $id) { id status errorCode objectCount url partialDataUrl } }\n",
    replay: Replay::Safe,
    scopes: &[],
};

/// Subscribes a topic to a URL.
pub const WEBHOOK_CREATE: Operation = Operation {
    name: "WebhookCreate",
    document: "mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) { webhookSubscription { id topic uri } userErrors { field message } }
}
",
    replay: Replay::Unsafe,
    scopes: &[],
};

/// The topics already subscribed.
pub const WEBHOOKS: Operation = Operation {
    name: "Webhooks",
    document: "query Webhooks { webhookSubscriptions(first: 100) { nodes { id topic uri } } }\n",
    replay: Replay::Safe,
    scopes: &[],
};

/// The bulk export of every product with its variants (one JSON line per object).
pub const BULK_PRODUCTS: &str = "{ products { edges { node { id handle title status vendor productType tags descriptionHtml updatedAt seo { title description } category { id } variants { edges { node { id sku title price inventoryQuantity availableForSale selectedOptions { name value } } } } } } } }";

/// The bulk export of every order with its lines.
pub const BULK_ORDERS: &str = "{ orders { edges { node { id name email createdAt updatedAt cancelledAt cancelReason closed displayFinancialStatus displayFulfillmentStatus returnStatus currencyCode customer { id } totalPriceSet { shopMoney { amount currencyCode } } totalRefundedSet { shopMoney { amount currencyCode } } tags lineItems { edges { node { id title variantTitle sku quantity refundableQuantity originalUnitPriceSet { shopMoney { amount currencyCode } } } } } } } } }";

/// The bulk export of every customer.
pub const BULK_CUSTOMERS: &str = "{ customers { edges { node { id firstName lastName createdAt updatedAt tags numberOfOrders defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } amountSpent { amount currencyCode } defaultAddress { firstName lastName address1 address2 city provinceCode countryCodeV2 zip phone } } } } }";

/// Every operation, for the schema tests and the scope check.
pub const ALL: &[Operation] = &[
    SHOP,
    COUNTS,
    ORDER,
    ORDER_BY_NAME,
    ORDERS,
    CUSTOMER,
    CUSTOMERS,
    PRODUCT,
    PRODUCT_BY_HANDLE,
    VARIANT_BY_SKU,
    PRODUCTS,
    LOCATIONS,
    DISCOUNT_BY_CODE,
    SUGGESTED_REFUND,
    JOB,
    ORDER_CANCEL,
    REFUND_CREATE,
    RETURN_REQUEST,
    ORDER_UPDATE,
    TAGS_ADD,
    TAGS_REMOVE,
    TAGS,
    INVENTORY_ADJUST,
    INVENTORY_SET,
    PRODUCT_SET,
    PRODUCT_UPDATE,
    DISCOUNT_CREATE,
    BULK_RUN,
    BULK_STATUS,
    WEBHOOK_CREATE,
    WEBHOOKS,
];

/// The bulk queries, validated like the rest, with the scopes each reads with.
pub const BULK_QUERIES: &[(&str, &str, &[&str])] = &[
    ("products", BULK_PRODUCTS, &["read_products"]),
    ("orders", BULK_ORDERS, &["read_orders", "read_customers"]),
    ("customers", BULK_CUSTOMERS, &["read_customers"]),
];
