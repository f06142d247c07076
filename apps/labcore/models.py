"""The row each POST /enqueue/ request writes through the Django ORM (SCENARIO=twelve-factor):
into the database the interpreter's settings name (DATABASE_URL), as the role they name.
Where a request's row really landed is read back from PostgreSQL itself
(loadtest/database.py), never from the app's answer. Imported only when the settings install
labcore (the twelve-factor ones): the other scenarios have no database."""

from django.db import models


class ReceivedRequest(models.Model):
    id = models.AutoField(primary_key=True)  # the same on Django 1.11 and 5.x: no DEFAULT_AUTO_FIELD
    run_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64)
    # The app of the Host the request was sent to, and the app whose settings served it.
    host_app = models.CharField(max_length=16)
    served_by = models.CharField(max_length=16)
    # The table has three more columns the ORM never writes: PostgreSQL fills them in itself
    # (migrations/0001_initial.py): the role that wrote the row, the connection's
    # application_name, and when.

    class Meta:
        app_label = "labcore"
        db_table = "lab_received_requests"
