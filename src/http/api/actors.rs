//! `GET /api/v1/actors`: the supervision tree with every actor's mailbox figures
//! (docs/METRICS.md); with `?top=N&sort=depth|wait|handled` the N busiest actors as a
//! flat list; with `?limit=&cursor=` (`http::pagination`) one page of every actor as
//! a flat list by kind, then id. Read from the actor directory; no actor is asked
//! anything, so a stuck actor cannot stall the answer.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use std::sync::Arc;

use crate::actors::mailbox::{directory, ActorKind, MailboxSnapshot, MailboxStats};
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::pagination::{Page, PageParams};
use crate::model::rfc3339;

/// Largest `top`.
const MAX_TOP: usize = 1000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/actors", web::get().to(actors));
}

/// What `top` ranks the actors by: mailbox depth (default), the 99th percentile of
/// the wait in the mailbox, or messages handled.
#[derive(Debug, Clone, Copy, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[derive(ToSchema)]
#[schema(as = ActorSort)]
pub enum SortKey {
    #[default]
    Depth,
    Wait,
    Handled,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
struct ActorsQuery {
    /// Answer the `top` busiest actors (1 to 1000) as a flat list instead of the tree.
    #[param(minimum = 1, maximum = 1000)]
    top: Option<usize>,
    /// Busiest by; needs `top`.
    sort: Option<SortKey>,
    /// Page size, 1 to 500 (default 50): answer one page of the flat list by kind,
    /// then id (not with `top`).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Not documented: the admin API takes the token only in the header.
    #[serde(rename = "token")]
    #[param(ignore)]
    _token: Option<String>,
}

#[derive(Debug, Serialize)]
/// Median and 99th percentile in µs; null before the first sample.
#[derive(ToSchema)]
#[schema(as = ActorQuantiles)]
struct Quantiles {
    #[schema(required = true)]
    p50: Option<f64>,
    #[schema(required = true)]
    p99: Option<f64>,
}

#[derive(Debug, Serialize)]
/// Queue figures of one actor's mailbox.
#[derive(ToSchema)]
#[schema(as = ActorMailbox)]
struct Mailbox {
    depth: u64,
    capacity: usize,
    max_depth: u64,
}

#[derive(ToSchema)]
/// One node of the tree.
#[derive(Debug, Serialize)]
#[schema(as = ActorNode)]
pub struct Node {
    #[schema(value_type = crate::http::openapi::ActorKind, example = "room")]
    kind: &'static str,
    id: String,
    #[schema(value_type = crate::http::openapi::RoomStatus)]
    status: &'static str,
    mailbox: Mailbox,
    handled: u64,
    wait_us: Quantiles,
    handle_us: Quantiles,
    restarts: u32,
    #[schema(required = true, format = DateTime)]
    last_restart_at: Option<String>,
    #[schema(no_recursion)]
    children: Vec<Node>,
}

/// Schema only: `GET /actors` answers the tree, or with `top` the flat list.
#[derive(Serialize, ToSchema)]
#[schema(as = Actors)]
#[serde(untagged)]
#[allow(dead_code)]
enum ActorsView {
    Tree(Node),
    List(ActorList),
}

/// Schema only: `GET /actors` as a flat list. With `top`: the busiest actors (no
/// `next_cursor`); with `limit` or `cursor`: one page and its `next_cursor` (null on
/// the last page). One schema for both, so a page cannot match two schemas of the
/// `oneOf`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct ActorList {
    items: Vec<Node>,
    /// Pass as `cursor` for the next page; null on the last page; absent with `top`.
    next_cursor: Option<String>,
}

impl Node {
    fn actor(s: &MailboxSnapshot) -> Self {
        let q = |v: Option<(f64, f64)>| Quantiles { p50: v.map(|v| round(v.0)), p99: v.map(|v| round(v.1)) };
        Self {
            kind: s.kind.as_str(),
            id: s.id.clone(),
            status: s.status.as_str(),
            mailbox: Mailbox { depth: s.depth, capacity: s.capacity, max_depth: s.max_depth },
            handled: s.handled,
            wait_us: q(s.wait_us),
            handle_us: q(s.handle_us),
            restarts: s.restarts,
            last_restart_at: s.last_restart_ms.map(rfc3339),
            children: Vec::new(),
        }
    }

    /// A grouping node that is not an actor of its own (no mailbox).
    fn group(id: &str, children: Vec<Node>) -> Self {
        Self {
            kind: ActorKind::Supervisor.as_str(),
            id: id.to_string(),
            status: "running",
            mailbox: Mailbox { depth: 0, capacity: 0, max_depth: 0 },
            handled: 0,
            wait_us: Quantiles { p50: None, p99: None },
            handle_us: Quantiles { p50: None, p99: None },
            restarts: 0,
            last_restart_at: None,
            children,
        }
    }
}

fn round(us: f64) -> f64 {
    (us * 10.0).round() / 10.0
}

#[utoipa::path(
    get,
    path = "/api/v1/actors",
    operation_id = "get_actors",
    tag = "actors",
    params(ActorsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The supervision tree; with `top` `{\"items\":[…]}`; with `limit` or `cursor` `{\"items\":[…],\"next_cursor\":…}`", body = ActorsView),
        (status = 400, description = "`top` or `limit` out of range, `sort` without `top`, `limit`/`cursor` with `top`, a cursor not given out by this list, or an unknown parameter (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn actors(_: AdminAuth, q: web::Query<ActorsQuery>) -> Result<HttpResponse, ApiError> {
    if q.limit.is_some() || q.cursor.is_some() {
        if q.top.is_some() || q.sort.is_some() {
            return Err(ApiError::new(
                ErrorCode::BadRequest,
                "limit and cursor do not combine with top or sort",
            ));
        }
        let page = PageParams { limit: q.limit, cursor: q.cursor.clone() };
        return Ok(HttpResponse::Ok().json(page_of(&directory().all(), page)?));
    }
    if let Some(top) = q.top {
        if top == 0 || top > MAX_TOP {
            return Err(ApiError::new(ErrorCode::BadRequest, format!("top must be 1 to {MAX_TOP}")));
        }
        let items = busiest(q.sort.unwrap_or_default(), top);
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })));
    }
    if q.sort.is_some() {
        return Err(ApiError::new(ErrorCode::BadRequest, "sort needs top"));
    }
    Ok(HttpResponse::Ok().json(tree(directory().all().iter().map(|a| a.snapshot()).collect())))
}

/// The `top` busiest actors by `sort`, busiest first (`?top=N&sort=…`; also the
/// overview's `busiest`). Ranked in the directory on figures read straight from the
/// counters (the wait p99 only for `sort=wait`); only the `top` are copied out, so with
/// 100,000 room actors a request costs one pass and a partial sort, not 100,000
/// snapshots.
pub fn busiest(sort: SortKey, top: usize) -> Vec<Node> {
    let key = |s: &MailboxStats| match sort {
        SortKey::Depth => (s.depth() as f64, s.max_depth() as f64),
        SortKey::Wait => (s.wait_p99_us(), s.depth() as f64),
        SortKey::Handled => (s.handled() as f64, s.depth() as f64),
    };
    directory().top_by(top, key).iter().map(|s| Node::actor(&s.snapshot())).collect()
}

/// The cursor of an actor: `kind:id` (kinds have no `:`).
fn cursor_of(s: &MailboxSnapshot) -> String {
    format!("{}:{}", s.kind.as_str(), s.id)
}

/// One page of every actor, by kind then id, after the cursor; only the page's
/// actors are copied out.
fn page_of(live: &[Arc<MailboxStats>], params: PageParams) -> Result<Page<Node>, ApiError> {
    let is_cursor = |c: &str| {
        c.split_once(':').is_some_and(|(kind, _)| ActorKind::ALL.iter().any(|k| k.as_str() == kind))
    };
    let (limit, cursor) = params.checked(is_cursor)?;
    let after = cursor.as_deref().and_then(|c| c.split_once(':'));
    fn order(s: &MailboxStats) -> (&str, &str) {
        (s.kind.as_str(), s.id.as_str())
    }
    let mut rest: Vec<&MailboxStats> =
        live.iter().map(|s| &**s).filter(|s| after.is_none_or(|after| order(s) > after)).collect();
    let keep = limit as usize + 1;
    if rest.len() > keep {
        rest.select_nth_unstable_by(keep - 1, |a, b| order(a).cmp(&order(b)));
        rest.truncate(keep);
    }
    rest.sort_by(|a, b| order(a).cmp(&order(b)));
    let page: Vec<MailboxSnapshot> = rest.iter().map(|s| s.snapshot()).collect();
    Ok(Page::from_rows(page, limit, cursor_of, |s| Node::actor(&s)))
}

/// `supervisor(root) → registry → rooms`, `supervisor(sessions) → sessions`,
/// `store_writer`, `broadcast(queue) → broadcast jobs`, `scheduler`, `sampler`, `retention`, and any
/// other kind directly under the root.
fn tree(mut all: Vec<MailboxSnapshot>) -> Node {
    all.sort_by(|a, b| a.id.cmp(&b.id));
    let of = |kind: ActorKind| all.iter().filter(move |s| s.kind == kind);
    let rooms: Vec<Node> = of(ActorKind::Room).map(Node::actor).collect();
    let mut children = Vec::new();
    let mut registries: Vec<Node> = of(ActorKind::Registry).map(Node::actor).collect();
    match registries.first_mut() {
        Some(registry) => registry.children = rooms,
        None => registries.push(Node::group("rooms", rooms)),
    }
    children.extend(registries);
    children.push(Node::group("sessions", of(ActorKind::Session).map(Node::actor).collect()));
    // Broadcast jobs hang under the broadcast queue (the actor that starts them).
    let (queues, jobs): (Vec<_>, Vec<_>) = of(ActorKind::Broadcast).partition(|s| s.id == "queue");
    let jobs: Vec<Node> = jobs.into_iter().map(Node::actor).collect();
    let mut queues: Vec<Node> = queues.into_iter().map(Node::actor).collect();
    match queues.first_mut() {
        Some(queue) => queue.children = jobs,
        None => queues.extend(jobs),
    }
    children.extend(of(ActorKind::StoreWriter).map(Node::actor));
    children.extend(queues);
    for kind in [
        ActorKind::Scheduler,
        ActorKind::Sampler,
        ActorKind::Retention,
        ActorKind::Webhook,
        ActorKind::Cluster,
        ActorKind::Supervisor,
    ] {
        children.extend(of(kind).map(Node::actor));
    }
    Node::group("root", children)
}
