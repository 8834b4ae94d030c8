from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    token: str | Unset = UNSET,
    sec_web_socket_protocol: None | str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(sec_web_socket_protocol, Unset):
        headers["Sec-WebSocket-Protocol"] = sec_web_socket_protocol

    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["token"] = token

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/ws",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | ErrorBody | None:
    if response.status_code == 101:
        response_101 = cast(Any, None)
        return response_101

    if response.status_code == 400:
        response_400 = cast(Any, None)
        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

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
) -> Response[Any | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    token: str | Unset = UNSET,
    sec_web_socket_protocol: None | str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[Any | ErrorBody]:
    """WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer`, in the subprotocol
    `roomd.token.<TOKEN>` offered together with `roomd.v1` (browsers), or in `?token=`. A client that
    offers `roomd.v1` (or sends `Origin`) learns of a bad token from a close code after the upgrade
    (4500, 4501, 4502) instead of a 401.

    Args:
        token (str | Unset):
        sec_web_socket_protocol (None | str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
    """

    kwargs = _get_kwargs(
        token=token,
        sec_web_socket_protocol=sec_web_socket_protocol,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    token: str | Unset = UNSET,
    sec_web_socket_protocol: None | str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Any | ErrorBody | None:
    """WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer`, in the subprotocol
    `roomd.token.<TOKEN>` offered together with `roomd.v1` (browsers), or in `?token=`. A client that
    offers `roomd.v1` (or sends `Origin`) learns of a bad token from a close code after the upgrade
    (4500, 4501, 4502) instead of a 401.

    Args:
        token (str | Unset):
        sec_web_socket_protocol (None | str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return sync_detailed(
        client=client,
        token=token,
        sec_web_socket_protocol=sec_web_socket_protocol,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    token: str | Unset = UNSET,
    sec_web_socket_protocol: None | str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[Any | ErrorBody]:
    """WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer`, in the subprotocol
    `roomd.token.<TOKEN>` offered together with `roomd.v1` (browsers), or in `?token=`. A client that
    offers `roomd.v1` (or sends `Origin`) learns of a bad token from a close code after the upgrade
    (4500, 4501, 4502) instead of a 401.

    Args:
        token (str | Unset):
        sec_web_socket_protocol (None | str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorBody]
    """

    kwargs = _get_kwargs(
        token=token,
        sec_web_socket_protocol=sec_web_socket_protocol,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    token: str | Unset = UNSET,
    sec_web_socket_protocol: None | str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Any | ErrorBody | None:
    """WebSocket upgrade (docs/PROTOCOL.md). The token goes in `Authorization: Bearer`, in the subprotocol
    `roomd.token.<TOKEN>` offered together with `roomd.v1` (browsers), or in `?token=`. A client that
    offers `roomd.v1` (or sends `Origin`) learns of a bad token from a close code after the upgrade
    (4500, 4501, 4502) instead of a 401.

    Args:
        token (str | Unset):
        sec_web_socket_protocol (None | str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            token=token,
            sec_web_socket_protocol=sec_web_socket_protocol,
            x_request_id=x_request_id,
        )
    ).parsed
