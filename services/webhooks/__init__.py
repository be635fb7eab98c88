"""Webhooks: claim events delivered over HTTP to services that do not run a Kafka consumer.

Subscriptions (URL, event types, payer filter, secret) live in the database and are managed
through the API (``services/api/webhooks.py``) and ``claimflow webhooks``. The
``webhook-delivery`` process reads the topics and POSTs each matching event with the
CloudEvents HTTP binding, signed the Standard Webhooks way, in order per claim, retried with
backoff and dead-lettered after a bound.
"""
