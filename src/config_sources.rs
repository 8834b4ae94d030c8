//! Where each setting comes from: the keys roomd knows (those of the built-in
//! defaults), which layer set each one (default, file, environment), the `ROOMD_…`
//! environment variables that name no key, and the redaction of secrets for display.
//! Used by `roomd config check` (`cli/config_check.rs`) and by `serve`'s start-up
//! warning about unknown variables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use config::{Config, File, FileFormat, Value, ValueKind};

use crate::config::{config_file, environment, ConfigError, BUILTIN_DEFAULTS};

/// Which layer a setting's value comes from (the last one that sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Environment,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::File => "file",
            Self::Environment => "environment",
        }
    }
}

/// The prefix of every variable roomd reads; `ROOMD__SECTION__KEY` names `section.key`.
const ENV_PREFIX: &str = "ROOMD__";

/// Settings whose values are secrets, shown as `<redacted>` when set.
const SECRET_KEYS: &[&str] = &["auth.jwt_secret", "metrics.token"];
/// Settings that are URLs which may carry a password, shown with it replaced.
const URL_KEYS: &[&str] = &["database.url", "cluster.nats_url"];

/// Every layer, read separately.
pub struct Layers {
    /// The file layer's path, if there is one.
    pub file: Option<std::path::PathBuf>,
    defaults: BTreeMap<String, Value>,
    from_file: BTreeMap<String, Value>,
    from_env: BTreeMap<String, Value>,
    merged: Config,
}

/// A layer's problem, naming the key (or variable) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Layers {
    /// Reads the defaults, the file (as `Settings::load` picks it) and the environment.
    pub fn read(path: Option<&Path>) -> Result<Self, ConfigError> {
        let defaults_cfg = Config::builder().add_source(File::from_str(BUILTIN_DEFAULTS, FileFormat::Toml));
        let file = config_file(path)?;
        let mut merged = defaults_cfg.clone();
        let from_file = match &file {
            Some(f) => {
                merged = merged.add_source(File::from(f.as_path()));
                flatten(Config::builder().add_source(File::from(f.as_path())).build()?)
            }
            None => BTreeMap::new(),
        };
        let from_env = flatten(Config::builder().add_source(environment()).build()?);
        Ok(Self {
            file,
            defaults: flatten(defaults_cfg.build()?),
            from_file,
            from_env,
            merged: merged.add_source(environment()).build()?,
        })
    }

    /// Every known key, in the order of the defaults (section by section, sorted).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.defaults.keys().map(String::as_str)
    }

    /// The layer that set `key` last.
    pub fn source(&self, key: &str) -> Source {
        if self.from_env.contains_key(key) {
            Source::Environment
        } else if self.from_file.contains_key(key) {
            Source::File
        } else {
            Source::Default
        }
    }

    /// `key`'s effective value as JSON, secrets redacted.
    pub fn shown(&self, key: &str) -> String {
        let value = self.merged.get::<serde_json::Value>(key).unwrap_or(serde_json::Value::Null);
        redacted(key, value).to_string()
    }

    /// Keys the file sets that roomd does not know.
    pub fn unknown_file_keys(&self) -> Vec<Problem> {
        let file = self.file.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
        self.from_file
            .keys()
            .filter(|k| !self.defaults.contains_key(*k))
            .map(|k| Problem { key: k.clone(), message: format!("unknown key {k} in {file}") })
            .collect()
    }
}

/// `ROOMD_…` variables in this process's environment that set no known key: a single
/// underscore (`ROOMD_SERVER_BIND`, which roomd does not read at all) or a key that
/// does not exist (`ROOMD__SERVER__BINDD`).
pub fn unknown_env_vars() -> Vec<Problem> {
    let known: BTreeSet<String> = Config::builder()
        .add_source(File::from_str(BUILTIN_DEFAULTS, FileFormat::Toml))
        .build()
        .map(flatten)
        .unwrap_or_default()
        .into_keys()
        .collect();
    let mut problems: Vec<Problem> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.to_ascii_uppercase().starts_with("ROOMD_"))
        .filter_map(|var| {
            let Some(rest) =
                var.get(ENV_PREFIX.len()..).filter(|_| var.to_ascii_uppercase().starts_with(ENV_PREFIX))
            else {
                let message = format!(
                    "{var} is not read: settings are ROOMD__SECTION__KEY, with two underscores \
                     (e.g. ROOMD__SERVER__BIND for server.bind)"
                );
                return Some(Problem { key: var, message });
            };
            let key = rest.to_ascii_lowercase().replace("__", ".");
            (!known.contains(&key))
                .then(|| Problem { message: format!("{var} names {key}, which is not a setting"), key: var })
        })
        .collect();
    problems.sort_by(|a, b| a.key.cmp(&b.key));
    problems
}

/// `value` for display: a secret's value replaced, a URL's password replaced.
fn redacted(key: &str, value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) if SECRET_KEYS.contains(&key) && !s.is_empty() => "<redacted>".into(),
        serde_json::Value::String(s) if URL_KEYS.contains(&key) => redact_url_password(&s).into(),
        v => v,
    }
}

/// `scheme://user:password@host…` with the password replaced by `***`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_string() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// `section.key → value` for every leaf of `cfg` (tables flattened; arrays are leaves).
fn flatten(cfg: Config) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, map: config::Map<String, Value>, out: &mut BTreeMap<String, Value>) {
        for (k, v) in map {
            let key = if prefix.is_empty() { k } else { format!("{prefix}.{k}") };
            match v.kind {
                ValueKind::Table(t) => walk(&key, t, out),
                _ => {
                    out.insert(key, v);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Ok(map) = cfg.try_deserialize::<config::Map<String, Value>>() {
        walk("", map, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_url_password("postgres://app:s3cr3t@db:5432/roomd"),
            "postgres://app:***@db:5432/roomd"
        );
        assert_eq!(redact_url_password("postgres://app@db/roomd"), "postgres://app@db/roomd");
        assert_eq!(redact_url_password("sqlite://data/roomd.db"), "sqlite://data/roomd.db");
        assert_eq!(redact_url_password("nats://u:p@h:4222"), "nats://u:***@h:4222");
    }

    #[test]
    fn secrets_are_redacted_only_when_set() {
        assert_eq!(redacted("auth.jwt_secret", "x".into()), serde_json::json!("<redacted>"));
        assert_eq!(redacted("auth.jwt_secret", "".into()), serde_json::json!(""));
        assert_eq!(redacted("server.bind", "127.0.0.1:1".into()), serde_json::json!("127.0.0.1:1"));
    }
}
