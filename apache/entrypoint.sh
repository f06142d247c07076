#!/bin/sh
# Starts Apache in the foreground with the knobs from .env and the Makefile, after checking
# each one against the lab's list of choices (choices.mk, copied into the image), which also
# gives every knob left empty its default.
set -eu
fail() { echo "apache: $*" >&2; exit 1; }
choices() { sed -n "s/^$1 *:= *//p" /srv/choices.mk; }
default() { choices "$1" | cut -d' ' -f1; }
: "${LAB_CODE:=$(default CODES)}" "${LAB_SCENARIO:=$(default SCENARIOS)}"
: "${LAB_PROCESS_MODEL:=$(default PROCESS_MODELS)}" "${LAB_TRANSPORT:=$(default TRANSPORTS)}"
: "${LAB_GIL:=$(default GILS)}"
: "${LAB_APACHE_PROCESSES:=$(default APACHE_PROCESSES)}" "${LAB_APACHE_THREADS:=$(default APACHE_THREADS)}"
check() {  # check NAME VALUE LIST
  case " $(choices "$3") " in *" $2 "*) ;; *) fail "$1 must be one of: $(choices "$3"); not '$2'" ;; esac
}
check LAB_CODE "$LAB_CODE" CODES
check LAB_SCENARIO "$LAB_SCENARIO" SCENARIOS
check LAB_PROCESS_MODEL "$LAB_PROCESS_MODEL" PROCESS_MODELS
check LAB_TRANSPORT "$LAB_TRANSPORT" TRANSPORTS
check LAB_GIL "$LAB_GIL" GILS
LAB_FIX=${LAB_FIX:-}
# LAB_ENVLEAK=off: envleak records nothing and wraps nothing (ENVLEAK_WATCH=none, its own off
# switch), for scripts/envleak-overhead.sh's runs without it.
LAB_ENVLEAK=${LAB_ENVLEAK:-on}
case "$LAB_ENVLEAK" in
  on) ;;
  off) export ENVLEAK_WATCH=none ;;
  *) fail "LAB_ENVLEAK must be one of: on off; not '$LAB_ENVLEAK'" ;;
esac
if [ -n "$LAB_FIX" ] && [ ! -f "/srv/fixes/$LAB_FIX/app1_wsgi.py" ]; then
  fail "LAB_FIX must name a folder of workshop/fixes/ ($(find /srv/fixes -mindepth 1 -maxdepth 1 -type d -printf '%f ')); not '$LAB_FIX'"
fi
for number in "$LAB_APACHE_PROCESSES" "$LAB_APACHE_THREADS"; do
  case "$number" in '' | *[!0-9]* | 0*) fail "LAB_APACHE_PROCESSES and LAB_APACHE_THREADS must be whole numbers above 0" ;; esac
done
# SCENARIO=twelve-factor: each app's own .env, and its tables in its own database.
if [ "$LAB_SCENARIO" = twelve-factor ]; then
  twelve-factor-setup
fi
# The apps' own database passwords and secret keys never reach Apache's environment: in
# SCENARIO=twelve-factor each app reads its own from its .env; otherwise nothing uses them.
unset APP1_DATABASE_PASSWORD APP2_DATABASE_PASSWORD APP1_SECRET_KEY APP2_SECRET_KEY
# Apache's -D defines, as the positional parameters.
set --
# One WSGIDaemonProcess group per app (lab.conf).
[ "$LAB_PROCESS_MODEL" = daemon ] && set -- "$@" -DLAB_DAEMON
# One GIL per interpreter (lab.conf): a directive mod_wsgi 6 has and earlier ones refuse.
[ "$LAB_GIL" = own ] && set -- "$@" -DLAB_OWN_GIL
LAB_APACHE_MAX_WORKERS=$((LAB_APACHE_PROCESSES * LAB_APACHE_THREADS))
export LAB_APACHE_PROCESSES LAB_APACHE_THREADS LAB_APACHE_MAX_WORKERS LAB_CODE LAB_SCENARIO LAB_PROCESS_MODEL
export LAB_TRANSPORT LAB_FIX LAB_GIL
set +u
# Debian's own file, present only inside the image.
# shellcheck source=/dev/null
. /etc/apache2/envvars
set -u
exec apache2 -DFOREGROUND "$@"
