//! The outside servers some tests need (PostgreSQL, NATS, the `nats-server` binary):
//! present, or the test is skipped. A skip writes one line on the terminal (past the
//! harness's output capture), once per test binary, naming what is missing and how
//! to run those tests; the test returns without asserting anything. With `ROOMD_REQUIRE_SERVICES` set (`.ci/run` sets it, after starting
//! both) a missing service fails the test instead.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Set: a missing service is a failure, not a skip.
pub const REQUIRE_ENV: &str = "ROOMD_REQUIRE_SERVICES";

/// The NATS server of the tests that do not run their own (`ROOMD_TEST_NATS_URL`
/// overrides it).
#[allow(dead_code)] // used by the cluster tests
pub const NATS_ENV: &str = "ROOMD_TEST_NATS_URL";
#[allow(dead_code)] // used by the cluster tests
const DEFAULT_NATS: &str = "nats://127.0.0.1:4222";

/// What a test needs.
pub enum Need<'a> {
    /// A PostgreSQL server at this URL.
    Postgres(&'a str),
    /// A NATS server at this URL.
    #[allow(dead_code)] // used by the cluster tests
    Nats(&'a str),
    /// An executable file at this path.
    #[allow(dead_code)] // used by the cluster tests
    Program(&'a str),
}

/// The shared NATS server's URL.
#[allow(dead_code)] // used by the cluster tests
pub fn nats_url() -> String {
    std::env::var(NATS_ENV).ok().filter(|u| !u.trim().is_empty()).unwrap_or_else(|| DEFAULT_NATS.to_string())
}

/// True when everything in `needs` is there. Otherwise: panics under
/// `ROOMD_REQUIRE_SERVICES`, else reports the skip and returns false.
pub fn present(needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(missing).collect();
    if missing.is_empty() {
        return true;
    }
    let what = missing.join(" and ");
    assert!(
        std::env::var_os(REQUIRE_ENV).is_none(),
        "this test needs {what}, which is not there ({REQUIRE_ENV} is set)"
    );
    static REPORTED: std::sync::Once = std::sync::Once::new();
    REPORTED.call_once(|| {
        // One write straight to the terminal: the harness shows captured output only
        // on failure, and its own lines must not cut this one.
        let line = format!(
            "skipped: the tests that need {what}; .ci/run starts PostgreSQL and NATS and runs \
             them (README, \"The two commands\")\n"
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
    false
}

/// Why `need` is not met, if it is not.
fn missing(need: &Need) -> Option<String> {
    let (name, url, port) = match need {
        Need::Program(path) => {
            return (!std::path::Path::new(path).is_file()).then(|| format!("the program {path}"));
        }
        Need::Postgres(url) => ("PostgreSQL", url, 5432),
        Need::Nats(url) => ("NATS", url, 4222),
    };
    let addr = host_port(url, port);
    let reachable = addr
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    (!reachable).then(|| format!("{name} at {addr}"))
}

/// `host:port` of `scheme://[user[:password]@]host[:port][/…]`, with `default_port`.
fn host_port(url: &str, default_port: u16) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host.rsplit_once(':') {
        Some((_, p)) if p.parse::<u16>().is_ok() => host.to_string(),
        _ => format!("{host}:{default_port}"),
    }
}
