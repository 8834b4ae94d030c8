"""roomd.admin, the generated admin API client, against a real server.

Self-contained: starts its own `roomd serve` (`$ROOMD_BIN`, by default
`<repo>/target/debug/roomd`) on a free loopback port with SQLite in a temp dir, reads
the bootstrap admin token from its stderr, and stops that process (by the pid it
started) at the end. Everything goes through the generated package: the typed models
and enums, and for the one request a typed client cannot make (a `rooms` target of no
accepted form) the same client's HTTP connection and the generated `ErrorBody` model.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roomd.admin import AuthenticatedClient
from roomd.admin.api.audit import list_audit_entries
from roomd.admin.api.broadcasts import create_broadcast, get_broadcast, stream_broadcast_events
from roomd.admin.api.rooms import create_room, list_rooms, update_room
from roomd.admin.api.tokens import create_token
from roomd.admin.models import (
    AuditAction,
    BroadcastEvent,
    BroadcastEventName,
    BroadcastStatus,
    BroadcastView,
    CreateBroadcast,
    CreateRoom,
    CreateToken,
    ErrorBody,
    ErrorCode,
    PatchRoom,
    Priority,
    RoomPage,
    RoomSettingsUpdate,
    RoomSort,
    RoomStatus,
    RoomView,
    TargetAll,
    TargetTag,
    TokenKind,
    TokenView,
)

REPO = Path(__file__).resolve().parents[3]
ROOMD_BIN = Path(os.environ.get("ROOMD_BIN") or REPO / "target" / "debug" / "roomd")
ACCEPTED_FORMS = 'rooms must be a list of room ids, "all", or {"tag": T}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, bootstrap admin token) of a roomd started for this module."""
    if not ROOMD_BIN.exists():
        pytest.fail(f"{ROOMD_BIN} is missing: run `cargo build --bin roomd` (or set ROOMD_BIN)")
    work = tmp_path_factory.mktemp("roomd-admin")
    port = _free_port()
    env = dict(os.environ)
    env.update(
        {
            "ROOMD__SERVER__BIND": f"127.0.0.1:{port}",
            "ROOMD__DATABASE__URL": f"sqlite://{work / 'roomd.db'}",
            "ROOMD__LIMITS__ADMIN_PER_SEC": "100000",
            "ROOMD__LIMITS__ADMIN_BURST": "100000",
        }
    )
    stdout, stderr = work / "stdout", work / "stderr"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen([str(ROOMD_BIN), "serve"], cwd=work, env=env, stdout=out, stderr=err)
    try:
        token = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            listening = '"msg":"listening"' in stdout.read_text(errors="replace")
            tokens = [line for line in stderr.read_text(errors="replace").splitlines() if line.startswith("rmd_")]
            if listening and tokens:
                token = tokens[0].strip()
                break
            time.sleep(0.05)
        if token is None:
            pytest.fail(
                "roomd did not start:\n--- stdout ---\n"
                + stdout.read_text(errors="replace")
                + "\n--- stderr ---\n"
                + stderr.read_text(errors="replace")
            )
        yield f"http://127.0.0.1:{port}", token
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def client(admin_server: tuple[str, str]) -> Iterator[AuthenticatedClient]:
    base, token = admin_server
    with AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True) as c:
        yield c


def _sse(block: str) -> BroadcastEvent:
    fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
    return BroadcastEvent.from_dict(fields)


def _room(client: AuthenticatedClient, room_id: str, name: str, tags: list[str]) -> RoomView:
    response = create_room.sync_detailed(
        client=client,
        body=CreateRoom(id=room_id, name=name, tags=tags, settings=RoomSettingsUpdate(max_members=50)),
    )
    assert response.status_code == 201, response.content
    assert isinstance(response.parsed, RoomView)
    return response.parsed


def test_rooms_sorted_and_timestamps_as_datetimes(client: AuthenticatedClient) -> None:
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    zulu = _room(client, "zulu", "Alpha room", ["eu"])
    alpha = _room(client, "alpha", "Zulu room", ["us"])

    assert isinstance(zulu.created_at, datetime.datetime)
    assert zulu.created_at.tzinfo is not None
    assert before <= zulu.created_at <= datetime.datetime.now(datetime.timezone.utc)
    assert zulu.status is RoomStatus.STOPPED
    assert zulu.settings.max_members == 50
    assert zulu.last_restart_at is None

    by_name = list_rooms.sync(client=client, sort=RoomSort.NAME)
    assert isinstance(by_name, RoomPage)
    names = [r.name for r in by_name.items if r.id in ("zulu", "alpha")]
    assert names == ["Alpha room", "Zulu room"]
    by_id = list_rooms.sync(client=client, sort=RoomSort.ID, status=RoomStatus.STOPPED)
    assert isinstance(by_id, RoomPage)
    assert [r.id for r in by_id.items if r.id in ("zulu", "alpha")] == ["alpha", "zulu"]

    # Room settings are a schema: null sets one back to its default.
    patched = update_room.sync(
        client=client, id="alpha", body=PatchRoom(settings=RoomSettingsUpdate(max_members=None, rules="be kind"))
    )
    assert isinstance(patched, RoomView)
    assert patched.settings.max_members is None
    assert patched.settings.rules == "be kind"
    assert alpha.id == patched.id


def test_broadcast_to_each_target_form(client: AuthenticatedClient) -> None:
    _room(client, "lobby", "Lobby", ["support"])
    _room(client, "help", "Help", ["support"])

    for target, expected in [
        (["lobby", "help"], ["lobby", "help"]),
        (TargetAll.ALL, TargetAll.ALL),
        (TargetTag(tag="support"), TargetTag(tag="support")),
    ]:
        response = create_broadcast.sync_detailed(
            client=client, body=CreateBroadcast(text="maintenance at noon", rooms=target, priority=Priority.HIGH)
        )
        assert response.status_code == 201, response.content
        job = response.parsed
        assert isinstance(job, BroadcastView)
        assert job.target == expected
        assert job.priority is Priority.HIGH
        assert isinstance(job.status, BroadcastStatus)
        assert isinstance(job.created_at, datetime.datetime)
        again = get_broadcast.sync(client=client, id=job.id)
        assert isinstance(again, BroadcastView)
        assert again.target == expected

    # The progress stream (Server-Sent Events) ends with `done`, whose data is the job.
    stream = stream_broadcast_events.sync_detailed(client=client, id=job.id)
    assert stream.status_code == 200
    events = [_sse(block) for block in stream.content.decode().split("\n\n") if "data:" in block]
    assert events[-1].event is BroadcastEventName.DONE
    done = BroadcastView.from_dict(json.loads(events[-1].data))
    assert done.id == job.id and done.status is BroadcastStatus.DONE, done.status
    assert isinstance(done.finished_at, datetime.datetime)

    entries = list_audit_entries.sync(client=client, action=AuditAction.BROADCAST_CREATE)
    assert entries is not None
    assert len(entries.items) >= 3
    assert all(e.action is AuditAction.BROADCAST_CREATE for e in entries.items)
    assert all(isinstance(e.at, datetime.datetime) for e in entries.items)


def test_a_target_of_no_form_is_422_naming_the_accepted_forms(client: AuthenticatedClient) -> None:
    # The typed model cannot hold such a target, so the body goes through the same
    # client's HTTP connection and the answer is read with the generated ErrorBody.
    http = client.get_httpx_client()
    for bad in [5, "everything", {"tags": "support"}, ["lobby", 7], None]:
        response = http.post("/api/v1/broadcasts", json={"text": "hi", "rooms": bad})
        assert response.status_code == 422, (bad, response.text)
        error = ErrorBody.from_dict(response.json())
        assert error.error.code is ErrorCode.UNPROCESSABLE
        assert error.error.message.startswith(ACCEPTED_FORMS), (bad, error.error.message)
        assert "Target" not in error.error.message and "untagged" not in error.error.message


def test_create_token_with_a_kind(client: AuthenticatedClient) -> None:
    response = create_token.sync_detailed(
        client=client, body=CreateToken(kind=TokenKind.BOT, name="helper-bot", roles=["greeter"])
    )
    assert response.status_code == 201, response.content
    token = response.parsed
    assert isinstance(token, TokenView)
    assert token.kind is TokenKind.BOT
    assert isinstance(token.token, str) and token.token.startswith("rmd_")
    assert isinstance(token.created_at, datetime.datetime)
    assert token.revoked_at is None


def test_unauthenticated_endpoints(admin_server: tuple[str, str]) -> None:
    from roomd.admin import Client
    from roomd.admin.api.docs import get_openapi_document
    from roomd.admin.api.health import get_health
    from roomd.admin.models import Health, HealthStatus, OpenApiDocument

    base, _ = admin_server
    with Client(base_url=base) as anonymous:
        health = get_health.sync(client=anonymous)
        assert isinstance(health, Health) and health.status is HealthStatus.OK
        doc = get_openapi_document.sync(client=anonymous)
        assert isinstance(doc, OpenApiDocument)
        assert doc.openapi.startswith("3.1")
        assert "/api/v1/rooms" in doc["paths"]
