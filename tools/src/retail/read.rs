//! Read-only lookups: customers, orders, products, items.

use super::args::{EmailArgs, ItemArgs, NameZipArgs, NoArgs, OrderArgs, ProductArgs, UserArgs};
use super::{Store, to_result};
use crate::effect::Effect;
use crate::error::ToolError;
use crate::tool::{CallContext, Tool};
use async_trait::async_trait;
use serde_json::Value;

/// `find_user_id_by_email`.
pub struct FindUserIdByEmailTool(pub Store);

#[async_trait]
impl Tool for FindUserIdByEmailTool {
    type Args = EmailArgs;
    const NAME: &'static str = "find_user_id_by_email";
    const DESCRIPTION: &'static str = "Find user id by email. If the user is not found, the function will return an error message.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "my email is mia.garcia2723@example.com",
        "find the customer with email noah.brown7922@example.com",
        "who is yusuf.rossi7301@example.com",
        "look up the account for sofia.li9219@example.com",
    ];

    async fn call(&self, args: EmailArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        Ok(Value::String(
            self.0.find_user_id_by_email(&args.email).await?,
        ))
    }

    async fn render(&self, args: &EmailArgs) -> String {
        format!("Look up the customer with email {}", args.email)
    }
}

/// `find_user_id_by_name_zip`.
pub struct FindUserIdByNameZipTool(pub Store);

#[async_trait]
impl Tool for FindUserIdByNameZipTool {
    type Args = NameZipArgs;
    const NAME: &'static str = "find_user_id_by_name_zip";
    const DESCRIPTION: &'static str = "Find user id by first name, last name, and zip code. If the user is not found, the function\n\nwill return an error message. By default, find user id by email, and only call this function\nif the user is not found by email or cannot remember email.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "I'm Mia Garcia, zip 46214",
        "my name is Noah Brown and my zip code is 20104",
        "find customer Yusuf Rossi in 19122",
        "look up Sofia Li zip 78260",
    ];

    async fn call(&self, a: NameZipArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        let id = self
            .0
            .find_user_id_by_name_zip(&a.first_name, &a.last_name, &a.zip)
            .await?;
        Ok(Value::String(id))
    }

    async fn render(&self, a: &NameZipArgs) -> String {
        format!(
            "Look up the customer {} {} in zip {}",
            a.first_name, a.last_name, a.zip
        )
    }
}

/// `get_item_details`.
pub struct GetItemDetailsTool(pub Store);

#[async_trait]
impl Tool for GetItemDetailsTool {
    type Args = ItemArgs;
    const NAME: &'static str = "get_item_details";
    const DESCRIPTION: &'static str = "Get the inventory details of an item.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "what is item 1151293680",
        "details of item 8293778132",
        "is item 4983901480 in stock",
        "price of item 9408160950",
    ];

    async fn call(&self, args: ItemArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.item(&args.item_id).await?)
    }

    async fn render(&self, args: &ItemArgs) -> String {
        format!("Show item {}", args.item_id)
    }
}

/// `get_order_details`.
pub struct GetOrderDetailsTool(pub Store);

#[async_trait]
impl Tool for GetOrderDetailsTool {
    type Args = OrderArgs;
    const NAME: &'static str = "get_order_details";
    const DESCRIPTION: &'static str = "Get the status and details of an order.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "where is my order #W2378156",
        "what's the status of order W5490111",
        "track order #W7387996",
        "has #W6619432 shipped yet?",
        "show me order W1234567",
        "details of my order #W9911714 please",
    ];

    async fn call(&self, args: OrderArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.order(&args.order_id).await?)
    }

    async fn render(&self, args: &OrderArgs) -> String {
        format!("Show order {}", args.order_id)
    }
}

/// `get_product_details`.
pub struct GetProductDetailsTool(pub Store);

#[async_trait]
impl Tool for GetProductDetailsTool {
    type Args = ProductArgs;
    const NAME: &'static str = "get_product_details";
    const DESCRIPTION: &'static str = "Get the inventory details of a product.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "what colors does the t-shirt come in",
        "which sizes are there for the hiking boots",
        "show product 6086499569",
        "what variants does product 8310926033 have",
        "details for product id 1656367028",
        "which options are available for product 4760268021",
    ];

    async fn call(&self, args: ProductArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.product(&args.product_id).await?)
    }

    async fn render(&self, args: &ProductArgs) -> String {
        format!("Show product {}", args.product_id)
    }
}

/// `get_user_details`.
pub struct GetUserDetailsTool(pub Store);

#[async_trait]
impl Tool for GetUserDetailsTool {
    type Args = UserArgs;
    const NAME: &'static str = "get_user_details";
    const DESCRIPTION: &'static str = "Get the details of a user, including their orders.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "show customer mia_garcia_4516",
        "look up user noah_brown_6181",
        "what orders does yusuf_rossi_9620 have",
        "get the profile of user sofia_li_9219",
        "which payment methods does ivan_khan_7475 have",
    ];

    async fn call(&self, args: UserArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.user(&args.user_id).await?)
    }

    async fn render(&self, args: &UserArgs) -> String {
        format!("Show customer {}", args.user_id)
    }
}

/// `list_all_product_types`.
pub struct ListAllProductTypesTool(pub Store);

#[async_trait]
impl Tool for ListAllProductTypesTool {
    type Args = NoArgs;
    const NAME: &'static str = "list_all_product_types";
    const DESCRIPTION: &'static str = "List the name and product id of all product types.\n\nEach product type has a variety of different items with unique item ids and options.\nThere are only 50 product types in the store.";
    const EFFECT: Effect = Effect::Read;
    const IDEMPOTENT: bool = true;
    const EXAMPLES: &'static [&'static str] = &[
        "what products do you sell",
        "list all product types",
        "show me the catalog",
        "what kinds of products do you have",
    ];

    async fn call(&self, _: NoArgs, _ctx: &CallContext) -> Result<Value, ToolError> {
        to_result(&self.0.product_types().await?)
    }

    async fn render(&self, _: &NoArgs) -> String {
        "List every product type".to_string()
    }
}
