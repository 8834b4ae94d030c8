from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.session_page import SessionPage
from ...models.token_kind import TokenKind
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    user_id: str | Unset = UNSET,
    room: str | Unset = UNSET,
    kind: TokenKind | Unset = UNSET,
    remote_addr: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["user_id"] = user_id

    params["room"] = room

    json_kind: str | Unset = UNSET
    if not isinstance(kind, Unset):
        json_kind = kind.value

    params["kind"] = json_kind

    params["remote_addr"] = remote_addr

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/sessions",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | SessionPage | None:
    if response.status_code == 200:
        response_200 = SessionPage.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | SessionPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    user_id: str | Unset = UNSET,
    room: str | Unset = UNSET,
    kind: TokenKind | Unset = UNSET,
    remote_addr: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | SessionPage]:
    """`GET /sessions`: live sessions by id.

    Args:
        user_id (str | Unset):
        room (str | Unset):
        kind (TokenKind | Unset): The kind of an access token (`system` is roomd's own and has
            none).
        remote_addr (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SessionPage]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        room=room,
        kind=kind,
        remote_addr=remote_addr,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    user_id: str | Unset = UNSET,
    room: str | Unset = UNSET,
    kind: TokenKind | Unset = UNSET,
    remote_addr: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | SessionPage | None:
    """`GET /sessions`: live sessions by id.

    Args:
        user_id (str | Unset):
        room (str | Unset):
        kind (TokenKind | Unset): The kind of an access token (`system` is roomd's own and has
            none).
        remote_addr (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SessionPage
    """

    return sync_detailed(
        client=client,
        user_id=user_id,
        room=room,
        kind=kind,
        remote_addr=remote_addr,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    user_id: str | Unset = UNSET,
    room: str | Unset = UNSET,
    kind: TokenKind | Unset = UNSET,
    remote_addr: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | SessionPage]:
    """`GET /sessions`: live sessions by id.

    Args:
        user_id (str | Unset):
        room (str | Unset):
        kind (TokenKind | Unset): The kind of an access token (`system` is roomd's own and has
            none).
        remote_addr (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SessionPage]
    """

    kwargs = _get_kwargs(
        user_id=user_id,
        room=room,
        kind=kind,
        remote_addr=remote_addr,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    user_id: str | Unset = UNSET,
    room: str | Unset = UNSET,
    kind: TokenKind | Unset = UNSET,
    remote_addr: str | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | SessionPage | None:
    """`GET /sessions`: live sessions by id.

    Args:
        user_id (str | Unset):
        room (str | Unset):
        kind (TokenKind | Unset): The kind of an access token (`system` is roomd's own and has
            none).
        remote_addr (str | Unset):
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SessionPage
    """

    return (
        await asyncio_detailed(
            client=client,
            user_id=user_id,
            room=room,
            kind=kind,
            remote_addr=remote_addr,
            limit=limit,
            cursor=cursor,
            x_request_id=x_request_id,
        )
    ).parsed
