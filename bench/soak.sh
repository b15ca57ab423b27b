#!/usr/bin/env bash
# The soak benchmark of "one box, whatever happens": ROUNDS rounds of concurrent cgrender callers — create, render and
# run of openscad-ubuntu-box — in one namespace of the local cloud, with state isolated in a temporary directory (the
# user's own boxes, keys and caches are never touched). Between some rounds the box is terminated, so that the next
# group races to create it again. In half of the rounds one more caller (a create or a render) starts just before the
# group and is killed with SIGKILL at a random moment — mostly while it is creating the box (the box was terminated
# first), so that it leaves an orphan for the group to deal with.
#
# It checks, and prints as a table (also OUT/soak.txt, one row per round in OUT/soak-rounds.tsv):
#   - boxes per concurrent group: the distinct boxes the group's callers used (must be 1);
#   - failed callers (must be 0) and wrong outputs (must be 0): every render must write its own model's STL
#     (a cube of the size its -D asked for), every run must print its own token;
#   - orphans: boxes a killed caller left launching or setting up, how soon they were found and how soon the next
#     caller (or the box itself) replaced them;
#   - leaked boxes at the end (must be 0): after the last round one more create must find exactly one box, and once
#     it is terminated no box directory and no box host process may remain.
#
# Usage: bench/soak.sh [-n ROUNDS] [--group MIN,MAX] [--seed N] [--cgrender PATH] [--out DIR] [--keep-tmp]
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
rounds=20
group_min=3
group_max=6
seed="$(date +%s)"
out_dir="$root/bench/out"
cg="${CGRENDER:-}"
keep_tmp=0

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
  cat <<'EOF'
Options:
  -n ROUNDS          rounds (default 20)
  --group MIN,MAX    callers per concurrent group, besides the one that may be killed (default 3,6)
  --seed N           seed of the random choices, to repeat a run (default: the time; printed)
  --cgrender PATH    the cgrender to soak (default: cli/target/dist/bin/cgrender, built first by ./cgrender)
  --out DIR          where soak.txt and soak-rounds.tsv go (default bench/out)
  --keep-tmp         keep the temporary directory (state, every caller's log) for inspection
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    -n) rounds="$2"; shift 2 ;;
    --group) group_min="${2%,*}"; group_max="${2#*,}"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --cgrender) cg="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    --keep-tmp) keep_tmp=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "soak: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "soak: -n takes 1..999" >&2; exit 2; }
[[ "$group_min" =~ ^[1-9]$ && "$group_max" =~ ^[1-9]$ && "$group_min" -le "$group_max" ]] \
  || { echo "soak: --group takes MIN,MAX with 1 <= MIN <= MAX <= 9, e.g. 3,6" >&2; exit 2; }
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "soak: --seed takes a number" >&2; exit 2; }
RANDOM="$seed"

# ------------------------------------------------------------------------------------------------ isolation, cleanup

. "$root/bench/lib/isolated.sh"
isolate soak
export CGRENDER_NAMESPACE=/soak/
boxes_dir="$XDG_STATE_HOME/cgrender/local/boxes"
mkdir -p "$tmp/logs" "$tmp/out" "$out_dir"
cat > "$tmp/cube.scad" <<'EOF'
size = 1;
cube(size);
EOF


find_cgrender

# ------------------------------------------------------------------------------------------------ orphans

# A value of a box's state file (box.properties; ':' is escaped there).
prop() { sed -n "s/^$(printf '%s' "$2" | sed 's/:/\\\\:/g')=//p" "$1/box.properties" 2>/dev/null | head -n 1; }

# The box that process PID left in a leased stage (launching, setting up, imaging), if any.
orphan_of() {
  local dir stage lease
  for dir in "$boxes_dir"/l-*; do
    [ -d "$dir" ] || continue
    stage="$(prop "$dir" tag.cgrender:stage)"
    case "$stage" in launching|setting-up|imaging|failed) ;; *) continue ;; esac
    lease="$(prop "$dir" tag.cgrender:lease)"
    if [ "$(echo "$lease" | sed -n 's|^[^ ]* [0-9a-f]*/\([0-9]*\)/.*|\1|p')" = "$1" ]; then
      basename "$dir"
      return
    fi
  done
}

# Waits (two minutes at most) until box ID is gone or ready; prints the seconds it took and how, or "never".
fate_of() {
  local id="$1" t0 dir="$boxes_dir/$1" i
  t0="$(now)"
  for ((i = 0; i < 2400; i++)); do
    if [ ! -d "$dir" ] || [ "$(prop "$dir" state)" = TERMINATED ]; then
      awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f gone\n", b - a }'; return
    fi
    if [ "$(prop "$dir" tag.cgrender:stage)" = ready ]; then
      awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f ready\n", b - a }'; return
    fi
    sleep 0.05
  done
  echo never
}

# ------------------------------------------------------------------------------------------------ the rounds

# The box a caller used, from its output.
box_of() {
  grep -oE '(^l-[0-9a-f]{12}$|on l-[0-9a-f]{12} as job)' "$1" | head -n 1 | grep -oE 'l-[0-9a-f]{12}' || true
}

# Whether an STL file is a cube from 0 to SIZE on every axis.
is_cube() {
  awk -v n="$2" '$1 == "vertex" {
      for (i = 2; i <= 4; i++) { if ($i + 0 > max) max = $i + 0; if ($i + 0 < min) min = $i + 0 }
      v++
    }
    END { exit !(v > 0 && max == n && min == 0) }' "$1"
}

printf 'round\tcallers\tkinds\tkilled\tkill_after_ms\tterminated_before\tboxes_used\tfailed\twrong\n' \
  > "$out_dir/soak-rounds.tsv"
total_callers=0; total_failed=0; total_wrong=0; total_killed=0; max_boxes=0; groups_not_one=0
start_all="$(now)"
log "soaking: $rounds rounds, groups of $group_min..$group_max callers, seed $seed, state in $tmp"
for ((r = 1; r <= rounds; r++)); do
  victim=""; kill_ms=""
  [ $((RANDOM % 2)) = 0 ] && victim=pending
  terminated=no
  if [ "$r" -gt 1 ] && { [ -n "$victim" ] || [ $((RANDOM % 3)) = 0 ]; }; then
    for dir in "$boxes_dir"/l-*; do
      [ -d "$dir" ] && "$cg" terminate "$(basename "$dir")" >/dev/null 2>&1 || true
    done
    terminated=yes
  fi
  if [ -n "$victim" ]; then
    kill_ms=$((300 + RANDOM % 3000))
    case $((RANDOM % 2)) in
      0) "$cg" create openscad-ubuntu-box > "$tmp/logs/r$r-victim.log" 2>&1 & ;;
      1) "$cg" render "$tmp/cube.scad" --no-cache -D size=7 -o "$tmp/out/r$r-victim" \
           > "$tmp/logs/r$r-victim.log" 2>&1 & ;;
    esac
    victim=$!
    victim_started="$(now)"
    sleep 0.3 # the victim's JVM takes the claim lock first, most of the time
  fi
  n=$((group_min + RANDOM % (group_max - group_min + 1)))
  pids=(); kinds=(); logs=(); checks=()
  for ((i = 0; i < n; i++)); do
    l="$tmp/logs/r$r-c$i.log"
    case $((RANDOM % 3)) in
      0) kind=create; "$cg" create openscad-ubuntu-box > "$l" 2>&1 & check="" ;;
      1) kind=render; size=$((1 + RANDOM % 50)); o="$tmp/out/r$r-c$i"; mkdir -p "$o"
         "$cg" render "$tmp/cube.scad" --no-cache -D "size=$size" -o "$o" > "$l" 2>&1 &
         check="cube $o/cube.stl $size" ;;
      2) kind=run; token="token-$r-$i-$RANDOM"
         "$cg" run openscad-ubuntu-box -- echo "$token" > "$l" 2>&1 & check="token $token" ;;
    esac
    pids+=("$!"); kinds+=("$kind"); logs+=("$l"); checks+=("$check")
  done
  killed=no
  if [ -n "$victim" ]; then
    sleep "$(awk -v ms="$kill_ms" -v t0="$victim_started" -v t="$(now)" \
      'BEGIN { s = ms / 1000 - (t - t0); printf "%.3f", (s > 0 ? s : 0) }')"
    if kill -9 "$victim" 2>/dev/null; then
      killed=yes; total_killed=$((total_killed + 1))
    fi
    wait "$victim" 2>/dev/null || true
    orphan="$(orphan_of "$victim")"
    if [ -n "$orphan" ]; then
      fate="$(fate_of "$orphan")"
      echo "$orphan $fate" >> "$tmp/orphans.log"
      log "round $r: the killed caller left $orphan; $( [ "$fate" = never ] && echo "never replaced" \
        || echo "replaced after ${fate% *} s (${fate#* })")"
    fi
  fi
  failed=0; wrong=0; used=()
  for ((i = 0; i < n; i++)); do
    if ! wait "${pids[$i]}"; then
      failed=$((failed + 1))
      log "round $r: ${kinds[$i]} failed: $(tail -n 3 "${logs[$i]}" | tr '\n' ' ')"
      continue
    fi
    b="$(box_of "${logs[$i]}")"
    [ -n "$b" ] && used+=("$b")
    read -r what a1 a2 <<< "${checks[$i]:-none}"
    case "$what" in
      cube) is_cube "$a1" "$a2" || { wrong=$((wrong + 1)); log "round $r: $a1 is not a cube of $a2"; } ;;
      token) grep -qx "$a1" "${logs[$i]}" || { wrong=$((wrong + 1)); log "round $r: run did not print $a1"; } ;;
    esac
  done
  distinct="$(printf '%s\n' "${used[@]:-}" | sed '/^$/d' | sort -u | wc -l)"
  [ "$distinct" -gt "$max_boxes" ] && max_boxes="$distinct"
  [ "$distinct" != 1 ] && groups_not_one=$((groups_not_one + 1))
  total_callers=$((total_callers + n)); total_failed=$((total_failed + failed)); total_wrong=$((total_wrong + wrong))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "$(IFS=,; echo "${kinds[*]}")" "$killed" "${kill_ms:--}" \
    "$terminated" "$distinct" "$failed" "$wrong" >> "$out_dir/soak-rounds.tsv"
  log "round $r: $n callers (${kinds[*]}), killed: $killed${kill_ms:+ after ${kill_ms} ms}, boxes used: $distinct," \
    "failed: $failed, wrong: $wrong"
done

# ------------------------------------------------------------------------------------------------ the end

# One more caller must find exactly one box, with every orphan replaced.
"$cg" create openscad-ubuntu-box > "$tmp/logs/final.log" 2>&1 \
  || log "the final create failed: $(cat "$tmp/logs/final.log")"
live=0
for dir in "$boxes_dir"/l-*; do
  [ -d "$dir" ] || continue
  [ "$(prop "$dir" state)" = TERMINATED ] && continue
  live=$((live + 1))
done
for dir in "$boxes_dir"/l-*; do
  [ -d "$dir" ] && "$cg" terminate "$(basename "$dir")" >/dev/null 2>&1 || true
done
left_dirs="$(find "$boxes_dir" -mindepth 1 -maxdepth 1 -name 'l-*' 2>/dev/null | wc -l)"
left_hosts="$(pgrep -f "io.cgrender.local.host.BoxHost $boxes_dir" | wc -l || true)"
leaked=$(( (live > 1 ? live - 1 : 0) + left_dirs + left_hosts ))
# A launch killed in the milliseconds before its box existed leaves a hidden directory, which gc removes after a minute.
half_made="$(find "$boxes_dir" -mindepth 1 -maxdepth 1 -name '.building-*' 2>/dev/null | wc -l)"

touch "$tmp/orphans.log"
orphans="$(wc -l < "$tmp/orphans.log")"
resolved="$(awk '$2 != "never" { print $2, $3 }' "$tmp/orphans.log")"
unresolved="$(awk '$2 == "never"' "$tmp/orphans.log" | wc -l)"
stats() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit } ;
  printf "median %.2f s, max %.2f s", (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[NR] }'; }
took="$(awk -v a="$start_all" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')"

{
  echo "cgrender soak: $rounds rounds, seed $seed, $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "$(nproc) cores, ${took}s"
  printf '%-52s %-28s %s\n' "measurement" "result" "must be"
  printf '%-52s %-28s %s\n' "callers in concurrent groups (create/render/run)" "$total_callers" ""
  printf '%-52s %-28s %s\n' "callers killed with SIGKILL" "$total_killed" ""
  printf '%-52s %-28s %s\n' "boxes per concurrent group (max)" "$max_boxes" "1"
  printf '%-52s %-28s %s\n' "groups that used more or less than one box" "$groups_not_one" "0"
  printf '%-52s %-28s %s\n' "failed callers" "$total_failed" "0"
  printf '%-52s %-28s %s\n' "wrong outputs" "$total_wrong" "0"
  printf '%-52s %-28s %s\n' "orphans left by killed callers" "$orphans" ""
  printf '%-52s %-28s %s\n' "orphans replaced or taken back (time after the kill)" \
    "$(printf '%s\n' "$resolved" | sed '/^$/d' | wc -l) ($(printf '%s\n' "$resolved" | sed '/^$/d' \
      | awk '{print $1}' | stats))" ""
  printf '%-52s %-28s %s\n' "orphans never replaced" "$unresolved" "0"
  printf '%-52s %-28s %s\n' "leaked boxes at the end" "$leaked" "0"
  printf '%-52s %-28s %s\n' "half-made box directories at the end (for gc)" "$half_made" ""
} | tee "$out_dir/soak.txt"

[ "$groups_not_one" = 0 ] && [ "$total_failed" = 0 ] && [ "$total_wrong" = 0 ] && [ "$leaked" = 0 ] \
  && [ "$unresolved" = 0 ]
