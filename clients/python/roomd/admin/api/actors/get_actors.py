from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.actor_list import ActorList
from ...models.actor_node import ActorNode
from ...models.actor_sort import ActorSort
from ...models.error_body import ErrorBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    top: int | Unset = UNSET,
    sort: ActorSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["top"] = top

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort.value

    params["sort"] = json_sort

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/actors",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ActorList | ActorNode | ErrorBody | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ActorList | ActorNode:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_actors_type_0 = ActorNode.from_dict(data)

                return componentsschemas_actors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_actors_type_1 = ActorList.from_dict(data)

            return componentsschemas_actors_type_1

        response_200 = _parse_response_200(response.json())

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
) -> Response[ActorList | ActorNode | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    top: int | Unset = UNSET,
    sort: ActorSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ActorList | ActorNode | ErrorBody]:
    """
    Args:
        top (int | Unset):
        sort (ActorSort | Unset): What `top` ranks the actors by: mailbox depth (default), the
            99th percentile of
            the wait in the mailbox, or messages handled.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActorList | ActorNode | ErrorBody]
    """

    kwargs = _get_kwargs(
        top=top,
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
    top: int | Unset = UNSET,
    sort: ActorSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ActorList | ActorNode | ErrorBody | None:
    """
    Args:
        top (int | Unset):
        sort (ActorSort | Unset): What `top` ranks the actors by: mailbox depth (default), the
            99th percentile of
            the wait in the mailbox, or messages handled.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActorList | ActorNode | ErrorBody
    """

    return sync_detailed(
        client=client,
        top=top,
        sort=sort,
        limit=limit,
        cursor=cursor,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    top: int | Unset = UNSET,
    sort: ActorSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ActorList | ActorNode | ErrorBody]:
    """
    Args:
        top (int | Unset):
        sort (ActorSort | Unset): What `top` ranks the actors by: mailbox depth (default), the
            99th percentile of
            the wait in the mailbox, or messages handled.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ActorList | ActorNode | ErrorBody]
    """

    kwargs = _get_kwargs(
        top=top,
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
    top: int | Unset = UNSET,
    sort: ActorSort | Unset = UNSET,
    limit: int | Unset = UNSET,
    cursor: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ActorList | ActorNode | ErrorBody | None:
    """
    Args:
        top (int | Unset):
        sort (ActorSort | Unset): What `top` ranks the actors by: mailbox depth (default), the
            99th percentile of
            the wait in the mailbox, or messages handled.
        limit (int | Unset):
        cursor (str | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ActorList | ActorNode | ErrorBody
    """

    return (
        await asyncio_detailed(
            client=client,
            top=top,
            sort=sort,
            limit=limit,
            cursor=cursor,
            x_request_id=x_request_id,
        )
    ).parsed
