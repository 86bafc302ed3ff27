"""Webhooks: the subscriptions (admin), and the dispatcher that publishes the outbox in
commit order, fires expiry events at their instant, and delivers each event to each
subscribed endpoint as a signed CloudEvent, retrying on the schedule in
app/domain/events/retry.py."""
