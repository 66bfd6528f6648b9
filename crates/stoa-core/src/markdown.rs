//! User-written Markdown to HTML that is safe to put in a page: CommonMark (with tables and
//! strikethrough) rendered by pulldown-cmark, then sanitised by ammonia's allow-list, which drops
//! scripts, event handlers, `style`, svg and math, and keeps only http(s) and mailto links. Links
//! get `rel="noopener noreferrer nofollow"`.
//!
//! Cards may also have their fenced code blocks highlighted ([`render_markdown_highlighted`]):
//! the highlighter's HTML goes in before sanitising, and the only thing the sanitiser lets
//! through for it is `class` on `span` with one of the highlighter's token classes.

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Longest input rendered; longer text is cut (comments are capped well below this).
const MAX_MARKDOWN_BYTES: usize = 1024 * 1024;

#[must_use]
pub fn render_markdown(text: &str) -> String {
    let parser = Parser::new_ext(cut(text), options());
    let mut unsafe_html = String::with_capacity(text.len().min(MAX_MARKDOWN_BYTES) * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    sanitiser().clean(&unsafe_html).to_string()
}

/// Like [`render_markdown`], with each fenced or indented code block's content replaced by
/// `highlight(language, code)` (language empty when the fence names none). The callback's HTML
/// is sanitised with the rest: only `span` with one of `token_classes` survives of what it adds.
#[must_use]
pub fn render_markdown_highlighted(
    text: &str,
    highlight: &dyn Fn(&str, &str) -> String,
    token_classes: &[&'static str],
) -> String {
    let mut events = Vec::new();
    // The open code block: its language and the text gathered so far.
    let mut block: Option<(String, String)> = None;
    for event in Parser::new_ext(cut(text), options()) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let language = match kind {
                    // "```rust title=x" names its language first.
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or("").to_owned(),
                    CodeBlockKind::Indented => String::new(),
                };
                block = Some((language, String::new()));
            }
            Event::Text(code) if block.is_some() => {
                if let Some((_, gathered)) = block.as_mut() {
                    gathered.push_str(&code);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let (language, code) = block.take().unwrap_or_default();
                let html = format!("<pre><code>{}</code></pre>\n", highlight(&language, &code));
                events.push(Event::Html(CowStr::from(html)));
            }
            other => events.push(other),
        }
    }
    let mut unsafe_html = String::with_capacity(text.len().min(MAX_MARKDOWN_BYTES) * 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    let mut builder = sanitiser();
    builder.add_allowed_classes("span", token_classes);
    builder.clean(&unsafe_html).to_string()
}

fn cut(text: &str) -> &str {
    let mut end = text.len().min(MAX_MARKDOWN_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn sanitiser<'a>() -> ammonia::Builder<'a> {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
}

#[cfg(test)]
mod tests {
    use super::{render_markdown, render_markdown_highlighted};

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

    #[test]
    fn code_blocks_get_the_highlighters_spans_and_nothing_else() {
        let highlight = |language: &str, code: &str| {
            assert_eq!(language, "py");
            assert_eq!(code, "x = '<b>'\n");
            "<span class=\"hl-source hl-keyword\" onclick=\"x()\">x</span><script>alert(1)</script>\
             <span style=\"color:red\" class=\"evil\">y</span>"
                .to_owned()
        };
        let html = render_markdown_highlighted(
            "# T\n\n```py title\nx = '<b>'\n```\n\n<span class=\"hl-keyword\">z</span>",
            &highlight,
            &["hl-keyword"],
        );
        assert!(html.contains("<pre><code><span class=\"hl-keyword\">x</span>"), "{html}");
        for forbidden in ["onclick", "<script", "style=", "evil", "hl-source"] {
            assert!(!html.contains(forbidden), "{forbidden} survived in {html}");
        }
        assert!(html.contains("<h1>T</h1>"), "{html}");
    }
}
