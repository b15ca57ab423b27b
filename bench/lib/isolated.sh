# Shared by the benchmarks (source it): cgrender on the local cloud with every bit of state in a temporary directory,
# so that the user's own boxes, keys and caches are never touched, and a few helpers.
#
#   isolate NAME     makes $tmp (cgrender-NAME.XXXXXX), points the XDG directories and the cloud at it, writes a
#                    configuration under which a box left behind by a killed benchmark ends itself soon, and sets
#                    traps that, on any exit, kill the benchmark's background processes, terminate every box of the
#                    isolated state and remove $tmp (kept with keep_tmp=1)
#   find_cgrender    sets $cg: the given one, or this checkout's, built first by ./cgrender when needed
#   log TEXT…        a timestamped line on standard error
#   now, since T     the time in seconds (fractions), and the seconds since T

isolate() {
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/cgrender-$1.XXXXXX")"
  export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_STATE_HOME="$tmp/state"
  export XDG_CACHE_HOME="$tmp/cache"
  unset CGRENDER_NAMESPACE CGRENDER_CLOUD OPENSCADPATH
  export CGRENDER_CLOUD=local
  mkdir -p "$XDG_CONFIG_HOME/cgrender"
  cat > "$XDG_CONFIG_HOME/cgrender/cgrender.conf" <<'CONF'
cgrender.box { idle-timeout = 10m, max-lifetime = 2h }
CONF
  trap isolated_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Every box of the isolated state is the benchmark's: the ones it made, and any a killed caller left half-made.
isolated_cleanup() {
  local code=$? dir me
  me="$(basename "$0" .sh)"
  trap - EXIT INT TERM
  jobs -p | xargs -r kill -9 2>/dev/null || true
  if [ -n "${cg:-}" ] && [ -x "$cg" ]; then
    CGRENDER_DAEMON=off timeout 60 "$cg" daemon --stop >/dev/null 2>&1 || echo "$me: could not stop the daemon" >&2
    for dir in "$XDG_STATE_HOME/cgrender/local/boxes"/l-*; do
      [ -d "$dir" ] || continue
      echo "$me: terminating box $(basename "$dir")" >&2
      CGRENDER_DAEMON=off timeout 60 "$cg" terminate "$(basename "$dir")" >/dev/null 2>&1 \
        || echo "$me: could not terminate $(basename "$dir")" >&2
    done
  fi
  if [ "${keep_tmp:-0}" = 1 ]; then
    echo "$me: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$code"
}

find_cgrender() {
  if [ -z "${cg:-}" ]; then
    log "building cgrender if needed (./cgrender --version)"
    "$root/cgrender" --version >/dev/null
    cg="$root/cli/target/dist/bin/cgrender"
  fi
  [ -x "$cg" ] || { echo "$(basename "$0"): $cg is not executable" >&2; exit 2; }
}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
now() { local t="$EPOCHREALTIME"; echo "${t/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
