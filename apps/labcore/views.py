"""POST /enqueue/ and GET /xray/, and Django's error views: every answer one line of JSON.
Python 2.7 and 3.x (the bullseye stack runs Django 1.11 on Python 2.7)."""

import functools
import json
import os
import re
import threading
import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import Error as DatabaseError
from django.http import JsonResponse, UnreadablePostError
from django.views.decorators.csrf import csrf_exempt

from labcore import xray
from labcore.run import SCENARIO
from labcore.tasks import record

# The largest /enqueue/ body accepted: a valid one is well under 200 bytes. (Apache itself
# refuses bodies over LimitRequestBody, apache/lab.conf, before Python runs.)
MAX_BODY_BYTES = 1024
# run_id and request_id: what the load generator sends (uuid hex, "<run_id>-<index>").
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
DIGITS = re.compile(r"[0-9]+\Z")
# SCENARIO=twelve-factor: the salt of the request_id each answer carries signed with the
# SECRET_KEY of this interpreter's settings (loadtest/database.py checks it against each app's).
SIGNING_SALT = "lab.enqueue"
try:  # Python 2.7: JSON strings are unicode; JSON nested too deeply raises a RuntimeError
    TEXT, TOO_DEEP = unicode, RuntimeError  # noqa: F821
except NameError:
    TEXT, TOO_DEEP = str, RecursionError


def _task():
    # shared_task hands out the task of Celery's *current* app for this thread: buggy mode's
    # lazily configured default app, or the app the fixed WSGI file built and made default.
    return record._get_current_object()


def error(message, status):
    """Every error answer of the lab: one line of JSON, {"error": "..."}. The message is
    always one of ours: nothing of the request is echoed back."""
    return JsonResponse({"error": message}, status=status)


def lab_endpoint(*methods):
    """Check what Django's middleware would check first (the settings have none): the Host
    (DisallowedHost goes to handler400), then the method (405 with an Allow header)."""

    def decorate(view):
        @functools.wraps(view)
        def checked(request, *args, **kwargs):
            request.get_host()  # raises DisallowedHost for a Host not in ALLOWED_HOSTS
            if request.method not in methods:
                response = error("method not allowed: use " + " or ".join(methods), 405)
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return checked

    return decorate


class Invalid(Exception):
    def __init__(self, message, status=400):
        Exception.__init__(self, message)
        self.message, self.status = message, status


def read_body(request):
    """The request body, at most MAX_BODY_BYTES: the declared length first (so a large body
    is never read), then the bytes really read."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared:
        if not DIGITS.match(declared):
            raise Invalid("Content-Length is not a number")
        if int(declared) > MAX_BODY_BYTES:
            raise Invalid("body is larger than %d bytes" % MAX_BODY_BYTES, 413)
    try:
        body = request.body
    except UnreadablePostError:  # the client went away in the middle of its body
        raise Invalid("body could not be read")
    if len(body) > MAX_BODY_BYTES:
        raise Invalid("body is larger than %d bytes" % MAX_BODY_BYTES, 413)
    return body


def parse_enqueue(request):
    """run_id and request_id of a POST /enqueue/ body, or Invalid. Keys other than these two
    are ignored: they never reach the task."""
    body = read_body(request)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("body is not UTF-8")
    try:
        document = json.loads(text)
    except (ValueError, TOO_DEEP):
        raise Invalid("body is not JSON")
    if not isinstance(document, dict):
        raise Invalid("body is not a JSON object")
    ids = {}
    for key in ("run_id", "request_id"):
        if key not in document:
            raise Invalid(key + " is required")
        value = document[key]
        if not isinstance(value, TEXT) or not ID_PATTERN.match(value):
            raise Invalid(key + " must be a string of 1 to 64 characters from A-Z a-z 0-9 _ -")
        ids[key] = value
    return ids["run_id"], ids["request_id"]


@csrf_exempt
@lab_endpoint("POST")
def enqueue(request):
    """Publish one task; say which broker vhost and user the Celery app really used."""
    try:
        run_id, request_id = parse_enqueue(request)
    except Invalid as invalid:
        return error(invalid.message, invalid.status)
    task = _task()
    broker = xray.describe_broker(task.app)
    envelope = {
        "run_id": run_id,
        "request_id": request_id,
        "served_by": settings.LAB_APP_NAME,
        "application_group": xray.application_group(),
        "process_group": xray.process_group(),
        "pid": os.getpid(),
        "publisher_vhost": broker["vhost"],
        "publisher_user": broker["user"],
    }
    answer = dict(
        envelope,
        broker=broker,
        django_settings=settings.SETTINGS_MODULE,
        interpreter=xray.interpreter(),
        # Which Apache thread served it: Celery's current app is per thread.
        thread=threading.current_thread().ident,
        # When Apache read this request (microseconds): the first request an interpreter served
        # started before mod_wsgi created it, so this bounds the creation from below.
        request_started_at=int(request.META.get("mod_wsgi.request_start") or 0) / 1e6 or None,
    )
    if SCENARIO == "time-zone":
        answer["clock"] = clock()
    if "labcore" in settings.INSTALLED_APPS:  # the twelve-factor settings: the rows' model is there
        try:
            answer.update(write_row(request, run_id, request_id))
        except DatabaseError as exc:  # PostgreSQL refused us: report it, as a broker refusal below
            answer["used"] = xray.used(task.app, broker, database_settings())
            return JsonResponse(dict(answer, error=str(exc).strip(), error_type=type(exc).__name__), status=502)
    answer["used"] = xray.used(task.app, broker, answer.get("database"))
    try:
        result = task.apply_async(args=[envelope])
    except Exception as exc:  # the broker refused us: report it, do not hide it
        return JsonResponse(dict(answer, error=str(exc), error_type=type(exc).__name__), status=502)
    return JsonResponse(dict(answer, task_id=result.id))


def write_row(request, run_id, request_id):
    """SCENARIO=twelve-factor: this request's row, written through the ORM into the database
    this interpreter's settings name (DATABASE_URL), and its request_id signed with their
    SECRET_KEY. Returns what the answer says of both: the app's word, which the referee never
    takes (it reads PostgreSQL and checks the signature against each app's key itself)."""
    from django.core import signing

    from labcore.models import ReceivedRequest

    ReceivedRequest.objects.create(
        run_id=run_id,
        request_id=request_id,
        host_app=request.get_host().split(".")[0],
        served_by=settings.LAB_APP_NAME,
    )
    return {
        "database": database_settings(),
        "signed_request_id": signing.Signer(salt=SIGNING_SALT).sign(request_id),
    }


def database_settings():
    """The database this interpreter's settings name, without the password."""
    from django.db import connection

    found = connection.settings_dict
    return {"name": found["NAME"], "user": found["USER"], "host": found["HOST"], "port": found["PORT"] or 5432}


def clock():
    """SCENARIO=time-zone: the time zone this interpreter's settings ask for, what the process
    environment and the C library say now, and the local time both ways: the C library's
    (time.localtime(), one zone per process) and Django's (aware, from this app's TIME_ZONE)."""
    from django.utils import timezone

    local = timezone.localtime(timezone.now())
    return {
        "time_zone": settings.TIME_ZONE,
        "tz_os_environ": os.environ.get("TZ"),  # this interpreter's copy of the environment
        "tz_c_environ": xray.c_getenv("TZ"),  # the process's own, now
        "tzname": list(time.tzname),  # this interpreter's time module, as of its own tzset()
        "localtime_zone": time.strftime("%Z"),  # the C library's local time, now
        "localtime_offset": time.strftime("%z"),
        "django_zone": local.tzname(),
        "django_offset": local.strftime("%z"),
    }


@csrf_exempt
@lab_endpoint("POST")
def unsign(request):
    """What a signed value (a cookie, a password-reset token) one app issued means to this
    interpreter: {"accepted": true} when this interpreter's SECRET_KEY verifies it. Body:
    {"signed": "<value>:<signature>"}, as /enqueue/'s answers carry signed_request_id."""
    from django.core import signing

    try:
        document = json.loads(read_body(request).decode("utf-8"))
    except Invalid as invalid:
        return error(invalid.message, invalid.status)
    except (UnicodeDecodeError, ValueError, TOO_DEEP):
        return error("body is not JSON", 400)
    signed = document.get("signed") if isinstance(document, dict) else None
    if not isinstance(signed, TEXT) or not 0 < len(signed) <= 200:
        return error("signed must be a string of 1 to 200 characters", 400)
    try:
        signing.Signer(salt=SIGNING_SALT).unsign(signed)
        accepted = True
    except signing.BadSignature:
        accepted = False
    return JsonResponse({"accepted": accepted, "served_by": settings.LAB_APP_NAME, "pid": os.getpid()})


@lab_endpoint("GET", "HEAD")
def hello(request):
    """A page that publishes nothing, as a fresh Apache child's first request usually is: the
    load test's first request, sent alone, runs the app's WSGI file and no Celery code."""
    return JsonResponse(
        {
            "served_by": settings.LAB_APP_NAME,
            "pid": os.getpid(),
            "application_group": xray.application_group(),
            "process_group": xray.process_group(),
            "interpreter": xray.interpreter(),
            "request_started_at": int(request.META.get("mod_wsgi.request_start") or 0) / 1e6 or None,
        }
    )


@lab_endpoint("GET", "HEAD")
def xray_view(request):
    return JsonResponse(dict(xray.snapshot(_task().app, settings.SETTINGS_MODULE), served_by=settings.LAB_APP_NAME))


# Django's error views (labcore/urls.py): JSON like every other answer, never HTML.
def bad_request(request, exception=None):
    return error("Host not allowed" if isinstance(exception, DisallowedHost) else "bad request", 400)


def permission_denied(request, exception=None):
    return error("forbidden", 403)


def page_not_found(request, exception=None):
    try:
        request.get_host()
    except DisallowedHost as bad_host:  # a bad Host is the first thing wrong with this request
        return bad_request(request, bad_host)
    return error("not found", 404)


def server_error(request):
    return error("internal server error", 500)
