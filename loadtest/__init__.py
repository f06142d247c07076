"""Load generator and referee for the mod_wsgi environment-leak lab.

The verdict comes from what the Celery workers received (their receipts), cross-checked task
by task with the broker's own record of every publish (RabbitMQ's firehose), never from what
the web side believed it did. The roles, one module each, and what each is: docs/referee.md
(its table is written from the modules' own docstrings by `make docs`).
"""
