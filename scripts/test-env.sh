#!/usr/bin/env bash
# Makes this machine ready for `npm test`: Debian's Celery for the end-to-end
# tests, Chromium and Prometheus, and RabbitMQ, Redis and PostgreSQL on loopback
# (started only when not already up).
set -uo pipefail

say() { printf 'test-env: %s\n' "$*" >&2; }

# Debian packages the tests drive for real: Celery workers, headless Chromium, promtool/prometheus.
missing=()
/usr/bin/python3 -c 'import celery, redis' 2>/dev/null || missing+=(python3-celery python3-redis)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null; }) \
      || say "could not install ${missing[*]}; the tests that need them will fail"
  else
    say "not root: run 'sudo apt-get install -y ${missing[*]}' first"
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
if ! port_open 5432; then
  say 'starting PostgreSQL'
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start >/dev/null 2>&1 || true
  for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
fi
port_open 5432 || say 'PostgreSQL is not listening on 127.0.0.1:5432'
# The SQL camera tests use database `test` (a schema per test, dropped after).
if port_open 5432 && command -v psql >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null 2>&1 || say 'could not create PostgreSQL database test'
fi
exit 0
