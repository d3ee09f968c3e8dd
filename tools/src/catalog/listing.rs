//! A product listing: the fields a real storefront needs, their limits, a plain
//! draft built from attributes, and a field-by-field diff for approval cards.

use super::taxonomy;
use crate::commerce::model::{Product, ProductStatus};
use crate::commerce::money::{Amount, Currency};
use crate::commerce::request::{ProductChanges, ProductDraft, VariantDraft};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest SEO title search engines show.
pub const SEO_TITLE_MAX: usize = 70;
/// Longest meta description Shopify accepts.
pub const SEO_DESCRIPTION_MAX: usize = 320;
/// Longest product title.
pub const TITLE_MAX: usize = 255;

/// Whether a product is visible in the storefront.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // plain enum values in the schema; the names say it all
pub enum ListingStatus {
    Draft,
    Active,
}

/// One variant of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingVariant {
    /// The variant's id once it exists (leave out for new products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// Option values, e.g. {"color": "blue", "size": "M"}.
    pub options: BTreeMap<String, String>,
    /// Stock keeping unit, e.g. "TSHIRT-BLU-M".
    #[schemars(length(min = 1, max = 255))]
    pub sku: String,
    /// Price in the shop's currency, e.g. "24.50".
    pub price: Amount,
    /// Units in stock; null when stock is not tracked.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub inventory_quantity: Option<i64>,
}

/// A product listing as a storefront shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// URL handle, e.g. "classic-crew-neck-t-shirt"; derived from the title when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Product title, e.g. "Classic Crew Neck T-Shirt".
    #[schemars(length(min = 1, max = 255))]
    pub title: String,
    /// Description as simple HTML (<p>, <ul>, <li>, <strong>); only facts from the given attributes.
    pub description_html: String,
    /// Title for search engines, at most 70 characters.
    #[schemars(length(min = 1, max = 70))]
    pub seo_title: String,
    /// Meta description for search engines, at most 320 characters.
    #[schemars(length(min = 1, max = 320))]
    pub seo_description: String,
    /// Tags, e.g. ["cotton", "summer"].
    #[schemars(length(max = 250))]
    pub tags: Vec<String>,
    /// Brand or maker.
    pub vendor: String,
    /// The shop's own product type, e.g. "T-Shirt".
    pub product_type: String,
    /// Shopify Standard Product Taxonomy category GID, e.g. "gid://shopify/TaxonomyCategory/aa-1-13-8".
    pub category: String,
    /// draft (hidden) or active (for sale).
    pub status: ListingStatus,
    /// At least one variant.
    #[schemars(length(min = 1))]
    pub variants: Vec<ListingVariant>,
}

/// What a listing draft starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    /// What the product is, e.g. "Linen shirt".
    pub name: String,
    /// The shop's product type, if it differs from the name.
    #[serde(default)]
    pub product_type: Option<String>,
    /// Brand or maker.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Facts about the product (material, care, fit, dimensions...). Nothing else may be claimed.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Variants to sell; each with options, a price, and optionally a SKU and stock.
    #[schemars(length(min = 1))]
    pub variants: Vec<VariantInput>,
    /// Anything the merchant wants stressed (tone, audience).
    #[serde(default)]
    pub notes: Option<String>,
}

/// A variant to sell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    /// Option values, e.g. {"size": "M"}.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Price in the shop's currency, e.g. "49.00".
    pub price: Amount,
    /// SKU, if the merchant has one.
    #[serde(default)]
    pub sku: Option<String>,
    /// Units in stock, if tracked.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub inventory_quantity: Option<i64>,
}

impl Listing {
    /// Problems that the schema cannot express: limits by characters, the category.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let chars = |s: &str| s.chars().count();
        if chars(&self.title) > TITLE_MAX || self.title.trim().is_empty() {
            out.push(format!("title must be 1-{TITLE_MAX} characters"));
        }
        if chars(&self.seo_title) > SEO_TITLE_MAX || self.seo_title.trim().is_empty() {
            out.push(format!(
                "seo_title is {} characters; at most {SEO_TITLE_MAX}",
                chars(&self.seo_title)
            ));
        }
        if chars(&self.seo_description) > SEO_DESCRIPTION_MAX
            || self.seo_description.trim().is_empty()
        {
            out.push(format!(
                "seo_description is {} characters; at most {SEO_DESCRIPTION_MAX}",
                chars(&self.seo_description)
            ));
        }
        if taxonomy::get(&self.category).is_none() {
            out.push(format!(
                "category {:?} is not in the Shopify Standard Product Taxonomy",
                self.category
            ));
        }
        if self.variants.is_empty() {
            out.push("a listing needs at least one variant".into());
        }
        if let Some(h) = &self.handle
            && !is_handle(h)
        {
            out.push(format!(
                "handle {h:?} must be lower-case letters, digits and dashes"
            ));
        }
        for v in &self.variants {
            if v.price.0 <= Decimal::ZERO {
                out.push(format!("variant {} has price {}", v.sku, v.price));
            }
            if v.inventory_quantity.is_some_and(|q| q < 0) {
                out.push(format!("variant {} has negative stock", v.sku));
            }
        }
        out
    }

    /// The URL handle: the one given, else the title's.
    pub fn handle(&self) -> String {
        self.handle
            .clone()
            .unwrap_or_else(|| handleize(&self.title))
    }

    /// The product to create from this listing.
    pub fn to_draft(&self) -> ProductDraft {
        ProductDraft {
            handle: self.handle(),
            title: self.title.clone(),
            description_html: self.description_html.clone(),
            seo_title: self.seo_title.clone(),
            seo_description: self.seo_description.clone(),
            vendor: self.vendor.clone(),
            product_type: self.product_type.clone(),
            tags: self.tags.clone(),
            category: Some(self.category.clone()).filter(|c| !c.is_empty()),
            status: self.status.into(),
            variants: self
                .variants
                .iter()
                .map(|v| VariantDraft {
                    options: v.options.clone(),
                    sku: v.sku.clone(),
                    price: v.price,
                    inventory_quantity: v.inventory_quantity,
                })
                .collect(),
        }
    }

    /// A product as a listing (for diffs and the listing view).
    pub fn of_product(p: &Product) -> Self {
        Self {
            handle: Some(p.handle.clone()),
            title: p.title.clone(),
            description_html: p.description_html.clone(),
            seo_title: p.seo_title.clone(),
            seo_description: p.seo_description.clone(),
            tags: p.tags.clone(),
            vendor: p.vendor.clone(),
            product_type: p.product_type.clone(),
            category: p.category.clone().unwrap_or_default(),
            status: if p.status == ProductStatus::Active {
                ListingStatus::Active
            } else {
                ListingStatus::Draft
            },
            variants: p
                .variants
                .iter()
                .map(|v| ListingVariant {
                    item_id: Some(v.id.clone()),
                    options: v.options.clone(),
                    sku: v.sku.clone().unwrap_or_default(),
                    price: Amount(v.price.amount),
                    inventory_quantity: v.inventory_quantity,
                })
                .collect(),
        }
    }

    /// The changes that turn `old` into this listing (variants are not changed this way).
    pub fn changes_from(&self, old: &Listing) -> ProductChanges {
        fn changed<T: PartialEq + Clone>(new: &T, old: &T) -> Option<T> {
            (new != old).then(|| new.clone())
        }
        ProductChanges {
            title: changed(&self.title, &old.title),
            description_html: changed(&self.description_html, &old.description_html),
            seo_title: changed(&self.seo_title, &old.seo_title),
            seo_description: changed(&self.seo_description, &old.seo_description),
            vendor: changed(&self.vendor, &old.vendor),
            product_type: changed(&self.product_type, &old.product_type),
            tags: changed(&self.tags, &old.tags),
            category: changed(&self.category, &old.category),
            status: changed(&self.status, &old.status).map(Into::into),
        }
    }
}

impl From<ListingStatus> for ProductStatus {
    fn from(s: ListingStatus) -> Self {
        match s {
            ListingStatus::Draft => ProductStatus::Draft,
            ListingStatus::Active => ProductStatus::Active,
        }
    }
}

/// A URL handle from a title: "Linen Shirt, Blue!" -> "linen-shirt-blue".
pub fn handleize(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn is_handle(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Cuts `text` to at most `max` characters at a word boundary, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A plain, factual listing built only from the input: no model, no invented claims.
pub fn plain_draft(input: &ListingInput) -> Listing {
    let title = clip(input.name.trim(), TITLE_MAX);
    let product_type = input
        .product_type
        .clone()
        .unwrap_or_else(|| input.name.clone());
    let category = taxonomy::search(&format!("{} {}", product_type, input.name), 1)
        .first()
        .map(|(c, _)| c.gid.to_string())
        .unwrap_or_else(|| "gid://shopify/TaxonomyCategory/na".to_string());
    let facts: Vec<String> = input
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let mut description = format!("<p>{}</p>", escape(&title));
    if !facts.is_empty() {
        description.push_str("<ul>");
        for f in &facts {
            description.push_str(&format!("<li>{}</li>", escape(f)));
        }
        description.push_str("</ul>");
    }
    let sentence = if facts.is_empty() {
        title.clone()
    } else {
        format!("{title}. {}.", facts.join("; "))
    };
    let mut tags: Vec<String> = input
        .attributes
        .values()
        .map(|v| v.to_lowercase())
        .collect();
    tags.sort();
    tags.dedup();
    let slug: String = title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect::<String>()
        .to_uppercase();
    let variants = input
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| ListingVariant {
            item_id: None,
            options: v.options.clone(),
            sku: v.sku.clone().unwrap_or_else(|| format!("{slug}-{}", i + 1)),
            price: v.price,
            inventory_quantity: v.inventory_quantity,
        })
        .collect();
    Listing {
        handle: None,
        seo_title: clip(&title, SEO_TITLE_MAX),
        seo_description: clip(&sentence, SEO_DESCRIPTION_MAX),
        title,
        description_html: description,
        tags,
        vendor: input.vendor.clone().unwrap_or_default(),
        product_type,
        category,
        status: ListingStatus::Draft,
        variants,
    }
}

/// Field-by-field changes from `old` (None for a new product) to `new`, one line each;
/// prices in `currency`.
pub fn diff(old: Option<&Listing>, new: &Listing, currency: &Currency) -> Vec<String> {
    let field = |l: &Listing| -> Vec<(&'static str, String)> {
        let category = taxonomy::get(&l.category).map_or_else(
            || l.category.clone(),
            |c| format!("{} ({})", c.full_name(), c.gid),
        );
        vec![
            ("title", l.title.clone()),
            ("handle", l.handle()),
            ("status", format!("{:?}", l.status).to_lowercase()),
            ("seo_title", l.seo_title.clone()),
            ("seo_description", l.seo_description.clone()),
            ("description_html", l.description_html.clone()),
            ("tags", l.tags.join(", ")),
            ("vendor", l.vendor.clone()),
            ("product_type", l.product_type.clone()),
            ("category", category),
        ]
    };
    let variant_line = |v: &ListingVariant| {
        let opts: Vec<String> = v
            .options
            .iter()
            .map(|(k, val)| format!("{k}: {val}"))
            .collect();
        let stock = v
            .inventory_quantity
            .map_or_else(|| "stock not tracked".into(), |q| format!("{q} in stock"));
        format!(
            "{} ({}) {}, {stock}",
            v.sku,
            opts.join(", "),
            v.price.money(currency)
        )
    };
    let mut lines = Vec::new();
    let new_fields = field(new);
    match old {
        None => {
            for (name, value) in new_fields {
                lines.push(format!("+ {name}: {value}"));
            }
            for v in &new.variants {
                lines.push(format!("+ variant {}", variant_line(v)));
            }
        }
        Some(old) => {
            for ((name, before), (_, after)) in field(old).into_iter().zip(new_fields) {
                if before != after {
                    lines.push(format!("- {name}: {before}"));
                    lines.push(format!("+ {name}: {after}"));
                }
            }
            let before: Vec<String> = old.variants.iter().map(variant_line).collect();
            let after: Vec<String> = new.variants.iter().map(variant_line).collect();
            for b in before.iter().filter(|b| !after.contains(b)) {
                lines.push(format!("- variant {b}"));
            }
            for a in after.iter().filter(|a| !before.contains(a)) {
                lines.push(format!("+ variant {a}"));
            }
            if lines.is_empty() {
                lines.push("(no change)".into());
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ListingInput {
        ListingInput {
            name: "Linen Shirt".into(),
            product_type: Some("Shirt".into()),
            vendor: Some("Acme".into()),
            attributes: BTreeMap::from([
                ("material".into(), "linen".into()),
                ("fit".into(), "relaxed".into()),
            ]),
            variants: vec![VariantInput {
                options: BTreeMap::from([("size".into(), "M".into())]),
                price: Amount(Decimal::from(49)),
                sku: None,
                inventory_quantity: Some(5),
            }],
            notes: None,
        }
    }

    #[test]
    fn a_plain_draft_is_valid_and_claims_only_the_given_facts() {
        let l = plain_draft(&input());
        assert!(l.problems().is_empty(), "{:?}", l.problems());
        assert_eq!(l.status, ListingStatus::Draft);
        assert!(l.description_html.contains("<li>material: linen</li>"));
        assert_eq!(l.tags, vec!["linen", "relaxed"]);
        assert!(taxonomy::get(&l.category).is_some());
    }

    #[test]
    fn limits_and_the_category_are_checked() {
        let mut l = plain_draft(&input());
        l.seo_title = "x".repeat(71);
        l.category = "gid://shopify/TaxonomyCategory/nope".into();
        let p = l.problems();
        assert!(
            p.iter().any(|m| m.contains("seo_title is 71"))
                && p.iter().any(|m| m.contains("not in the Shopify")),
            "{p:?}"
        );
        let clipped = clip("a long sentence that goes on", 12);
        assert!(
            clipped.chars().count() <= 12 && clipped.ends_with('…'),
            "{clipped}"
        );
    }

    #[test]
    fn diffs_show_only_what_changes() {
        let old = plain_draft(&input());
        let mut new = old.clone();
        new.title = "Relaxed Linen Shirt".into();
        new.variants[0].inventory_quantity = Some(3);
        let d = diff(Some(&old), &new, &Currency::usd());
        assert!(
            d.contains(&"- title: Linen Shirt".to_string())
                && d.contains(&"+ title: Relaxed Linen Shirt".to_string()),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|l| l.starts_with("+ variant") && l.contains("3 in stock"))
        );
        assert!(!d.iter().any(|l| l.contains("vendor")));
        assert!(
            diff(None, &new, &Currency::usd())
                .iter()
                .all(|l| l.starts_with('+'))
        );
        assert_eq!(handleize("Linen Shirt, Blue!"), "linen-shirt-blue");
    }
}
