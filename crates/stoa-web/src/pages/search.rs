//! Search pages (`/models`, `/datasets`, `/spaces`) with facets and sort.
//!
//! Filters are repo tags, shaped as the list API and the card's derived tags shape them
//! (`cards::tags`): a model's task, library and languages are bare tags (`text-classification`,
//! `transformers`, `en`), its licence `license:mit`; a dataset's are `task_categories:...`,
//! `library:...`, `language:...`, `license:...`; a space's SDK is a bare tag.

use askama::Template;
use stoa_core::cards::vocab::{LANGUAGES, MODEL_LIBRARIES, PIPELINE_TAGS};
use stoa_core::ports::{Repo, RepoQuery, RepoSort};
use stoa_types::RepoType;

use super::listing::{RepoItem, query};
use super::{Chrome, Ctx, PageResult, render};

/// Results per page.
const PAGE_SIZE: u64 = 30;
/// Facet counts are computed from the tags of at most this many matches (the first ones in the
/// chosen order): counting every match of a large hub would read every row on each page view.
const FACET_SCAN: u64 = 500;
/// Values shown per facet, the most frequent first.
const FACET_VALUES: usize = 12;
/// Deepest page served (offsets beyond are not worth a query).
const MAX_PAGE: u64 = 10_000;
const MAX_TERMS: usize = 8;
const MAX_PARAM_CHARS: usize = 200;
const SPACE_SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];
/// The facet parameters, in the order the page shows them.
const FACET_PARAMS: [&str; 4] = ["pipeline_tag", "library", "license", "language"];

/// The `sort` values the form offers, with labels; the first is the default.
const SORTS: &[(&str, &str)] = &[
    ("trending", "Trending"),
    ("likes", "Most likes"),
    ("downloads", "Most downloads"),
    ("modified", "Recently updated"),
    ("created", "Recently created"),
];

/// "Trending" is the last 30 days' downloads, and so is "downloads": the store keeps only the
/// rolling 30-day count to sort on (the Hub's listed downloads are the same 30-day figure).
fn repo_sort(sort: &str) -> RepoSort {
    match sort {
        "likes" => RepoSort::Likes,
        "modified" => RepoSort::LastModified,
        "created" => RepoSort::CreatedAt,
        _ => RepoSort::Downloads,
    }
}

/// The facets a repo type has: (parameter, label). A space's "library" is its SDK.
fn facets_of(repo_type: RepoType) -> &'static [(&'static str, &'static str)] {
    match repo_type {
        RepoType::Model | RepoType::Dataset => {
            &[("pipeline_tag", "Tasks"), ("library", "Libraries"), ("license", "Licenses"), ("language", "Languages")]
        }
        RepoType::Space => {
            &[("pipeline_tag", "Tasks"), ("library", "SDKs"), ("license", "Licenses"), ("language", "Languages")]
        }
    }
}

/// The tag a filter value stands for.
fn tag_for(repo_type: RepoType, param: &str, value: &str) -> String {
    match (repo_type, param) {
        (RepoType::Dataset, "pipeline_tag") => format!("task_categories:{value}"),
        (RepoType::Dataset, "library") => format!("library:{value}"),
        (RepoType::Dataset, "language") => format!("language:{value}"),
        (_, "license") => format!("license:{value}"),
        _ => value.to_owned(),
    }
}

/// The facet value a tag gives, if it belongs to facet `param`.
fn value_of<'t>(repo_type: RepoType, param: &str, tag: &'t str) -> Option<&'t str> {
    match (repo_type, param) {
        (_, "license") => tag.strip_prefix("license:"),
        (RepoType::Dataset, "pipeline_tag") => tag.strip_prefix("task_categories:"),
        (RepoType::Dataset, "library") => tag.strip_prefix("library:"),
        (RepoType::Dataset, "language") => tag.strip_prefix("language:"),
        (RepoType::Model, "library") => MODEL_LIBRARIES.contains(tag).then_some(tag),
        (RepoType::Space, "library") => SPACE_SDKS.contains(&tag).then_some(tag),
        // Spaces carry their card's own tags bare, as models do.
        (_, "pipeline_tag") => PIPELINE_TAGS.contains(tag).then_some(tag),
        (_, "language") => LANGUAGES.contains(tag).then_some(tag),
        _ => None,
    }
}

/// What the query string asks for.
#[derive(Debug, Clone, Default)]
struct Params {
    search: String,
    author: Option<String>,
    /// (parameter, value) of each active filter, in [`FACET_PARAMS`] order.
    filters: Vec<(&'static str, String)>,
    sort: String,
    page: u64,
}

impl Params {
    fn read(ctx: &Ctx<'_>, repo_type: RepoType) -> Self {
        let query = ctx.params();
        let text = |name: &str| {
            query
                .get(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(|value| value.chars().take(MAX_PARAM_CHARS).collect::<String>())
        };
        let known: Vec<&str> = facets_of(repo_type).iter().map(|(param, _)| *param).collect();
        let filters = FACET_PARAMS
            .iter()
            .filter(|param| known.contains(param))
            .filter_map(|param| text(param).map(|value| (*param, value)))
            .collect();
        let sort = text("sort").filter(|sort| SORTS.iter().any(|(key, _)| key == sort));
        Self {
            search: text("search").unwrap_or_default(),
            author: text("author"),
            filters,
            sort: sort.unwrap_or_else(|| SORTS[0].0.to_owned()),
            page: query.get("p").and_then(|page| page.parse().ok()).unwrap_or(0).min(MAX_PAGE),
        }
    }

    fn filter(&self, param: &str) -> Option<&str> {
        self.filters.iter().find(|(name, _)| *name == param).map(|(_, value)| value.as_str())
    }

    /// The page's URL with `param` set to `value` (or removed), back on the first page unless
    /// `param` is the page number itself.
    fn url_with(&self, base: &str, param: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("search", self.search.clone()));
        }
        if let Some(author) = &self.author {
            pairs.push(("author", author.clone()));
        }
        for (name, current) in &self.filters {
            pairs.push((name, current.clone()));
        }
        if self.sort != SORTS[0].0 {
            pairs.push(("sort", self.sort.clone()));
        }
        pairs.retain(|(name, _)| *name != param);
        if let Some(value) = value {
            pairs.push((param, value.to_owned()));
        }
        if pairs.is_empty() {
            return base.to_owned();
        }
        let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        format!("{base}?{query}")
    }

    fn repo_query(&self, repo_type: RepoType, offset: u64, limit: u64) -> RepoQuery {
        let mut repo_query = query(repo_type, repo_sort(&self.sort), limit);
        repo_query.offset = offset;
        repo_query.search = self.search.split_whitespace().take(MAX_TERMS).map(str::to_owned).collect();
        repo_query.author.clone_from(&self.author);
        repo_query.tags = self.filters.iter().map(|(param, value)| tag_for(repo_type, param, value)).collect();
        repo_query
    }
}

#[derive(Debug)]
struct FacetValue {
    value: String,
    count: usize,
    /// The page with this value as the facet's filter.
    url: String,
}

#[derive(Debug)]
struct Facet {
    param: &'static str,
    label: &'static str,
    /// The active filter's value and the page without it.
    active: Option<(String, String)>,
    values: Vec<FacetValue>,
}

#[derive(Debug)]
struct SortOption {
    key: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    heading: &'static str,
    base: String,
    search: String,
    /// The author filter and the page without it.
    author: Option<(String, String)>,
    sorts: Vec<SortOption>,
    facets: Vec<Facet>,
    results: Vec<RepoItem>,
    /// How many matches the facet scan saw, and whether it stopped at its cap.
    scanned: usize,
    scan_capped: bool,
    page: u64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

/// Counts each facet's values over the scanned repos (the active filter's own value included,
/// so its count shows).
fn count_facets(repo_type: RepoType, params: &Params, base: &str, scanned: &[Repo]) -> Vec<Facet> {
    facets_of(repo_type)
        .iter()
        .map(|(param, label)| {
            let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
            for repo in scanned {
                for tag in &repo.tags {
                    if let Some(value) = value_of(repo_type, param, tag) {
                        *counts.entry(value).or_default() += 1;
                    }
                }
            }
            let mut values: Vec<(&str, usize)> = counts.into_iter().collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let active = params.filter(param).map(|value| (value.to_owned(), params.url_with(base, param, None)));
            let values = values
                .into_iter()
                .filter(|(value, _)| params.filter(param) != Some(*value))
                .take(FACET_VALUES)
                .map(|(value, count)| FacetValue {
                    value: value.to_owned(),
                    count,
                    url: params.url_with(base, param, Some(value)),
                })
                .collect();
            Facet { param, label, active, values }
        })
        .collect()
}

pub(crate) async fn search(ctx: &Ctx<'_>, repo_type: RepoType) -> PageResult {
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let params = Params::read(ctx, repo_type);
    let base = format!("/{}", repo_type.plural());
    let scanned = hub.list_repos(principal, params.repo_query(repo_type, 0, FACET_SCAN)).await?;
    let scan_capped = scanned.len() as u64 >= FACET_SCAN;
    // One more than a page tells whether a next page exists. The scan already holds the page
    // when it reaches that far (or when it saw every match).
    let start = params.page * PAGE_SIZE;
    let end = start + PAGE_SIZE + 1;
    let page_repos: Vec<Repo> = if !scan_capped || end <= scanned.len() as u64 {
        let len = scanned.len();
        let from = usize::try_from(start).unwrap_or(len).min(len);
        let to = usize::try_from(end).unwrap_or(len).min(len);
        scanned[from..to].to_vec()
    } else {
        hub.list_repos(principal, params.repo_query(repo_type, start, PAGE_SIZE + 1)).await?
    };
    let has_next = page_repos.len() as u64 > PAGE_SIZE;
    let now = stoa_types::time::now_millis();
    let results = page_repos.iter().take(PAGE_SIZE as usize).map(|repo| RepoItem::new(repo, now)).collect();
    let page_url = |page: u64| params.url_with(&base, "p", (page > 0).then(|| page.to_string()).as_deref());
    let heading = match repo_type {
        RepoType::Model => "Models",
        RepoType::Dataset => "Datasets",
        RepoType::Space => "Spaces",
    };
    let mut chrome = ctx.chrome(heading);
    chrome.search.clone_from(&params.search);
    let page = SearchPage {
        chrome,
        heading,
        facets: count_facets(repo_type, &params, &base, &scanned),
        author: params.author.clone().map(|author| (author, params.url_with(&base, "author", None))),
        sorts: SORTS.iter().map(|(key, label)| SortOption { key, label, selected: *key == params.sort }).collect(),
        search: params.search.clone(),
        results,
        scanned: scanned.len(),
        scan_capped,
        page: params.page,
        previous_url: (params.page > 0).then(|| page_url(params.page - 1)),
        next_url: has_next.then(|| page_url(params.page + 1)),
        base,
    };
    render(&page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_the_tags_cards_derive() {
        assert_eq!(tag_for(RepoType::Model, "pipeline_tag", "text-classification"), "text-classification");
        assert_eq!(tag_for(RepoType::Model, "license", "mit"), "license:mit");
        assert_eq!(tag_for(RepoType::Dataset, "pipeline_tag", "translation"), "task_categories:translation");
        assert_eq!(tag_for(RepoType::Dataset, "language", "fr"), "language:fr");
        assert_eq!(value_of(RepoType::Model, "language", "en"), Some("en"));
        assert_eq!(value_of(RepoType::Model, "language", "license:mit"), None);
        assert_eq!(value_of(RepoType::Space, "library", "gradio"), Some("gradio"));
    }

    #[test]
    fn urls_keep_the_other_parameters() {
        let params = Params {
            search: "bert base".to_owned(),
            author: None,
            filters: vec![("license", "mit".to_owned())],
            sort: "likes".to_owned(),
            page: 2,
        };
        assert_eq!(
            params.url_with("/models", "language", Some("en")),
            "/models?search=bert+base&license=mit&sort=likes&language=en"
        );
        assert_eq!(params.url_with("/models", "license", None), "/models?search=bert+base&sort=likes");
    }
}
