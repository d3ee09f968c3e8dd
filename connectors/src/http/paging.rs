//! Pagination helpers: reading every page of a cursor-paged listing, and the `Link`
//! header REST APIs page with (RFC 8288).

use http::HeaderMap;
use shopkeeper_tools::commerce::query::{Page, PageQuery};
use std::future::Future;

/// The URL of the `rel="next"` link of a `Link` header, if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            is_next.then(|| {
                target
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
        })
}

/// Feeds every record of a cursor-paged listing to `each`, page by page, holding one page
/// at a time; returns how many records there were.
pub async fn for_each<T, E, F, Fut>(
    mut query: PageQuery,
    mut fetch: F,
    mut each: impl FnMut(T),
) -> Result<u64, E>
where
    F: FnMut(PageQuery) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
{
    let mut count = 0;
    loop {
        let page = fetch(query.clone()).await?;
        for item in page.items {
            count += 1;
            each(item);
        }
        match page.next {
            Some(next) => query.cursor = Some(next),
            None => return Ok(count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://s.example/a?page=1>; rel=\"previous\", <https://s.example/a?page=3>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://s.example/a?page=3"));
        h.insert(
            http::header::LINK,
            "<https://s.example/a?page=1>; rel=\"prev\""
                .parse()
                .unwrap(),
        );
        assert_eq!(next_link(&h), None);
    }

    #[tokio::test]
    async fn every_page_is_read_once() {
        let data: Vec<u32> = (0..23).collect();
        let mut seen = Vec::new();
        let n = for_each(
            PageQuery::first(5),
            |q| {
                let data = data.clone();
                async move {
                    let start: usize = q.cursor.as_deref().map_or(0, |c| c.parse().unwrap_or(0));
                    let end = (start + q.size() as usize).min(data.len());
                    Ok::<_, ()>(Page {
                        items: data[start..end].to_vec(),
                        next: (end < data.len()).then(|| end.to_string()),
                    })
                }
            },
            |x| seen.push(x),
        )
        .await
        .unwrap();
        assert_eq!(n, 23);
        assert_eq!(seen, data);
    }
}
