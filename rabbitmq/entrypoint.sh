#!/bin/sh
# Writes /etc/rabbitmq/definitions.json from the passwords in the environment (.env),
# then starts the broker, which imports it at boot: declarative, nothing to run afterwards.
set -eu
for key in RABBITMQ_ADMIN_USER RABBITMQ_ADMIN_PASSWORD APP1_BROKER_PASSWORD APP2_BROKER_PASSWORD; do
  eval "value=\${$key:-}"
  [ -n "$value" ] || { echo "rabbitmq: $key is empty; run 'make env' to write .env" >&2; exit 1; }
  # The values go into JSON and URLs as they are: letters, digits, '-' and '_' only.
  case "$value" in *[!A-Za-z0-9_-]*)
    echo "rabbitmq: $key may hold only letters, digits, '-' and '_'" >&2; exit 1;;
  esac
done
sed -e "s/@RABBITMQ_ADMIN_USER@/$RABBITMQ_ADMIN_USER/g" \
    -e "s/@RABBITMQ_ADMIN_PASSWORD@/$RABBITMQ_ADMIN_PASSWORD/g" \
    -e "s/@APP1_BROKER_PASSWORD@/$APP1_BROKER_PASSWORD/g" \
    -e "s/@APP2_BROKER_PASSWORD@/$APP2_BROKER_PASSWORD/g" \
    /etc/rabbitmq/definitions.template.json > /etc/rabbitmq/definitions.json
chown rabbitmq:rabbitmq /etc/rabbitmq/definitions.json
chmod 600 /etc/rabbitmq/definitions.json
# Run the server itself as PID 1, as user rabbitmq: setpriv execs (Debian's wrapper uses su,
# which stays in between), so `docker stop` and `docker compose restart` reach the server's
# own SIGTERM handler and it shuts down cleanly instead of being SIGKILLed 10 s later.
if [ "$1" = rabbitmq-server ]; then
  shift
  set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi
cd /var/lib/rabbitmq
exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups env HOME=/var/lib/rabbitmq "$@"
