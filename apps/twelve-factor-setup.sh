#!/bin/sh
# SCENARIO=twelve-factor, before the web server's workers start (Apache's children or uWSGI's
# workers): apache/entrypoint.sh or uwsgi/entrypoint.sh at the container's start, the host's
# loadtest/compose.py when a run switches into it. Each app's own .env, as a twelve-factor app
# is deployed, written from the lab's secrets in the container's environment (the lab's .env,
# through Compose: never in an image); then each app's migrations, run as www-data (the user
# both servers' workers run as) with that app's .env alone, into that app's database.
set -eu
fail() { echo "twelve-factor-setup: $*" >&2; exit 1; }
# The broker URL's scheme says how Celery publishes (labcore/celery_defaults.py: broker_scheme):
#   twelve-factor-setup TRANSPORT       (librabbitmq or pyamqp)
case "${1:-}" in
  librabbitmq) scheme=amqp ;;
  pyamqp) scheme=pyamqp ;;
  *) fail "twelve-factor-setup TRANSPORT: librabbitmq or pyamqp, not '${1:-}'" ;;
esac

# write_env APP PREFIX: /srv/apps/APP/.env from PREFIX_DATABASE_PASSWORD, PREFIX_SECRET_KEY and
# PREFIX_BROKER_PASSWORD, readable by www-data (the servers' workers) only.
write_env() {
  for key in DATABASE_PASSWORD SECRET_KEY BROKER_PASSWORD; do
    eval "value=\${$2_$key:-}"
    [ -n "$value" ] || fail "$2_$key is empty; run 'make env' to write .env"
    # The values go into URLs as they are: letters, digits, '-' and '_' only.
    case "$value" in *[!A-Za-z0-9_-]*) fail "$2_$key may hold only letters, digits, '-' and '_'" ;; esac
  done
  eval "database_password=\$$2_DATABASE_PASSWORD secret_key=\$$2_SECRET_KEY broker_password=\$$2_BROKER_PASSWORD"
  file="/srv/apps/$1/.env"
  {
    echo "# $1's own settings: its WSGI entry loads them (python-dotenv), its settings read them (django-environ)."
    echo "DATABASE_URL=postgres://$1:${database_password:?}@postgres:5432/$1"
    echo "SECRET_KEY=${secret_key:?}"
    echo "CELERY_BROKER_URL=$scheme://$1:${broker_password:?}@rabbitmq:5672/$1"
    # A key only app1 defines, and that no Python code reads: libpq (PostgreSQL's C client
    # library) takes it from the process environment and names app1's connections with it.
    if [ "$1" = app1 ]; then echo "PGAPPNAME=app1"; fi
  } > "$file.tmp"
  chown root:www-data "$file.tmp"
  chmod 0640 "$file.tmp"
  mv "$file.tmp" "$file"
}
write_env app1 APP1
write_env app2 APP2

for app in app1 app2; do
  (
    set -a
    # shellcheck source=/dev/null
    . "/srv/apps/$app/.env"
    set +a
    DJANGO_SETTINGS_MODULE="$app.settings_twelve_factor" \
      exec setpriv --reuid=www-data --regid=www-data --init-groups python "/srv/apps/$app/manage.py" migrate --noinput -v 0
  ) || fail "the migrations of $app's database failed (above)"
done
