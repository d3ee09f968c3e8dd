//! Turning the agent's markdown into what each platform shows, in pieces no longer
//! than the platform accepts.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// A platform's markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Telegram's HTML subset (`parse_mode=HTML`).
    TelegramHtml,
    /// Slack's mrkdwn.
    SlackMrkdwn,
    /// Discord's markdown (close to CommonMark; passed through).
    Discord,
}

/// Converts markdown to `markup`.
pub fn convert(markdown: &str, markup: Markup) -> String {
    if markup == Markup::Discord {
        return markdown.trim().to_string();
    }
    let html = markup == Markup::TelegramHtml;
    // Both read `&`, `<` and `>` as markup; everything else is text.
    let escape = |t: &str| -> String {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let options = Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(tag) => match tag {
                Tag::Strong | Tag::Heading { .. } => out.push_str(if html { "<b>" } else { "*" }),
                Tag::Emphasis => out.push_str(if html { "<i>" } else { "_" }),
                Tag::Strikethrough => out.push_str(if html { "<s>" } else { "~" }),
                Tag::CodeBlock(kind) => {
                    if html {
                        match kind {
                            CodeBlockKind::Fenced(lang) if !lang.is_empty() => out.push_str(
                                &format!("<pre><code class=\"language-{}\">", escape(&lang)),
                            ),
                            _ => out.push_str("<pre><code>"),
                        }
                    } else {
                        out.push_str("```\n");
                    }
                }
                Tag::BlockQuote(_) => out.push_str(if html { "<blockquote>" } else { "> " }),
                Tag::List(start) => {
                    if !lists.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    lists.push(start);
                }
                Tag::Item => {
                    let depth = lists.len().saturating_sub(1);
                    out.push_str(&"  ".repeat(depth));
                    match lists.last_mut() {
                        Some(Some(n)) => {
                            out.push_str(&format!("{n}. "));
                            *n += 1;
                        }
                        _ => out.push_str("• "),
                    }
                }
                Tag::Link { dest_url, .. } => {
                    if html {
                        out.push_str(&format!("<a href=\"{}\">", escape(&dest_url)));
                    } else {
                        out.push_str(&format!("<{}|", dest_url));
                    }
                }
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Strong => out.push_str(if html { "</b>" } else { "*" }),
                TagEnd::Heading(_) => out.push_str(if html { "</b>\n\n" } else { "*\n\n" }),
                TagEnd::Emphasis => out.push_str(if html { "</i>" } else { "_" }),
                TagEnd::Strikethrough => out.push_str(if html { "</s>" } else { "~" }),
                TagEnd::CodeBlock => {
                    out.push_str(if html { "</code></pre>\n\n" } else { "```\n\n" })
                }
                TagEnd::BlockQuote(_) => out.push_str(if html { "</blockquote>\n" } else { "\n" }),
                TagEnd::Paragraph => out.push_str(if lists.is_empty() { "\n\n" } else { "\n" }),
                TagEnd::List(_) => {
                    lists.pop();
                    if lists.is_empty() {
                        out.push('\n');
                    }
                }
                TagEnd::Item if !out.ends_with('\n') => out.push('\n'),
                TagEnd::Link => {
                    if html {
                        out.push_str("</a>");
                    } else {
                        out.push('>');
                    }
                }
                _ => {}
            },
            Event::Text(t) => out.push_str(&escape(&t)),
            Event::Code(t) => {
                if html {
                    out.push_str(&format!("<code>{}</code>", escape(&t)));
                } else {
                    out.push_str(&format!("`{}`", escape(&t)));
                }
            }
            Event::Html(t) | Event::InlineHtml(t) => out.push_str(&escape(&t)),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => out.push_str("──────────\n"),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Splits markdown into pieces whose converted form fits in `limit` characters: at
/// paragraph breaks, else line breaks, else words, else anywhere. Splitting happens in
/// the source so that no converted tag is ever cut in half.
pub fn split(markdown: &str, limit: usize, markup: Markup) -> Vec<String> {
    let fits = |s: &str| convert(s, markup).chars().count() <= limit;
    let mut pieces = Vec::new();
    pack(markdown, &["\n\n", "\n", " "], &fits, &mut pieces);
    pieces
        .into_iter()
        .map(|p| convert(&p, markup))
        .filter(|p| !p.is_empty())
        .collect()
}

fn pack(text: &str, separators: &[&str], fits: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
    if fits(text) {
        out.push(text.to_string());
        return;
    }
    let Some((sep, finer)) = separators.split_first() else {
        // One unbreakable run: cut by characters, halving until each half fits.
        let chars: Vec<char> = text.chars().collect();
        if chars.len() <= 1 {
            out.push(text.to_string());
            return;
        }
        let (a, b) = chars.split_at(chars.len() / 2);
        pack(&a.iter().collect::<String>(), &[], fits, out);
        pack(&b.iter().collect::<String>(), &[], fits, out);
        return;
    };
    let mut current = String::new();
    for part in text.split(sep) {
        let candidate = if current.is_empty() {
            part.to_string()
        } else {
            format!("{current}{sep}{part}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if fits(part) {
            current = part.to_string();
        } else {
            pack(part, finer, fits, out);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
}

/// A time in Unix milliseconds, e.g. `2026-11-29 10:41 UTC`.
pub fn time(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| millis.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_telegram_html_with_text_escaped() {
        let md = "# Order #W123\n\n**Total** is $5 < $6 & _cheap_\n\n- one\n- `two`\n\n[docs](https://x.y/?a=1&b=2)";
        let html = convert(md, Markup::TelegramHtml);
        assert_eq!(
            html,
            "<b>Order #W123</b>\n\n<b>Total</b> is $5 &lt; $6 &amp; <i>cheap</i>\n\n• one\n• <code>two</code>\n\n<a href=\"https://x.y/?a=1&amp;b=2\">docs</a>"
        );
    }

    #[test]
    fn markdown_becomes_slack_mrkdwn() {
        let md = "**Refund** of ~~$10~~ _$8_ for <script>\n\n1. see [order](https://s/o/1)";
        assert_eq!(
            convert(md, Markup::SlackMrkdwn),
            "*Refund* of ~$10~ _$8_ for &lt;script&gt;\n\n1. see <https://s/o/1|order>"
        );
    }

    #[test]
    fn long_replies_split_within_the_limit_without_cutting_tags() {
        let para = "**bold** word ".repeat(40);
        let md = format!("{para}\n\n{para}\n\n{}", "x".repeat(250));
        for markup in [Markup::TelegramHtml, Markup::SlackMrkdwn, Markup::Discord] {
            let pieces = split(&md, 200, markup);
            assert!(pieces.len() > 3, "{markup:?}: {}", pieces.len());
            for p in &pieces {
                assert!(
                    p.chars().count() <= 200,
                    "{markup:?}: {} chars",
                    p.chars().count()
                );
                if markup == Markup::TelegramHtml {
                    assert_eq!(p.matches("<b>").count(), p.matches("</b>").count(), "{p}");
                }
            }
            let letters: usize = pieces.iter().map(|p| p.matches('x').count()).sum();
            assert_eq!(letters, 250, "{markup:?}: nothing is lost");
        }
        assert_eq!(split("short", 4096, Markup::TelegramHtml), vec!["short"]);
    }
}
