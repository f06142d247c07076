"""Load generator and referee for the mod_wsgi environment-leak lab.

The verdict comes from what the Celery workers received (their receipts) and is
cross-checked against RabbitMQ's per-vhost publish counters, never from what the web side
believed it did.
"""
