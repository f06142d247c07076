#!/bin/sh
# Starts Apache in the foreground with the knobs from .env and the Makefile.
set -eu
: "${LAB_APACHE_PROCESSES:=2}" "${LAB_APACHE_THREADS:=8}" "${LAB_MODE:=buggy}"
: "${LAB_SCENARIO:=default}" "${LAB_PROCESS_MODEL:=embedded}"
fail() { echo "apache: $*" >&2; exit 1; }
case "$LAB_MODE" in buggy|fixed) ;; *) fail "LAB_MODE must be buggy or fixed, not '$LAB_MODE'";; esac
case "$LAB_SCENARIO" in default|bad-credentials|django-settings) ;;
  *) fail "LAB_SCENARIO must be default, bad-credentials or django-settings, not '$LAB_SCENARIO'";; esac
case "$LAB_PROCESS_MODEL" in
  embedded) defines="" ;;
  daemon) defines="-DLAB_DAEMON" ;;  # one WSGIDaemonProcess group per app (lab.conf)
  *) fail "LAB_PROCESS_MODEL must be embedded or daemon, not '$LAB_PROCESS_MODEL'" ;;
esac
LAB_APACHE_MAX_WORKERS=$((LAB_APACHE_PROCESSES * LAB_APACHE_THREADS))
export LAB_APACHE_PROCESSES LAB_APACHE_THREADS LAB_APACHE_MAX_WORKERS LAB_MODE LAB_SCENARIO
set +u; . /etc/apache2/envvars; set -u
exec apache2 -DFOREGROUND $defines
