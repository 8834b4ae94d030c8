//! Where a WebSocket connection leaves actix-web.
//!
//! actix-http hands every request that asks for an upgrade (`Connection: upgrade`),
//! together with its socket, to [`serve_upgrade`] instead of to its own dispatch. The
//! request runs through the same `App` as any other — routes, middleware, `GET /ws`'s
//! checks — and when the handler answers 101 with a [`Handover`], the response head
//! is written to the socket, the socket leaves actix-web and the handover starts the
//! session on it (`http::ws`). Any other answer (401, 429, 404, …) is written as it
//! is, and the connection closed.
//!
//! Why not actix-web-actors' context, which runs a session as the body of a response
//! that never ends: that keeps actix-http's connection task, with its two 8 KiB
//! HTTP/1 buffers, for the life of the connection, and each frame is copied twice on
//! its way out and crosses a task boundary (docs/PERFORMANCE.md, "The WebSocket
//! transport"). Here a connection is one task (its session's) and one socket.

use std::future::poll_fn;
use std::pin::pin;
use std::rc::Rc;

use actix_codec::Framed;
use actix_http::body::{self, BodySize, MessageBody};
use actix_http::{h1, ConnectionType, Request, Response};
use actix_service::Service;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::rt::net::TcpStream;
use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::SinkExt;

use crate::websocket::socket::{PeerSocket, Socket};

/// Starts what runs on an upgraded connection: its socket, and the bytes the client
/// sent right after its request (read together with it).
type Start = Box<dyn FnOnce(Rc<Socket>, Bytes)>;

/// Put into a 101 response by the handler that accepts an upgrade.
pub struct Handover(Start);

impl Handover {
    /// `response` (the handshake's 101), carrying what to start on the socket.
    pub fn respond(
        mut response: HttpResponse,
        start: impl FnOnce(Rc<Socket>, Bytes) + 'static,
    ) -> HttpResponse {
        response.extensions_mut().insert(Handover(Box::new(start)));
        response
    }
}

/// Serves one upgrade request on `framed` (its connection, with actix-http's codec).
pub async fn serve_upgrade<S, B>(
    app: Rc<S>,
    req: Request,
    mut framed: Framed<TcpStream, h1::Codec>,
) -> Result<(), actix_web::Error>
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
{
    let counted = req.conn_data::<PeerSocket>().and_then(PeerSocket::take);
    let response: Response<body::BoxBody> = match app.call(req).await {
        Ok(res) => Response::from(res).map_into_boxed_body(),
        Err(e) => e.error_response().into(),
    };
    let (mut head, body) = response.into_parts();
    let handover = head.extensions_mut().remove::<Handover>();
    match handover {
        Some(Handover(start)) if head.status() == StatusCode::SWITCHING_PROTOCOLS => {
            framed.send(h1::Message::Item((head, BodySize::None))).await?;
            let parts = framed.into_parts();
            // What the client sent after its request is the start of its first frames.
            let early = Bytes::copy_from_slice(&parts.read_buf);
            start(Rc::new(Socket::new(parts.io, counted)), early);
        }
        _ => {
            // The connection cannot carry another request after one that asked for an
            // upgrade: answer (a body of any length, an event stream too), then close.
            head.head_mut().set_connection_type(ConnectionType::Close);
            framed.send(h1::Message::Item((head, body.size()))).await?;
            let mut body = pin!(body);
            while let Some(chunk) = poll_fn(|cx| body.as_mut().poll_next(cx)).await {
                let chunk = chunk.map_err(|e| std::io::Error::other(e.to_string()))?;
                framed.send(h1::Message::Chunk(Some(chunk))).await?;
            }
            framed.send(h1::Message::Chunk(None)).await?;
        }
    }
    Ok(())
}
