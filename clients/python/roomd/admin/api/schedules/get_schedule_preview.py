from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.schedule_preview import SchedulePreview
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    cron: str,
    timezone: str | Unset = UNSET,
    count: int | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["cron"] = cron

    params["timezone"] = timezone

    params["count"] = count

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/schedules/preview",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | SchedulePreview | None:
    if response.status_code == 200:
        response_200 = SchedulePreview.from_dict(response.json())

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
) -> Response[ErrorBody | SchedulePreview]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    cron: str,
    timezone: str | Unset = UNSET,
    count: int | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | SchedulePreview]:
    """
    Args:
        cron (str):
        timezone (str | Unset):
        count (int | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SchedulePreview]
    """

    kwargs = _get_kwargs(
        cron=cron,
        timezone=timezone,
        count=count,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    cron: str,
    timezone: str | Unset = UNSET,
    count: int | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | SchedulePreview | None:
    """
    Args:
        cron (str):
        timezone (str | Unset):
        count (int | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SchedulePreview
    """

    return sync_detailed(
        client=client,
        cron=cron,
        timezone=timezone,
        count=count,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    cron: str,
    timezone: str | Unset = UNSET,
    count: int | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorBody | SchedulePreview]:
    """
    Args:
        cron (str):
        timezone (str | Unset):
        count (int | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | SchedulePreview]
    """

    kwargs = _get_kwargs(
        cron=cron,
        timezone=timezone,
        count=count,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    cron: str,
    timezone: str | Unset = UNSET,
    count: int | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorBody | SchedulePreview | None:
    """
    Args:
        cron (str):
        timezone (str | Unset):
        count (int | Unset):
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | SchedulePreview
    """

    return (
        await asyncio_detailed(
            client=client,
            cron=cron,
            timezone=timezone,
            count=count,
            x_request_id=x_request_id,
        )
    ).parsed
