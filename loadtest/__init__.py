"""Load generator and referee for the mod_wsgi environment-leak lab.

The verdict comes from what the Celery workers received (their receipts), cross-checked
against RabbitMQ's per-vhost publish counters, never from what the web side believed it did.

The roles, each importing only those listed before it (as Jepsen separates them):
    lab        the vocabulary: Hosts, apps, knob choices (choices.mk), UsageError
    generator  the plan: which Host each request goes to
    client     sends the plan's requests, classifies errors, shows progress
    xray       asks every interpreter what it sees (GET /xray/), and the versions
    history    the workers' receipts and the broker's counters, read until they settle
    checker    pure: accounting, verdict, timeline, failure causes
    report     the stored JSON document, rendered as text and HTML
    cli        argument parsing and the run, in that order
"""
