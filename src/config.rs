//! Settings: `config/default.toml` (built into the binary as the base layer), then the
//! file given with `--config` (or `config/default.toml` in the working directory if it
//! exists), then `ROOMD__SECTION__KEY` environment variables. One struct per section.
//!
//! Files named in the settings (`FILE_KEYS`) are resolved once, here: a relative name
//! is relative to the directory of the file that names it. The compiled-in defaults
//! are `config/default.toml`, so theirs are relative to `config/` in the working
//! directory (as when that file is read from there); a name from the environment is
//! relative to the working directory.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::backoff::Backoff;

/// The defaults shipped in the repository, compiled in so the binary runs from any directory.
pub const BUILTIN_DEFAULTS: &str = include_str!("../config/default.toml");
/// Where the defaults are read from too, if present (relative to the working directory).
const DEFAULTS_FILE: &str = "config/default.toml";

/// All of roomd's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub store: StoreConfig,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub rooms: RoomsConfig,
    pub session: SessionConfig,
    pub supervisor: SupervisorConfig,
    pub metrics: MetricsConfig,
    pub debug: DebugConfig,
    pub welcome: WelcomeConfig,
    pub spam: SpamConfig,
    pub typing: TypingConfig,
    pub commands: CommandsConfig,
    pub broadcast: BroadcastConfig,
    pub scheduler: SchedulerConfig,
    pub cluster: ClusterConfig,
    pub webhooks: WebhooksConfig,
    pub hooks: HooksConfig,
}

/// `[server]`: the HTTP/WebSocket listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` gives a WebSocket client's address
    /// (`src/net.rs`); empty: the peer address is the client's.
    pub trusted_proxies: crate::net::TrustedProxies,
}

/// `[database]`: which store and how many connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://…`.
    pub url: String,
    pub pool_size: u32,
    pub connect_timeout_ms: u64,
    /// SQLite: above this size (MiB) the write-ahead log is checkpointed and started
    /// over between two commits (`src/store/checkpoint.rs`).
    pub sqlite_wal_max_mb: u64,
}

/// `[store]`: the group-commit writer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub batch_max_rows: usize,
    pub max_pending: usize,
    pub commit_timeout_ms: u64,
    pub mailbox_capacity: usize,
    /// After the first write arrives, wait up to this long for more before
    /// committing (0 = commit at once; the batch is whatever queued meanwhile).
    pub batch_max_delay_us: u64,
    /// Writers (transactions committing at once), rooms spread over them by a hash of
    /// the room id; 0 = by backend: 1 on SQLite (one write lock anyway), 4 on PostgreSQL.
    pub writers: usize,
}

/// `[log]`: slog output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: LogLevel,
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Lowest level written.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    #[serde(alias = "warn")]
    Warning,
    Error,
}

/// `[auth]`: bearer token verification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// HS256 secret for JWTs; empty disables JWT.
    pub jwt_secret: String,
    /// How long a verified opaque token is remembered, so an upgrade or admin request
    /// does not read the store each time; 0 = always read. Revoking through this
    /// process's API forgets every remembered token at once.
    pub token_cache_secs: u64,
}

/// `[limits]`: per-session limits announced in `hello`, and the admin API's rate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_text: usize,
    pub max_frame_bytes: usize,
    pub msgs_per_sec: u32,
    pub burst: u32,
    /// Admin API requests per second per admin token (token bucket refill rate).
    pub admin_per_sec: u32,
    /// Admin API requests one admin token may make at once before 429 `rate_limited`.
    pub admin_burst: u32,
    /// Policy violations (rate-limited frames, repeated texts, banned words) one
    /// session may commit within a minute; the one that reaches it closes the
    /// connection with 4002.
    pub max_violations: u32,
    /// WebSocket upgrade attempts per client IP per second (also the burst); over it
    /// the upgrade is answered 429 `rate_limited` with `Retry-After`.
    pub connects_per_ip_per_sec: u32,
    /// Whether loopback peers (127.0.0.0/8, ::1) are limited too; off by default so a
    /// load test or a reverse proxy on the same host is not refused.
    pub connects_limit_loopback: bool,
    /// Bytes written to one WebSocket connection that its client has not taken yet;
    /// past it the client is a slow consumer and the connection is aborted.
    pub max_outbound_bytes: usize,
    /// Open WebSocket sessions one token may have at once; 0 = no limit.
    pub max_sessions_per_token: usize,
    /// Open WebSocket sessions from one client IP at once; 0 = no limit.
    pub max_sessions_per_ip: usize,
    /// Whether loopback peers count toward `max_sessions_per_ip` (on by default).
    pub sessions_limit_loopback: bool,
    /// Open TCP connections (HTTP and WebSocket) past which new WebSocket upgrades
    /// are refused with 503; 0 = the process's open-file limit less a reserve.
    pub max_connections: usize,
}

/// `[rooms]`: room actors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomsConfig {
    pub auto_create: bool,
    pub max_replay: i64,
    pub tail_len: usize,
    pub mailbox_capacity: usize,
    pub dedupe_secs: u64,
    /// Threads running room actors; 0 = one per core.
    pub arbiters: usize,
    /// Rooms declared in this file are created or updated at start (see
    /// `rooms_file`); resolved by `Settings::load`; empty or missing: none.
    pub file: String,
    /// A room with no session and no pending work for this long stops its actor
    /// (started again on demand); 0 = never.
    pub idle_stop_secs: u64,
    /// Messages older than this many days are deleted (`actors/retention.rs`) in
    /// rooms without a `retention_days` setting; 0 = kept forever.
    pub retention_days: u32,
    /// How often the retention actor looks for messages to delete, in seconds.
    pub retention_check_secs: u64,
    /// Rows deleted per statement by the retention actor.
    pub retention_batch_rows: u32,
    /// Pause between two retention deletes, in milliseconds, so live writes get the
    /// store in between.
    pub retention_pause_ms: u64,
}

/// `[session]`: WebSocket session actors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub send_buffer: usize,
    pub heartbeat_ms: u64,
}

/// `[supervisor]`: how often a room may crash before it is quarantined.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisorConfig {
    /// Restarts allowed within `window_secs`; one more quarantines the room.
    pub max_restarts: u32,
    pub window_secs: u64,
    /// Backoff between restarts grows from `backoff_min_ms` to `backoff_max_ms`.
    pub backoff_min_ms: u64,
    pub backoff_max_ms: u64,
}

impl SupervisorConfig {
    /// The delay before the k-th restart in the window is `delay(k-1)`: the first at
    /// once, then `backoff_min_ms` doubling, capped at `backoff_max_ms`.
    pub fn restart_backoff(&self) -> Backoff {
        Backoff::doubling(
            Duration::from_millis(self.backoff_min_ms),
            Duration::from_millis(self.backoff_max_ms),
        )
    }
}

/// `[metrics]`: mailbox metering and the `/metrics` endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Count every actor's enqueued/handled messages (depth, max depth, handled).
    pub enabled: bool,
    /// Time one message in this many (wait and handler time); 0 = no timing.
    pub timing_sample: u64,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub token: String,
}

/// `[debug]`: switches for drills and tests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DebugConfig {
    /// Enables `POST /api/v1/rooms/{id}/crash` and the scheduler's test clock
    /// (`POST /api/v1/debug/clock`).
    pub fault_injection: bool,
}

/// `[welcome]`: the system message a room posts when someone joins it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WelcomeConfig {
    /// A user is welcomed to a room at most once within this many seconds (also
    /// across restarts: welcomes are recorded in the store).
    pub dedupe_secs: u64,
    /// Template used by rooms without a `welcome_template` setting; resolved by
    /// `Settings::load`; empty (the default) or missing: no welcome for those rooms.
    pub template_file: String,
}

/// `[spam]`: repeated-text limit per user per room (a room's `spam` setting overrides it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpamConfig {
    /// Sends of the same text one user may make to a room within `window_secs`; the
    /// next identical one is refused with a `notice` (0 = no limit).
    pub max_repeats: u32,
    pub window_secs: u64,
}

/// `[typing]`: typing indicators.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypingConfig {
    /// At most one `typing` with `active: true` per user per room is passed on within
    /// this many milliseconds; the others are dropped (`active: false` always passes).
    pub throttle_ms: u64,
}

/// `[commands]`: `!name` commands, built-in and bot-registered.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandsConfig {
    /// How long a bot has to answer a forwarded command (`send` with `reply_to`)
    /// before the invoker gets a `notice` saying it did not.
    pub timeout_ms: u64,
}

impl CommandsConfig {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }
}

/// `[broadcast]`: broadcast jobs (announcements to many rooms).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastConfig {
    /// Deliveries per second over all running jobs (the pace of fan-out), at least 1.
    pub rooms_per_sec: u32,
    /// First retry delay of a room that was unavailable; doubles per attempt, with jitter.
    pub retry_min_ms: u64,
    /// Largest retry delay.
    pub retry_max_ms: u64,
    /// Attempts per room before it is marked `failed` (at least 1).
    pub max_attempts: u32,
}

impl BroadcastConfig {
    /// The delay after attempt n is `jittered(n)`: `retry_min_ms · 2^(n-1)` capped at
    /// `retry_max_ms` (never below `retry_min_ms`), then between half and all of it.
    pub fn retry_backoff(&self) -> Backoff {
        let (min, max) = (self.retry_min_ms, self.retry_max_ms.max(self.retry_min_ms));
        Backoff::doubling(Duration::from_millis(min), Duration::from_millis(max))
    }
}

/// `[webhooks]`: delivery of events to webhook endpoints (docs/INTEGRATIONS.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// How often an idle endpoint looks for new events.
    pub poll_ms: u64,
    /// Events per delivery (one POST), at least 1.
    pub batch_max: u32,
    /// A delivery without a complete answer within this fails.
    pub timeout_ms: u64,
    /// First retry delay after a failed delivery; doubles per failure, with jitter.
    pub retry_min_ms: u64,
    /// Largest retry delay.
    pub retry_max_ms: u64,
    /// Failed deliveries in a row after which the endpoint is paused (at least 1).
    pub max_failures: u32,
    /// Delivery attempts kept per endpoint for `GET /api/v1/webhooks/{id}/deliveries`.
    pub deliveries_kept: u32,
    /// Events older than this are deleted from the outbox even if a paused endpoint
    /// has not received them.
    pub outbox_retention_secs: u64,
}

impl WebhooksConfig {
    /// The delay after failure n: `retry_min_ms · 2^(n-1)` capped at `retry_max_ms`, jittered.
    pub fn retry_backoff(&self) -> Backoff {
        let (min, max) = (self.retry_min_ms, self.retry_max_ms.max(self.retry_min_ms));
        Backoff::doubling(Duration::from_millis(min), Duration::from_millis(max))
    }
}

/// `[hooks]`: the publish hook, asked before a `send` is stored (docs/INTEGRATIONS.md).
/// A room's `publish_hook` setting overrides these.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    /// Where the hook is POSTed; empty: no publish hook.
    pub publish_url: String,
    /// The hook's answer must come within this.
    pub publish_timeout_ms: u64,
    /// What happens when the hook fails or times out.
    pub publish_policy: crate::hooks::HookPolicy,
}

/// `[scheduler]`: cron schedules that start broadcast jobs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// A due time missed (process down) by more than this is skipped and recorded
    /// instead of fired.
    pub misfire_grace_secs: u64,
    /// How often the scheduler looks for due schedules.
    pub tick_ms: u64,
}

/// `[cluster]`: several nodes on one PostgreSQL database and one NATS (docs/CLUSTER.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    pub enabled: bool,
    pub node_id: String,
    pub nats_url: String,
    /// Shown in `GET /api/v1/nodes`; empty = the bound address.
    pub advertise: String,
    pub subject_prefix: String,
    /// A node silent for this long is dead and its leases may be taken.
    pub lease_ms: u64,
    pub heartbeat_ms: u64,
    pub request_timeout_ms: u64,
}

impl ClusterConfig {
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(100))
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(10))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(10))
    }

    /// In cluster mode, how long a write transaction whose rows another node may need
    /// can sit idle (its node froze mid-transaction) before PostgreSQL aborts it: half
    /// the lease, so its row locks are gone well before another node takes over.
    pub fn idle_txn_timeout_ms(&self) -> Option<u64> {
        self.enabled.then(|| (self.lease_ms / 2).max(200))
    }
}

/// The file layer: `--config` (an error if it does not exist), else
/// `config/default.toml` in the working directory if it exists, else none.
pub fn config_file(path: Option<&Path>) -> Result<Option<std::path::PathBuf>, ConfigError> {
    match path {
        Some(p) if !p.exists() => Err(ConfigError::Missing(p.display().to_string())),
        Some(p) => Ok(Some(p.to_path_buf())),
        None => Ok(Some(Path::new(DEFAULTS_FILE).to_path_buf()).filter(|p| p.exists())),
    }
}

/// The environment layer: `ROOMD__SECTION__KEY` variables. Values are kept as text and
/// converted to the setting's own type (a number, a bool) when it is one, so a secret or
/// an id such as `00123` stays `00123` instead of becoming the number 123.
pub fn environment() -> config::Environment {
    config::Environment::with_prefix("ROOMD").prefix_separator("__").separator("__").try_parsing(false)
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Invalid(#[from] config::ConfigError),
    #[error("config file {0}: {1}")]
    Unreadable(String, std::io::Error),
}

/// The settings that name a file, and the environment variable that can set each.
const FILE_KEYS: [(&str, &str); 2] =
    [("rooms.file", "ROOMD__ROOMS__FILE"), ("welcome.template_file", "ROOMD__WELCOME__TEMPLATE_FILE")];

impl Settings {
    /// Loads the layered settings; `path` is the `--config` argument.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        use config::{Config, File, FileFormat};
        let mut builder = Config::builder().add_source(File::from_str(BUILTIN_DEFAULTS, FileFormat::Toml));
        if let Some(file) = config_file(path)? {
            builder = builder.add_source(File::from(file));
        }
        let mut settings: Settings = builder.add_source(environment()).build()?.try_deserialize()?;
        settings.resolve_files(path)?;
        Ok(settings)
    }

    /// Makes each relative name in `FILE_KEYS` relative to the directory of the file
    /// that set it: the `--config` file (`path`) if it names it, else the defaults'
    /// `config/default.toml` in the working directory. A name from the environment
    /// stays relative to the working directory; an empty name (none) stays empty.
    fn resolve_files(&mut self, path: Option<&Path>) -> Result<(), ConfigError> {
        let defaults = Path::new(DEFAULTS_FILE);
        let file_alone = match path {
            Some(p) => Some(config::Config::builder().add_source(config::File::from(p)).build()?),
            None => None,
        };
        for (key, env) in FILE_KEYS {
            if std::env::var_os(env).is_some() {
                continue;
            }
            let named_by = match (path, &file_alone) {
                (Some(p), Some(file)) if file.get_string(key).is_ok() => p,
                _ => defaults,
            };
            let value = match key {
                "rooms.file" => &mut self.rooms.file,
                _ => &mut self.welcome.template_file,
            };
            if value.is_empty() || Path::new(value.as_str()).is_absolute() {
                continue;
            }
            let abs = std::path::absolute(named_by)
                .map_err(|e| ConfigError::Unreadable(named_by.display().to_string(), e))?;
            let base = abs.parent().unwrap_or(Path::new("/"));
            *value = base.join(value.as_str()).display().to_string();
        }
        Ok(())
    }

    /// Worker threads for the HTTP server.
    pub fn workers(&self) -> usize {
        or_cores(self.server.workers)
    }

    /// Threads for room actors.
    pub fn room_arbiters(&self) -> usize {
        or_cores(self.rooms.arbiters)
    }

    /// How many store writers to start on `backend` (`store.writers`, 0 = by backend).
    pub fn store_writers(&self, backend: crate::store::Backend) -> usize {
        match (self.store.writers, backend) {
            (0, crate::store::Backend::Sqlite) => 1,
            (0, crate::store::Backend::Postgres) => 4,
            (n, _) => n,
        }
    }
}

impl SessionConfig {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms.max(10))
    }
}

fn or_cores(n: usize) -> usize {
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_defaults_parse_and_match_the_contract() {
        let s = Settings::load(Some(Path::new("config/default.toml"))).expect("defaults load");
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url, "sqlite://data/roomd.db");
        assert_eq!(s.limits.max_text, 4000);
        assert_eq!((s.limits.admin_per_sec, s.limits.admin_burst), (20, 100));
        assert_eq!(s.rooms.dedupe_secs, 86400);
        assert_eq!(s.supervisor.max_restarts, 5);
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(s.welcome.dedupe_secs, 86400);
        assert_eq!(s.welcome.template_file, "", "no welcome unless configured");
        let here = std::path::absolute("config").expect("working directory");
        assert_eq!(Path::new(&s.rooms.file), here.join("rooms.toml"), "relative to config/default.toml");
        let builtin = Settings::load(None).expect("built-in defaults load");
        assert_eq!(builtin.rooms.file, s.rooms.file, "the compiled-in copy resolves as that file");
        assert_eq!(s.commands.timeout_ms, 5000);
        assert_eq!((s.broadcast.rooms_per_sec, s.broadcast.max_attempts), (500, 5));
        assert_eq!(s.scheduler.misfire_grace_secs, 300);
        assert_eq!(s.rooms.retention_days, 0, "retention is off by default");
    }

    #[test]
    fn names_in_a_config_file_are_relative_to_its_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("roomd.toml");
        std::fs::write(
            &file,
            "[welcome]\ntemplate_file = \"hello.txt\"\n[rooms]\nfile = \"/etc/rooms.toml\"\n",
        )
        .expect("write config");
        let s = Settings::load(Some(&file)).expect("load");
        assert_eq!(Path::new(&s.welcome.template_file), dir.path().join("hello.txt"));
        assert_eq!(s.rooms.file, "/etc/rooms.toml", "an absolute name stays as it is");

        std::fs::write(&file, "[server]\nworkers = 1\n").expect("write config");
        let s = Settings::load(Some(&file)).expect("load");
        let here = std::path::absolute("config/rooms.toml").expect("working directory");
        assert_eq!(
            Path::new(&s.rooms.file),
            here,
            "a default is not moved by a config file that does not name it"
        );
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let err = Settings::load(Some(Path::new("/nonexistent/roomd.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::Missing(_)));
    }

    #[test]
    fn broadcast_retries_double_with_jitter_and_are_capped() {
        let cfg =
            BroadcastConfig { rooms_per_sec: 1, retry_min_ms: 100, retry_max_ms: 1000, max_attempts: 5 };
        let backoff = cfg.retry_backoff();
        for _ in 0..50 {
            let d1 = backoff.jittered(1).as_millis();
            let d3 = backoff.jittered(3).as_millis();
            let d9 = backoff.jittered(9).as_millis();
            assert!((50..=100).contains(&d1), "{d1}");
            assert!((200..=400).contains(&d3), "{d3}");
            assert!((500..=1000).contains(&d9), "{d9}");
        }
    }

    #[test]
    fn broadcast_retries_never_wait_less_than_the_first_delay() {
        let cfg = BroadcastConfig { rooms_per_sec: 1, retry_min_ms: 300, retry_max_ms: 100, max_attempts: 5 };
        assert_eq!(
            cfg.retry_backoff().delay(4),
            Duration::from_millis(300),
            "a max below the min is the min"
        );
    }
}
