#!/usr/bin/env bash
# The render benchmark: cgrender against what a user would do by hand, on one warm openscad-ubuntu-box of the local
# cloud, with state isolated in a temporary directory (the user's own boxes, keys and caches are never touched).
# Prints a table and writes OUT/results.tsv (one row per measurement), OUT/samples.tsv (every sample), OUT/table.txt
# and OUT/timeline-*.txt (the box host's view of one render).
#
# Sections (all by default, in this order):
#   pieces  where a render's time goes: JVM start, cloud lookup (through the daemon, and without it), SSH connect +
#           one command, OpenSSH round trip, and the box host's log of one tiny render (commands run, gaps between
#           them, log-follow latency)
#   tiny    cgrender render --no-cache vs scp up + ssh openscad + scp down (examples/models/tiny/cube.scad)
#   medium  the same for examples/models/medium/enclosure.scad
#   cache   a cache hit vs the first (--no-cache) render of the medium model
#   sync    incremental sync: a generated 300-file / 50 MB tree, one file changed, bytes sent (-v)
#   sets    --all-sets with 8 parameter sets vs 8 separate cgrender render -P SET calls
#
# Commands go through the user's daemon as they do by default (the warm-up starts it); CGRENDER_DAEMON=off in the
# environment measures every command without it.
#
# Usage: bench/render-bench.sh [-n REPS] [--sections LIST] [--out DIR] [--cgrender PATH] [--label TEXT]
#                              [--sync-tree N,MB] [--quiet CORES,SEC] [--keep-tmp]
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
reps="${BENCH_REPS:-5}"
sections="pieces,tiny,medium,cache,sync,sets"
out_dir="$root/bench/out"
cg="${CGRENDER:-}"
keep_tmp=0
label=""
sync_files=300
sync_mb=50
quiet=0.5
quiet_wait=30

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  -n REPS            repetitions of every measurement (default 5, or $BENCH_REPS); medians are reported
  --sections LIST    comma-separated subset of: pieces,tiny,medium,cache,sync,sets
  --out DIR          where results.tsv and samples.tsv go (default bench/out)
  --cgrender PATH    the cgrender to measure (default: cli/target/dist/bin/cgrender, built first by ./cgrender)
  --label TEXT       what is measured, for the report (default: this checkout's commit)
  --sync-tree N,MB   files and megabytes of the generated sync tree (default 300,50)
  --quiet CORES,SEC  before each repetition wait up to SEC seconds (default 30; 5 minutes in all) for the machine's
                     other work to use less than CORES cores (default 0.5); 0,0 never waits. What it found is
                     reported per section.
  --keep-tmp         keep the temporary directory (state, outputs, logs) for inspection
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    -n) reps="$2"; shift 2 ;;
    --sections) sections="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --cgrender) cg="$2"; shift 2 ;;
    --label) label="$2"; shift 2 ;;
    --sync-tree) sync_files="${2%,*}"; sync_mb="${2#*,}"; shift 2 ;;
    --quiet) quiet="${2%,*}"; quiet_wait="${2#*,}"; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "render-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]?$ ]] || { echo "render-bench: -n takes 1..99" >&2; exit 2; }
[[ "$quiet" =~ ^[0-9]+(\.[0-9]+)?$ && "$quiet_wait" =~ ^[0-9]{1,4}$ ]] \
  || { echo "render-bench: --quiet takes CORES,SECONDS, e.g. 0.5,30" >&2; exit 2; }
for s in ${sections//,/ }; do
  case "$s" in pieces|tiny|medium|cache|sync|sets) ;; *) echo "render-bench: unknown section $s" >&2; exit 2 ;; esac
done
want() { [[ ",$sections," == *",$1,"* ]]; }

for tool in ssh scp awk sed sort stat; do
  command -v "$tool" >/dev/null || { echo "render-bench: $tool is missing" >&2; exit 2; }
done

# ------------------------------------------------------------------------------------------------ isolation, cleanup

. "$root/bench/lib/isolated.sh"
. "$root/bench/lib/samples.sh"
isolate bench
mkdir -p "$tmp/out" "$tmp/work"


# ------------------------------------------------------------------------------------------------ helpers

# Cores busy over the next half second (all processes; this script is idle meanwhile).
busy() {
  local a b
  a="$(head -n 1 /proc/stat)"; sleep 0.5; b="$(head -n 1 /proc/stat)"
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x); split(b, y); t = 0
      for (i = 2; i <= 11; i++) t += y[i] - x[i]
      idle = (y[5] - x[5]) + (y[6] - x[6]); printf "%.2f", (t > 0 ? n * (t - idle) / t : 0) }'
}

# Waits (bounded: per rep, and 5 minutes in all) for other work on the machine to quieten down, and records what it
# found before the rep.
quiet_budget=300
settle() { # SECTION REP
  local b waited=0
  b="$(busy)"
  while awk -v b="$b" -v q="$quiet" 'BEGIN { exit !(q > 0 && b >= q) }' && [ "$waited" -lt "$quiet_wait" ] \
      && [ "$quiet_budget" -gt 0 ]; do
    [ "$waited" = 0 ] && log "$1: the machine is busy ($b cores in use by other work); waiting up to ${quiet_wait}s"
    sleep 2; waited=$((waited + 3)); quiet_budget=$((quiet_budget - 3)); b="$(busy)"
  done
  sample "$1" "machine busy before the rep" "$2" "$b" cores
}

mkdir -p "$out_dir"
samples="$out_dir/samples.tsv"
results="$out_dir/results.tsv"
printf 'section\tmetric\trep\tvalue\tunit\n' > "$samples"
printf 'section\tmetric\tunit\tn\tmedian\tmin\tmax\ttarget\tverdict\tload_before\tload_after\n' > "$results"
table=()

# Records a result row from the samples of SECTION/METRIC; TARGET like "<=1.10" (or "" for none).
result() { # SECTION METRIC UNIT TARGET LABEL LOAD_BEFORE
  local section="$1" metric="$2" unit="$3" target="$4" label="$5" before="$6"
  local med min max n verdict="-"
  read -r med min max n <<< "$(stats "$section" "$metric")"
  if [ -n "$target" ]; then
    verdict="$(awk -v v="$med" -v t="${target#<=}" 'BEGIN { print (v <= t) ? "met" : "MISSED" }')"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$section" "$metric" "$unit" "$n" "$med" "$min" "$max" \
    "$target" "$verdict" "$before" "$(load)" >> "$results"
  if [ "$unit" = B ] || [ "$unit" = files ]; then
    read -r med min max <<< "$(awk -v a="$med" -v b="$min" -v c="$max" 'BEGIN { printf "%d %d %d", a, b, c }')"
  elif [ "$unit" = x ]; then
    read -r med min max <<< "$(awk -v a="$med" -v b="$min" -v c="$max" 'BEGIN { printf "%.3f %.3f %.3f", a, b, c }')"
  else
    read -r med min max <<< "$(awk -v a="$med" -v b="$min" -v c="$max" 'BEGIN { printf "%.2f %.2f %.2f", a, b, c }')"
  fi
  table+=("$(printf '%-50s %10s %10s %10s %-5s %-9s %s' "$label" "$med" "$min" "$max" "$unit" \
    "$target" "${target:+$verdict}")")
}

# Paired ratios A/B per rep, as samples of METRIC.
ratios() { # SECTION A B METRIC
  awk -F'\t' -v s="$1" -v a="$2" -v b="$3" '$1 == s && $2 == a { x[$3] = $4 } $1 == s && $2 == b { y[$3] = $4 }
    END { for (r in x) if (r in y && y[r] > 0) printf "%s\t%s\t%s\t%.4f\tx\n", s, "'"$4"'", r, x[r] / y[r] }' \
    "$samples" >> "$samples"
}

# Runs cgrender, failing loudly with its output if it fails.
cgr() {
  local errf="$tmp/cg.err"
  if ! "$cg" "$@" > "$tmp/cg.out" 2> "$errf"; then
    echo "render-bench: cgrender $* failed:" >&2
    tail -n 30 "$errf" >&2
    return 1
  fi
}

# Runs one cgrender invocation and records its wall-clock seconds as a sample.
timed() { # SECTION METRIC REP CGRENDER-ARGS...
  local section="$1" metric="$2" rep="$3" t0 t
  shift 3
  t0="$(now)"
  cgr "$@"
  t="$(since "$t0")"
  sample "$section" "$metric" "$rep" "$t" s
}

# ------------------------------------------------------------------------------------------------ the box

find_cgrender

log "load at start: $(load) ($(nproc) cores); temporary state in $tmp"
log "creating the warm openscad-ubuntu-box"
cgr create openscad-ubuntu-box
box="$(awk '/^l-/ { print $1; exit }' "$tmp/cg.out")"
[ -n "$box" ] || { echo "render-bench: create printed no box id" >&2; cat "$tmp/cg.out" >&2; exit 1; }
cgr show "$box" --json
ssh_line="$(sed -n 's/.*"ssh_command":"\([^"]*\)".*/\1/p' "$tmp/cg.out")"
[ -n "$ssh_line" ] || { echo "render-bench: show --json printed no ssh_command" >&2; exit 1; }
read -ra ssh_words <<< "$ssh_line"
# ssh_words: ssh OPTIONS... -p PORT user@127.0.0.1 ; scp takes the same options with -P PORT.
dest="${ssh_words[-1]}"
ssh_opts=()
port=""
for ((i = 1; i < ${#ssh_words[@]} - 1; i++)); do
  if [ "${ssh_words[$i]}" = "-p" ]; then port="${ssh_words[$((i + 1))]}"; i=$((i + 1)); continue; fi
  ssh_opts+=("${ssh_words[$i]}")
done
[ -n "$port" ] && [ "${dest#*@}" = 127.0.0.1 ] || { echo "render-bench: unexpected ssh command: $ssh_line" >&2; exit 1; }
SSH=(ssh "${ssh_opts[@]}" -p "$port" "$dest")
SCP=(scp -q "${ssh_opts[@]}" -P "$port")
box_home="$("${SSH[@]}" 'echo "$HOME"')"
# Every later command maps the launcher's class data archive, which the first render's classes make (in the
# background, once that render has ended): one render first, then wait (bounded) for the archive.
log "warm-up render (the launcher's class data archive is made of its classes)"
cgr render --no-cache -o "$tmp/out/warm-up" "$root/examples/models/tiny/cube.scad"
for ((i = 0; i < 60; i++)); do
  [ "${CGRENDER_CDS:-on}" = off ] || compgen -G "$XDG_CACHE_HOME/cgrender/cds/*.jsa" > /dev/null && break
  sleep 0.5
done
daemon="${CGRENDER_DAEMON:-on}"
if [ "$daemon" != off ]; then
  # The warm-up render started the daemon; wait (bounded) until it serves, and warm it up with one render.
  for ((i = 0; i < 60; i++)); do
    "$cg" daemon 2>/dev/null | grep -q '^running' && break
    sleep 0.5
  done
  CGRENDER_DAEMON=only cgr render --no-cache -o "$tmp/out/warm-up" "$root/examples/models/tiny/cube.scad"
fi
host_log="$XDG_STATE_HOME/cgrender/local/boxes/$box/host.log"
log "box $box on port $port, home $box_home"
"${SSH[@]}" 'mkdir -p baseline'
# Not measured: the first render reads OpenSCAD and the jars from disk (and may leave the launcher's class data
# sharing archive in $XDG_CACHE_HOME, as any first render does).
log "warm-up render"
cgr render --no-cache -o "$tmp/out/warm-up" "$root/examples/models/tiny/cube.scad"

# The hand-written baseline: scp the model up, render with openscad, scp the result back. Prints the seconds of
# each step, the total, and how long openscad itself ran on the box: "up run down total openscad".
baseline() { # MODEL OUTPUT
  local t0 t1 t2 t3 times
  t0="$(now)"
  "${SCP[@]}" "$1" "$dest:baseline/model.scad"
  t1="$(now)"
  # bash's $EPOCHREALTIME on the box: openscad's own run time, without a process more.
  times="$("${SSH[@]}" 'cd baseline && s=$EPOCHREALTIME && openscad -o out.stl model.scad > /dev/null 2>&1;
    echo "$s $EPOCHREALTIME"')"
  t2="$(now)"
  "${SCP[@]}" "$dest:baseline/out.stl" "$2"
  t3="$(now)"
  awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v times="${times//,/.}" 'BEGIN { split(times, o, " ")
    printf "%.3f %.3f %.3f %.3f %.3f\n", b - a, c - b, d - c, d - a, o[2] - o[1] }'
}

# How long openscad ran in the job of the last render (cgr's output names the job): from the job script creating
# out/ (its birth time), just before it starts openscad, to the exit code file it writes just after.
job_openscad_seconds() {
  local job dir
  job="$(sed -n 's/.* as job \(j-[^ ]*\).*/\1/p' "$tmp/cg.err" | head -n 1)"
  dir="$box_home/.cgrender/jobs/$job"
  [ -n "$job" ] && [ -f "$dir/out/t0.exit" ] || { echo "render-bench: no job found after a render" >&2; exit 1; }
  local born; born="$(stat -c %.3W "$dir/out")"
  # Without birth times (some file systems), from when the job's wrapper was written: a few ms earlier.
  [[ "$born" =~ ^[1-9] ]] || born="$(stat -c %.3Y "$dir/run.sh")"
  awk -v a="$born" -v b="$(stat -c %.3Y "$dir/out/t0.exit")" 'BEGIN { printf "%.3f", b - a }'
}

# ------------------------------------------------------------------------------------------------ pieces

# One render, seen from the box host's log: when the SSH session came, each command, the gaps between them, when
# the job ended on the box and when the client noticed. Written to OUT/timeline-NAME.txt and standard error.
timeline() { # NAME MODEL
  local name="$1" model="$2" t0 t_end job jobdir
  cgr render --no-cache -o "$tmp/out/timeline" "$model"   # warm-up: the sync has nothing to send
  settle "timeline-$name" 1
  t0="$(now)"
  cgr render --no-cache -o "$tmp/out/timeline" "$model"
  t_end="$(since "$t0")"
  job="$(sed -n 's/.* as job \(j-[^ ]*\).*/\1/p' "$tmp/cg.err" | head -n 1)"
  jobdir="$box_home/.cgrender/jobs/$job"
  log_lines_since "$t0" > "$tmp/timeline"
  {
    echo "box host log of one 'cgrender render --no-cache $(basename "$model")' (seconds after the command started):"
    {
      cat "$tmp/timeline"
      echo "$(stat -c %.3Y "$jobdir/out/t0.exit") [job] openscad done (out/t0.exit written)"
      echo "$(stat -c %.3Y "$jobdir/status") [job] job done (status written)"
    } | sort -g -s -k1,1 | awk -v t0="$t0" -v end="$t_end" '
      { t = $1 - t0; line = $0; sub(/^[^ ]+ /, "", line)
        printf "  %6.3f  %s\n", t, (length(line) > 110 ? substr(line, 1, 107) "..." : line)
        if (line ~ /authenticated/ && auth == "") auth = t
        if (line ~ /closed$/) closed = t
        if (line ~ /^\[job\] job done/) job_end = t
        if (line ~ / started pid /) { n++; if (last_exit != "") gaps += t - last_exit }
        # The log follow is the last command of the session (the host log shortens commands: none is told apart).
        if (line ~ / exited with /) { last_exit = t; follow_end = t } }
      END {
        printf "  %6.3f  cgrender exited\n", end
        printf "summary: %.3f s to the SSH session (JVM start, cloud lookup, connect); %d commands in a session of" \
               " %.3f s, of which %.3f s between one command ending and the next starting (round trips, SFTP);" \
               " the log follow ended %.3f s after the job; %.3f s after the session (JVM exit)\n",
               auth, n, closed - auth, gaps, follow_end - job_end, end - closed }'
  } | tee "$out_dir/timeline-$name.txt" >&2
}

# Seconds since the epoch of a host.log line's timestamp (2026-01-02T03:04:05.678+0000).
log_lines_since() { # EPOCH -> host.log lines at or after EPOCH, as "epoch message"
  awk -v since="$1" '
    function days(y, m, d,   era, yoe, doy) { # days since 1970-01-01 of a civil date
      y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
      doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
      return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468 }
    $1 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ {
      e = days(substr($1, 1, 4) + 0, substr($1, 6, 2) + 0, substr($1, 9, 2) + 0) * 86400 \
          + substr($1, 12, 2) * 3600 + substr($1, 15, 2) * 60 + substr($1, 18, 6)
      if (e >= since - 0.001) {
        line = $0; sub(/^[^ ]+ .* (INFO|WARN|ERROR|DEBUG) [^ ]+ - /, "", line)
        printf "%.3f %s\n", e, line } }' "$host_log"
}

if want pieces; then
  before="$(load)"
  log "pieces: JVM start, cloud lookup, connect, OpenSSH round trip (x$reps)"
  for ((r = 1; r <= reps; r++)); do
    settle pieces "$r"
    t0="$(now)"; java -version 2>/dev/null; sample pieces "java -version (a bare JVM)" "$r" "$(since "$t0")" s
    timed pieces "cgrender --version (JVM start)" "$r" --version
    timed pieces "cgrender list (JVM + cloud lookup)" "$r" list
    CGRENDER_DAEMON=off timed pieces "cgrender list, CGRENDER_DAEMON=off" "$r" list
    timed pieces "cgrender ssh BOX -- true (+ connect, 1 command)" "$r" ssh "$box" -- true
    t0="$(now)"; "${SSH[@]}" true; sample pieces "OpenSSH ssh true (connect, 1 command)" "$r" "$(since "$t0")" s
  done
  result pieces "machine busy before the rep" cores "" "pieces: other work on the machine before each rep" "$before"
  result pieces "java -version (a bare JVM)" s "" "java -version (a bare JVM)" "$before"
  result pieces "cgrender --version (JVM start)" s "<=0.25" "cgrender --version (JVM start)" "$before"
  result pieces "cgrender list (JVM + cloud lookup)" s "<=0.30" "cgrender list (daemon: $daemon)" "$before"
  result pieces "cgrender list, CGRENDER_DAEMON=off" s "" "cgrender list, CGRENDER_DAEMON=off" "$before"
  for m in "cgrender ssh BOX -- true (+ connect, 1 command)" "OpenSSH ssh true (connect, 1 command)"; do
    result pieces "$m" s "" "$m" "$before"
  done

  timeline tiny "$root/examples/models/tiny/cube.scad"
fi

# ------------------------------------------------------------------------------------------------ tiny, medium

render_vs_baseline() { # SECTION MODEL TARGET
  local section="$1" model="$2" target="$3" before r a b c d e o order
  before="$(load)"
  log "$section: warm-up (one of each, not counted)"
  cgr render --no-cache -o "$tmp/out/$section-cg" "$model"
  baseline "$model" "$tmp/out/$section-baseline.stl" > /dev/null
  for ((r = 1; r <= reps; r++)); do
    settle "$section" "$r"
    # Alternate which goes first, so a drifting machine load affects both alike.
    for order in $([ $((r % 2)) = 1 ] && echo "cg base" || echo "base cg"); do
      if [ "$order" = cg ]; then
        rm -f "$tmp/out/$section-cg/"*.stl
        timed "$section" "cgrender render --no-cache" "$r" render --no-cache -o "$tmp/out/$section-cg" "$model"
        [ -s "$tmp/out/$section-cg/$(basename "${model%.scad}").stl" ] || { echo "render-bench: no output" >&2; exit 1; }
        o="$(job_openscad_seconds)"
        sample "$section" "openscad on the box" "$r" "$o" s
        sample "$section" "cgrender overhead (wall - openscad)" "$r" \
          "$(awk -F'\t' -v s="$section" -v r="$r" -v o="$o" '$1 == s && $2 == "cgrender render --no-cache" && $3 == r {
              printf "%.3f", $4 - o }' "$samples")" s
      else
        rm -f "$tmp/out/$section-baseline.stl"
        read -r a b c d e <<< "$(baseline "$model" "$tmp/out/$section-baseline.stl")"
        [ -s "$tmp/out/$section-baseline.stl" ] || { echo "render-bench: no baseline output" >&2; exit 1; }
        sample "$section" "baseline: scp up" "$r" "$a" s
        sample "$section" "baseline: ssh openscad" "$r" "$b" s
        sample "$section" "baseline: scp down" "$r" "$c" s
        sample "$section" "baseline total" "$r" "$d" s
        sample "$section" "openscad on the box" "$r" "$e" s
        sample "$section" "baseline overhead (wall - openscad)" "$r" "$(awk -v d="$d" -v e="$e" 'BEGIN {
          printf "%.3f", d - e }')" s
      fi
    done
    log "$section: rep $r/$reps done (load $(load))"
  done
  ratios "$section" "cgrender render --no-cache" "baseline total" "ratio cgrender/baseline"
  # The render's own time varies from run to run with what else the machine does, more than the overheads differ.
  # Each side's overhead (wall time minus openscad's run time on the box) varies far less; the ratio they give at
  # the median openscad time is the steadier figure.
  local m oc ob
  m="$(stats "$section" "openscad on the box" | awk '{ print $1 }')"
  oc="$(stats "$section" "cgrender overhead (wall - openscad)" | awk '{ print $1 }')"
  ob="$(stats "$section" "baseline overhead (wall - openscad)" | awk '{ print $1 }')"
  sample "$section" "ratio at the median openscad time" 1 "$(awk -v m="$m" -v c="$oc" -v b="$ob" 'BEGIN {
    printf "%.4f", (m + c) / (m + b) }')" x
  local name; name="$(basename "$model")"
  result "$section" "machine busy before the rep" cores "" "$section: other work on the machine before each rep" "$before"
  result "$section" "cgrender render --no-cache" s "" "$section $name: cgrender render --no-cache" "$before"
  result "$section" "baseline total" s "" "$section $name: scp + ssh openscad + scp" "$before"
  result "$section" "baseline: scp up" s "" "  of which scp up" "$before"
  result "$section" "baseline: ssh openscad" s "" "  of which ssh openscad" "$before"
  result "$section" "baseline: scp down" s "" "  of which scp down" "$before"
  result "$section" "openscad on the box" s "" "  openscad's own run time on the box (both)" "$before"
  result "$section" "cgrender overhead (wall - openscad)" s "" "  cgrender overhead (wall - openscad)" "$before"
  result "$section" "baseline overhead (wall - openscad)" s "" "  baseline overhead (wall - openscad)" "$before"
  result "$section" "ratio cgrender/baseline" x "$target" "$section: ratio cgrender/baseline (per pair)" "$before"
  result "$section" "ratio at the median openscad time" x "$target" \
    "$section: ratio from the overheads, at median openscad" "$before"
}

want tiny && render_vs_baseline tiny "$root/examples/models/tiny/cube.scad" "<=1.10"
if want medium; then
  render_vs_baseline medium "$root/examples/models/medium/enclosure.scad" "<=1.02"
  timeline medium "$root/examples/models/medium/enclosure.scad"
fi

# ------------------------------------------------------------------------------------------------ cache

if want cache; then
  before="$(load)"
  model="$root/examples/models/medium/enclosure.scad"
  if [ "$(stats medium "cgrender render --no-cache" | awk '{ print $4 }')" = 0 ]; then
    log "cache: first renders (--no-cache), since the medium section did not run"
    for ((r = 1; r <= reps; r++)); do
      timed medium "cgrender render --no-cache" "$r" render --no-cache -o "$tmp/out/cache" "$model"
    done
  fi
  log "cache: one plain render fills the result store, then $reps cache hits"
  cgr render -o "$tmp/out/cache" "$model"
  for ((r = 1; r <= reps; r++)); do
    settle cache "$r"
    rm -f "$tmp/out/cache/enclosure.stl"
    timed cache "cache hit (second plain render)" "$r" render -o "$tmp/out/cache" "$model"
    grep -q '^cache hit' "$tmp/cg.err" || { echo "render-bench: expected a cache hit" >&2; cat "$tmp/cg.err" >&2; exit 1; }
    [ -s "$tmp/out/cache/enclosure.stl" ] || { echo "render-bench: the cache hit wrote no output" >&2; exit 1; }
  done
  first="$(stats medium "cgrender render --no-cache" | awk '{ print $1 }')"
  awk -F'\t' -v f="$first" '$1 == "cache" && $2 == "cache hit (second plain render)" {
      printf "cache\tratio hit/first\t%s\t%.4f\tx\n", $3, $4 / f }' "$samples" >> "$samples"
  result cache "machine busy before the rep" cores "" "cache: other work on the machine before each rep" "$before"
  result cache "cache hit (second plain render)" s "" "cache: hit, medium model" "$before"
  result cache "ratio hit/first" x "<=0.05" "cache: ratio hit / first render (median)" "$before"
fi

# ------------------------------------------------------------------------------------------------ sync

if want sync; then
  before="$(load)"
  tree="$tmp/work/tree"
  log "sync: generating a $sync_files-file / $sync_mb MB tree"
  "$root/bench/gen-tree.sh" "$tree" "$sync_files" "$sync_mb"
  log "sync: $(find "$tree" -type f | wc -l) files, $(du -sb "$tree" | cut -f1) bytes; first render uploads all"
  t0="$(now)"
  cgr -v render --no-cache -o "$tmp/out/sync" "$tree/model.scad"
  sample sync "first render (uploads the whole tree)" 1 "$(since "$t0")" s
  sed -n 's/.*synced .*: \([0-9]*\) file(s), \([0-9]*\) bytes sent.*/\1 \2/p' "$tmp/cg.err" > "$tmp/synced"
  read -r files bytes < "$tmp/synced"
  sample sync "first render: files sent" 1 "$files" files
  sample sync "first render: bytes sent" 1 "$bytes" B
  for ((r = 1; r <= reps; r++)); do
    settle sync "$r"
    # Change one part file (a different one each time): its first line, so its size changes by a few bytes at most.
    part="$tree/parts/$(printf 'p%03d' $((r * 37 % (sync_files - 21))))".scad
    sed -i "1s/.*/\/\/ Changed for sync benchmark run $r at $(now)./" "$part"
    size="$(stat -c %s "$part")"
    t0="$(now)"
    cgr -v render --no-cache -o "$tmp/out/sync" "$tree/model.scad"
    sample sync "incremental render (1 file changed)" "$r" "$(since "$t0")" s
    sed -n 's/.*synced .*: \([0-9]*\) file(s), \([0-9]*\) bytes sent.*/\1 \2/p' "$tmp/cg.err" > "$tmp/synced"
    read -r files bytes < "$tmp/synced"
    sample sync "incremental: files sent" "$r" "$files" files
    sample sync "incremental: bytes sent" "$r" "$bytes" B
    sample sync "incremental: changed file size" "$r" "$size" B
    sample sync "incremental: bytes sent - file size" "$r" "$((bytes - size))" B
  done
  # Nothing changed: only the manifest check. Without -v, which the daemon leaves to a JVM of its own (as users get it).
  for ((r = 1; r <= reps; r++)); do
    settle sync "$r"
    t0="$(now)"
    cgr render --no-cache -o "$tmp/out/sync" "$tree/model.scad"
    wall="$(since "$t0")"
    sample sync "render, nothing changed" "$r" "$wall" s
    # OpenSCAD reads all 300 files, which takes time of its own: what cgrender adds is the rest.
    openscad="$(job_openscad_seconds)"
    sample sync "nothing changed: openscad" "$r" "$openscad" s
    overhead="$(awk -v w="$wall" -v o="$openscad" 'BEGIN { printf "%.3f", w - o }')"
    sample sync "nothing changed: overhead" "$r" "$overhead" s
  done
  result sync "machine busy before the rep" cores "" "sync: other work on the machine before each rep" "$before"
  result sync "first render (uploads the whole tree)" s "" "sync: first render of the tree (all uploaded)" "$before"
  result sync "first render: bytes sent" B "" "sync: first render, bytes sent" "$before"
  result sync "incremental render (1 file changed)" s "" "sync: render after changing 1 file" "$before"
  result sync "render, nothing changed" s "" "sync: render with nothing changed" "$before"
  result sync "nothing changed: openscad" s "" "  openscad's own run time on the box" "$before"
  result sync "nothing changed: overhead" s "" "  cgrender overhead (wall - openscad)" "$before"
  result sync "incremental: changed file size" B "" "sync: changed file's size" "$before"
  result sync "incremental: bytes sent" B "" "sync: bytes sent after the change" "$before"
  result sync "incremental: bytes sent - file size" B "<=16384" "sync: bytes sent beyond the file's size" "$before"
fi

# ------------------------------------------------------------------------------------------------ sets

if want sets; then
  before="$(load)"
  model="$root/bench/models/plate.scad"
  params="$root/bench/models/plate-8sets.json"
  mapfile -t set_names < <(sed -n 's/^ *"\([^"]*\)": {$/\1/p' "$params" | grep -v parameterSets)
  [ "${#set_names[@]}" = 8 ] || { echo "render-bench: expected 8 sets in $params" >&2; exit 1; }
  log "sets: warm-up, then $reps x (8 separate cgrender render -P SET calls, one --all-sets call)"
  cgr render --no-cache -o "$tmp/out/sets" -p "$params" -P "${set_names[0]}" "$model"
  for ((r = 1; r <= reps; r++)); do
    settle sets "$r"
    for order in $([ $((r % 2)) = 1 ] && echo "all one" || echo "one all"); do
      if [ "$order" = all ]; then
        rm -rf "$tmp/out/sets-all"
        timed sets "--all-sets (8 sets, one call)" "$r" render --no-cache --all-sets -o "$tmp/out/sets-all" \
          -p "$params" "$model"
        [ "$(find "$tmp/out/sets-all" -name '*.stl' | wc -l)" = 8 ] || { echo "render-bench: --all-sets wrote no 8 files" >&2; exit 1; }
      else
        rm -rf "$tmp/out/sets-one"
        t0="$(now)"
        for s in "${set_names[@]}"; do
          cgr render --no-cache -o "$tmp/out/sets-one" -p "$params" -P "$s" "$model"
        done
        sample sets "8 separate render -P SET calls" "$r" "$(since "$t0")" s
        [ "$(find "$tmp/out/sets-one" -name '*.stl' | wc -l)" = 8 ] || { echo "render-bench: the one-by-one renders wrote no 8 files" >&2; exit 1; }
      fi
    done
    log "sets: rep $r/$reps done (load $(load))"
  done
  ratios sets "--all-sets (8 sets, one call)" "8 separate render -P SET calls" "ratio all-sets/one-by-one"
  result sets "machine busy before the rep" cores "" "sets: other work on the machine before each rep" "$before"
  result sets "8 separate render -P SET calls" s "" "sets: 8 separate cgrender render -P SET calls" "$before"
  result sets "--all-sets (8 sets, one call)" s "" "sets: one cgrender render --all-sets" "$before"
  result sets "ratio all-sets/one-by-one" x "<=0.6" "sets: ratio --all-sets / one by one (per pair)" "$before"
fi

# ------------------------------------------------------------------------------------------------ report

{
  echo
  echo "cgrender render benchmark — $(date -u +%FT%TZ), $(nproc) cores, load at end $(load), $reps reps"
  [ -n "$label" ] || label="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff \
    --quiet HEAD 2>/dev/null || echo ' (modified)')"
  echo "daemon: $daemon (CGRENDER_DAEMON)"
  echo "cgrender $label ($cg), $("$cg" --version 2>/dev/null | head -n 1 | sed 's/^cgrender //'), $(openscad --version 2>&1 | tail -n 1)"
  printf '%-50s %10s %10s %10s %-5s %-9s %s\n' "measurement" "median" "min" "max" "unit" "target" "verdict"
  printf '%s\n' "${table[@]}"
  echo
  echo "results: $results; every sample: $samples"
} | tee "$out_dir/table.txt"
