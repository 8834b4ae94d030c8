//! Encoding and parsing WebSocket frames: the per-message CPU cost on both sides of a
//! session. `message` is encoded once per committed message (shared by every
//! recipient), `ack` once per send, and every client frame is parsed once.
//! Run: `cargo bench --bench frames`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use roomd::protocol::inbound::{self, ClientFrame};
use roomd::protocol::outbound::{self as out, Ack};
use roomd::protocol::FrameId;
use roomd::store::messages::MessageRow;

/// A typical chat line: short text, a client id, no reply.
fn row() -> MessageRow {
    MessageRow {
        room_id: "lobby".into(),
        seq: 123_456,
        sender_id: "u_4f1c2a".into(),
        sender_name: "Alice Example".into(),
        sender_kind: "user".into(),
        text: "Hello everyone, the deploy went fine \u{1f389} — see \"notes\" for details".into(),
        client_id: Some("c-7f3a9e1b-0001".into()),
        reply_to: None,
        ts: 1_795_000_000_123,
        announcement: false,
        deleted_at: None,
        deleted_by: None,
    }
}

const SEND: &str = r#"{"type":"send","id":17,"room":"lobby","text":"Hello everyone, the deploy went fine","client_id":"c-7f3a9e1b-0001"}"#;
const JOIN: &str = r#"{"type":"join","id":"j1","room":"lobby","after_seq":123400}"#;

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("frames/encode");
    let r = row();
    g.bench_function("message", |b| b.iter(|| out::message_frame(std::hint::black_box(&r))));
    let id = FrameId::Num(17.into());
    g.bench_function("ack", |b| {
        b.iter(|| {
            out::encode(std::hint::black_box(&Ack {
                id: Some(&id),
                room: "lobby",
                seq: 123_456,
                client_id: Some("c-7f3a9e1b-0001"),
                duplicate: false,
            }))
        })
    });
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("frames/parse");
    assert!(matches!(inbound::parse(SEND), Ok(ClientFrame::Send { .. })));
    assert!(matches!(inbound::parse(JOIN), Ok(ClientFrame::Join { .. })));
    g.bench_function("send", |b| b.iter(|| inbound::parse(std::hint::black_box(SEND))));
    g.bench_function("join", |b| b.iter(|| inbound::parse(std::hint::black_box(JOIN))));
    // The full check a `send` goes through after parsing (length in chars, NUL scan).
    g.bench_function("send+check_send", |b| {
        b.iter(|| match inbound::parse(std::hint::black_box(SEND)) {
            Ok(ClientFrame::Send { text, client_id, .. }) => {
                inbound::check_send(&text, client_id.as_deref(), 4000).is_ok()
            }
            _ => false,
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! { name = benches; config = config(); targets = encode, parse }
criterion_main!(benches);
