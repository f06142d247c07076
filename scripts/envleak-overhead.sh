#!/usr/bin/env bash
# What envleak costs a request: requests per second through the lab's Apache with envleak on
# (its .pth at interpreter creation, its middleware around the app) and off (LAB_ENVLEAK=off:
# ENVLEAK_WATCH=none, nothing recorded or wrapped), alternated in one run so that the machine's
# drift hits both alike; then the middleware's own time per request, timed in the image's Python.
#
#   make envleak-overhead [PAIRS=6] [BENCH_REQUESTS=3000]     (make passes the stack's settings)
#
# ApacheBench (`ab`, Debian's apache2-utils; -l: the page's length varies) is installed when missing. Writes
# docs/measured/envleak-overhead.txt with the command, the date and the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { printf 'envleak-overhead: %s\n' "$*" >&2; exit 2; }
pairs=${PAIRS:-6}
requests=${BENCH_REQUESTS:-3000}
concurrency=8
case "$pairs$requests" in *[!0-9]*) die "PAIRS and BENCH_REQUESTS must be whole numbers" ;; esac
if ! command -v ab >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then die "no ab here: install Debian's apache2-utils"; fi
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends apache2-utils >/dev/null
fi
port=$(.venv/bin/python -m loadtest.lab LAB_HTTP_PORT)
# A path Django answers with the lab's 404 view (labcore/views.py): one line of JSON that is the
# same with envleak on or off. (/hello/ answers the interpreter's record, envleak's part of it
# included: its body grows with envleak on, which is not envleak's cost.)
url="http://127.0.0.1:$port/envleak-overhead/"

start_apache() {  # start_apache on|off: Apache recreated with that setting, then warmed up
  LAB_ENVLEAK=$1 docker compose up -d --wait --no-deps apache >/dev/null 2>&1
  for host in app1.example.com app2.example.com; do
    ab -q -l -n 200 -c "$concurrency" -H "Host: $host" "$url" >/dev/null
  done
}
rate() {  # requests per second of one ab run on app1's /hello/, failing on any error
  local out
  out=$(ab -q -l -n "$requests" -c "$concurrency" -H "Host: app1.example.com" "$url")
  grep -q '^Failed requests: *0$' <<<"$out" || die "ab saw failed requests: $out"
  # Every answer must be Django's 404, none an error of Apache or of the app.
  grep -q "^Non-2xx responses: *$requests\$" <<<"$out" || die "expected $requests answers 404: $out"
  awk '/^Requests per second/ {print $4}' <<<"$out"
}

echo "envleak-overhead: $pairs pairs of $requests requests (on, off alternated), $url" >&2
on=() off=()
for pair in $(seq 1 "$pairs"); do
  for mode in on off; do
    start_apache "$mode"
    value=$(rate)
    echo "  pair $pair envleak $mode: $value requests/s" >&2
    if [ "$mode" = on ]; then on+=("$value"); else off+=("$value"); fi
  done
done
start_apache on

# The middleware alone, in the image's Python: a trivial WSGI app with and without wrap().
per_request=$(docker compose exec -T apache python - <<'EOF'
import os, timeit, envleak
import celery, django
from django.conf import settings
# What the lab's interpreters have: Django configured, a Celery app, TZ written (as Django does).
settings.configure()
django.setup()
celery.Celery("bench")
os.environ["TZ"] = "UTC"
os.environ.setdefault("CELERY_CONFIG_MODULE", "bench.celeryconfig")
def app(environ, start_response):
    os.environ.get("CELERY_CONFIG_MODULE")
    return [b""]
wrapped, env = envleak.wrap(app), {"PATH_INFO": "/"}
number = 20000
bare = min(timeit.repeat(lambda: app(env, None), number=number, repeat=5)) / number
watched = min(timeit.repeat(lambda: wrapped(env, None), number=number, repeat=5)) / number
print("%.1f" % ((watched - bare) * 1e6))
EOF
)

summary=$(.venv/bin/python - "${on[*]}" "${off[*]}" <<'EOF'
import statistics, sys
on, off = ([float(v) for v in arg.split()] for arg in sys.argv[1:3])
m_on, m_off = statistics.median(on), statistics.median(off)
print(f"median {m_on:.0f} requests/s with envleak, {m_off:.0f} without: {100 * (m_on - m_off) / m_off:+.1f}%")
print(f"with envleak:    {' '.join(f'{v:.0f}' for v in on)} (min {min(on):.0f}, max {max(on):.0f})")
print(f"without envleak: {' '.join(f'{v:.0f}' for v in off)} (min {min(off):.0f}, max {max(off):.0f})")
EOF
)
versions=$(docker compose exec -T apache python -c 'import platform, envleak; print("python %s, envleak %s" % (platform.python_version(), envleak.__version__))')
mkdir -p docs/measured
{
  echo "# make envleak-overhead (scripts/envleak-overhead.sh), $(date -u +%F), commit $(git rev-parse --short HEAD), $(getconf _NPROCESSORS_ONLN) cores"
  echo "# stack ${LAB_STACK:-$(sed -n 's/^LAB_STACK=//p' .env)}, $versions; ab -n $requests -c $concurrency on app1's GET /envleak-overhead/ (Django's 404 view, no Celery), $pairs pairs, on/off alternated, Apache recreated and warmed up before each"
  echo "$summary"
  echo "middleware alone (wrap() around a trivial app that reads one watched variable, beside Django and a Celery app, TZ set; timeit in the image's Python): $per_request microseconds per request"
} > docs/measured/envleak-overhead.txt
cat docs/measured/envleak-overhead.txt
