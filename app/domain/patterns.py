"""How each input pattern is said in words, for problems that explain a refusal."""

from __future__ import annotations

# The patterns the request shapes use, said in words: a raw regular expression tells an
# integrator nothing about what to send instead.
PATTERN_WORDS: dict[str, str] = {}


def explain_pattern(pattern: str, words: str) -> str:
    """Register how a pattern is described in problems; returns the pattern for use."""
    PATTERN_WORDS[pattern] = words
    return pattern
