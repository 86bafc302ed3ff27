"""Conditional updates (RFC 9110, 8.8.3 and 13.1.1): every versioned record's entity tag is
its version, and `If-Match` makes a change happen only to the version the caller read, as
`expected_version` in the body does. No I/O."""

from __future__ import annotations

from dataclasses import dataclass


def entity_tag(version: int) -> str:
    """A strong tag: a record's version changes exactly when what it says changes."""
    return f'"v{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    any_version: bool  # `*`: the record need only exist
    versions: frozenset[int]

    def matches(self, version: int) -> bool:
        return self.any_version or version in self.versions


def parse_if_match(raw: str) -> IfMatch:
    """`*`, or a list of entity tags. If-Match compares strongly, so a weak tag (`W/"v1"`)
    never matches; neither does a tag this service did not give. Either way the update is
    refused (412), never applied to a version the caller did not name."""
    if raw.strip() == "*":
        return IfMatch(True, frozenset())
    versions: set[int] = set()
    for item in raw.split(","):
        tag = item.strip()
        if len(tag) >= 4 and tag.startswith('"v') and tag.endswith('"'):
            number = tag[2:-1]
            if number.isascii() and number.isdigit() and len(number) <= 9:
                versions.add(int(number))
    return IfMatch(False, frozenset(versions))
