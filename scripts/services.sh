#!/usr/bin/env bash
# The engines cairn's server backends run on, for real, on 127.0.0.1: PostgreSQL 15 (mutable state)
# and Ceph radosgw (S3-compatible storage for immutable packs), plus nginx's binary for the
# load-balancer tests (each such test writes its own config and starts its own nginx).
#
#   bash scripts/services.sh install   Debian packages, when a binary is missing (needs root)
#   bash scripts/services.sh start     install if needed, then start both engines; prints the env file
#   bash scripts/services.sh status    exit 0 when both answer
#   bash scripts/services.sh stop      stop what start started
#
# All state lives under $CAIRN_SERVICES_DIR (default /tmp/cairn-services); nothing is durable
# (fsync off, a memory-backed OSD): these engines exist for tests and benchmarks only. `start`
# writes $CAIRN_SERVICES_DIR/env, which test/helpers/engines.ts reads.
set -euo pipefail

DIR=${CAIRN_SERVICES_DIR:-/tmp/cairn-services}
PG_PORT=${CAIRN_PG_PORT:-54329}
S3_PORT=${CAIRN_S3_PORT:-17480}
MON_PORT=${CAIRN_MON_PORT:-16789}
PG_BIN=/usr/lib/postgresql/15/bin
S3_KEY=cairntestkey
S3_SECRET=cairntestsecret0000000000000000000000000
PACKAGES=(postgresql-15 radosgw ceph-mon ceph-osd uuid-runtime nginx-light curl)

log() { printf 'services: %s\n' "$*" >&2; }

need_install() {
  [ -x "$PG_BIN/initdb" ] && command -v radosgw >/dev/null && command -v ceph-mon >/dev/null &&
    command -v ceph-osd >/dev/null && command -v uuidgen >/dev/null && command -v nginx >/dev/null &&
    command -v curl >/dev/null && return 1
  return 0
}

install() {
  need_install || return 0
  if [ "$(id -u)" != 0 ]; then
    log "missing packages (${PACKAGES[*]}); run 'sudo bash scripts/services.sh install' once"
    exit 1
  fi
  log "installing ${PACKAGES[*]} (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  # The packages start their own default services on some systems; cairn's tests use private ones.
  systemctl disable --now nginx postgresql 2>/dev/null || true
}

pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }
s3_up() { curl -sf -o /dev/null "http://127.0.0.1:$S3_PORT/"; }

# Asked again before answering no: a start on a "no" deletes and rebuilds the Ceph folders, which
# must never happen under engines that were only slow to answer once.
status() {
  for _ in 1 2 3; do
    pg_up && s3_up && return 0
    sleep 1
  done
  return 1
}

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

start_pg() {
  pg_up && return 0
  rm -rf "$DIR/pg"
  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/pg"
  as_pg "$PG_BIN/initdb -D $DIR/pg -U postgres --auth=trust -E UTF8" >"$DIR/pg-initdb.log"
  as_pg "$PG_BIN/pg_ctl -D $DIR/pg -l $DIR/pg/server.log -w -o \"-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >/dev/null 9>&-
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc 'create database cairn' >/dev/null
}

start_s3() {
  s3_up && return 0
  local d=$DIR/ceph fsid conf
  fsid=$(uuidgen)
  rm -rf "$d"
  mkdir -p "$d"/{run,log,mon/a,osd/0,rgw}
  conf=$d/ceph.conf
  # One monitor, one memory-backed OSD, one radosgw; no cephx (loopback only, throwaway data).
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
run dir = $d/run
pid file = $d/run/\$name.pid
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
[mon]
mon data = $d/mon/\$id
[osd]
osd data = $d/osd/\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd class update on start = false
osd crush update on start = false
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw data = $d/rgw
CONF
  local c=(-c "$conf")
  ceph-authtool --create-keyring "$d/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --add a "v1:127.0.0.1:$MON_PORT" --fsid "$fsid" "$d/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$d/monmap" --keyring "$d/mon.keyring"
  ceph-mon "${c[@]}" -i a 9>&-
  wait_for 60 "the Ceph monitor" ceph "${c[@]}" -s --connect-timeout 2
  local uuid id
  uuid=$(uuidgen)
  id=$(ceph "${c[@]}" osd new "$uuid")
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph "${c[@]}" osd crush add-bucket node1 host >/dev/null 2>&1
  ceph "${c[@]}" osd crush move node1 root=default >/dev/null 2>&1
  ceph "${c[@]}" osd crush add "osd.$id" 1.0 host=node1 >/dev/null 2>&1
  ceph-osd "${c[@]}" -i "$id" 2>/dev/null 9>&-
  wait_for 60 "the Ceph OSD" sh -c "ceph -c $conf osd stat 2>/dev/null | grep -q '1 up'"
  radosgw "${c[@]}" -n client.rgw.a 9>&-
  wait_for 120 "radosgw" s3_up
  radosgw-admin "${c[@]}" user create --uid=cairn --display-name=cairn --access-key="$S3_KEY" --secret="$S3_SECRET" >/dev/null
}

# wait_for SECONDS WHAT COMMAND...: polls once a second, bounded.
wait_for() {
  local n=$1 what=$2
  shift 2
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "$what did not come up within $n s (logs under $DIR)"
  exit 1
}

write_env() {
  cat >"$DIR/env" <<ENV
CAIRN_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/cairn
CAIRN_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
CAIRN_TEST_S3_ACCESS_KEY=$S3_KEY
CAIRN_TEST_S3_SECRET_KEY=$S3_SECRET
CAIRN_TEST_NGINX=$(command -v nginx)
ENV
}

start() {
  install
  mkdir -p "$DIR"
  chmod 755 "$DIR"
  local t0=$SECONDS
  start_pg
  start_s3
  write_env
  log "PostgreSQL on 127.0.0.1:$PG_PORT, radosgw on 127.0.0.1:$S3_PORT ($((SECONDS - t0)) s); settings in $DIR/env"
}

stop() {
  if [ -f "$DIR/pg/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl -D $DIR/pg -m fast stop >/dev/null" || true; fi
  for name in client.rgw.a osd.0 mon.a; do
    local f=$DIR/ceph/run/$name.pid
    if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  # The memstore OSD holds its data in memory: once its process ends there is nothing to keep.
  # Bounded: what has not ended after 10 s is killed, so a next start finds its ports free.
  for _ in $(seq 20); do pgrep -f -- "-c $DIR/ceph/ceph.conf" >/dev/null || break; sleep 0.5; done
  pkill -9 -f -- "-c $DIR/ceph/ceph.conf" 2>/dev/null || true
  rm -rf "$DIR/ceph" "$DIR/env"
}

# Two test runs starting or stopping at once would delete each other's engine folders: one at a time.
# The daemons are started with fd 9 closed (9>&-), or they would hold the lock for their lifetime.
locked() {
  mkdir -p "$(dirname "$DIR")"
  exec 9>"$DIR.lock"
  flock -w 300 9 || { log "another services.sh holds $DIR.lock"; exit 1; }
  "$@"
}

case "${1:-}" in
  install | start | stop) locked "$1" ;;
  status) status ;;
  *)
    echo "usage: bash scripts/services.sh install|start|status|stop" >&2
    exit 2
    ;;
esac
