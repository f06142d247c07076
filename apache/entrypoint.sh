#!/bin/sh
# Starts Apache in the foreground. What it runs comes from the run directory (/srv/run, mounted
# from the host), which the host's run spec writes before every fresh start (loadtest/spec.py:
# apache_files): the knobs were checked there, once. Between runs Apache is not restarted from
# here: the host writes the directory again and sends its parent SIGHUP (apache-fresh-children).
set -eu
fail() { echo "apache: $*" >&2; exit 1; }
for file in apache.conf lab.json; do
  [ -f "/srv/run/$file" ] || fail "no /srv/run/$file: the host writes it (make up, or make env for a bare docker compose up)"
done
# LAB_ENVLEAK=off: envleak records nothing and wraps nothing (ENVLEAK_WATCH=none, its own off
# switch), for scripts/envleak-overhead.sh's runs without it.
case "${LAB_ENVLEAK:-on}" in
  on) ;;
  off) export ENVLEAK_WATCH=none ;;
  *) fail "LAB_ENVLEAK must be one of: on off; not '$LAB_ENVLEAK'" ;;
esac
# SCENARIO=twelve-factor: each app's own .env, and its tables in its own database (the host
# runs this again when it switches into that scenario: loadtest/compose.py; uwsgi/entrypoint.sh
# does the same).
if grep -q '"scenario": "twelve-factor"' /srv/run/lab.json; then
  twelve-factor-setup "$(sed -n 's/.*"transport": "\([a-z]*\)".*/\1/p' /srv/run/lab.json)"
fi
# The apps' own database passwords and secret keys never reach Apache's environment: in
# SCENARIO=twelve-factor each app reads its own from its .env; otherwise nothing uses them.
# (`docker exec` starts from the container's own environment, so the host's later
# twelve-factor-setup still has them.)
unset APP1_DATABASE_PASSWORD APP2_DATABASE_PASSWORD APP1_SECRET_KEY APP2_SECRET_KEY
set +u
# Debian's own file, present only inside the image.
# shellcheck source=/dev/null
. /etc/apache2/envvars
set -u
exec apache2 -DFOREGROUND
