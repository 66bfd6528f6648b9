//! Query strings the way the client writes them: repeated keys for lists (`filter=a&filter=b`),
//! the bracket form `expand[]=x` as well, and booleans as the strings `true` / `false`.

#[derive(Debug, Default, Clone)]
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(key, value)| {
                let key = key.strip_suffix("[]").map(str::to_owned).unwrap_or_else(|| key.into_owned());
                (key, value.into_owned())
            })
            .collect();
        Self { pairs }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
    }

    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.pairs.iter().filter(|(name, _)| name == key).map(|(_, value)| value.clone()).collect()
    }

    /// `true`/`1` are true; anything else, or absence, is false (never "present means true").
    pub(crate) fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }

    /// The same query with `key` replaced, for `Link` next pages.
    pub(crate) fn with(&self, key: &str, value: &str) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (name, existing) in &self.pairs {
            if name != key {
                serializer.append_pair(name, existing);
            }
        }
        serializer.append_pair(key, value);
        serializer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_flags() {
        let query = QueryParams::parse(Some("filter=a&filter=b&expand[]=sha&recursive=false&full=true"));
        assert_eq!(query.all("filter"), vec!["a", "b"]);
        assert_eq!(query.all("expand"), vec!["sha"]);
        assert!(!query.flag("recursive"));
        assert!(query.flag("full"));
        assert_eq!(query.with("cursor", "10"), "filter=a&filter=b&expand=sha&recursive=false&full=true&cursor=10");
    }
}
