#!/usr/bin/env bash
# Makes this machine ready for `npm test`: Debian's Celery for the end-to-end
# tests, and RabbitMQ + Redis on loopback (started only when not already up).
set -uo pipefail

say() { printf 'test-env: %s\n' "$*" >&2; }

if ! /usr/bin/python3 -c 'import celery, redis' 2>/dev/null; then
  say "installing Debian's python3-celery and python3-redis (real Celery workers for the end-to-end tests)"
  if [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q python3-celery python3-redis >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q python3-celery python3-redis >/dev/null; }) \
      || say "could not install python3-celery; the tests that need real workers will fail"
  else
    say "not root: run 'sudo apt-get install -y python3-celery python3-redis' first"
  fi
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && exec 3>&- 3<&-; }

if ! port_open 5672; then
  say 'starting RabbitMQ'
  rabbitmq-server -detached >/dev/null 2>&1 || true
  rabbitmqctl -q await_startup >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do port_open 5672 && break; sleep 1; done
fi
port_open 5672 || say 'RabbitMQ is not listening on 127.0.0.1:5672'

if ! port_open 6379; then
  say 'starting Redis'
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do port_open 6379 && break; sleep 1; done
fi
port_open 6379 || say 'Redis is not listening on 127.0.0.1:6379'
exit 0
