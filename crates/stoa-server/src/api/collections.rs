//! Collections (hub-api.md §4.11): `list_collections`, `get_collection`, `create_collection`,
//! `update_collection_metadata`, `delete_collection`, `add_collection_item`,
//! `update_collection_item` and `delete_collection_item`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use stoa_core::CoreError;
use stoa_core::collab::collection_store::{Collection, CollectionPatch, CollectionSort, ItemTarget};
use stoa_core::collab::collections::{CreateCollection, CreateOutcome};
use stoa_types::RepoType;

use crate::AppState;
use crate::api::{parse_json, read_body};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

fn collection_json(collection: &Collection, with_position: bool) -> Value {
    let items: Vec<Value> = collection
        .items
        .iter()
        .map(|item| {
            let mut value = match &item.target {
                ItemTarget::Repo(repo) => json!({
                    "_id": item.id,
                    "id": repo.full_name(),
                    "type": repo.repo_type.as_str(),
                    "position": item.position,
                    "author": repo.namespace,
                    "private": repo.private,
                    "downloads": repo.downloads,
                    "likes": repo.likes,
                    "lastModified": stoa_types::time::format_unix(repo.last_modified),
                }),
                ItemTarget::Collection(child) => json!({
                    "_id": item.id,
                    "id": child.id,
                    "slug": child.slug,
                    "type": "collection",
                    "title": child.title,
                    "position": item.position,
                    "private": child.private,
                    "lastUpdated": stoa_types::time::format_millis(child.updated_at),
                }),
            };
            if let Some(note) = &item.note {
                value["note"] = json!({"text": note});
            }
            value
        })
        .collect();
    let mut value = json!({
        "slug": collection.slug,
        "title": collection.title,
        "owner": {"name": collection.owner, "type": "user"},
        "items": items,
        "lastUpdated": stoa_types::time::format_millis(collection.updated_at),
        "private": collection.private,
        "theme": collection.theme,
        "upvotes": collection.upvotes,
        "isUpvotedByUser": false,
        "gating": false,
    });
    if let Some(description) = &collection.description {
        value["description"] = description.clone().into();
    }
    // The client numbers listed collections itself; a `position` key there breaks it.
    if with_position {
        value["position"] = collection.position.into();
    }
    value
}

fn slug(namespace: &str, rest: &str) -> String {
    format!("{namespace}/{rest}")
}

/// `GET /api/collections?owner=&item=&sort=&limit=`.
pub(crate) async fn list_collections(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let query = QueryParams::parse(raw.as_deref());
    let item = match query.get("item") {
        Some(item) => {
            let (plural, id) =
                item.split_once('/').ok_or_else(|| ApiError::bad_request("item must be <type>s/<id>"))?;
            let repo_type = RepoType::from_plural(plural).ok_or_else(|| ApiError::bad_request("unknown item type"))?;
            Some((repo_type, id.to_owned()))
        }
        None => None,
    };
    let sort = match query.get("sort") {
        Some("upvotes" | "trending") => CollectionSort::Upvotes,
        _ => CollectionSort::LastModified,
    };
    let limit = query.get("limit").and_then(|limit| limit.parse().ok()).unwrap_or(100);
    let collections = state
        .hub
        .list_collections(
            &caller.principal,
            query.get("owner"),
            item.as_ref().map(|(t, id)| (*t, id.as_str())),
            sort,
            limit,
        )
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(collections.iter().map(|collection| collection_json(collection, false)).collect()))
}

#[derive(Debug, serde::Deserialize)]
struct CreateBody {
    title: String,
    namespace: String,
    #[serde(default)]
    private: bool,
    description: Option<String>,
}

pub(crate) async fn create_collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: CreateBody = parse_json(&read_body(body).await?)?;
    let create = CreateCollection {
        namespace: request.namespace,
        title: request.title,
        description: request.description,
        private: request.private,
    };
    match state.hub.create_collection(&caller.principal, create).await.map_err(|error| caller.fail(error))? {
        CreateOutcome::Created(collection) => Ok(Json(collection_json(&collection, true))),
        // With exists_ok the client reads the existing slug from this 409.
        CreateOutcome::Exists(existing) => Err(caller
            .fail(CoreError::Conflict("You already have a collection with this title".to_owned()))
            .with_body_field("slug", existing.slug.into())),
    }
}

pub(crate) async fn get_collection(
    State(state): State<AppState>,
    Path((namespace, rest)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let collection = state
        .hub
        .get_collection(&caller.principal, &slug(&namespace, &rest))
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(collection_json(&collection, true)))
}

#[derive(Debug, serde::Deserialize)]
struct PatchBody {
    title: Option<String>,
    description: Option<String>,
    private: Option<bool>,
    theme: Option<String>,
    position: Option<i64>,
}

pub(crate) async fn update_collection(
    State(state): State<AppState>,
    Path((namespace, rest)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: PatchBody = parse_json(&read_body(body).await?)?;
    let patch = CollectionPatch {
        title: request.title,
        slug: None,
        description: request.description,
        private: request.private,
        theme: request.theme,
        position: request.position,
    };
    let collection = state
        .hub
        .update_collection(&caller.principal, &slug(&namespace, &rest), patch)
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({"data": collection_json(&collection, true)})))
}

pub(crate) async fn delete_collection(
    State(state): State<AppState>,
    Path((namespace, rest)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    state
        .hub
        .delete_collection(&caller.principal, &slug(&namespace, &rest))
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}

#[derive(Debug, serde::Deserialize)]
struct ItemRef {
    id: String,
    #[serde(rename = "type")]
    item_type: String,
}

#[derive(Debug, serde::Deserialize)]
struct AddItemBody {
    item: ItemRef,
    note: Option<String>,
}

pub(crate) async fn add_collection_item(
    State(state): State<AppState>,
    Path((namespace, rest)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: AddItemBody = parse_json(&read_body(body).await?)?;
    let collection = state
        .hub
        .add_collection_item(
            &caller.principal,
            &slug(&namespace, &rest),
            &request.item.item_type,
            &request.item.id,
            request.note.as_deref(),
        )
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(collection_json(&collection, true)))
}

#[derive(Debug, serde::Deserialize)]
struct UpdateItemBody {
    note: Option<String>,
    position: Option<i64>,
}

pub(crate) async fn update_collection_item(
    State(state): State<AppState>,
    Path((namespace, rest, item_id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: UpdateItemBody = parse_json(&read_body(body).await?)?;
    state
        .hub
        .update_collection_item(
            &caller.principal,
            &slug(&namespace, &rest),
            &item_id,
            request.note.as_deref(),
            request.position,
        )
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}

pub(crate) async fn delete_collection_item(
    State(state): State<AppState>,
    Path((namespace, rest, item_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    state
        .hub
        .delete_collection_item(&caller.principal, &slug(&namespace, &rest), &item_id)
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}
