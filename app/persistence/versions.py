"""Records kept as versions (incidents, decisions): every version is a row of its own, with
the record's id and a rising version, and no row is ever changed. The record as it stands
is its latest version."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on

from app.persistence.tables import DecisionRow, IncidentRow

V = TypeVar("V", IncidentRow, DecisionRow)


def latest_versions(model: type[V]) -> Select[V]:
    """Each record's latest version (a later version supersedes the one before); narrow it
    with `.where(...)`."""
    return select(model).ext(distinct_on(model.id)).order_by(model.id, model.version.desc())
