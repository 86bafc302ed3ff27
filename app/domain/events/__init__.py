"""Events: the vocabulary of what the service announces, the CloudEvents envelope, webhook
signatures, the retry schedule and which addresses a webhook may not reach. Pure: the
outbox (app/persistence/outbox.py) and the dispatcher (app/webhooks/) do the I/O."""
