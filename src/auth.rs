//! Bearer authentication: opaque tokens (random secrets, stored as SHA-256 hashes) and
//! HS256 JWTs. Both resolve to an [`Identity`].

use std::sync::Arc;

use rand::distr::{Alphanumeric, SampleString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, HasCode};
use crate::model::{now_ms, UserKind, UserRef};
use crate::store::tokens::TokenRow;
use crate::store::{Store, StoreError};

/// Prefix of every opaque secret, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "rmd_";

/// Who a bearer token speaks for.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: UserRef,
    pub roles: Vec<String>,
    /// The opaque token's id (None for JWTs); revoking it ends the sessions it opened.
    pub token_id: Option<String>,
}

impl Identity {
    pub fn is_admin(&self) -> bool {
        self.user.kind == UserKind::Admin
    }
}

/// Why a request is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid or revoked token")]
    Invalid,
    #[error("token expired")]
    Expired,
    #[error("admin token required")]
    NotAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HasCode for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Missing | Self::Invalid | Self::Expired => ErrorCode::Unauthorized,
            Self::NotAdmin => ErrorCode::Forbidden,
            Self::Store(e) => e.code(),
        }
    }
}

/// A new opaque token: the row to store and the secret to show once.
pub struct IssuedToken {
    pub row: TokenRow,
    pub secret: String,
}

/// Makes a token for `kind`/`name`; the caller stores `row` and shows `secret` once.
pub fn issue_token(kind: UserKind, name: &str, roles: &[String]) -> IssuedToken {
    let mut rng = rand::rng();
    let secret = format!("{SECRET_PREFIX}{}", Alphanumeric.sample_string(&mut rng, 40));
    let id = format!("tok_{}", Alphanumeric.sample_string(&mut rng, 16).to_lowercase());
    let row = TokenRow {
        id,
        kind: kind.as_str().to_string(),
        name: name.to_string(),
        roles: serde_json::to_string(roles).unwrap_or_else(|_| "[]".into()),
        secret_hash: hash_secret(&secret),
        created_at: now_ms(),
        revoked_at: None,
    };
    IssuedToken { row, secret }
}

/// Hex SHA-256 of a secret. Secrets are 238 bits of randomness, so a plain hash is
/// enough (no password stretching needed).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[derive(Debug, Deserialize)]
struct JwtClaims {
    sub: String,
    name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    /// Extension: "bot" makes a bot identity; anything else is a user.
    kind: Option<String>,
}

/// Verifies bearer tokens against the store and the JWT secret.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    jwt_key: Option<Arc<jsonwebtoken::DecodingKey>>,
}

impl Authenticator {
    pub fn new(store: Store, jwt_secret: &str) -> Self {
        let jwt_key = (!jwt_secret.is_empty())
            .then(|| Arc::new(jsonwebtoken::DecodingKey::from_secret(jwt_secret.as_bytes())));
        Self { store, jwt_key }
    }

    /// Resolves a bearer token: opaque secrets by hash lookup, anything else as a JWT.
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if token.starts_with(SECRET_PREFIX) {
            return self.verify_opaque(token).await;
        }
        self.verify_jwt(token)
    }

    async fn verify_opaque(&self, token: &str) -> Result<Identity, AuthError> {
        let hash = hash_secret(token);
        let row = self
            .store
            .run(move |c| TokenRow::find_live_by_hash(c, &hash))
            .await?
            .ok_or(AuthError::Invalid)?;
        let kind = UserKind::parse(&row.kind).ok_or(AuthError::Invalid)?;
        Ok(Identity {
            roles: row.role_list(),
            user: UserRef { id: row.name.clone(), name: row.name, kind },
            token_id: Some(row.id),
        })
    }

    fn verify_jwt(&self, token: &str) -> Result<Identity, AuthError> {
        let key = self.jwt_key.as_ref().ok_or(AuthError::Invalid)?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 0;
        let data =
            jsonwebtoken::decode::<JwtClaims>(token, key, &validation).map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })?;
        let c = data.claims;
        if c.sub.is_empty() || c.sub.contains('\0') {
            return Err(AuthError::Invalid);
        }
        let kind = match c.kind.as_deref() {
            Some("bot") => UserKind::Bot,
            _ => UserKind::User,
        };
        Ok(Identity {
            user: UserRef { name: c.name.unwrap_or_else(|| c.sub.clone()), id: c.sub, kind },
            roles: c.roles,
            token_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_secrets_are_prefixed_and_only_their_hash_is_kept() {
        let t = issue_token(UserKind::Bot, "helper", &["x".into()]);
        assert!(t.secret.starts_with(SECRET_PREFIX));
        assert_eq!(t.secret.len(), SECRET_PREFIX.len() + 40);
        assert_eq!(t.row.secret_hash, hash_secret(&t.secret));
        assert!(!t.row.secret_hash.contains(&t.secret[4..]));
        assert_eq!(t.row.roles, r#"["x"]"#);
    }
}
