//! The HTTP server itself: its listeners, and on each worker the HTTP/1 service that
//! serves the `App`, with the upgrade path of `handover`.
//!
//! actix-web's `HttpServer` builds the same service (actix-server accepting, actix-http
//! serving, the `App` answering) but has no place for an upgrade service, so roomd
//! puts the parts together here, with `HttpServer`'s defaults: a listen backlog of
//! 1,024, 5 s keep-alive, 5 s to read a request's head, 1 s to close, idle
//! connections closed when the server stops.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::rc::Rc;
use std::time::Duration;

use actix_codec::Framed;
use actix_http::body::MessageBody;
use actix_http::{h1, HttpService, KeepAlive, Request};
use actix_server::Server;
use actix_service::{fn_factory, fn_service, map_config, IntoServiceFactory, ServiceFactory};
use actix_web::dev::{AppConfig, ServiceResponse};
use actix_web::rt::net::TcpStream;

use super::handover;
use crate::config::Settings;
use crate::websocket::socket::PeerSocket;

const BACKLOG: i32 = 1024;

/// Binds every address `spec` resolves to (`host:port`); fails only if none binds.
pub fn bind(spec: &str) -> io::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    let mut failure = None;
    for addr in spec.to_socket_addrs()? {
        match listener(addr) {
            Ok(l) => listeners.push(l),
            Err(e) => failure = Some(e),
        }
    }
    match (listeners.is_empty(), failure) {
        (false, _) => Ok(listeners),
        (true, Some(e)) => Err(e),
        (true, None) => Err(io::Error::other("the address resolves to nothing")),
    }
}

fn listener(addr: SocketAddr) -> io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// The server on `listeners`, `make_app` giving each worker its `App`.
pub fn serve<F, I, S, B>(cfg: &Settings, listeners: Vec<TcpListener>, make_app: F) -> io::Result<Server>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<
            Request,
            Config = AppConfig,
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let builder = Server::build();
    // Tells each connection that the server stops: idle keep-alive connections close
    // at once instead of holding the shutdown to its timeout (as `HttpServer` does).
    let stopping = builder.graceful_shutdown_signal();
    let mut builder =
        builder.workers(cfg.workers()).disable_signals().shutdown_timeout(cfg.server.shutdown_timeout_secs);
    for lst in listeners {
        let addr = lst.local_addr()?;
        let (make_app, stopping) = (make_app.clone(), stopping.clone());
        builder = builder.listen(format!("roomd-{addr}"), lst, move || {
            let stopping = stopping.clone();
            let upgrade_app = make_app.clone();
            // The upgrade path runs its own instance of the worker's `App`.
            let upgrade = fn_factory(move || {
                let app = upgrade_app().into_factory();
                async move {
                    let app = Rc::new(app.new_service(AppConfig::default()).await?);
                    Ok::<_, ()>(fn_service(move |(req, framed): (Request, Framed<TcpStream, h1::Codec>)| {
                        handover::serve_upgrade(app.clone(), req, framed)
                    }))
                }
            });
            // `AppConfig` gives handlers the server's host and address; roomd reads neither.
            let app = map_config(make_app().into_factory(), |_| AppConfig::default());
            HttpService::build()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .keep_alive(KeepAlive::Timeout(Duration::from_secs(5)))
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .h1_allow_half_closed(true)
                .tcp_nodelay(true)
                .local_addr(addr)
                .on_connect_ext(PeerSocket::on_connect)
                .upgrade(upgrade)
                .finish(app)
                .tcp()
        })?;
    }
    Ok(builder.run())
}
