#!/bin/sh
# Starts Apache in the foreground with the knobs from .env.
set -eu
: "${LAB_APACHE_PROCESSES:=2}" "${LAB_APACHE_THREADS:=8}" "${LAB_MODE:=buggy}"
case "$LAB_MODE" in buggy|fixed) ;; *) echo "apache: LAB_MODE must be buggy or fixed, not '$LAB_MODE'" >&2; exit 1;; esac
LAB_APACHE_MAX_WORKERS=$((LAB_APACHE_PROCESSES * LAB_APACHE_THREADS))
export LAB_APACHE_PROCESSES LAB_APACHE_THREADS LAB_APACHE_MAX_WORKERS LAB_MODE
set +u; . /etc/apache2/envvars; set -u
exec apache2 -DFOREGROUND
