//! Boot and shutdown of `roomd serve`: open the store, make sure an admin token exists,
//! start the writer, the room registry and arbiters, the HTTP server; on SIGTERM or
//! SIGINT stop accepting, close sockets with 1001, flush the store, exit 0.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use actix_web::App;
use anyhow::Context as _;
use slog::{info, warn, Logger};

use crate::actors::broadcast::{BroadcastDeps, BroadcastQueue, ProgressHub};
use crate::actors::cluster_inbox::ClusterInbox;
use crate::actors::cluster_node::ClusterNode;
use crate::actors::exchange::Outbound;
use crate::actors::mailbox::collector::DirectoryCollector;
use crate::actors::registry::{RoomRegistry, RunningRooms, SyncAll};
use crate::actors::retention::Retention;
use crate::actors::room::{Refusal, RoomDeps};
use crate::actors::room_feed::RoomFeedHub;
use crate::actors::scheduler::{Scheduler, SharedClock, SystemClock, TestClock};
use crate::actors::sessions::SessionDirectory;
use crate::actors::stats_sampler::{History, StatsSampler};
use crate::actors::store_writers::StoreWriters;
use crate::actors::ws_session::SessionDeps;
use crate::auth::{issue_token, Authenticator};
use crate::cluster::wire::{CallBody, Control};
use crate::cluster::Cluster;
use crate::config::Settings;
use crate::http::rate_limit::AdminLimiter;
use crate::http::{self, AppState};
use crate::metrics::metrics;
use crate::model::UserKind;
use crate::protocol::close::CloseCode;
use crate::store::tokens::TokenRow;
use crate::store::Store;
use crate::websocket::socket::raise_open_file_limit;

/// Runs the server until a signal stops it.
pub fn run(settings: Settings) -> anyhow::Result<()> {
    let started_at = crate::model::now_ms();
    let (log, _guard) = crate::logging::init(&settings.log);
    install_panic_hook(log.clone());
    for p in crate::config_sources::unknown_env_vars() {
        warn!(log, "environment variable ignored"; "var" => &p.key, "why" => &p.message);
    }
    export_metrics();
    let nofile = raise_open_file_limit();
    let store = Store::open(
        &settings.database.url,
        settings.database.pool_size,
        Duration::from_millis(settings.database.connect_timeout_ms),
    )
    .context("opening the store")?;
    check_cluster(&settings, &store)?;
    ensure_admin_token(&store)?;
    let declared = crate::rooms_file::apply(&store, std::path::Path::new(&settings.rooms.file))?;
    info!(log, "store ready"; "backend" => ?store.backend(), "declared_rooms" => declared);
    store.start_checkpointer(
        Duration::from_millis(100),
        settings.database.sqlite_wal_max_mb.saturating_mul(1 << 20),
        log.new(slog::o!("thread" => "sqlite-checkpoint")),
    );
    actix_rt::System::new().block_on(serve(Arc::new(settings), store, nofile, started_at, log))
}

/// `http://ADDR` for the startup log: a wildcard address (`0.0.0.0`, `::`) shows as
/// loopback, which a browser on the same machine can open.
fn base_url(addr: std::net::SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// `database.url` as the log shows it (a PostgreSQL password redacted).
fn store_name(url: &str) -> String {
    crate::store::DbUrl::parse(url).map(|u| u.redacted()).unwrap_or_else(|_| url.to_string())
}

/// Hands `/metrics` what other modules own: the actor directory's collector and the
/// label values that the rooms and the cluster count with, so every family and every
/// series known in advance is exported from the first scrape.
fn export_metrics() {
    let m = metrics();
    // Once per process (`run` is called once): a second registration would be a bug.
    m.register(Box::new(DirectoryCollector::new())).expect("the actor families are registered once");
    m.declare_rejections(&Refusal::REASONS);
    m.declare_forwarded(&CallBody::KINDS);
}

/// Cluster mode needs PostgreSQL and a valid node id.
fn check_cluster(settings: &Settings, store: &Store) -> anyhow::Result<()> {
    let c = &settings.cluster;
    if !c.enabled {
        return Ok(());
    }
    if store.backend() != crate::store::Backend::Postgres {
        anyhow::bail!(
            "cluster.enabled needs database.url = postgres://… (nodes share one PostgreSQL database)"
        );
    }
    if crate::model::RoomId::parse(&c.node_id).is_err() {
        anyhow::bail!("cluster.node_id must match [a-z0-9][a-z0-9_-]{{0,63}} (got {:?})", c.node_id);
    }
    Ok(())
}

/// Creates and prints an admin token when the store has none.
fn ensure_admin_token(store: &Store) -> anyhow::Result<()> {
    if store.run_blocking(TokenRow::any_live_admin)? {
        return Ok(());
    }
    let issued = issue_token(UserKind::Admin, "admin", &[]);
    store.run_blocking(|c| issued.row.insert(c))?;
    eprintln!("roomd: no admin token existed, so one was created; it is shown only this once:");
    eprintln!("{}", issued.secret);
    Ok(())
}

async fn serve(
    cfg: Arc<Settings>,
    store: Store,
    nofile: u64,
    started_at: i64,
    log: Logger,
) -> anyhow::Result<()> {
    // One arbiter per writer: each runs its own commits and commit reports.
    let writer_arbiters: Vec<Arbiter> =
        (0..cfg.store_writers(store.backend())).map(|_| Arbiter::new()).collect();
    let handles: Vec<ArbiterHandle> = writer_arbiters.iter().map(|a| a.handle()).collect();
    let (writers, writes) = StoreWriters::start(&handles, store.clone(), &cfg, &log);
    let cluster = match cfg.cluster.enabled {
        true => Some(Cluster::connect(&cfg.cluster, &log).await.context("connecting to NATS")?),
        false => None,
    };
    let room_arbiters: Vec<Arbiter> = (0..cfg.room_arbiters()).map(|_| Arbiter::new()).collect();
    let arbiters = room_arbiters.iter().map(|a| a.handle()).collect();
    let feed = Arc::new(RoomFeedHub::default());
    let room_deps = {
        let (store, writers, writes, cfg, log, cluster, feed) = (
            store.clone(),
            writers.clone(),
            writes.clone(),
            cfg.clone(),
            log.clone(),
            cluster.clone(),
            feed.clone(),
        );
        move |registry| RoomDeps { store, writers, writes, registry, cfg, log, cluster, feed }
    };
    let running_rooms = RunningRooms::default();
    let registry = RoomRegistry::start(arbiters, running_rooms.clone(), &cfg.metrics, room_deps);
    let sessions = Arc::new(SessionDirectory::new(Duration::from_secs(cfg.auth.token_cache_secs)));
    let session_deps = Arc::new(SessionDeps {
        registry: registry.clone(),
        running_rooms,
        store: store.clone(),
        cfg: cfg.clone(),
        directory: sessions.clone(),
        log: log.clone(),
    });
    let progress = Arc::new(ProgressHub::default());
    let broadcasts = BroadcastQueue::start(BroadcastDeps {
        store: store.clone(),
        registry: registry.clone(),
        hub: progress.clone(),
        cfg: cfg.clone(),
        log: log.clone(),
        cluster: cluster.clone(),
    });
    let test_clock = cfg.debug.fault_injection.then(|| Arc::new(TestClock::default()));
    let clock: SharedClock = match &test_clock {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let scheduler = Scheduler::start(
        store.clone(),
        broadcasts.clone(),
        clock.clone(),
        cfg.scheduler.clone(),
        cluster.clone(),
        &cfg.metrics,
        &log,
    );
    // Held until shutdown, like the sampler.
    let _retention = Retention::start(store.clone(), clock.clone(), cfg.rooms.clone(), &cfg.metrics, &log);
    let webhook_lease = cluster.as_ref().map(|c| crate::webhooks::endpoint::Lease {
        node: c.me.node.clone(),
        lease_ms: c.cfg.lease_ms as i64,
    });
    let webhooks = crate::webhooks::hub::WebhookHub::start(
        store.clone(),
        cfg.webhooks.clone(),
        webhook_lease,
        &cfg.metrics,
        &log,
    );
    let history = Arc::new(History::new(started_at));
    // Held until shutdown: the sampler lives as long as an address of it does.
    let _sampler = StatsSampler::start(history.clone(), &cfg.metrics, &log);
    let state = AppState {
        cfg: cfg.clone(),
        store: store.clone(),
        auth: Authenticator::new(
            store.clone(),
            &cfg.auth.jwt_secret,
            Duration::from_secs(cfg.auth.token_cache_secs),
        ),
        registry: registry.clone(),
        writers: writers.clone(),
        webhooks,
        sessions,
        admin_limiter: Arc::new(AdminLimiter::new(&cfg.limits)),
        upgrade_limiter: Arc::new(http::upgrade_limit::UpgradeLimiter::new(&cfg.limits)),
        session_quota: Arc::new(http::session_quota::SessionQuota::new(&cfg.limits, nofile, log.clone())),
        session_deps,
        log: log.clone(),
        broadcasts,
        progress,
        feed,
        scheduler,
        clock,
        test_clock,
        cluster: cluster.clone(),
        history,
        stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
    };
    let app_state = state.clone();
    let make_app = move || {
        App::new()
            .wrap(
                actix_web::middleware::ErrorHandlers::new()
                    .handler(actix_web::http::StatusCode::METHOD_NOT_ALLOWED, http::json_method_not_allowed),
            )
            .wrap(actix_web::middleware::from_fn(http::request_log::log_request))
            .configure(|c| http::configure(c, &app_state))
    };
    let listeners =
        http::listen::bind(&cfg.server.bind).with_context(|| format!("binding {}", cfg.server.bind))?;
    let addrs: Vec<_> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
    for addr in &addrs {
        let base = base_url(*addr);
        info!(log, "listening"; "addr" => addr.to_string(), "version" => env!("CARGO_PKG_VERSION"),
            "store" => store_name(&cfg.database.url),
            "console" => format!("{base}/console/"), "api_docs" => format!("{base}{}", http::openapi::DOCS_PATH),
            "metrics" => format!("{base}/metrics"),
            "open_file_limit" => nofile, "max_connections" => state.session_quota.max_connections());
    }
    if let Some(cluster) = &cluster {
        let bound = addrs.first().map(|a| a.to_string()).unwrap_or_default();
        join_cluster(cluster.clone(), &state, bound).await?;
    }
    let server = http::listen::serve(&cfg, listeners, make_app)?;
    let handle = server.handle();
    let running = actix_rt::spawn(server);

    wait_for_signal().await?;
    info!(log, "shutting down");
    handle.pause().await;
    shutdown(&state).await;
    handle.stop(true).await;
    let _ = running.await;
    for a in room_arbiters.iter().chain(&writer_arbiters) {
        a.stop();
    }
    info!(log, "stopped");
    System::current().stop();
    Ok(())
}

/// Serves this node's NATS subjects and starts its heartbeat.
async fn join_cluster(cluster: Arc<Cluster>, st: &AppState, bound: String) -> anyhow::Result<()> {
    let (auth, sessions, broadcasts) = (st.auth.clone(), st.sessions.clone(), st.broadcasts.clone());
    let me = cluster.me.node.clone();
    let control = move |c: Control| match c {
        Control::TokenRevoked { token_id } => {
            auth.forget_verified();
            sessions.close_token(&token_id);
        }
        Control::BroadcastCancelled { id } => broadcasts.do_send(crate::actors::broadcast::CancelJob(id)),
        Control::DisconnectSessions { from, filter, reason } => {
            if from != me {
                sessions.disconnect(&filter, reason.as_deref());
            }
        }
    };
    let inbox = ClusterInbox::start(st.registry.clone(), st.sessions.clone(), control);
    crate::cluster::serve(cluster.clone(), inbox).await.context("subscribing to NATS")?;
    let address = match st.cfg.cluster.advertise.as_str() {
        "" => bound,
        a => a.to_string(),
    };
    ClusterNode::start(
        cluster,
        st.store.clone(),
        st.registry.clone(),
        st.sessions.clone(),
        address,
        &st.cfg.metrics,
    );
    Ok(())
}

/// Ends the event streams, then drains in an order that acks everything committed
/// before sockets close: sessions stop taking frames, rooms hand their queued sends to
/// the writers, the writers commit,
/// rooms send the acks, then sessions close with 1001. Each step is bounded so the
/// process exits within 10 s.
async fn shutdown(st: &AppState) {
    st.stopping.send_replace(true);
    st.sessions.broadcast(|| Outbound::Drain);
    sync_rooms(st).await;
    if tokio::time::timeout(Duration::from_secs(4), st.writers.flush()).await.is_err() {
        warn!(st.log, "store flush timed out");
    }
    // Commit reports were queued to the rooms before the flush resolved; once the rooms
    // have handled them, the acks sit in the sessions' queues ahead of the close.
    sync_rooms(st).await;
    st.sessions.broadcast(|| Outbound::close(CloseCode::ServerShutdown));
    // The sessions stop, then their connections deliver the close frame and end
    // (`websocket::outbox`): the workers' tasks that do that must not stop before.
    wait_until(Duration::from_secs(2), || st.sessions.is_empty()).await;
    wait_until(crate::websocket::outbox::CLOSE_GRACE, || crate::websocket::socket::open_websockets() == 0)
        .await;
    if let Some(cluster) = &st.cluster {
        // Everything acked is durable: let the other nodes take this node's rooms now.
        cluster.set_leaving();
        let node = cluster.me.node.clone();
        let left = st.store.run(move |c| crate::store::cluster::leave(c, &node));
        if !matches!(tokio::time::timeout(Duration::from_secs(1), left).await, Ok(Ok(()))) {
            warn!(st.log, "could not mark this node as gone; its leases lapse after cluster.lease_ms");
        }
    }
}

/// Returns once `done` holds, or after `at_most`, looking every 10 ms.
async fn wait_until(at_most: Duration, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + at_most;
    while !done() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn sync_rooms(st: &AppState) {
    if tokio::time::timeout(Duration::from_secs(1), st.registry.send(SyncAll)).await.is_err() {
        warn!(st.log, "rooms did not drain in time");
    }
}

/// Panics are contained per actor (see `actors`); the hook makes each one a single log
/// line instead of a backtrace on stderr (capturing one costs ~0.1 ms per panic).
fn install_panic_hook(log: Logger) {
    std::panic::set_hook(Box::new(move |info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        slog::error!(log, "panic"; "at" => at, "err" => msg, "thread" => thread);
    }));
}

async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
