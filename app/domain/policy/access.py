"""Roles and the decision matrix of a policy profile, read from its [roles] and [matrix] tables
(docs/domain.md: matrix) and checked before the service starts: a mistake in the data must stop
the service, never quietly let someone do something or stop staff doing their work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.domain.vocabulary import Action, MarkerKind, Role

# Decided per marker kind: who may impose a one-day suspension is not who may impose a
# formal restriction. Every other action is decided once, whatever the kind.
KIND_ACTIONS = frozenset({Action.IMPOSE_MARKER, Action.VARY_MARKER, Action.LIFT_MARKER})

ROLE_GROUPS = ("staff", "machine")


class ProfileError(ValueError):
    """The profile's data cannot be used: the message names the file, the table and the fault."""


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may take one action (on one kind): the roles the profile names, and every role
    senior to one of them."""

    key: str  # "impose_marker.telephone_suspension", or "read_marker"
    named: tuple[Role, ...]  # as written in the profile
    allowed: frozenset[Role]  # with the senior roles added
    allowed_sorted: tuple[Role, ...]
    text: str  # "impose_marker.telephone_suspension: team_leader and above"


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    staff_roles: tuple[Role, ...]  # in the order the profile declares them, junior first
    machine_roles: tuple[Role, ...]
    # role -> every role it inherits from, directly or not (itself excluded)
    juniors: Mapping[Role, frozenset[Role]]
    # (action, None) for an action decided once; (action, kind) for a KIND_ACTIONS one
    rules: Mapping[tuple[Action, MarkerKind | None], Rule]
    roles: frozenset[Role]  # every role declared, staff and machine


def _fail(source: str, where: str, message: str) -> ProfileError:
    return ProfileError(f"{source}: {where}: {message}")


def _names(value: Any, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, where, "must be a list of role names")
    if len(set(value)) != len(value):
        raise _fail(source, where, "names a role twice")
    return tuple(value)


def _parse_roles(
    raw: Any, source: str
) -> tuple[dict[str, tuple[Role, ...]], tuple[Role, ...], tuple[Role, ...]]:
    if not isinstance(raw, dict):
        raise _fail(source, "[roles]", "missing: the profile must declare its roles")
    unknown = sorted(set(raw) - set(ROLE_GROUPS))
    if unknown:
        raise _fail(
            source, "[roles]", f"unknown group {unknown[0]!r}: roles are 'staff' or 'machine'"
        )
    inherits: dict[str, tuple[Role, ...]] = {}
    groups: dict[str, tuple[Role, ...]] = {}
    for group in ROLE_GROUPS:
        table = raw.get(group, {})
        if not isinstance(table, dict):
            raise _fail(source, f"[roles.{group}]", "must be a table of role = [juniors]")
        for role, juniors in table.items():
            if role in inherits:
                raise _fail(source, f"[roles.{group}] {role}", "is declared twice")
            inherits[role] = _names(juniors, source, f"[roles.{group}] {role}")
        groups[group] = tuple(table)
    if not groups["staff"]:
        raise _fail(source, "[roles.staff]", "declares no staff role")
    for role, juniors in inherits.items():
        for junior in juniors:
            if junior not in inherits:
                raise _fail(source, f"[roles] {role}", f"inherits from unknown role {junior!r}")
    return inherits, groups["staff"], groups["machine"]


def _closure(inherits: Mapping[Role, tuple[Role, ...]], source: str) -> dict[Role, frozenset[Role]]:
    """Every role each role inherits from, through any number of steps; a cycle would make two
    roles each senior to the other, so it is refused."""
    done: dict[Role, frozenset[Role]] = {}

    def visit(role: Role, path: tuple[Role, ...]) -> frozenset[Role]:
        if role in path:
            cycle = " -> ".join((*path[path.index(role) :], role))
            raise _fail(source, "[roles]", f"seniority goes round in a circle: {cycle}")
        if role not in done:
            found: set[Role] = set()
            for junior in inherits[role]:
                found |= {junior, *visit(junior, (*path, role))}
            done[role] = frozenset(found)
        return done[role]

    for role in inherits:
        visit(role, ())
    return done


def _describe(named: Iterable[Role], juniors: Mapping[Role, frozenset[Role]]) -> str:
    """'ccsm and above', 'service_manager and above, or complaints_lead and above'."""
    has_seniors = {j for js in juniors.values() for j in js}
    parts = [f"{role} and above" if role in has_seniors else role for role in named]
    return ", or ".join(parts)


def parse_access(
    raw_roles: Any, raw_matrix: Any, kinds: frozenset[MarkerKind], source: str
) -> AccessPolicy:
    """The profile's roles and matrix, validated and precomputed: each (action, kind) maps to
    the set of roles allowed, so a decision is one dict lookup and one set intersection."""
    inherits, staff, machine = _parse_roles(raw_roles, source)
    juniors = _closure(inherits, source)
    seniors: dict[Role, set[Role]] = {role: set() for role in inherits}
    for role, below in juniors.items():
        for junior in below:
            seniors[junior].add(role)

    if not isinstance(raw_matrix, dict):
        raise _fail(source, "[matrix]", "missing: the profile must say who may do what")
    actions = {a.value: a for a in Action}
    for key in raw_matrix:
        if key not in actions:
            raise _fail(
                source,
                f"[matrix] {key}",
                f"unknown action: the actions are {', '.join(sorted(actions))}",
            )
    missing = [a for a in Action if a.value not in raw_matrix]
    if missing:
        raise _fail(
            source,
            "[matrix]",
            f"says nothing about {missing[0].value}: every action must name who may take it",
        )

    def rule(key: str, value: Any, label: str = "") -> Rule:
        where = f"[matrix] {key}"
        named = _names(value, source, where)
        if not named:
            raise _fail(source, where, "names no role: nobody could take this action")
        for role in named:
            if role not in inherits:
                raise _fail(
                    source,
                    where,
                    f"unknown role {role!r}: declare it under [roles.staff] or [roles.machine]",
                )
        allowed = frozenset(named).union(*(seniors[r] for r in named))
        text = f"{key}{label}: {_describe(named, juniors)}"
        return Rule(key, named, allowed, tuple(sorted(allowed)), text)

    rules: dict[tuple[Action, MarkerKind | None], Rule] = {}
    known_kinds = {k.value: k for k in MarkerKind}
    # Tables first, so that an action given as "the same as" another finds its rules.
    for action in sorted(Action, key=lambda a: isinstance(raw_matrix[a.value], str)):
        value = raw_matrix[action.value]
        if action not in KIND_ACTIONS:
            if not isinstance(value, list):
                raise _fail(
                    source,
                    f"[matrix] {action.value}",
                    "must be a list of roles (it is decided once, whatever the kind)",
                )
            rules[(action, None)] = rule(action.value, value)
        elif isinstance(value, str):
            same = actions.get(value)
            if same is None or same not in KIND_ACTIONS or same is action:
                raise _fail(
                    source,
                    f"[matrix] {action.value}",
                    f"{value!r} is not another per-kind action to take the rules of",
                )
            if isinstance(raw_matrix[value], str):
                raise _fail(
                    source,
                    f"[matrix] {action.value}",
                    f"{value!r} itself takes its rules from another action: name that one",
                )
            for kind in sorted(kinds):
                base = rules[(same, kind)]
                rules[(action, kind)] = rule(
                    f"{action.value}.{kind.value}", list(base.named), f" (as {base.key})"
                )
        elif isinstance(value, dict):
            for name, roles in value.items():
                given = known_kinds.get(name)
                where = f"[matrix.{action.value}] {name}"
                if given is None:
                    raise _fail(source, where, "unknown marker kind")
                if given not in kinds:
                    raise _fail(
                        source, where, f"{name} is not a restriction this profile's kinds include"
                    )
                rules[(action, given)] = rule(f"{action.value}.{name}", roles)
            for kind in sorted(kinds):
                if (action, kind) not in rules:
                    raise _fail(
                        source,
                        f"[matrix.{action.value}]",
                        f"says nothing about {kind.value}: every kind the profile provides "
                        "must name who may take this action on it",
                    )
        else:
            raise _fail(
                source,
                f"[matrix] {action.value}",
                "must be a table of kind = [roles], or the name of another per-kind action",
            )
    return AccessPolicy(staff, machine, juniors, rules, frozenset(inherits))
