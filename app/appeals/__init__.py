"""Appeals against formal decisions, and the annual review of restrictions (issue #15)."""
