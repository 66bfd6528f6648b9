//! Code highlighting with syntect's bundled syntaxes. Tokens become `<span class="hl-...">`
//! (one short class per kind of token), styled by the stylesheet: no inline styles, which the
//! CSP forbids.

use std::str::FromStr;
use std::sync::OnceLock;

use syntect::highlighting::{
    Color, HighlightIterator, HighlightState, Highlighter, ScopeSelectors, StyleModifier, Theme, ThemeItem,
    ThemeSettings,
};
use syntect::parsing::{ParseState, ScopeStack, SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Larger files are shown plain: highlighting is linear but not cheap (regexes per line).
const MAX_HIGHLIGHT_BYTES: usize = 256 * 1024;
const MAX_HIGHLIGHT_LINES: usize = 5_000;

/// The token kinds pages colour, each a scope selector and the class its tokens get. One short
/// class per token (not syntect's whole scope stack) keeps highlighted files small: a 300-line
/// Python file is tens of kilobytes of HTML, not hundreds.
const TOKEN_KINDS: &[(&str, &str)] = &[
    ("comment", "hl-c"),
    ("string, constant.character", "hl-s"),
    ("constant.numeric, constant.language, constant.other", "hl-n"),
    ("keyword, storage, variable.language", "hl-k"),
    ("entity.name, support.function, meta.function-call variable.function", "hl-f"),
    ("entity.name.tag, entity.other.attribute-name, support.type, support.class, entity.name.type", "hl-t"),
    ("variable.parameter", "hl-p"),
    ("markup.heading, markup.bold", "hl-h"),
    ("invalid", "hl-e"),
];

/// Every class a highlighted block may carry (the sanitiser of cards keeps exactly these).
pub(crate) fn token_classes() -> impl Iterator<Item = &'static str> {
    TOKEN_KINDS.iter().map(|(_, class)| *class)
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// A theme whose "colours" are the indexes of [`TOKEN_KINDS`] (1-based in the red channel; 0 is
/// plain text): syntect's scope matching picks the kind, the page's stylesheet the colour.
fn token_theme() -> &'static Theme {
    static THEME: OnceLock<Theme> = OnceLock::new();
    THEME.get_or_init(|| {
        let scopes = TOKEN_KINDS
            .iter()
            .enumerate()
            .filter_map(|(index, (selector, _))| {
                let red = u8::try_from(index + 1).ok()?;
                Some(ThemeItem {
                    scope: ScopeSelectors::from_str(selector).ok()?,
                    style: StyleModifier {
                        foreground: Some(Color { r: red, g: 0, b: 0, a: 255 }),
                        background: None,
                        font_style: None,
                    },
                })
            })
            .collect();
        let settings =
            ThemeSettings { foreground: Some(Color { r: 0, g: 0, b: 0, a: 255 }), ..ThemeSettings::default() };
        Theme { name: Some("stoa-tokens".to_owned()), author: None, settings, scopes }
    })
}

/// Loads the syntaxes ahead of the first file page (they take tens of milliseconds).
pub fn warm_up() {
    let _ = syntaxes();
    let _ = token_theme();
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
    if code.len() > MAX_HIGHLIGHT_BYTES || code.lines().count() > MAX_HIGHLIGHT_LINES {
        return escape(code);
    }
    let Some(syntax) = syntax_for(path, language) else {
        return escape(code);
    };
    highlight_with(syntax, code).unwrap_or_else(|| escape(code))
}

fn highlight_with(syntax: &SyntaxReference, code: &str) -> Option<String> {
    let highlighter = Highlighter::new(token_theme());
    let mut parse_state = ParseState::new(syntax);
    let mut highlight_state = HighlightState::new(&highlighter, ScopeStack::new());
    let mut out = String::with_capacity(code.len() * 2);
    // Adjacent tokens of one kind share a span.
    let mut open: usize = 0;
    for line in LinesWithEndings::from(code) {
        let operations = parse_state.parse_line(line, syntaxes()).ok()?;
        for (style, text) in HighlightIterator::new(&mut highlight_state, &operations, line, &highlighter) {
            let kind = usize::from(style.foreground.r);
            if kind != open {
                if open != 0 {
                    out.push_str("</span>");
                }
                if let Some((_, class)) = kind.checked_sub(1).and_then(|index| TOKEN_KINDS.get(index)) {
                    out.push_str("<span class=\"");
                    out.push_str(class);
                    out.push_str("\">");
                }
                open = kind;
            }
            push_escaped(&mut out, text);
        }
    }
    if open != 0 {
        out.push_str("</span>");
    }
    Some(out)
}

/// Text escaped for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped(&mut out, text);
    out
}

fn push_escaped(out: &mut String, text: &str) {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_is_highlighted_and_escaped() {
        let html = highlight("x.py", None, "def f():\n    return '<b>'  # note\n");
        assert!(html.contains("<span class=\"hl-k\">def</span>"), "{html}");
        assert!(html.contains("<span class=\"hl-c\"># note"), "{html}");
        assert!(html.contains("&lt;b&gt;") && !html.contains("<b>"), "{html}");
    }

    #[test]
    fn unknown_files_are_plain() {
        assert_eq!(highlight("x.unknownext", None, "<a>"), "&lt;a&gt;");
    }
}
