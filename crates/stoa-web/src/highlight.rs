//! Code highlighting with syntect's bundled syntaxes. Tokens become `<span class="hl-...">`
//! (scope names, prefixed), styled by the stylesheet: no inline styles, which the CSP forbids.

use std::sync::OnceLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Larger files are shown plain: highlighting is linear but not cheap (regexes per line).
const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;
const MAX_HIGHLIGHT_LINES: usize = 5_000;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Loads the syntaxes ahead of the first file page (they take tens of milliseconds).
pub fn warm_up() {
    let _ = syntaxes();
}

fn syntax_for(path: &str, language: Option<&str>) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    if let Some(language) = language.filter(|language| !language.is_empty()) {
        return set.find_syntax_by_token(language);
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name.rsplit_once('.').map_or(name, |(_, extension)| extension);
    set.find_syntax_by_extension(extension).or_else(|| set.find_syntax_by_extension(name))
}

/// HTML for `code`: highlighted when a syntax is known for `path` (or the fence's `language`)
/// and the text is small enough, else escaped plain text. Either way safe to put in a `<pre>`.
pub(crate) fn highlight(path: &str, language: Option<&str>, code: &str) -> String {
    let plain_text = || escape(code);
    if code.len() > MAX_HIGHLIGHT_BYTES || code.lines().count() > MAX_HIGHLIGHT_LINES {
        return plain_text();
    }
    let Some(syntax) = syntax_for(path, language) else {
        return plain_text();
    };
    let mut generator =
        ClassedHTMLGenerator::new_with_class_style(syntax, syntaxes(), ClassStyle::SpacedPrefixed { prefix: "hl-" });
    for line in LinesWithEndings::from(code) {
        if generator.parse_html_for_line_which_includes_newline(line).is_err() {
            return plain_text();
        }
    }
    generator.finalize()
}

/// Text escaped for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_is_highlighted_and_escaped() {
        let html = highlight("x.py", None, "def f():\n    return '<b>'\n");
        assert!(html.contains("hl-"), "{html}");
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"), "{html}");
    }

    #[test]
    fn unknown_files_are_plain() {
        assert_eq!(highlight("x.unknownext", None, "<a>"), "&lt;a&gt;");
    }
}
