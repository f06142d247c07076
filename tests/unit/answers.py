"""Hand-made answers of POST /enqueue/, shaped as apps/labcore/views.py writes them, for the
unit tests of the checker and the page: what one interpreter says about itself."""

from loadtest.lab import APP1_GROUP

GROUPS = {"app1": APP1_GROUP, "app2": "app2"}


def answer(
    pid,
    app,
    created_at,
    inherited=None,
    writes=(),
    config=None,
    settings=None,
    loader="celery.loaders.default",
    celery_app="default",
    request_started_at=None,
    config_from_environment=True,
    environ_dict_id=None,
):
    """An answer of `app`'s interpreter in child `pid`, created at `created_at`, which
    inherited `inherited` ({name: value}), wrote `writes` ((name, value, seconds after its
    creation), ...), and whose Celery and Django used `config` and `settings` (its own by
    default). `environ_dict_id`: the id of the dict its os.environ wraps (by default one of its
    own, as on Python 3.9 and later; the same for every interpreter of a child on 2.7 to 3.8)."""
    config = config or f"{app}.celeryconfig"
    inherited = {"CELERY_CONFIG_MODULE": None, "DJANGO_SETTINGS_MODULE": None, **(inherited or {})}
    after_entry = dict(inherited)
    after_entry.update({name: value for name, value, _ in writes})
    vhost = config.split(".")[0] if config else None
    return {
        "pid": pid,
        "application_group": GROUPS[app],
        "served_by": (settings or f"{app}.settings").split(".")[0],
        "django_settings": settings or f"{app}.settings",
        "publisher_user": vhost,
        "publisher_vhost": vhost,
        "broker": {
            "config_module": config,
            "celery_app": celery_app,
            "loader": loader,
            "config_from_environment": config_from_environment,
        },
        "interpreter": {
            "created_at": created_at,
            "first_ran_at": created_at + 0.004,
            "entry_loaded_at": created_at + 0.3,
            "inherited": inherited,
            "writes": [{"name": name, "value": value, "at": created_at + after} for name, value, after in writes],
            "after_entry": after_entry,
            "environ_dict_id": environ_dict_id or hash((pid, app)),
        },
        "request_started_at": request_started_at or created_at - 0.002,
    }


def buggy(pid, app, created_at, inherited_from=None, config=None):
    """wsgi_buggy.py's interpreter: it assigns DJANGO_SETTINGS_MODULE and setdefault()s
    CELERY_CONFIG_MODULE 10 ms after its creation; `inherited_from`: the app whose values it
    copied at creation (then Celery keeps that app's config, Django is overwritten)."""
    if inherited_from is None:
        writes = (
            ("DJANGO_SETTINGS_MODULE", f"{app}.settings", 0.01),
            ("CELERY_CONFIG_MODULE", f"{app}.celeryconfig", 0.01),
        )
        return answer(pid, app, created_at, writes=writes, config=config)
    inherited = {
        "CELERY_CONFIG_MODULE": f"{inherited_from}.celeryconfig",
        "DJANGO_SETTINGS_MODULE": f"{inherited_from}.settings",
    }
    writes = (("DJANGO_SETTINGS_MODULE", f"{app}.settings", 0.01),)
    return answer(pid, app, created_at, inherited, writes, config=config or f"{inherited_from}.celeryconfig")


def fixed(pid, app, created_at, inherited_from=None):
    """wsgi_fixed.py's interpreter: assigns DJANGO_SETTINGS_MODULE; an eager Celery app."""
    inherited = {"DJANGO_SETTINGS_MODULE": f"{inherited_from}.settings"} if inherited_from else None
    return answer(
        pid,
        app,
        created_at,
        inherited,
        (("DJANGO_SETTINGS_MODULE", f"{app}.settings", 0.01),),
        loader="celery.loaders.app",
        celery_app=app,
        config_from_environment=False,
    )


def result(request_id, app, response, ok=True, error_kind=None, error=None):
    row = {"request_id": request_id, "app": app, "ok": ok, "response": response}
    if error_kind:
        row.update(error_kind=error_kind, error=error or f"{error_kind} text")
    return row
