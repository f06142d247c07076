"""envleak's middleware over a long run, in a process of its own: resident memory (RSS) at the
start and after REQUESTS requests that each write a watched variable, and its cost per request.

    python envleak/scripts/measure_memory.py [--requests 100000] [--out FILE] [PYTHON...]

Each request of the trivial WSGI app assigns CELERY_CONFIG_MODULE one of 1000 values, reads it
back, and reads DATABASE_URL, whose value this interpreter inherited from "another" (written
before envleak.start(): one EL101 line, once). A second run watches every variable
(ENVLEAK_WATCH=*) and also writes one of 1000 other variables at each request, four times the
names the record keeps (MAX_NAMES): the worst case for its size. Each run is a fresh process,
and the cost is measured against the same app in a process where envleak never started.
Standard library only; Python 2.7 and 3.6+.
"""

import io
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")

RUN = r"""
import gc, json, os, sys, timeit
sys.path.insert(0, %(src)r)
for name in ("CELERY_CONFIG_MODULE", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TZ"):
    os.environ.pop(name, None)
os.environ["DATABASE_URL"] = "postgres://other:pw@db/other"  # another interpreter's, before this one
import envleak
ENABLED = %(enabled)r
if ENABLED:
    envleak.start()
NEW_NAMES = %(new_names)r
VALUES = ["app%%d.celeryconfig" %% n for n in range(1000)]
count = [0]

def app(environ, start_response):
    number = count[0]
    count[0] += 1
    os.environ["CELERY_CONFIG_MODULE"] = VALUES[number %% 1000]
    if NEW_NAMES:
        os.environ["ENVLEAK_BENCH_%%d" %% (number %% 1000)] = VALUES[number %% 1000]
    os.environ["CELERY_CONFIG_MODULE"]
    os.environ.get("DATABASE_URL")
    return [b"ok"]

def rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

wrapped, environ = (envleak.wrap(app) if ENABLED else app), {"PATH_INFO": "/"}
def request():
    return wrapped(environ, None)
for _ in range(1000):
    request()
gc.collect()
start = rss()
began = timeit.default_timer()
for _ in range(%(requests)d - 1000):
    request()
took = timeit.default_timer() - began
gc.collect()
end = rss()
number = 20000
per_request = min(timeit.repeat(request, number=number, repeat=5)) / number
record = envleak.recorder()
result = {"python": sys.version.split()[0], "start_kib": start, "end_kib": end, "seconds": took,
          "per_request_us": per_request * 1e6}
if record is not None:
    result.update(writes_kept=len(record.writes), dropped=record.dropped,
                  names=len(set(record.reads) | set(record.asked) | set(record.written)),
                  values_read=sum(len(v) for v in record.reads.values()), logged=len(envleak._logged))
print(json.dumps(result))
"""


def run(python, requests, new_names, enabled=True):
    env = dict(os.environ, ENVLEAK_WATCH="*" if new_names else "")
    code = RUN % {"src": SRC, "requests": requests, "new_names": new_names, "enabled": enabled}
    done = subprocess.Popen([python, "-S", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = done.communicate()
    if done.returncode != 0:
        raise SystemExit("measure_memory: %s failed:\n%s" % (python, err.decode("utf-8", "replace")))
    result = json.loads(out.decode("utf-8"))
    result["stderr_lines"] = len([line for line in err.decode("utf-8").splitlines() if line.startswith("envleak: ")])
    return result


def measure(python, requests, new_names, pairs=3):
    """The run with envleak, and its cost per request against the same app in a process without
    envleak (neither started nor wrapped), alternated `pairs` times: the fastest of each."""
    runs, bare = [], []
    for _ in range(pairs):
        bare.append(run(python, requests, new_names, enabled=False))
        runs.append(run(python, requests, new_names))
    result = dict(runs[-1])
    result["bare_growth_kib"] = bare[-1]["end_kib"] - bare[-1]["start_kib"]
    bare = [b["per_request_us"] for b in bare]
    result["wrapped_us"] = min(r["per_request_us"] for r in runs)
    result["bare_us"] = min(bare)
    return result


def describe(result, what):
    return (
        "%s, Python %s: RSS %d KiB after 1,000 requests, %d KiB after %s (%+d KiB; the same app without envleak: "
        "%+d KiB); %.1f s for the run; record: %d "
        "writes kept, %d dropped; %d variables on record, %d distinct values read; %d LEAKED line%s. Cost per "
        "request (fastest of 5 x 20,000, 3 processes each): %.1f MICRO without envleak (not started), %.1f MICRO with "
        "it (%+.1f MICRO)"
        % (what, result["python"], result["start_kib"], result["end_kib"], "{:,}".format(REQUESTS),
           result["end_kib"] - result["start_kib"], result["bare_growth_kib"], result["seconds"], result["writes_kept"],
           result["dropped"]["writes"], result["names"], result["values_read"], result["stderr_lines"],
           "" if result["stderr_lines"] == 1 else "s", result["bare_us"], result["wrapped_us"],
           result["wrapped_us"] - result["bare_us"])
    ).replace("MICRO", MICRO)  # fmt: skip


MICRO = b"\xc2\xb5s".decode("utf-8")  # microseconds, spelled as the docs spell them

if __name__ == "__main__":
    args = sys.argv[1:]
    REQUESTS = int(args[args.index("--requests") + 1]) if "--requests" in args else 100000
    out = args[args.index("--out") + 1] if "--out" in args else None
    pythons = [a for a in args if a.startswith("/") or os.path.basename(a).startswith("python")]
    pythons = [p for p in pythons if p != out] or [sys.executable]
    lines = []
    for python in pythons:
        for new_names, what in (
            (False, "default watch list"),
            (True, "ENVLEAK_WATCH=*, one of 1000 more variables written per request"),
        ):
            lines.append(describe(measure(python, REQUESTS, new_names), what))
            sys.stderr.write(lines[-1].replace(MICRO, "us") + "\n")
    if out:
        commit = subprocess.Popen(["git", "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                  cwd=HERE).communicate()[0].decode().strip()  # fmt: skip
        with io.open(out, "w", encoding="utf-8") as target:
            target.write(u"# python envleak/scripts/measure_memory.py --requests %d, %s, commit %s, %d cores\n"
                         % (REQUESTS, time.strftime("%Y-%m-%d"), commit, os.cpu_count() if hasattr(os, "cpu_count")
                            else 0))  # fmt: skip
            target.write(u"# each request assigns CELERY_CONFIG_MODULE one of 1000 values and reads it back, and reads "
                         "DATABASE_URL, inherited from another interpreter (one EL101 line); 'dropped' counts the "
                         "process's writes past the first 64, the timing's requests included\n")  # fmt: skip
            for line in lines:
                target.write(line + "\n")
