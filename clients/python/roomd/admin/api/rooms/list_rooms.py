from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.room_page import RoomPage
from ...models.room_sort import RoomSort
from ...models.room_status import RoomStatus
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    status: RoomStatus | Unset = UNSET,
    sort: RoomSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["q"] = q

    params["tag"] = tag

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status.value

    params["status"] = json_status

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/rooms",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | RoomPage | None:
    if response.status_code == 200:
        response_200 = RoomPage.from_dict(response.json())

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
) -> Response[ErrorBody | RoomPage]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    status: RoomStatus | Unset = UNSET,
    sort: RoomSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | RoomPage]:
    """
    Args:
        q (str | Unset):
        tag (str | Unset):
        status (RoomStatus | Unset): Schema only: the life of a room's actor (`stopped` when none
            is running).
        sort (RoomSort | Unset): `sort` of `GET /rooms`.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | RoomPage]
    """

    kwargs = _get_kwargs(
        q=q,
        tag=tag,
        status=status,
        sort=sort,
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
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    status: RoomStatus | Unset = UNSET,
    sort: RoomSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | RoomPage | None:
    """
    Args:
        q (str | Unset):
        tag (str | Unset):
        status (RoomStatus | Unset): Schema only: the life of a room's actor (`stopped` when none
            is running).
        sort (RoomSort | Unset): `sort` of `GET /rooms`.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | RoomPage
    """

    return sync_detailed(
        client=client,
        q=q,
        tag=tag,
        status=status,
        sort=sort,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    status: RoomStatus | Unset = UNSET,
    sort: RoomSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | RoomPage]:
    """
    Args:
        q (str | Unset):
        tag (str | Unset):
        status (RoomStatus | Unset): Schema only: the life of a room's actor (`stopped` when none
            is running).
        sort (RoomSort | Unset): `sort` of `GET /rooms`.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | RoomPage]
    """

    kwargs = _get_kwargs(
        q=q,
        tag=tag,
        status=status,
        sort=sort,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    q: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    status: RoomStatus | Unset = UNSET,
    sort: RoomSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | RoomPage | None:
    """
    Args:
        q (str | Unset):
        tag (str | Unset):
        status (RoomStatus | Unset): Schema only: the life of a room's actor (`stopped` when none
            is running).
        sort (RoomSort | Unset): `sort` of `GET /rooms`.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | RoomPage
    """

    return (
        await asyncio_detailed(
            client=client,
            q=q,
            tag=tag,
            status=status,
            sort=sort,
            limit=limit,
            cursor=cursor,
            x_request_id=x_request_id,
        )
    ).parsed
