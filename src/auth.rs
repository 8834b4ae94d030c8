//! Bearer authentication: opaque tokens (random secrets, stored as SHA-256 hashes) and
//! HS256 JWTs. Both resolve to an [`Identity`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ErrorCode, HasCode};
use crate::ids::{new_token_id, new_token_secret, SECRET_PREFIX};
use crate::model::{check_user_id, now_ms, InvalidUserId, UserKind, UserRef, MAX_ID_CHARS};
use crate::protocol::close::CloseCode;
use crate::store::tokens::TokenRow;
use crate::store::{Store, StoreError};

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
    /// A token in `?token=` where only the header is read (admin API, metrics).
    #[error(
        "missing bearer token: send it in the Authorization header (`Authorization: Bearer …`); \
             `?token=` is read only by GET /ws"
    )]
    TokenInQuery,
    #[error("invalid token")]
    Invalid,
    #[error("token revoked")]
    Revoked,
    #[error("token expired")]
    Expired,
    #[error("admin token required")]
    NotAdmin,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A JWT `sub` (or an opaque token's name) that is not a valid user id.
    #[error("the token's user id {0}")]
    Subject(InvalidUserId),
    /// Another JWT claim the server cannot accept (`name`, `roles`).
    #[error("the token's {0}")]
    Claim(&'static str),
}

impl HasCode for AuthError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Missing | Self::TokenInQuery | Self::Invalid | Self::Revoked | Self::Expired => {
                ErrorCode::Unauthorized
            }
            Self::NotAdmin => ErrorCode::Forbidden,
            Self::Store(e) => e.code(),
            Self::Subject(_) | Self::Claim(_) => ErrorCode::Unauthorized,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Store(e) => e.public_message(),
            other => other.to_string(),
        }
    }
}

impl AuthError {
    /// The close code a WebSocket client is told this with, when it is told after the
    /// upgrade (`http::ws`); `None` for a store outage, which stays an HTTP 503.
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            Self::Expired => Some(CloseCode::TokenExpired),
            Self::Revoked => Some(CloseCode::TokenRevoked),
            Self::Missing | Self::TokenInQuery | Self::Invalid | Self::NotAdmin => {
                Some(CloseCode::Unauthorized)
            }
            Self::Subject(_) | Self::Claim(_) => Some(CloseCode::Unauthorized),
            Self::Store(_) => None,
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
    let secret = new_token_secret();
    let row = TokenRow {
        id: new_token_id(),
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

/// The claims roomd reads from a JWT (and writes in the ones `roomd token jwt` mints).
#[derive(Debug, Deserialize, Serialize)]
struct JwtClaims {
    sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<String>,
    /// Extension: "bot" makes a bot identity; anything else is a user.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// Expiry, seconds since the epoch (required when verifying).
    #[serde(default)]
    exp: u64,
}

/// A JWT for `sub` that expires after `ttl`, signed with `secret` (HS256): what an
/// application's backend hands its browser clients, minted here by `roomd token jwt`.
/// The claims are checked as [`Authenticator::verify`] checks them.
pub fn mint_jwt(
    secret: &str,
    sub: &str,
    name: Option<&str>,
    kind: UserKind,
    roles: &[String],
    ttl: Duration,
) -> Result<String, AuthError> {
    check_claims(sub, name, roles)?;
    let claims = JwtClaims {
        sub: sub.to_string(),
        name: name.map(str::to_string),
        roles: roles.to_vec(),
        kind: (kind == UserKind::Bot).then(|| "bot".to_string()),
        exp: u64::try_from(now_ms()).unwrap_or(0) / 1000 + ttl.as_secs(),
    };
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)
        .map_err(|_| AuthError::Claim("claims could not be signed"))
}

/// Verifies bearer tokens against the store and the JWT secret.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    jwt_key: Option<Arc<jsonwebtoken::DecodingKey>>,
    cache: Arc<TokenCache>,
}

/// Opaque tokens verified recently: secret hash → identity and when it was read.
/// Only tokens the store said are live get in, so the map is bounded by the number
/// of live tokens in use; `forget_all` (every revoke) empties it.
struct TokenCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Identity, Instant)>>,
    /// Bumped by every `forget_all`: a lookup that read the store before a revoke
    /// must not put its (now stale) answer back in after the revoke emptied the map.
    generation: AtomicU64,
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Identity> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let (identity, at) = entries.get(hash)?;
        (at.elapsed() < self.ttl).then(|| identity.clone())
    }

    fn put(&self, hash: String, identity: &Identity, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(hash, (identity.clone(), Instant::now()));
        }
    }

    fn forget_all(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

impl Authenticator {
    pub fn new(store: Store, jwt_secret: &str, token_cache: Duration) -> Self {
        let jwt_key = (!jwt_secret.is_empty())
            .then(|| Arc::new(jsonwebtoken::DecodingKey::from_secret(jwt_secret.as_bytes())));
        let cache = Arc::new(TokenCache {
            ttl: token_cache,
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        });
        Self { store, jwt_key, cache }
    }

    /// Forgets every remembered opaque token, so the next use of each reads the store.
    /// Called before a revoke is answered.
    pub fn forget_verified(&self) {
        self.cache.forget_all();
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
        if let Some(identity) = self.cache.get(&hash) {
            return Ok(identity);
        }
        let generation = self.cache.generation.load(Ordering::Acquire);
        let key = hash.clone();
        let row =
            self.store.run(move |c| TokenRow::find_by_hash(c, &key)).await?.ok_or(AuthError::Invalid)?;
        if row.revoked_at.is_some() {
            // Only the holder of the secret can learn this: its hash matched.
            return Err(AuthError::Revoked);
        }
        let kind = UserKind::parse(&row.kind).ok_or(AuthError::Invalid)?;
        // Tokens made before the rule (or by hand) may bear a reserved name.
        check_user_id(&row.name).map_err(AuthError::Subject)?;
        let identity = Identity {
            roles: row.role_list(),
            user: UserRef { id: row.name.clone(), name: row.name, kind },
            token_id: Some(row.id),
        };
        self.cache.put(hash, &identity, generation);
        Ok(identity)
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
        check_claims(&c.sub, c.name.as_deref(), &c.roles)?;
        let kind = match c.kind.as_deref() {
            Some("bot") => UserKind::Bot,
            _ => UserKind::User,
        };
        Ok(Identity {
            user: UserRef {
                // A blank name counts as none.
                name: c.name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| c.sub.clone()),
                id: c.sub,
                kind,
            },
            roles: c.roles,
            token_id: None,
        })
    }
}

/// The claims the server can accept: a valid user id, a `name` and `roles` it can
/// store. Checked on every JWT verified and every one `mint_jwt` makes.
fn check_claims(sub: &str, name: Option<&str>, roles: &[String]) -> Result<(), AuthError> {
    check_user_id(sub).map_err(AuthError::Subject)?;
    if name.is_some_and(|n| !fits(n)) {
        return Err(AuthError::Claim("name must be at most 64 characters, without NUL"));
    }
    if roles.iter().any(|r| r.is_empty() || !fits(r)) {
        return Err(AuthError::Claim("roles must each be 1 to 64 characters, without NUL"));
    }
    Ok(())
}

/// At most `MAX_ID_CHARS` characters and no NUL (what the store can hold as a name).
fn fits(s: &str) -> bool {
    s.chars().count() <= MAX_ID_CHARS && !s.contains('\0')
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

    #[tokio::test]
    async fn a_minted_jwt_verifies_as_its_claims_and_not_with_another_secret() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 1, Duration::from_secs(5)).unwrap();
        let jwt =
            mint_jwt("s3cret", "bob", Some("Bob"), UserKind::Bot, &["vip".into()], Duration::from_secs(60))
                .unwrap();
        let id = Authenticator::new(store.clone(), "s3cret", Duration::ZERO).verify(&jwt).await.unwrap();
        assert_eq!((id.user.id.as_str(), id.user.name.as_str(), id.user.kind), ("bob", "Bob", UserKind::Bot));
        assert_eq!(id.roles, ["vip"]);
        let other = Authenticator::new(store, "other", Duration::ZERO).verify(&jwt).await;
        assert!(matches!(other, Err(AuthError::Invalid)), "{other:?}");
        assert!(mint_jwt("s3cret", "system", None, UserKind::User, &[], Duration::from_secs(60)).is_err());
    }
}
