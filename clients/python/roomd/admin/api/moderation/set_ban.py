from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.restriction_view import RestrictionView
from ...models.set_restriction import SetRestriction
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    user_id: str,
    *,
    body: SetRestriction,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/api/v1/rooms/{id}/bans/{user_id}".format(
            id=quote(str(id), safe=""),
            user_id=quote(str(user_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | RestrictionView | None:
    if response.status_code == 200:
        response_200 = RestrictionView.from_dict(response.json())

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

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())

        return response_422

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
) -> Response[ErrorBody | RestrictionView]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: SetRestriction,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | RestrictionView]:
    """Bans the user from the room: their sessions leave it at once (`room_closed`,
    reason `banned`), the membership goes, and their joins are refused with `banned`
    until the ban lapses or is lifted. A user who never joined may be banned.

    Args:
        id (str):
        user_id (str):
        x_request_id (str | Unset):
        body (SetRestriction): `PUT …/bans/{user_id}` and `PUT …/mutes/{user_id}` body: `{}` for
            one until lifted.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | RestrictionView]
    """

    kwargs = _get_kwargs(
        id=id,
        user_id=user_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: SetRestriction,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | RestrictionView | None:
    """Bans the user from the room: their sessions leave it at once (`room_closed`,
    reason `banned`), the membership goes, and their joins are refused with `banned`
    until the ban lapses or is lifted. A user who never joined may be banned.

    Args:
        id (str):
        user_id (str):
        x_request_id (str | Unset):
        body (SetRestriction): `PUT …/bans/{user_id}` and `PUT …/mutes/{user_id}` body: `{}` for
            one until lifted.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | RestrictionView
    """

    return sync_detailed(
        id=id,
        user_id=user_id,
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    id: str,
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: SetRestriction,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | RestrictionView]:
    """Bans the user from the room: their sessions leave it at once (`room_closed`,
    reason `banned`), the membership goes, and their joins are refused with `banned`
    until the ban lapses or is lifted. A user who never joined may be banned.

    Args:
        id (str):
        user_id (str):
        x_request_id (str | Unset):
        body (SetRestriction): `PUT …/bans/{user_id}` and `PUT …/mutes/{user_id}` body: `{}` for
            one until lifted.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | RestrictionView]
    """

    kwargs = _get_kwargs(
        id=id,
        user_id=user_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    user_id: str,
    *,
    client: AuthenticatedClient,
    body: SetRestriction,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | RestrictionView | None:
    """Bans the user from the room: their sessions leave it at once (`room_closed`,
    reason `banned`), the membership goes, and their joins are refused with `banned`
    until the ban lapses or is lifted. A user who never joined may be banned.

    Args:
        id (str):
        user_id (str):
        x_request_id (str | Unset):
        body (SetRestriction): `PUT …/bans/{user_id}` and `PUT …/mutes/{user_id}` body: `{}` for
            one until lifted.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | RestrictionView
    """

    return (
        await asyncio_detailed(
            id=id,
            user_id=user_id,
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
