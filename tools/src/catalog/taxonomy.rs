//! The Shopify Standard Product Taxonomy (2024-07, MIT, shipped in
//! `tools/data/shopify-taxonomy/`): lookup by GID and search by words.

use std::sync::OnceLock;

const CATEGORIES: &str = include_str!("../../data/shopify-taxonomy/categories.txt");

/// One taxonomy category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// e.g. `gid://shopify/TaxonomyCategory/aa-1-13-8`.
    pub gid: &'static str,
    /// From the top level down, e.g. `["Apparel & Accessories", "Clothing", "Clothing Tops", "T-Shirts"]`.
    pub path: Vec<&'static str>,
}

impl Category {
    /// The full path joined with " > ".
    pub fn full_name(&self) -> String {
        self.path.join(" > ")
    }

    /// The category's own name.
    pub fn name(&self) -> &'static str {
        self.path.last().copied().unwrap_or_default()
    }
}

/// Every category, in the file's order.
pub fn all() -> &'static [Category] {
    static PARSED: OnceLock<Vec<Category>> = OnceLock::new();
    PARSED.get_or_init(|| {
        CATEGORIES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (gid, path) = l.split_once(" : ")?;
                Some(Category {
                    gid: gid.trim(),
                    path: path.split(" > ").map(str::trim).collect(),
                })
            })
            .collect()
    })
}

/// The category with this GID.
pub fn get(gid: &str) -> Option<&'static Category> {
    all().iter().find(|c| c.gid == gid)
}

/// How many categories there are.
pub fn len() -> usize {
    all().len()
}

/// Lowercase word stems: "T-Shirts" -> ["t-shirt"], "Water Bottles" -> ["water", "bottle"].
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty() && *w != "&" && *w != "and")
        .map(|w| {
            let w = w.trim_matches('-');
            if w.len() > 3 && w.ends_with("ies") {
                format!("{}y", &w[..w.len() - 3])
            } else if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
                w[..w.len() - 1].to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

/// The best categories for `query`, best first: words matching the category's own name
/// count most, the rest of the path less; extra words in the name and deeper (more
/// specialised) categories count against.
pub fn search(query: &str, limit: usize) -> Vec<(&'static Category, f64)> {
    let q = words(query);
    if q.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(&'static Category, f64)> = all()
        .iter()
        .filter_map(|c| {
            let leaf = words(c.name());
            let parents: Vec<String> = c.path[..c.path.len().saturating_sub(1)]
                .iter()
                .flat_map(|p| words(p))
                .collect();
            let in_leaf = q.iter().filter(|w| leaf.contains(w)).count();
            if in_leaf == 0 {
                return None;
            }
            let in_path = q
                .iter()
                .filter(|w| !leaf.contains(w) && parents.contains(w))
                .count();
            let extra = leaf.iter().filter(|w| !q.contains(w)).count();
            let score = 3.0 * in_leaf as f64 + in_path as f64
                - 0.8 * extra as f64
                - 0.15 * c.path.len() as f64;
            Some((c, score))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.gid.cmp(b.0.gid)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_taxonomy_is_complete() {
        assert_eq!(len(), 10_281);
        assert_eq!(
            get("gid://shopify/TaxonomyCategory/fr-12-2")
                .map(Category::full_name)
                .as_deref(),
            Some("Furniture > Office Furniture > Office Chairs")
        );
    }

    #[test]
    fn search_finds_the_right_category_for_store_products() {
        for (query, gid) in [
            ("T-Shirt", "gid://shopify/TaxonomyCategory/aa-1-13-8"),
            ("Backpack", "gid://shopify/TaxonomyCategory/lb-1"),
            ("Office Chair", "gid://shopify/TaxonomyCategory/fr-12-2"),
            ("Water Bottle", "gid://shopify/TaxonomyCategory/hg-11-3-11"),
            (
                "Electric Kettle",
                "gid://shopify/TaxonomyCategory/hg-11-7-11",
            ),
        ] {
            let best = search(query, 3);
            assert_eq!(
                best.first().map(|(c, _)| c.gid),
                Some(gid),
                "{query}: {:?}",
                best.iter()
                    .map(|(c, s)| (c.full_name(), *s))
                    .collect::<Vec<_>>()
            );
        }
        assert!(search("", 5).is_empty());
    }
}
