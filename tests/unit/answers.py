"""Hand-made answers of POST /enqueue/, shaped as apps/labcore/views.py writes them, for the
unit tests of the checker and the page: what one interpreter says about itself, parsed as the
client parses it (records.Answer), and the other records of a run, built the same way."""

from loadtest import codec, history
from loadtest.lab import APP1_GROUP
from loadtest.records import Answer, FaultRecord, Receipt, Result, Trace

GROUPS = {"app1": APP1_GROUP, "app2": "app2"}


def answer(*args, **kwargs):
    """An Answer parsed from raw(...)'s JSON, as the client parses every answer."""
    return Answer.parse(raw(*args, **kwargs))


def raw(
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


def result(request_id, app, response=None, ok=True, error_kind=None, error=None, answered_at=0.0, sent_at=None,
           index=0):  # fmt: skip
    """One request's record: its Host's app, what it was answered (an Answer, or None)."""
    return Result(
        request_id=request_id, host=f"{app}.example.com", app=app, index=index, ok=ok, sent_at=sent_at or answered_at,
        answered_at=answered_at, status=200 if ok else 502, answer=response, error_kind=error_kind,
        error=(error or f"{error_kind} text") if error_kind else None,
    )  # fmt: skip


def receipt(request_id, vhost, received_at=0.0):
    return Receipt(request_id=request_id, run_id="run", worker_app=vhost, worker_vhost=vhost, received_at=received_at)


def trace(request_id, vhost, user=None):
    return Trace(
        request_id=request_id, run_id="run", vhost=vhost, user=user or vhost, at=0.0, routed_queues=("celery",)
    )


def fault(kind="broker-restart", began_at=100.0, ended_at=110.0):
    return FaultRecord(fault=kind, began_at=began_at, ended_at=ended_at, steps=())


def run_history(results=(), receipts=(), traces=(), fault=None, rows=None, signers=None, row_names=None,
                interpreter_log=(), greetings=(), events=(), versions=None, **more):  # fmt: skip
    """A History of these records (the rest empty), as loadtest.core gathers one."""
    return history.History(
        first_requests=tuple(greetings), results=tuple(results), receipts=tuple(receipts), traces=tuple(traces),
        firehose_events=tuple(events), fault=fault, interpreter_log=tuple(interpreter_log), detector=(),
        refused_logins={}, apache_processes=(), apache_cost=None,
        witnesses_complete_after={"receipts": 0.0, "broker": 0.0}, versions=versions or {},
        rows=None if rows is None else {key: tuple(value) for key, value in rows.items()},
        row_names=row_names, signers=signers, **more,
    )  # fmt: skip


def with_interpreter(parsed, **changes):
    """The same answer with some of its interpreter's record changed."""
    data = codec.to_data(parsed)
    data["interpreter"].update(changes)
    return Answer.parse(data)


def document(results, receipts=(), traces=(), spec=None, run_id="f8415bcb98cd", **more):
    """A run's document as loadtest.core makes one: the spec, this history, the checker's answer."""
    from loadtest import checker
    from loadtest.document import Document, Run
    from loadtest.spec import RunSpec

    spec = spec or RunSpec(command="reproduce", requests=len(results))
    run = Run(spec=spec, seed=44302, run_id=run_id, url="http://127.0.0.1:8080", first_hosts=("app2.example.com",),
              started_at="2026-11-24T22:26:26+00:00")  # fmt: skip
    more.setdefault("versions", {"python": "3.13.5"})
    recorded = run_history(results, receipts, traces, **more)
    return Document(run, recorded, checker.check(run, recorded), report_path="reports/run.json")
