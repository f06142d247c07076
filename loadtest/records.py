"""The records of a run, typed, each parsed once where it arrives: what an interpreter answered
(apps/labcore/views.py and xray.py write these), what the client sent and got, what the workers
and the broker wrote down (the receipts, the firehose), what the nemesis did, and the log lines
the referee reads. The history (loadtest.history) holds them; the checker reads nothing else."""

from dataclasses import dataclass, field

from loadtest import codec


@dataclass(frozen=True)
class Write:
    """A write of a watched variable by an interpreter (envleak's record): its value, masked."""

    name: str
    value: str | None
    at: float


@dataclass(frozen=True)
class InterpreterRecord:
    """What an interpreter says of itself (xray.interpreter): when it was created, first ran and
    loaded its entry (which file), what it inherited, wrote and left, the dict its os.environ wraps."""

    created_at: float | None = None
    first_ran_at: float | None = None
    entry_loaded_at: float | None = None
    entry: str | None = None
    inherited: dict[str, str | None] = field(default_factory=dict)
    writes: tuple[Write, ...] = ()
    after_entry: dict[str, str | None] = field(default_factory=dict)
    environ_dict_id: int | None = None
    gil: str | None = None


@dataclass(frozen=True)
class BrokerUsed:
    """The broker the interpreter's Celery app resolved (xray.describe_broker), no password."""

    celery_app: str | None = None
    config_module: str | None = None
    loader: str | None = None
    config_from_environment: bool | None = None
    transport: str | None = None
    url: str | None = None
    hostname: str | None = None
    vhost: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class Clock:
    """SCENARIO=time-zone: the zone the app's settings ask for, the C library's and Django's time."""

    time_zone: str | None = None
    tz_os_environ: str | None = None
    tz_c_environ: str | None = None
    tzname: tuple[str, ...] = ()
    localtime_zone: str | None = None
    localtime_offset: str | None = None
    django_zone: str | None = None
    django_offset: str | None = None


@dataclass(frozen=True)
class Answer:
    """What an interpreter answered POST /enqueue/ or GET /hello/ (apps/labcore/views.py)."""

    # What the app says beyond these (its database's name, its error's type, the ids it was
    # sent) is never judged on: the referee asks the witnesses.
    IGNORED_KEYS = ("*",)

    pid: int | None = None
    application_group: str | None = None
    process_group: str | None = None
    served_by: str | None = None
    django_settings: str | None = None
    interpreter: InterpreterRecord | None = None
    broker: BrokerUsed | None = None
    used: dict[str, str | None] = field(default_factory=dict)
    thread: int | None = None
    request_started_at: float | None = None
    clock: Clock | None = None
    signed_request_id: str | None = None
    publisher_user: str | None = None
    publisher_vhost: str | None = None
    task_id: str | None = None
    error: str | None = None

    @classmethod
    def parse(cls, raw):
        """An answer from its JSON (a dict), or None when it is not one an interpreter gave."""
        if not isinstance(raw, dict) or "pid" not in raw:
            return None
        try:
            return codec.from_data(cls, raw)
        except codec.DecodeError:
            return None

    @property
    def interpreter_key(self):
        """(pid, application group): one interpreter of one Apache child."""
        return self.pid, self.application_group


@dataclass(frozen=True)
class Greeting:
    """A page view sent first, alone (client.greet)."""

    host: str
    status: int | None
    answer: Answer | None
    sent_at: float
    answered_at: float
    error: str | None = None


@dataclass(frozen=True)
class Result:
    """One request of the plan: what the client sent and what it was answered (client.send)."""

    request_id: str
    host: str
    app: str
    index: int
    ok: bool
    sent_at: float
    answered_at: float
    status: int | None = None
    answer: Answer | None = None
    error_kind: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What a worker really received (apps/labcore/tasks.py), with its own connection's vhost."""

    IGNORED_KEYS = ("*",)  # the envelope the web side sent along: its word, not the worker's

    request_id: str
    run_id: str
    worker_app: str
    worker_vhost: str
    received_at: float


@dataclass(frozen=True)
class Trace:
    """The broker's record of one publish (RabbitMQ's firehose, rabbitmq/firehose.py)."""

    IGNORED_KEYS = ("*",)

    request_id: str
    run_id: str
    vhost: str
    user: str
    at: float
    routed_queues: tuple[str, ...] = ()


@dataclass(frozen=True)
class FirehoseEvent:
    """When the firehose (re)started consuming a vhost."""

    IGNORED_KEYS = ("*",)

    vhost: str
    at: float


@dataclass(frozen=True)
class FaultStep:
    command: str
    began_at: float
    ended_at: float
    exit: int
    output: str = ""


@dataclass(frozen=True)
class FaultRecord:
    """What the nemesis did (loadtest.nemesis): its fault and each step, with the times."""

    fault: str
    began_at: float | None
    ended_at: float | None
    steps: tuple[FaultStep, ...] = ()


@dataclass(frozen=True)
class InterpreterLine:
    """mod_wsgi's own "Create/Attach interpreter" line of Apache's log, with its time."""

    pid: int
    group: str
    action: str
    how: str
    at: float
    line: str


@dataclass(frozen=True)
class Finding:
    """One of the detector's (envleak's) lines in Apache's log."""

    pid: int
    group: str
    variable: str
    finding: str
    code: str | None = None


@dataclass(frozen=True)
class Traceback:
    """A Python traceback in Apache's log: its lines, its last one, and the deepest frame in one
    of the lab's files, as the repository names it."""

    pid: int
    lines: tuple[str, ...]
    exception: str | None
    where: str | None


@dataclass(frozen=True)
class Process:
    """A process of the Apache container, with its resident memory."""

    pid: int
    command: str
    rss_kib: int


@dataclass(frozen=True)
class ProcessCost:
    """What the Apache container's processes cost (xray.process_cost)."""

    processes: int
    rss_mib: int
    daemon_processes: int
