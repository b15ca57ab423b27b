#!/usr/bin/env bash
# Time to first render: `cgrender render --no-cache` of examples/models/tiny/cube.scad in a namespace with no box,
# once with no image of the role (the box is set up from scratch, then baked) and once, after that box is terminated,
# from the image the bake made (no setup). Each repetition uses a namespace of its own.
#
#   local  the embedded local cloud, with state isolated in a temporary directory; the time from the command's start
#          to "launched", to the box being ready, and to the end, taken from the command's own status lines (after
#          one warm-up render, so that the launcher's class data archive exists, as it does after a user's first)
#   ec2    the EC2 cloud against moto with an sshd stand-in per instance (cli's Ec2FirstRenderBench, run by Maven;
#          needs moto, OpenSSH's sshd and root); cgrender runs inside the benchmark's JVM there, so its figures have
#          no JVM start, and moto answers at once: what they show is cgrender's own work on EC2's code paths
#
# Usage: bench/first-render.sh [-n REPS] [--clouds local,ec2] [--out DIR] [--cgrender PATH] [--keep-tmp]
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
reps=3
clouds="local,ec2"
out_dir="$root/bench/out"
cg="${CGRENDER:-}"
keep_tmp=0

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  -n REPS          repetitions (default 3); medians are reported
  --clouds LIST    local, ec2, or both (default local,ec2)
  --out DIR        where first-render.tsv (every sample) and first-render.txt (the table) go (default bench/out)
  --cgrender PATH  the cgrender to measure on the local cloud (default: this checkout's, built first)
  --keep-tmp       keep the temporary directory (state, outputs, logs) for inspection
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    -n) reps="$2"; shift 2 ;;
    --clouds) clouds="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --cgrender) cg="$2"; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "first-render: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$reps" =~ ^[1-9][0-9]?$ ]] || { echo "first-render: -n takes 1..99" >&2; exit 2; }
for c in ${clouds//,/ }; do
  case "$c" in local|ec2) ;; *) echo "first-render: unknown cloud $c (local or ec2)" >&2; exit 2 ;; esac
done
want() { [[ ",$clouds," == *",$1,"* ]]; }

. "$root/bench/lib/isolated.sh"
. "$root/bench/lib/samples.sh"
isolate first-render
mkdir -p "$out_dir" "$tmp/project"
cp "$root/examples/models/tiny/cube.scad" "$tmp/project/"
samples="$out_dir/first-render.tsv"
printf 'section\tmetric\trep\tvalue\tunit\n' > "$samples"
load_start="$(load)"

# Runs one render in NAMESPACE, stamping each status line with the seconds since the start; fails loudly.
stamped_render() { # NAMESPACE LOG
  local t0 line
  t0="$(now)"
  if ! (cd "$tmp/project" && "$cg" -n "$1" render --no-cache cube.scad) 2>&1 >/dev/null \
      | while IFS= read -r line; do printf '%s %s\n' "$(since "$t0")" "$line"; done > "$2" \
      || ! grep -q '^[0-9.]* rendered ' "$2"; then
    echo "first-render: cgrender -n $1 render failed:" >&2
    tail -n 30 "$2" >&2
    return 1
  fi
}

# The seconds of the first status line of LOG matching PATTERN.
at() { # LOG PATTERN
  awk -v p="$2" '$0 ~ p { print $1; exit }' "$1"
}

# Records the phases of one stamped render as samples of the local section.
phases() { # LOG REP KIND
  local launched ready ended
  launched="$(at "$1" ' launched box ')"
  ready="$(at "$1" ' is ready$')"
  ended="$(at "$1" ' rendered ')"
  [ -n "$launched" ] && [ -n "$ready" ] && [ -n "$ended" ] \
    || { echo "first-render: unexpected output in $1" >&2; cat "$1" >&2; return 1; }
  sample local "$3: launched" "$2" "$launched" s
  sample local "$3: box ready" "$2" "$ready" s
  sample local "$3: rendered" "$2" "$ended" s
}

# One first render in NAMESPACE, which must say EXPECTED (how its box was made); its phases become samples, and its
# box is terminated after.
timed_first() { # NAMESPACE REP KIND EXPECTED
  local stamped="$tmp/${3// /-}-$2.log"
  log "local: rep $2: $3 in $1"
  stamped_render "$1" "$stamped"
  grep -q "$4" "$stamped" || { echo "first-render: rep $2 ($3) did not say '$4':" >&2; cat "$stamped" >&2; exit 1; }
  phases "$stamped" "$2" "$3"
  "$cg" -n "$1" terminate openscad-ubuntu-box >/dev/null 2>&1
}

if want local; then
  find_cgrender
  log "local: load at start $load_start ($(nproc) cores); temporary state in $tmp"
  # The launcher's class data archive is made of the first render's classes, in the background once it ended: one
  # render in a namespace of its own first, then wait (bounded) for the archive, so that every rep maps it.
  log "local: warm-up render (not counted)"
  stamped_render /first-warm-up/ "$tmp/warm-up.log"
  "$cg" -n /first-warm-up/ terminate openscad-ubuntu-box >/dev/null 2>&1
  for ((i = 0; i < 60; i++)); do
    [ "${CGRENDER_CDS:-on}" = off ] || compgen -G "$XDG_CACHE_HOME/cgrender/cds/*.jsa" > /dev/null && break
    sleep 0.5
  done
  for ((rep = 1; rep <= reps; rep++)); do
    timed_first "/first-$rep/" "$rep" "from scratch" 'setting up from scratch'
    timed_first "/first-$rep/" "$rep" "from a baked image" 'no setup needed'
  done
fi

if want ec2; then
  log "ec2: Ec2FirstRenderBench against moto with sshd stand-ins ($reps reps; builds the modules first)"
  if ! (cd "$root" && mvn -B -ntp -q -pl cli -am test -Dtest=Ec2FirstRenderBench \
      -Dsurefire.failIfNoSpecifiedTests=false -Dcgrender.bench.reps="$reps" -Dcgrender.bench.samples="$tmp/ec2.tsv") \
      > "$tmp/ec2-maven.log" 2>&1; then
    echo "first-render: the EC2 benchmark failed (moto, sshd and root are needed):" >&2
    tail -n 40 "$tmp/ec2-maven.log" >&2
    exit 1
  fi
  cat "$tmp/ec2.tsv" >> "$samples"
fi

table="$out_dir/first-render.txt"
{
  printf '# first render of examples/models/tiny/cube.scad in an empty namespace; %s reps, %s\n' "$reps" \
    "medians (min-max), seconds"
  printf '# %s, %s cores, load %s at the start and %s at the end\n' "$(git -C "$root" rev-parse --short HEAD)" \
    "$(nproc)" "$load_start" "$(load)"
  awk -F'\t' 'NR > 1 && !seen[$1 "\t" $2]++ { print $1 "\t" $2 }' "$samples" | while IFS=$'\t' read -r s m; do
    read -r med min max n <<< "$(stats "$s" "$m")"
    printf '%-9s %-44s %7.2f  (%.2f-%.2f)\n' "$s" "$m" "$med" "$min" "$max"
  done
} > "$table"
cat "$table"
