#!/bin/sh
# Starts Debian's nginx (it goes to the background; its workers run as www-data), then uWSGI in
# the foreground as the container's PID 1 (SERVER=uwsgi). What it runs comes from the run directory (/srv/run),
# which the host's run spec writes before each reload (loadtest/spec.py: server_files); between
# runs the host sends the master SIGHUP (uwsgi-fresh-workers).
set -eu
fail() { echo "uwsgi: $*" >&2; exit 1; }
for file in uwsgi.ini lab.json; do
  [ -f "/srv/run/$file" ] || fail "no /srv/run/$file: the host writes it (make up SERVER=uwsgi)"
done
case "${LAB_ENVLEAK:-on}" in
  on) ;;
  off) export ENVLEAK_WATCH=none ;;
  *) fail "LAB_ENVLEAK must be one of: on off; not '$LAB_ENVLEAK'" ;;
esac
# SCENARIO=twelve-factor: each app's own .env and its database's tables (apps/twelve-factor-setup.sh,
# as apache/entrypoint.sh does).
if grep -q '"scenario": "twelve-factor"' /srv/run/lab.json; then
  twelve-factor-setup "$(sed -n 's/.*"transport": "\([a-z]*\)".*/\1/p' /srv/run/lab.json)"
fi
# The apps' own database passwords and secret keys never reach uWSGI's environment: in
# SCENARIO=twelve-factor each app reads its own from its .env.
unset APP1_DATABASE_PASSWORD APP2_DATABASE_PASSWORD APP1_SECRET_KEY APP2_SECRET_KEY
mkdir -p /run/uwsgi && chown www-data:www-data /run/uwsgi  # uWSGI binds its socket as www-data
# What the runs report as nginx's version (/xray/): nginx says it on stderr.
nginx -v 2>&1 | sed -n 's|^nginx version: nginx/||p' > /run/uwsgi/nginx-version
nginx
# The process model is the container's (LAB_UWSGI_PROCESS_MODEL, docker-compose.yml): a switch
# is a new process tree, so Compose recreates the container; a reload keeps the model.
case "${LAB_UWSGI_PROCESS_MODEL:-embedded}" in
  embedded) exec uwsgi --ini /srv/uwsgi/embedded.ini ;;
  daemon) exec uwsgi --emperor /srv/uwsgi/vassals --die-on-term ;;
  *) fail "LAB_UWSGI_PROCESS_MODEL must be one of: embedded daemon; not '$LAB_UWSGI_PROCESS_MODEL'" ;;
esac
