"""Subscriptions to the events, managed by the admin role. Thin: parse, call the service,
shape."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from app.auth import Action, ActionContext, authorise
from app.deps import Now, WriteSession
from app.problems import problem_responses
from app.settings import Settings
from app.webhooks import subscriptions as service
from app.webhooks.schemas import (
    CreateSubscription,
    DeliveryLog,
    Redeliver,
    Redelivered,
    SecretRotated,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionOut,
    subscription_json,
)

router = APIRouter(tags=["Events"])

SubscriptionId = Annotated[uuid.UUID, Path(description="The subscription's id.")]
MANAGE = authorise(Action.MANAGE_SUBSCRIPTIONS)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Subscribe an endpoint to events",
    description=(
        "Each event of the types named is POSTed to `url` as a CloudEvent (structured mode, "
        "`application/cloudevents+json`), signed under Standard Webhooks headers "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the secret returned "
        "here, once. Only a 2xx counts as delivered; redirects are not followed; a 410 "
        "disables the subscription. Failed deliveries are retried for about three days "
        "(README: the retry schedule), and a customer's later events wait behind a failing "
        "one on this endpoint only. Events recorded from now on are sent."
    ),
    response_model=SubscriptionCreated,
    responses=problem_responses(400, 408, 413, 422, 503),
)
async def create_subscription(
    body: CreateSubscription,
    db: WriteSession,
    at: Now,
    request: Request,
    context: ActionContext = Depends(MANAGE),
) -> dict[str, Any]:
    row, secret = await service.create(
        db, context, body, _settings(request), at, request.app.state.secret_box
    )
    return {**subscription_json(row, at), "secret": secret}


@router.get(
    "/subscriptions",
    summary="Every subscription",
    description="Deleted ones included, with their status. Secrets are never shown again.",
    response_model=SubscriptionList,
    responses=problem_responses(503),
)
async def list_subscriptions(
    db: WriteSession, at: Now, _: ActionContext = Depends(MANAGE)
) -> dict[str, Any]:
    return {"subscriptions": [subscription_json(r, at) for r in await service.listed(db)]}


@router.get(
    "/subscriptions/{subscription_id}",
    summary="A subscription",
    response_model=SubscriptionOut,
    responses=problem_responses(404, 422, 503),
)
async def get_subscription(
    subscription_id: SubscriptionId, db: WriteSession, at: Now, _: ActionContext = Depends(MANAGE)
) -> dict[str, Any]:
    return subscription_json(await service.found(db, subscription_id), at)


@router.post(
    "/subscriptions/{subscription_id}/pause",
    summary="Pause a subscription",
    description="Nothing is sent while paused; events go on being kept for it, and are sent "
    "in order on resume.",
    response_model=SubscriptionOut,
    responses=problem_responses(404, 409, 422, 503),
)
async def pause_subscription(
    subscription_id: SubscriptionId, db: WriteSession, at: Now, _: ActionContext = Depends(MANAGE)
) -> dict[str, Any]:
    return subscription_json(await service.pause(db, subscription_id, at), at)


@router.post(
    "/subscriptions/{subscription_id}/resume",
    summary="Resume a paused or disabled subscription",
    response_model=SubscriptionOut,
    responses=problem_responses(404, 409, 422, 503),
)
async def resume_subscription(
    subscription_id: SubscriptionId, db: WriteSession, at: Now, _: ActionContext = Depends(MANAGE)
) -> dict[str, Any]:
    return subscription_json(await service.resume(db, subscription_id, at), at)


@router.post(
    "/subscriptions/{subscription_id}/secret-rotations",
    summary="Rotate a subscription's secret",
    description="A new secret, shown once. Until `previous_secret_valid_until` each "
    "delivery carries two signatures, one per secret, so the receiver can switch at its "
    "own pace.",
    response_model=SecretRotated,
    responses=problem_responses(404, 409, 422, 503),
)
async def rotate_secret(
    subscription_id: SubscriptionId,
    db: WriteSession,
    at: Now,
    request: Request,
    _: ActionContext = Depends(MANAGE),
) -> dict[str, Any]:
    overlap = timedelta(seconds=_settings(request).webhook_rotation_overlap_seconds)
    row, secret = await service.rotate(
        db, subscription_id, overlap, at, request.app.state.secret_box
    )
    return {
        "id": row.id,
        "secret": secret,
        "previous_secret_valid_until": row.previous_secret_until,
    }


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Delete a subscription",
    description="Nothing more is sent or kept for it; the subscription (status `deleted`) "
    "and its delivery log are kept. Deleting it again answers the same.",
    response_model=SubscriptionOut,
    responses=problem_responses(404, 422, 503),
)
async def delete_subscription(
    subscription_id: SubscriptionId, db: WriteSession, at: Now, _: ActionContext = Depends(MANAGE)
) -> dict[str, Any]:
    return subscription_json(await service.delete(db, subscription_id, at), at)


@router.get(
    "/subscriptions/{subscription_id}/attempts",
    summary="A subscription's delivery log",
    description="Every delivery attempt, oldest first: the event, the attempt's number, "
    "when, the receiver's status and how long it took.",
    response_model=DeliveryLog,
    responses=problem_responses(404, 422, 503),
)
async def delivery_log(
    subscription_id: SubscriptionId,
    db: WriteSession,
    after: Annotated[int, Query(ge=0, description="The last attempt's `id` seen.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    _: ActionContext = Depends(MANAGE),
) -> dict[str, Any]:
    rows = await service.attempts(db, subscription_id, after, limit)
    return {
        "attempts": [
            {
                "id": r.id,
                "event_id": r.event_id,
                "attempt": r.attempt,
                "attempted_at": r.attempted_at,
                "status_code": r.status_code,
                "latency_ms": r.latency_ms,
                "outcome": r.outcome,
            }
            for r in rows
        ],
        "next": str(rows[-1].id) if len(rows) == limit else None,
    }


@router.post(
    "/subscriptions/{subscription_id}/redeliveries",
    status_code=202,
    summary="Send events again",
    description="One event (`event_id`, delivered or failed), or every event that failed "
    "for good whose time is in [`failed_from`, `failed_to`). Each is sent with its "
    "original `webhook-id`, so a receiver that already has it drops it.",
    response_model=Redelivered,
    responses=problem_responses(400, 404, 408, 409, 413, 422, 503),
)
async def redeliver(
    subscription_id: SubscriptionId,
    body: Annotated[
        Redeliver,
        Body(
            openapi_examples={
                "one": {
                    "summary": "One event",
                    "value": {"event_id": "0b9e6d1c-58a4-4f7e-8c3d-2a1b0c9d8e7f"},
                },
                "failed": {
                    "summary": "Every event that failed for good in a range",
                    "value": {
                        "failed_from": "2026-07-01T00:00:00+01:00",
                        "failed_to": "2026-07-04T00:00:00+01:00",
                    },
                },
            }
        ),
    ],
    db: WriteSession,
    at: Now,
    _: ActionContext = Depends(MANAGE),
) -> dict[str, Any]:
    return {"queued": await service.redeliver(db, subscription_id, body, at)}
