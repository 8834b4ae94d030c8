//! The `roomd` binary: parses the command line and runs the chosen command.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

use roomd::auth::{issue_token, mint_jwt};
use roomd::cli::{Cli, Command, ConfigAction, JwtKind, TokenAction, TokenKind};
use roomd::config::Settings;
use roomd::model::{UserKind, MAX_ID_CHARS};
use roomd::store::{Backend, DbUrl, Store};
use roomd::transfer::export::ExportOptions;

fn main() {
    if let Err(e) = run() {
        eprintln!("roomd: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Config { action: ConfigAction::Check } = cli.command {
        let problems = roomd::cli::config_check::check(cli.config.as_deref(), &mut std::io::stdout())?;
        for p in &problems {
            eprintln!("roomd: config check: {}: {}", p.key, p.message);
        }
        std::process::exit(i32::from(!problems.is_empty()));
    }
    let settings = Settings::load(cli.config.as_deref()).context("loading configuration")?;
    match cli.command {
        Command::Serve => roomd::server::run(settings),
        Command::Migrate => {
            open_store(&settings)?;
            println!("migrations applied");
            Ok(())
        }
        Command::Export { out, no_timestamp } => {
            let store = open_existing_store(&settings)?;
            let started = Instant::now();
            let opts = ExportOptions { timestamp: !no_timestamp };
            let counts = roomd::transfer::export::to_path(&store, &out, opts)?;
            eprintln!("exported {counts} in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Import { input } => {
            let store = open_store(&settings)?;
            let started = Instant::now();
            let counts = if input.as_os_str() == "-" {
                roomd::transfer::import::load(&store, std::io::stdin().lock(), 0)?
            } else {
                let file =
                    std::fs::File::open(&input).with_context(|| format!("opening {}", input.display()))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or(0);
                roomd::transfer::import::load(&store, std::io::BufReader::with_capacity(1 << 16, file), size)
                    .with_context(|| format!("importing {}", input.display()))?
            };
            eprintln!("imported {counts} in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Backup { out } => {
            let url = DbUrl::parse(&settings.database.url)?;
            if url.backend == Backend::Postgres {
                eprintln!("{}", roomd::transfer::backup::pg_dump_hint(&settings.database.url));
                std::process::exit(2);
            }
            let store = open_existing_store(&settings)?;
            let started = Instant::now();
            let size = roomd::transfer::backup::to_path(&store, &out)?;
            eprintln!(
                "backup written to {} ({size} bytes) in {:.1} s",
                out.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Config { .. } => unreachable!("handled before the settings are loaded"),
        Command::Token { action: TokenAction::List { json } } => {
            let store = open_existing_store(&settings)?;
            roomd::cli::tokens::list(&store, json, &mut std::io::stdout().lock())
        }
        Command::Token { action: TokenAction::Revoke { id } } => {
            let store = open_existing_store(&settings)?;
            roomd::cli::tokens::revoke(&store, &id, settings.auth.token_cache_secs, &mut std::io::stdout())
        }
        Command::Openapi => {
            println!("{}", roomd::http::openapi::document());
            Ok(())
        }
        Command::Token { action: TokenAction::Jwt { sub, name, kind, roles, ttl } } => {
            anyhow::ensure!(
                !settings.auth.jwt_secret.is_empty(),
                "auth.jwt_secret is empty, so the server accepts no JWT: set it in the config file or \
                 ROOMD__AUTH__JWT_SECRET first"
            );
            let kind = match kind {
                JwtKind::User => UserKind::User,
                JwtKind::Bot => UserKind::Bot,
            };
            let jwt = mint_jwt(&settings.auth.jwt_secret, &sub, name.as_deref(), kind, &roles, ttl)
                .map_err(|e| anyhow::anyhow!("--sub/--name/--roles: {e}"))?;
            println!("{jwt}");
            Ok(())
        }
        Command::Token { action: TokenAction::Create { kind, name, roles } } => {
            if let Err(e) = roomd::model::check_user_id(&name) {
                anyhow::bail!("--name {e}");
            }
            let role_ok =
                |r: &String| !r.is_empty() && r.chars().count() <= MAX_ID_CHARS && !r.contains('\0');
            anyhow::ensure!(roles.iter().all(role_ok), "--role must be 1 to 64 characters, without NUL");
            let store = open_store(&settings)?;
            let kind = match kind {
                TokenKind::Admin => UserKind::Admin,
                TokenKind::Bot => UserKind::Bot,
                TokenKind::User => UserKind::User,
            };
            let issued = issue_token(kind, &name, &roles);
            store.run_blocking(|c| issued.row.insert(c)).context("storing the token")?;
            println!(
                "created {} token {} for {:?}; the secret is shown only once:",
                issued.row.kind, issued.row.id, name
            );
            println!("{}", issued.secret);
            Ok(())
        }
    }
}

/// For the commands that read a store (export, backup, token list and revoke): an
/// SQLite file that does not exist is an error (a mistyped path would otherwise become
/// a new, empty store, and an "export" or "backup" of nothing).
fn open_existing_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = DbUrl::parse(&settings.database.url)?;
    if url.backend == Backend::Sqlite
        && !url.target.starts_with(':')
        && !std::path::Path::new(&url.target).exists()
    {
        anyhow::bail!("there is no store at {} (database.url): nothing to read", url.redacted());
    }
    open_store(settings)
}

fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(
        &settings.database.url,
        settings.database.pool_size,
        Duration::from_millis(settings.database.connect_timeout_ms),
    )
    .context("opening the store")
}
