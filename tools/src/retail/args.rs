//! Argument types of the retail tools; their doc comments are the descriptions the model reads.

use crate::retail::model::{Address, CancelReason};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `calculate`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalculateArgs {
    /// The mathematical expression to calculate, such as '2 + 2'. The expression can contain numbers, operators (+, -, *, /), parentheses, and spaces.
    pub expression: String,
}

/// Arguments of `transfer_to_human_agents`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferArgs {
    /// A summary of the user's issue.
    pub summary: String,
}

/// Arguments of `find_user_id_by_email`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailArgs {
    /// The email of the user, such as 'something@example.com'.
    pub email: String,
}

/// Arguments of `find_user_id_by_name_zip`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NameZipArgs {
    /// The first name of the customer, such as 'John'.
    pub first_name: String,
    /// The last name of the customer, such as 'Doe'.
    pub last_name: String,
    /// The zip code of the customer, such as '12345'.
    pub zip: String,
}

/// Arguments of `get_item_details`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemArgs {
    /// The item id, such as '6086499569'. Be careful the item id is different from the product id.
    pub item_id: String,
}

/// Arguments naming one order.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
}

/// Arguments of `get_product_details`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductArgs {
    /// The product id, such as '6086499569'. Be careful the product id is different from the item id.
    pub product_id: String,
}

/// Arguments naming one user.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserArgs {
    /// The user id, such as 'sara_doe_496'.
    pub user_id: String,
}

/// No arguments.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// Arguments of `cancel_pending_order`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The reason for cancellation, which should be either 'no longer needed' or 'ordered by mistake'.
    pub reason: CancelReason,
}

/// Arguments of `modify_pending_order_address`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderAddressArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The first line of the address, such as '123 Main St'.
    pub address1: String,
    /// The second line of the address, such as 'Apt 1' or ''.
    pub address2: String,
    /// The city, such as 'San Francisco'.
    pub city: String,
    /// The state, such as 'CA'.
    pub state: String,
    /// The country, such as 'USA'.
    pub country: String,
    /// The zip code, such as '12345'.
    pub zip: String,
}

impl OrderAddressArgs {
    /// The new address.
    pub fn address(&self) -> Address {
        Address {
            address1: self.address1.clone(),
            address2: self.address2.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
        }
    }
}

/// Arguments of `modify_user_address`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserAddressArgs {
    /// The user id, such as 'sara_doe_496'.
    pub user_id: String,
    /// The first line of the address, such as '123 Main St'.
    pub address1: String,
    /// The second line of the address, such as 'Apt 1' or ''.
    pub address2: String,
    /// The city, such as 'San Francisco'.
    pub city: String,
    /// The state, such as 'CA'.
    pub state: String,
    /// The country, such as 'USA'.
    pub country: String,
    /// The zip code, such as '12345'.
    pub zip: String,
}

impl UserAddressArgs {
    /// The new address.
    pub fn address(&self) -> Address {
        Address {
            address1: self.address1.clone(),
            address2: self.address2.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            state: self.state.clone(),
            zip: self.zip.clone(),
        }
    }
}

/// Arguments of `modify_pending_order_payment`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPaymentArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
    pub payment_method_id: String,
}

/// Arguments of `modify_pending_order_items`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModifyItemsArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The item ids to be modified, each such as '1008292230'. There could be duplicate items in the list.
    pub item_ids: Vec<String>,
    /// The item ids to be modified for, each such as '1008292230'. There could be duplicate items in the list. Each new item id should match the item id in the same position and be of the same product.
    pub new_item_ids: Vec<String>,
    /// The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up from the user or order details.
    pub payment_method_id: String,
}

/// Arguments of `exchange_delivered_order_items`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The item ids to be exchanged, each such as '1008292230'. There could be duplicate items in the list.
    pub item_ids: Vec<String>,
    /// The item ids to be exchanged for, each such as '1008292230'.
    /// There could be duplicate items in the list. Each new item id should match the item id
    /// in the same position and be of the same product.
    pub new_item_ids: Vec<String>,
    /// The payment method id to pay or receive refund for the item price difference,
    /// such as 'gift_card_0000000' or 'credit_card_0000000'. These can be looked up
    /// from the user or order details.
    pub payment_method_id: String,
}

/// Arguments of `return_delivered_order_items`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnArgs {
    /// The order id, such as '#W0000000'. Be careful there is a '#' symbol at the beginning of the order id.
    pub order_id: String,
    /// The item ids to be returned, each such as '1008292230'. There could be duplicate items in the list.
    pub item_ids: Vec<String>,
    /// The payment method id to pay or receive refund for the item price difference, such as 'gift_card_0000000' or 'credit_card_0000000'.
    /// These can be looked up from the user or order details.
    pub payment_method_id: String,
}
