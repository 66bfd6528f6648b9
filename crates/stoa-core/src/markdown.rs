//! User-written Markdown to HTML that is safe to put in a page: CommonMark (with tables and
//! strikethrough) rendered by pulldown-cmark, then sanitised by ammonia's allow-list, which drops
//! scripts, event handlers, `style`, svg and math, and keeps only http(s) and mailto links. Links
//! get `rel="noopener noreferrer nofollow"`.

use pulldown_cmark::{Options, Parser, html};

/// Longest input rendered; longer text is cut (comments are capped well below this).
const MAX_MARKDOWN_BYTES: usize = 1024 * 1024;

#[must_use]
pub fn render_markdown(text: &str) -> String {
    let mut end = text.len().min(MAX_MARKDOWN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let parser = Parser::new_ext(&text[..end], Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::with_capacity(end * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render_markdown;

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(render_markdown("**bold** and `code`"), "<p><strong>bold</strong> and <code>code</code></p>\n");
    }

    #[test]
    fn active_content_is_removed() {
        let html = render_markdown(
            "<script>alert(1)</script><img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">x</a>\
             <svg onload=alert(1)></svg><math></math>",
        );
        for forbidden in ["<script", "onerror", "javascript:", "<svg", "<math", "onload"] {
            assert!(!html.contains(forbidden), "{forbidden} survived in {html}");
        }
        let link = render_markdown("[y](javascript:alert(2)) [z](data:text/html,hi)");
        assert!(!link.contains("href"), "a dangerous link kept its target: {link}");
    }

    #[test]
    fn links_do_not_leak_the_opener() {
        assert!(render_markdown("[a](https://example.org)").contains("rel=\"noopener noreferrer nofollow\""));
    }
}
