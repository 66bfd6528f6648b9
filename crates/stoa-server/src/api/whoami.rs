//! `GET /api/whoami-v2`.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::json;
use stoa_core::CoreError;
use stoa_core::access::Principal;
use stoa_types::wire::{AccessTokenInfo, WhoAmI, WhoAmIAuth};

use crate::AppState;
use crate::auth::principal;
use crate::error::{ApiError, ApiResult};

pub(crate) async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<WhoAmI>> {
    let Principal::User { user, token, memberships } = principal(&state, &headers).await? else {
        return Err(ApiError::new(
            CoreError::Unauthenticated("You must be authenticated to access this resource".to_owned()),
            true,
        ));
    };
    Ok(Json(WhoAmI {
        kind: "user",
        avatar_url: String::new(),
        id: user.id,
        name: user.name,
        fullname: user.fullname,
        email: user.email,
        email_verified: false,
        is_pro: false,
        can_pay: false,
        period_end: None,
        orgs: memberships
            .iter()
            .map(|membership| {
                json!({
                    "type": "org",
                    "id": membership.org_id,
                    "name": membership.org_name,
                    "fullname": membership.org_fullname,
                    "avatarUrl": "",
                    "roleInOrg": membership.role.as_str(),
                })
            })
            .collect(),
        auth: WhoAmIAuth {
            kind: "access_token",
            access_token: AccessTokenInfo {
                display_name: token.name,
                role: token.role.as_str().to_owned(),
                created_at: stoa_types::time::format_unix(token.created_at),
                expiration: token.expires_at.map(stoa_types::time::format_unix),
                fine_grained: token.scopes.as_ref().and_then(|scopes| serde_json::to_value(scopes).ok()),
            },
        },
    }))
}
