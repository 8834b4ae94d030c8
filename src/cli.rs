//! Command line: `roomd serve`, `roomd migrate`, `roomd token create`.

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
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tokens offline.
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TokenKind {
    Admin,
    Bot,
    User,
}
