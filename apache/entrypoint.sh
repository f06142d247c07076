#!/bin/sh
# Starts Apache in the foreground with the knobs from .env and the Makefile, after checking
# each one against the lab's list of choices (choices.mk, copied into the image).
set -eu
: "${LAB_APACHE_PROCESSES:=2}" "${LAB_APACHE_THREADS:=8}" "${LAB_CODE:=buggy}"
: "${LAB_SCENARIO:=default}" "${LAB_PROCESS_MODEL:=embedded}"
fail() { echo "apache: $*" >&2; exit 1; }
choices() { sed -n "s/^$1 *:= *//p" /srv/choices.mk; }
check() {  # check NAME VALUE LIST
  case " $(choices "$3") " in *" $2 "*) ;; *) fail "$1 must be one of: $(choices "$3"); not '$2'" ;; esac
}
check LAB_CODE "$LAB_CODE" CODES
check LAB_SCENARIO "$LAB_SCENARIO" SCENARIOS
check LAB_PROCESS_MODEL "$LAB_PROCESS_MODEL" PROCESS_MODELS
defines=""
# One WSGIDaemonProcess group per app (lab.conf).
[ "$LAB_PROCESS_MODEL" = daemon ] && defines="-DLAB_DAEMON"
LAB_APACHE_MAX_WORKERS=$((LAB_APACHE_PROCESSES * LAB_APACHE_THREADS))
export LAB_APACHE_PROCESSES LAB_APACHE_THREADS LAB_APACHE_MAX_WORKERS LAB_CODE LAB_SCENARIO
set +u
# Debian's own file, present only inside the image.
# shellcheck source=/dev/null
. /etc/apache2/envvars
set -u
exec apache2 -DFOREGROUND $defines
