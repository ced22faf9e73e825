#!/usr/bin/env bash
# Scaling past one machine is Bazel's own remote caching: a second clean build of
# //examples/... is served entirely from a cache. Two caches:
#
#   1. --disk_cache=DIR: build, `bazel clean`, build again;
#   2. an HTTP remote cache, nginx with WebDAV (Debian's nginx-light, installed if missing) on
#      127.0.0.1 with a config file written here: build with --remote_cache=http://127.0.0.1:PORT,
#      `bazel clean`, build again; then once more from another checkout (a copy of the source
#      snapshot in another directory) with a fresh output base, as a second machine would.
#
# Each cached build prints Bazel's "INFO: N processes: ..." line, which must show nothing but
# cache hits and Bazel-internal actions (Bazel 4.2.3 says "remote cache hit" for disk cache hits
# too), and the per-mnemonic counts of the execution log
# (--execution_log_json_file), where every action of the NOMA rules (NomaBuildExe,
# NomaCompileLibrary) must be a cache hit.
#
# Own Bazel server and output base; the main workspace's server is not touched; nginx is
# stopped at the end. Not part of `bazel test //...`. Run by hand (~10 minutes on 2 cores):
#
#   tools/rules/check_remote_cache.sh [TARGETS]      (default: //examples/...)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

targets=${1:-//examples/...}
scratch=$(mktemp -d /tmp/noma-cache.XXXXXX)
src="$scratch/src"
output_base="$scratch/output_base"
nginx_dir="$scratch/nginx"

stop_nginx() {
  if [ -f "$nginx_dir/nginx.pid" ]; then
    kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do
      [ -f "$nginx_dir/nginx.pid" ] || break
      sleep 0.1
    done
  fi
}
cleanup() {
  stop_nginx
  shutdown_and_remove "$scratch" "$output_base" "$scratch/second/output_base"
}
trap cleanup EXIT

fail() {
  echo "check_remote_cache: FAILED: $*" >&2
  exit 1
}

# build SRC OUTPUT_BASE LOG FLAGS...: a build of $targets; its output goes to LOG.
build() {
  local build_src=$1 build_output_base=$2 log=$3
  shift 3
  if ! in_bazel "$build_src" "$build_output_base" build --symlink_prefix=/ "$@" "$targets" \
    >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "bazel build $* $targets failed"
  fi
  echo "   $(process_summary "$log")"
}

# require_all_cached LOG EXECLOG KIND: the build of LOG ran nothing but Bazel-internal actions
# and KIND ("disk" or "remote") cache hits, and the execution log EXECLOG shows every NOMA
# action as a cache hit.
require_all_cached() {
  local log=$1 execlog=$2 kind=$3 summary total internal hits
  summary=$(process_summary "$log")
  [ -n "$summary" ] || fail "no process summary in $log"
  total=$(sed -E 's/^INFO: ([0-9]+) process.*/\1/' <<<"$summary")
  internal=$(grep -oE '[0-9]+ internal' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
  # Bazel 4.2.3 counts disk cache hits as "remote cache hit" too (later versions say "disk
  # cache hit"): either spelling counts.
  hits=$(grep -oE "[0-9]+ (disk|remote) cache hit" <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
  echo "   => $hits $kind cache hits, $internal internal, $((total - hits - internal)) executed, of $total processes"
  # Per mnemonic, from the execution log: spawns, cache hits.
  jq -s -r 'group_by(.mnemonic)[] |
      "\(.[0].mnemonic) \(length) \(map(select(.remoteCacheHit == true)) | length)"' \
    "$execlog" | sort >"$execlog.counts"
  awk '{ printf "   %-22s %4d actions, %4d cache hits\n", $1, $2, $3 }' "$execlog.counts"
  local noma
  noma=$(grep -E "^($NOMA_MNEMONICS) " "$execlog.counts" || true)
  [ -n "$noma" ] || fail "no action of the NOMA rules in the execution log $execlog"
  if [ "$((hits + internal))" -ne "$total" ]; then
    echo "   actions that ran (first output of each):" >&2
    jq -s -r '.[] | select(.remoteCacheHit != true) | "     \(.mnemonic) \(.listedOutputs[0] // "")"' \
      "$execlog" | head -n 30 >&2
    fail "not every action came from the $kind cache: $summary"
  fi
  [ "$hits" -gt 0 ] || fail "no $kind cache hits: $summary"
  if awk '$2 != $3 { bad = 1 } END { exit !bad }' <<<"$noma"; then
    fail "an action of the NOMA rules was not served from the $kind cache"
  fi
}

snapshot "$src"

echo "== 1. disk cache ($scratch/disk_cache)"
echo "-- clean build of $targets, filling the cache"
build "$src" "$output_base" "$scratch/disk1.log" --disk_cache="$scratch/disk_cache"
in_bazel "$src" "$output_base" clean >/dev/null 2>&1
echo "-- bazel clean; the same build again"
build "$src" "$output_base" "$scratch/disk2.log" --disk_cache="$scratch/disk_cache" \
  --execution_log_json_file="$scratch/disk2.exec.json"
require_all_cached "$scratch/disk2.log" "$scratch/disk2.exec.json" disk

echo "== 2. HTTP remote cache: nginx with WebDAV on 127.0.0.1"
if ! command -v nginx >/dev/null || ! nginx -V 2>&1 | grep -q -- --with-http_dav_module; then
  echo "-- installing Debian's nginx-light (has the WebDAV module)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light >/dev/null
fi
nginx -V 2>&1 | grep -q -- --with-http_dav_module || fail "this nginx has no WebDAV module"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18581)
mkdir -p "$nginx_dir/cache" "$nginx_dir/tmp"
cat >"$nginx_dir/nginx.conf" <<NGINX
# Bazel's HTTP cache protocol is plain GET/PUT of /ac/HASH and /cas/HASH.
user $(id -un) $(id -gn);
worker_processes 2;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events {
    worker_connections 256;
}
http {
    access_log $nginx_dir/access.log;
    client_body_temp_path $nginx_dir/tmp/body;
    proxy_temp_path $nginx_dir/tmp/proxy;
    fastcgi_temp_path $nginx_dir/tmp/fastcgi;
    uwsgi_temp_path $nginx_dir/tmp/uwsgi;
    scgi_temp_path $nginx_dir/tmp/scgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$port;
        location / {
            root $nginx_dir/cache;
            dav_methods PUT DELETE MKCOL;
            create_full_put_path on;
            dav_access user:rw group:rw all:r;
        }
    }
}
NGINX
nginx -e "$nginx_dir/error.log" -p "$nginx_dir" -c "$nginx_dir/nginx.conf" ||
  fail "nginx did not start (see $nginx_dir/error.log)"
url="http://127.0.0.1:$port"
for _ in $(seq 50); do
  curl -s -o /dev/null "$url/" && break
  sleep 0.1
done
echo hello | curl -sf -X PUT --data-binary @- "$url/check/hello" >/dev/null ||
  fail "nginx at $url does not accept PUT"
[ "$(curl -sf "$url/check/hello")" = hello ] || fail "nginx at $url does not serve what was PUT"
echo "-- nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') serving $nginx_dir/cache at $url (PUT/GET checked)"

in_bazel "$src" "$output_base" clean >/dev/null 2>&1
echo "-- bazel clean; build with --remote_cache=$url, filling the cache"
build "$src" "$output_base" "$scratch/http1.log" --remote_cache="$url"
echo "   the cache holds $(find "$nginx_dir/cache/ac" -type f | wc -l) action results and $(find "$nginx_dir/cache/cas" -type f | wc -l) blobs"
in_bazel "$src" "$output_base" clean >/dev/null 2>&1
echo "-- bazel clean; the same build again"
build "$src" "$output_base" "$scratch/http2.log" --remote_cache="$url" \
  --execution_log_json_file="$scratch/http2.exec.json"
require_all_cached "$scratch/http2.log" "$scratch/http2.exec.json" remote
in_bazel "$src" "$output_base" shutdown >/dev/null 2>&1 || true

echo "-- another checkout ($scratch/second/src) with a fresh output base: a second machine"
# The same sources in another directory (a copy of the first snapshot: the tree may have
# changed since).
mkdir -p "$scratch/second"
cp -a "$src" "$scratch/second/src"
build "$scratch/second/src" "$scratch/second/output_base" "$scratch/http3.log" \
  --remote_cache="$url" --execution_log_json_file="$scratch/http3.exec.json"
require_all_cached "$scratch/http3.log" "$scratch/http3.exec.json" remote
echo "   nginx answered $(grep -c '"GET ' "$nginx_dir/access.log") GETs and $(grep -c '"PUT ' "$nginx_dir/access.log") PUTs"

echo "check_remote_cache: OK (second clean builds of $targets entirely from the disk cache and from the HTTP cache)"
