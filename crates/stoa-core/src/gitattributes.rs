//! Which paths are large-file (LFS) paths, and which are ignored, as `.gitattributes` and
//! `.gitignore` say. New repos start with the Hub's default rules.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use stoa_types::RepoType;

const LFS_EXTENSIONS: &[&str] = &[
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.lfs.*",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "saved_model/**/*",
    "*.tar.*",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
];

/// Media that dataset repos also route to LFS by default.
const DATASET_MEDIA: &[&str] = &[
    "*.mds", "*.pcm", "*.sam", "*.raw", "*.aac", "*.flac", "*.mp3", "*.ogg", "*.wav", "*.bmp", "*.gif", "*.png",
    "*.tiff", "*.jpg", "*.jpeg", "*.webp",
];

const LFS_ATTRIBUTES: &str = "filter=lfs diff=lfs merge=lfs -text";

/// The `.gitattributes` of a freshly created repo.
#[must_use]
pub fn default_gitattributes(repo_type: RepoType) -> String {
    let mut text = String::new();
    let media: &[&str] = if repo_type == RepoType::Dataset { DATASET_MEDIA } else { &[] };
    for pattern in LFS_EXTENSIONS.iter().chain(media) {
        text.push_str(pattern);
        text.push(' ');
        text.push_str(LFS_ATTRIBUTES);
        text.push('\n');
    }
    text
}

/// The line that routes one more path to LFS (written when a commit adds an LFS file that no
/// rule covers, as the Hub does).
#[must_use]
pub fn lfs_rule_for(path: &str) -> String {
    let escaped: String = path
        .chars()
        .flat_map(|c| match c {
            ' ' => vec!['[', '[', ':', 's', 'p', 'a', 'c', 'e', ':', ']', ']'],
            '*' | '?' | '[' | '\\' | '#' | '!' => vec!['\\', c],
            other => vec![other],
        })
        .collect();
    format!("{escaped} {LFS_ATTRIBUTES}\n")
}

/// LFS routing rules read from a `.gitattributes` file.
#[derive(Debug)]
pub struct LfsRules {
    matcher: Gitignore,
}

impl LfsRules {
    /// Later lines override earlier ones, as in git; `-filter` and `!filter` unset the rule.
    #[must_use]
    pub fn parse(gitattributes: &str) -> Self {
        let mut builder = GitignoreBuilder::new("");
        for line in gitattributes.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let mut decision = None;
            for attribute in parts {
                if attribute == "filter=lfs" {
                    decision = Some(true);
                } else if attribute == "-filter" || attribute == "!filter" || attribute.starts_with("filter=") {
                    decision = Some(false);
                }
            }
            let pattern = pattern.replace("[[:space:]]", " ");
            // An invalid glob in a user's file must not break commits: it simply matches nothing.
            let _ = match decision {
                Some(true) => builder.add_line(None, &pattern),
                Some(false) => builder.add_line(None, &format!("!{pattern}")),
                None => continue,
            };
        }
        let matcher = builder.build().unwrap_or_else(|_| Gitignore::empty());
        Self { matcher }
    }

    #[must_use]
    pub fn is_lfs(&self, path: &str) -> bool {
        // Attributes apply to the path itself, never through a parent folder (unlike ignores).
        self.matcher.matched(path, false).is_ignore()
    }
}

/// `.gitignore` rules, used by preupload to answer `shouldIgnore`.
#[derive(Debug)]
pub struct IgnoreRules {
    matcher: Gitignore,
}

impl IgnoreRules {
    #[must_use]
    pub fn parse(gitignore: &str) -> Self {
        let mut builder = GitignoreBuilder::new("");
        for line in gitignore.lines() {
            let _ = builder.add_line(None, line);
        }
        let matcher = builder.build().unwrap_or_else(|_| Gitignore::empty());
        Self { matcher }
    }

    #[must_use]
    pub fn is_ignored(&self, path: &str) -> bool {
        self.matcher.matched_path_or_any_parents(path, false).is_ignore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_route_weights_to_lfs() {
        let rules = LfsRules::parse(&default_gitattributes(RepoType::Model));
        for path in
            ["model.bin", "sub/dir/weights.safetensors", "saved_model/a/b.txt", "x.tar.gz", "events.out.tfevents.1"]
        {
            assert!(rules.is_lfs(path), "{path}");
        }
        for path in ["config.json", "README.md", "bin/readme"] {
            assert!(!rules.is_lfs(path), "{path}");
        }
        assert!(!rules.is_lfs("a.png"));
        assert!(LfsRules::parse(&default_gitattributes(RepoType::Dataset)).is_lfs("img/a.png"));
    }

    #[test]
    fn later_lines_override() {
        let rules = LfsRules::parse("*.bin filter=lfs\nsmall.bin -filter\n");
        assert!(rules.is_lfs("big.bin"));
        assert!(!rules.is_lfs("small.bin"));
        let rules = LfsRules::parse(&lfs_rule_for("my file*.txt"));
        assert!(rules.is_lfs("my file*.txt"));
        assert!(!rules.is_lfs("my fileX.txt"));
    }

    #[test]
    fn gitignore_matches_nested() {
        let rules = IgnoreRules::parse("nested/*\n");
        assert!(rules.is_ignored("nested/file.bin"));
        assert!(!rules.is_ignored("file.bin"));
    }
}
