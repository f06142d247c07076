import json
import os

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from labcore import xray
from labcore.tasks import record


def _task():
    # shared_task hands out the task of Celery's *current* app for this thread: buggy mode's
    # lazily configured default app, or the app the fixed WSGI file built and made default.
    return record._get_current_object()


@csrf_exempt
@require_POST
def enqueue(request):
    """Publish one task; say which broker vhost and user the Celery app really used."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    task = _task()
    broker = xray.describe_broker(task.app)
    envelope = {
        "run_id": body.get("run_id"),
        "request_id": body.get("request_id"),
        "served_by": settings.LAB_APP_NAME,
        "application_group": xray.application_group(),
        "pid": os.getpid(),
        "publisher_vhost": broker["vhost"],
        "publisher_user": broker["user"],
    }
    answer = {**envelope, "broker": broker, "django_settings": settings.SETTINGS_MODULE, "at_creation": xray.creation()}
    try:
        result = task.apply_async(args=[envelope])
    except Exception as exc:  # the broker refused us: report it, do not hide it
        return JsonResponse({**answer, "error": str(exc), "error_type": type(exc).__name__}, status=502)
    return JsonResponse({**answer, "task_id": result.id})


@require_GET
def xray_view(request):
    return JsonResponse({"served_by": settings.LAB_APP_NAME, **xray.snapshot(_task().app, settings.SETTINGS_MODULE)})
