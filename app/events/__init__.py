"""The event feed, for systems that poll instead of receiving webhooks."""
