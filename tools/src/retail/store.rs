//! The τ²-bench retail store's operations: users with payment methods, orders in the
//! benchmark's states, and the after-sale requests its customer-service flow allows.

use super::model::{Address, CancelReason, Order, Product, User, Variant};
use crate::commerce::CommerceError;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Replace some items of an order with other variants of the same products.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemSwap {
    /// The order.
    pub order_id: String,
    /// Item ids to replace; repeats replace several lines carrying that id.
    pub item_ids: Vec<String>,
    /// The replacement for each entry of `item_ids`, position by position.
    pub new_item_ids: Vec<String>,
    /// The payment method that pays or receives the price difference.
    pub payment_method_id: String,
}

/// The τ²-bench retail store: its customers, orders, payment methods and after-sale
/// operations with the benchmark's exact semantics. Only the built-in store implements it.
#[async_trait]
pub trait RetailStore: Send + Sync {
    /// A customer by user id.
    async fn user(&self, user_id: &str) -> Result<User, CommerceError>;
    /// An order by id (with its leading '#').
    async fn order(&self, order_id: &str) -> Result<Order, CommerceError>;
    /// A product with its variants.
    async fn product(&self, product_id: &str) -> Result<Product, CommerceError>;
    /// A variant by item id.
    async fn item(&self, item_id: &str) -> Result<Variant, CommerceError>;
    /// The user id whose email matches, ignoring case.
    async fn find_user_id_by_email(&self, email: &str) -> Result<String, CommerceError>;
    /// The user id matching first and last name (ignoring case) and zip (exactly).
    async fn find_user_id_by_name_zip(
        &self,
        first_name: &str,
        last_name: &str,
        zip: &str,
    ) -> Result<String, CommerceError>;
    /// Every product's name mapped to its id.
    async fn product_types(&self) -> Result<BTreeMap<String, String>, CommerceError>;

    /// Cancels a pending order and refunds every payment.
    async fn cancel_pending_order(
        &self,
        order_id: &str,
        reason: CancelReason,
    ) -> Result<Order, CommerceError>;
    /// Changes the shipping address of a pending order.
    async fn modify_pending_order_address(
        &self,
        order_id: &str,
        address: Address,
    ) -> Result<Order, CommerceError>;
    /// Moves a pending order's single payment to another payment method.
    async fn modify_pending_order_payment(
        &self,
        order_id: &str,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    /// Swaps items of a pending order for other variants, settling the difference.
    async fn modify_pending_order_items(&self, swap: ItemSwap) -> Result<Order, CommerceError>;
    /// Requests an exchange of delivered items for other variants.
    async fn exchange_delivered_order_items(&self, swap: ItemSwap) -> Result<Order, CommerceError>;
    /// Requests a return of delivered items, refunded to the given method.
    async fn return_delivered_order_items(
        &self,
        order_id: &str,
        item_ids: Vec<String>,
        payment_method_id: &str,
    ) -> Result<Order, CommerceError>;
    /// Replaces a customer's default address.
    async fn modify_user_address(
        &self,
        user_id: &str,
        address: Address,
    ) -> Result<User, CommerceError>;
}
