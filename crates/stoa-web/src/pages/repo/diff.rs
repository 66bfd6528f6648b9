//! A unified diff (`git diff` output) cut into files and classed lines for the commit page.
//! What is shown is capped so that a huge commit still makes a page of reasonable size; the
//! files past the cap are listed without their lines.

use stoa_core::ports::{FileChangeKind, FileDiff};

/// Lines and bytes of diff text shown on one page, all files together.
const MAX_LINES: usize = 3_000;
const MAX_BYTES: usize = 200 * 1024;
/// Longer lines (minified JSON, ...) are cut.
const MAX_LINE_CHARS: usize = 500;

#[derive(Debug, Clone)]
pub(crate) struct DiffFile {
    pub(crate) path: String,
    /// `added`, `modified` or `deleted`.
    pub(crate) change: &'static str,
    pub(crate) lines: Vec<DiffLine>,
    pub(crate) binary: bool,
    /// The file's lines are (partly) left out: the page's cap, or the diff's 1 MiB cut.
    pub(crate) cut: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct DiffLine {
    /// `diff-add`, `diff-del`, `diff-hunk`, `diff-ctx` or `diff-meta`.
    pub(crate) class: &'static str,
    pub(crate) text: String,
}

pub(crate) fn change_name(kind: FileChangeKind) -> &'static str {
    match kind {
        FileChangeKind::Added => "added",
        FileChangeKind::Modified => "modified",
        FileChangeKind::Deleted => "deleted",
    }
}

/// The path of `diff --git a/P b/P` (renames are off, so both sides are the same path).
fn header_path(rest: &str) -> String {
    let rest = rest.trim_end();
    if rest.len() >= 5 && (rest.len() - 5).is_multiple_of(2) {
        let length = (rest.len() - 5) / 2;
        if rest.is_char_boundary(2 + length) && rest.starts_with("a/") {
            let old = &rest[2..2 + length];
            if rest[2 + length..].strip_prefix(" b/") == Some(old) {
                return old.to_owned();
            }
        }
    }
    rest.to_owned()
}

/// Cuts `diff` into files; `changed` names every changed file with its kind (files the diff
/// text does not reach are listed as cut).
pub(crate) fn parse(diff: &str, changed: &[FileDiff]) -> Vec<DiffFile> {
    let kind_of =
        |path: &str| changed.iter().find(|file| file.path == path).map_or("modified", |file| change_name(file.kind));
    let mut files: Vec<DiffFile> = Vec::new();
    let mut in_hunks = false;
    let (mut lines_left, mut bytes_left) = (MAX_LINES, MAX_BYTES);
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let path = header_path(rest);
            files.push(DiffFile { change: kind_of(&path), path, lines: Vec::new(), binary: false, cut: false });
            in_hunks = false;
            continue;
        }
        let Some(file) = files.last_mut() else { continue };
        if !in_hunks {
            if line.starts_with("Binary files ") {
                file.binary = true;
            }
            if !line.starts_with("@@") {
                continue;
            }
            in_hunks = true;
        }
        if lines_left == 0 || bytes_left < line.len() {
            file.cut = true;
            lines_left = 0;
            continue;
        }
        let class = match line.as_bytes().first() {
            Some(b'+') => "diff-add",
            Some(b'-') => "diff-del",
            Some(b'@') => "diff-hunk",
            Some(b'\\') => "diff-meta",
            _ => "diff-ctx",
        };
        let text: String = line.chars().take(MAX_LINE_CHARS).collect();
        lines_left -= 1;
        bytes_left -= text.len();
        file.lines.push(DiffLine { class, text });
    }
    // The text stops at 1 MiB: its last file may be partial, and later files are missing.
    if let Some(last) = files.last_mut()
        && diff.len() >= 1024 * 1024 - 1
    {
        last.cut = true;
    }
    for file in changed {
        if !files.iter().any(|shown| shown.path == file.path) {
            files.push(DiffFile {
                path: file.path.clone(),
                change: change_name(file.kind),
                lines: Vec::new(),
                binary: false,
                cut: true,
            });
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_lines_are_classed() {
        let diff = "diff --git a/a b.txt b/a b.txt\nindex 1..2 100644\n--- a/a b.txt\n+++ b/a b.txt\n@@ -1 +1 @@\n-old\n+new\n ctx\n\
                    diff --git a/m.bin b/m.bin\nnew file mode 100644\nBinary files /dev/null and b/m.bin differ\n";
        let changed =
            vec![FileDiff { path: "m.bin".to_owned(), kind: FileChangeKind::Added, old_size: None, new_size: Some(3) }];
        let files = parse(diff, &changed);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path, "a b.txt");
        let classes: Vec<&str> = files[0].lines.iter().map(|line| line.class).collect();
        assert_eq!(classes, ["diff-hunk", "diff-del", "diff-add", "diff-ctx"]);
        assert!(files[1].binary && files[1].change == "added" && files[1].lines.is_empty());
    }
}
