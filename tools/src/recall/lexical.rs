//! Words, for the lexical half of search: names, cities and emails carry little
//! meaning for an embedding model ("Yara Martin from Denver" is closer to any Yara
//! than to the right one), so points also carry their words, and results that share
//! the query's words rank higher.

use std::collections::BTreeSet;

/// Words too common to tell records apart.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "any",
    "at",
    "bought",
    "buy",
    "by",
    "com",
    "customer",
    "customers",
    "for",
    "from",
    "in",
    "is",
    "it",
    "me",
    "my",
    "of",
    "on",
    "or",
    "ordered",
    "our",
    "the",
    "to",
    "who",
    "with",
    "example",
];

/// Lower-case words and numbers of `text`, letters split from digits ("martin9470" gives
/// "martin" and "9470"), without one-letter words and stopwords, sorted and unique.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    let lower = text.to_lowercase();
    for word in lower.split(|c: char| !c.is_alphanumeric()) {
        let mut current = String::new();
        let mut digits = false;
        for c in word.chars() {
            if !current.is_empty() && c.is_numeric() != digits {
                out.insert(std::mem::take(&mut current));
            }
            digits = c.is_numeric();
            current.push(c);
        }
        out.insert(current);
    }
    out.into_iter()
        .filter(|w| w.chars().count() > 1 && !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// The share of `query` words found in `words` (0 when the query has none).
pub fn overlap(query: &[String], words: &[String]) -> f32 {
    if query.is_empty() {
        return 0.0;
    }
    let found = query.iter().filter(|q| words.contains(q)).count();
    found as f32 / query.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_case_digits_and_drop_stopwords() {
        assert_eq!(
            tokens("Yara Martin from Denver, yara.martin9470@example.com"),
            ["9470", "denver", "martin", "yara"]
        );
        assert_eq!(tokens("a T-Shirt in XL"), ["shirt", "xl"]);
    }

    #[test]
    fn overlap_is_the_share_of_query_words_found() {
        let q = tokens("Yara Martin Denver");
        assert!((overlap(&q, &tokens("Yara Martin, Denver, CO")) - 1.0).abs() < 1e-6);
        assert!((overlap(&q, &tokens("Yara Lee, Houston")) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(overlap(&[], &q), 0.0);
    }
}
