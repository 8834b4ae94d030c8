from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.message_item import MessageItem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    seq: int,
    *,
    reason: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["reason"] = reason

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/v1/rooms/{id}/messages/{seq}".format(
            id=quote(str(id), safe=""),
            seq=quote(str(seq), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | MessageItem | None:
    if response.status_code == 200:
        response_200 = MessageItem.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

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
) -> Response[ErrorBody | MessageItem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    seq: int,
    *,
    client: AuthenticatedClient,
    reason: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | MessageItem]:
    """Makes the message a tombstone: its text is removed, it keeps its seq and carries
    `deleted`, `deleted_by` (`system`) and `deleted_at`; members online get
    `message_deleted`. Deleting a tombstone again changes nothing and answers it.

    Args:
        id (str):
        seq (int):
        reason (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MessageItem]
    """

    kwargs = _get_kwargs(
        id=id,
        seq=seq,
        reason=reason,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    seq: int,
    *,
    client: AuthenticatedClient,
    reason: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | MessageItem | None:
    """Makes the message a tombstone: its text is removed, it keeps its seq and carries
    `deleted`, `deleted_by` (`system`) and `deleted_at`; members online get
    `message_deleted`. Deleting a tombstone again changes nothing and answers it.

    Args:
        id (str):
        seq (int):
        reason (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MessageItem
    """

    return sync_detailed(
        id=id,
        seq=seq,
        client=client,
        reason=reason,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    id: str,
    seq: int,
    *,
    client: AuthenticatedClient,
    reason: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | MessageItem]:
    """Makes the message a tombstone: its text is removed, it keeps its seq and carries
    `deleted`, `deleted_by` (`system`) and `deleted_at`; members online get
    `message_deleted`. Deleting a tombstone again changes nothing and answers it.

    Args:
        id (str):
        seq (int):
        reason (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MessageItem]
    """

    kwargs = _get_kwargs(
        id=id,
        seq=seq,
        reason=reason,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    seq: int,
    *,
    client: AuthenticatedClient,
    reason: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | MessageItem | None:
    """Makes the message a tombstone: its text is removed, it keeps its seq and carries
    `deleted`, `deleted_by` (`system`) and `deleted_at`; members online get
    `message_deleted`. Deleting a tombstone again changes nothing and answers it.

    Args:
        id (str):
        seq (int):
        reason (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MessageItem
    """

    return (
        await asyncio_detailed(
            id=id,
            seq=seq,
            client=client,
            reason=reason,
            x_request_id=x_request_id,
        )
    ).parsed
