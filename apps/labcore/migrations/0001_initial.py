"""The request rows' table (labcore/models.py). Written by hand so that it runs on Django 1.11
(the bullseye stack's, Python 2.7) and 5.x alike."""

from django.db import migrations, models

# What PostgreSQL itself records of each row, whatever the app says: the role that wrote it
# (current_user), the connection's application_name (libpq takes it from the client's
# PGAPPNAME when the app does not set it), and when.
SERVER_COLUMNS = """
ALTER TABLE lab_received_requests
    ADD COLUMN written_by name NOT NULL DEFAULT current_user,
    ADD COLUMN application_name text NOT NULL DEFAULT current_setting('application_name'),
    ADD COLUMN written_at timestamptz NOT NULL DEFAULT clock_timestamp();
CREATE INDEX lab_received_requests_run_id ON lab_received_requests (run_id);
"""


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="ReceivedRequest",
            fields=[
                ("id", models.AutoField(primary_key=True, serialize=False)),
                ("run_id", models.CharField(max_length=64)),
                ("request_id", models.CharField(max_length=64)),
                ("host_app", models.CharField(max_length=16)),
                ("served_by", models.CharField(max_length=16)),
            ],
            options={"db_table": "lab_received_requests"},
        ),
        migrations.RunSQL(SERVER_COLUMNS, reverse_sql=migrations.RunSQL.noop),  # the table goes with CreateModel
    ]
