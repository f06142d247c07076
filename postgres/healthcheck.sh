#!/bin/sh
# Healthy when the server says in its postmaster.pid that it accepts connections (what pg_ctl
# -w waits for) and listens on TCP, which the entrypoint's set-up server never does. Read
# without connecting: a probe's connection would be one more line, every second, in the
# connection log the lab reads (log_connections).
set -eu
{ read -r _; read -r _; read -r _; read -r _; read -r _; read -r listen; read -r _; read -r status; } \
  < "$PGDATA/postmaster.pid"
[ "$listen" = "*" ] && [ "$status" = ready ]
