//! `Receiver`: a real HTTP server on 127.0.0.1 (actix-web, on its own thread) that
//! plays the application's backend for webhooks and the publish hook. Each request is
//! recorded; `answer` decides the reply (status, JSON body, delay before answering).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Vec<u8>,
    pub timestamp: Option<String>,
    pub signature: Option<String>,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// The reply to a request: status, JSON body, delay before answering.
pub type Reply = (u16, Value, Duration);
type Answer = Arc<dyn Fn(&Value) -> Reply + Send + Sync>;

pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Starts a receiver whose replies `answer` chooses from the request's JSON body.
    pub fn start(answer: impl Fn(&Value) -> Reply + Send + Sync + 'static) -> Self {
        let answer: Answer = Arc::new(answer);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let state = (answer, seen.clone());
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(web::Data::new(state.clone())).default_service(web::to(receive))
                })
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")
                .expect("bind the receiver");
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).expect("hand out the receiver's address");
                let _ = server.await;
            })
        });
        let (addr, handle) = rx.recv().expect("the receiver started");
        Self { url: format!("http://{addr}/hook"), seen, handle }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    /// The events of every request answered 2xx, in arrival order.
    pub fn accepted_events(&self) -> Vec<Value> {
        self.requests()
            .iter()
            .filter(|r| (200..300).contains(&r.status))
            .flat_map(|r| r.json()["events"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Stops accepting; the thread ends with its System.
        drop(self.handle.stop(false));
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<(Answer, Arc<Mutex<Vec<Received>>>)>,
) -> HttpResponse {
    let (answer, seen) = state.get_ref();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, reply, delay) = answer(&json);
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    seen.lock().unwrap().push(Received {
        body: body.to_vec(),
        timestamp: header("X-Roomd-Timestamp"),
        signature: header("X-Roomd-Signature"),
        status,
    });
    if !delay.is_zero() {
        actix_web::rt::time::sleep(delay).await;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a valid status")).json(reply)
}
