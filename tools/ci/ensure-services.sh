#!/usr/bin/env bash
# Makes sure the services and programs the tests need are present and running:
# Redis and PostgreSQL on loopback, Debian's etcd-server/etcd-client, and Chromium.
# Installs what is missing with apt-get and starts what is stopped when running as root;
# otherwise fails, naming what is missing and how to provide it.
# Tests find these through SKYROAD_TEST_* variables (see libs/testkit/src/env.ts).
set -uo pipefail

log() { printf '[ensure-services] %s\n' "$*"; }
die() { printf '[ensure-services] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }
apt_updated=no
apt_install() {
  is_root || die "missing $* and not root: install with 'sudo apt-get install $*' (Debian packages)"
  if [ "$apt_updated" = no ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    apt_updated=yes
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed"
}

wait_until() { # wait_until SECONDS command...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.5
  done
}

# --- programs -----------------------------------------------------------------------------
command -v etcd >/dev/null && command -v etcdctl >/dev/null || {
  apt_install etcd-server etcd-client
  # A machine with an init system may have started a packaged etcd on 2379: the tests and
  # `npm start` need that port, so the packaged service is stopped and disabled.
  if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
    systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
}
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server
command -v pg_ctlcluster >/dev/null && command -v psql >/dev/null || apt_install postgresql postgresql-client
[ -x "${SKYROAD_TEST_CHROMIUM:-/usr/bin/chromium}" ] || apt_install chromium

# --- Redis --------------------------------------------------------------------------------
redis_url="${SKYROAD_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
redis_hostport="${redis_url#redis://}"; redis_hostport="${redis_hostport%%/*}"; redis_hostport="${redis_hostport##*@}"
redis_host="${redis_hostport%%:*}"; redis_port="${redis_hostport##*:}"
if ! redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
  [ "$redis_host" = 127.0.0.1 ] || die "Redis at $redis_url does not answer"
  log "starting redis-server on $redis_host:$redis_port"
  mkdir -p /tmp/skyroad-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir /tmp/skyroad-redis --logfile /tmp/skyroad-redis/redis.log || die "redis-server did not start"
  wait_until 15 sh -c "redis-cli -h $redis_host -p $redis_port ping | grep -q PONG" \
    || die "redis-server started but does not answer PING (see /tmp/skyroad-redis/redis.log)"
fi
log "redis ok ($redis_url)"

# --- PostgreSQL ---------------------------------------------------------------------------
pg_url="${SKYROAD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { psql "$pg_url" -tAc 'select 1' 2>/dev/null | grep -q 1; }
if ! pg_ready; then
  if [ -z "${SKYROAD_TEST_POSTGRES_URL:-}" ]; then
    is_root || die "PostgreSQL at $pg_url does not answer and not root to start it"
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster under /etc/postgresql"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    # The tests connect as postgres over loopback without a password, as on the CI machines.
    if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      log "allowing trust auth on loopback in $hba"
      sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
    wait_until 30 pg_isready -h 127.0.0.1 -p 5432 || die "PostgreSQL did not become ready"
    if ! pg_ready; then
      su postgres -c "psql -tAc \"select 1 from pg_database where datname='test'\"" | grep -q 1 \
        || su postgres -c "createdb test" || die "cannot create database test"
    fi
  fi
  pg_ready || die "PostgreSQL at $pg_url does not answer"
fi
log "postgres ok ($pg_url)"

log "etcd $(etcd --version | head -1 | awk '{print $3}'), chromium present; all services ready"
