//! Command line: `roomd serve`, `roomd migrate`, `roomd token create|list|revoke|jwt`,
//! `roomd config check`, `roomd openapi`, `roomd export`, `roomd import`, `roomd backup`.
//! The commands that need more than a few lines live in the submodules (and export,
//! import and backup in `crate::transfer`).

pub mod config_check;
pub mod tokens;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// roomd: a real-time chat and event engine built on supervised actors.
#[derive(Debug, Parser)]
#[command(name = "roomd", version, about)]
pub struct Cli {
    /// Configuration file (default: config/default.toml if present, else built-in defaults).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the engine.
    #[command(
        long_about = "Run the engine: the WebSocket endpoint (/ws), the admin API (/api/v1), the \
                      console (/console) and /metrics, on server.bind (default 127.0.0.1:8080).",
        after_help = SERVE_HELP
    )]
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tokens offline.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Print the admin API's OpenAPI document (the one served at /api/v1/openapi.json).
    Openapi,
    /// Write the whole store as JSON Lines (a consistent snapshot; the server may run).
    Export {
        /// The file to create (it must not exist), or `-` for standard output.
        #[arg(long)]
        out: PathBuf,
        /// Leave `exported_at` out of the header, so exports of the same data are
        /// byte-identical.
        #[arg(long)]
        no_timestamp: bool,
    },
    /// Load a file written by `roomd export` into an empty store (database.url).
    Import {
        /// The file to read, or `-` for standard input.
        #[arg(long = "in")]
        input: PathBuf,
    },
    /// Copy a SQLite store while the server runs (on PostgreSQL: says how to use pg_dump).
    Backup {
        /// The file to create; it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// The part of `serve --help` after the options.
const SERVE_HELP: &str = "\
Defaults:
  address   127.0.0.1:8080 (server.bind)
  data      sqlite://data/roomd.db (database.url), relative to the working directory;
            or database.url = postgres://user@host/db

Configuration is read in layers, each overriding the one before:
  1. the built-in defaults (config/default.toml, compiled in)
  2. the --config file, else config/default.toml in the working directory if present
  3. environment variables ROOMD__SECTION__KEY for section.key, two underscores each:
       ROOMD__SERVER__BIND=0.0.0.0:8080      sets server.bind
       ROOMD__DATABASE__URL=postgres://...   sets database.url
       ROOMD__AUTH__JWT_SECRET=...           sets auth.jwt_secret
     A variable with one underscore (ROOMD_SERVER_BIND) is not read: serve warns about
     it at start. A ROOMD__ variable naming no setting stops serve with an error.

`roomd config check` prints the effective configuration and where each value comes from.";

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate the configuration (defaults, file, environment) and print the effective
    /// settings, secrets redacted, each with its source (default, file, environment).
    /// Exit code 1, naming the offending key, if a value is invalid, a key unknown, or
    /// a ROOMD_ variable sets nothing.
    Check,
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create a token and print its secret once, alone on the last line of stdout.
    Create {
        #[arg(long, value_enum)]
        kind: TokenKind,
        #[arg(long)]
        name: String,
        /// Comma-separated roles.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// List every token, live and revoked (never a secret): id, kind, name, roles,
    /// created, revoked.
    List {
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Revoke the token with this id (`tok_…`), in the store directly. A running server
    /// refuses it within auth.token_cache_secs; `DELETE /api/v1/tokens/{id}` also
    /// closes its open sessions at once.
    Revoke {
        /// The token id, as `token list` shows it.
        id: String,
    },
    /// Mint a short-lived HS256 JWT signed with `auth.jwt_secret` and print it on stdout.
    /// Nothing is stored: the token is valid until its `exp`.
    Jwt {
        /// The user id (`sub`): 1 to 64 characters, not `system` or `roomd`.
        #[arg(long)]
        sub: String,
        /// The display name (`name`); defaults to the user id.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_enum, default_value = "user")]
        kind: JwtKind,
        /// Comma-separated roles (`roles`).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Lifetime, such as `90s`, `15m`, `1h` or `7d` (at most 30 days).
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: std::time::Duration,
    },
}

/// The kinds a JWT can carry: admins use opaque tokens, which can be revoked.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum JwtKind {
    User,
    Bot,
}

/// The longest `--ttl`: a JWT cannot be revoked, so it should not outlive a month.
pub const MAX_JWT_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// `90s`, `15m`, `1h`, `7d` (or a bare number of seconds; `crate::duration`), from 1 s
/// to [`MAX_JWT_TTL`].
fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    match crate::duration::parse(s)? {
        d if d <= MAX_JWT_TTL => Ok(d),
        _ => Err(format!("{:?}: the lifetime must be from 1s to 30d", s.trim())),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;
    use std::time::Duration;

    #[test]
    fn ttls_read_with_their_units_and_stay_within_a_month() {
        assert_eq!(parse_ttl("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_ttl("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "0s", "31d", "1w", "h", "-1h", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad:?} was accepted");
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TokenKind {
    Admin,
    Bot,
    User,
}
