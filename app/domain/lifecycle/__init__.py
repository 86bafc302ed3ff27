"""The life of a restriction as pure code (docs/domain.md: decision-lifecycle): working days,
appeals, reviews, the escalation ladder, incidents and the least-restrictive rule. Plain
functions over immutable values; no I/O beyond reading the policy profiles."""
