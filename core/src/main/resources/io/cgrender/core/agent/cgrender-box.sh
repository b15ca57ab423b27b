#!/bin/bash
# cgrender-box: the lifetime of this box, from inside it (what `at -l` and `atrm` were to self-terminating machines).
# Installed on every cgrender box, of any role, on every cloud; run by whoever is logged in to the box. It never
# changes anything itself: it hands extend, keep and release to the box's agent, the one owner of the box's expiry and
# idle timer, and waits (at most CGRENDER_BOX_WAIT seconds, 10) for the agent to apply it. How it reads the box's state
# and reaches its agent is the cloud's part below (backend_read, backend_obey).
set -u
wait_seconds="${CGRENDER_BOX_WAIT:-10}"

# Seconds in a duration given as 2h, 90m, 1h30m, 45s, 1d12h or ISO-8601 (PT2H, P1DT2H); fails for anything else.
seconds_of() {
  local t="$1" d="" h="" m="" s=""
  if [[ "$t" =~ ^[Pp]([0-9]{1,5}[Dd])?([Tt]([0-9]{1,6}[Hh])?([0-9]{1,8}[Mm])?([0-9]{1,10}[Ss])?)?$ ]]; then
    d="${BASH_REMATCH[1]%[Dd]}" h="${BASH_REMATCH[3]%[Hh]}" m="${BASH_REMATCH[4]%[Mm]}" s="${BASH_REMATCH[5]%[Ss]}"
    [ -n "$d$h$m$s" ] || return 1
    [ -z "${BASH_REMATCH[2]}" ] || [ -n "$h$m$s" ] || return 1
  elif [ -n "$t" ] && [[ "$t" =~ ^([0-9]{1,5}[Dd])?([0-9]{1,6}[Hh])?([0-9]{1,8}[Mm])?([0-9]{1,10}[Ss])?$ ]]; then
    d="${BASH_REMATCH[1]%[Dd]}" h="${BASH_REMATCH[2]%[Hh]}" m="${BASH_REMATCH[3]%[Mm]}" s="${BASH_REMATCH[4]%[Ss]}"
  else
    return 1
  fi
  echo $((10#${d:-0} * 86400 + 10#${h:-0} * 3600 + 10#${m:-0} * 60 + 10#${s:-0}))
}

# $1 seconds as ISO-8601, as the agent takes it: PT1H30M.
iso_duration() {
  local out=PT h=$(($1 / 3600)) m=$(($1 % 3600 / 60)) s=$(($1 % 60))
  [ "$h" = 0 ] || out+="${h}H"
  [ "$m" = 0 ] || out+="${m}M"
  [ "$s" = 0 ] || out+="${s}S"
  echo "$out"
}

# $1 seconds as people read them: 45s, 3m20s, 2h5m, 1d4h.
human() {
  local s=$(($1 < 0 ? 0 : $1))
  if [ "$s" -lt 60 ]; then echo "${s}s"
  elif [ "$s" -lt 3600 ]; then echo "$((s / 60))m$([ $((s % 60)) = 0 ] || echo "$((s % 60))s")"
  elif [ "$s" -lt 86400 ]; then echo "$((s / 3600))h$([ $((s % 3600 / 60)) = 0 ] || echo "$((s % 3600 / 60))m")"
  else echo "$((s / 86400))d$([ $((s % 86400 / 3600)) = 0 ] || echo "$((s % 86400 / 3600))h")"
  fi
}

# Epoch seconds as an ISO-8601 instant; an ISO-8601 instant as epoch seconds (empty for an empty one).
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
epoch_of() { [ -z "$1" ] || date -d "$1" +%s 2>/dev/null; }

@JOB_ALIVE_FUNCTION@

# The ids of the running jobs in the jobs directory $1.
running_jobs() {
  local f ids=""
  for f in "$1"/*/pid; do
    [ -f "$f" ] && job_alive "$f" && ids+=" $(basename "$(dirname "$f")")"
  done
  echo "${ids# }"
}

# The cloud's part. backend_read sets, or fails having said why:
#   box_id box_role box_namespace  what the box is
#   idle_timeout                   seconds, empty where the box has no idle timer
#   idle                           "busy", the epoch since which it is idle, or empty where it is not known
#   expires                        epoch of the max lifetime's end, empty for a box with no expiry
#   max_lifetime                   seconds an extension may reach from now, empty where not known
#   kept                           epoch since which it is kept, empty when it is not
#   jobs                           ids of the running jobs
# backend_obey LINE hands one agent command to the agent and returns once it applied it (0), or fails having said why.
@BACKEND@

usage() {
  cat <<'USAGE'
Usage: cgrender-box COMMAND
The lifetime of this cgrender box, from inside it.
  status             role, namespace, box id, idle timer, expiry (or kept, or no expiry) and the running jobs
  extend DURATION    end the box that much later (e.g. 2h, 90m, 1h30m, PT2H); at most its max lifetime from now
  keep               the box ends itself neither at its expiry nor when idle, until release
  release            end a keep: the expiry counts again (never sooner than the idle timeout from now), and the
                     idle timer from now
Exit 0 ok, 1 the agent did not apply it in time, 2 bad input.
USAGE
}

bad_input() {
  echo "cgrender-box: $1" >&2
  echo "${2:-see: cgrender-box --help}" >&2
  exit 2
}

ends_line() {
  local sooner=""
  [ -z "$idle_timeout" ] || sooner=", or sooner when idle for $(human "$idle_timeout")"
  if [ -n "$kept" ]; then
    echo "box $box_id is kept (since $(iso "$kept")): it ends itself neither at its expiry nor when idle until" \
      "\`cgrender-box release\`"
  elif [ -n "$expires" ]; then
    echo "box $box_id now ends itself at $(iso "$expires") at the latest (in $(human $((expires - $(date +%s)))))$sooner"
  elif [ -n "$idle_timeout" ]; then
    echo "box $box_id has no expiry: it ends itself when idle for $(human "$idle_timeout")"
  else
    echo "box $box_id has no expiry and no idle timer: it does not end itself"
  fi
}

status() {
  local now cap
  now="$(date +%s)"
  echo "box:         $box_id"
  echo "role:        $box_role"
  echo "namespace:   $box_namespace"
  if [ -z "$idle_timeout" ]; then
    echo "idle timer:  none (the box does not end itself when idle)"
  elif [ "$idle" = busy ]; then
    echo "idle timer:  busy (a session or a job); ends the box after $(human "$idle_timeout") idle"
  elif [ -n "$idle" ]; then
    echo "idle timer:  idle since $(iso "$idle") ($(human $((now - idle)))); ends the box after" \
      "$(human "$idle_timeout") idle"
  else
    echo "idle timer:  not reported yet; ends the box after $(human "$idle_timeout") idle"
  fi
  if [ -n "$kept" ]; then
    echo "expiry:      kept since $(iso "$kept"): neither the expiry${expires:+ ($(iso "$expires"))} nor the idle" \
      "timer ends the box until \`cgrender-box release\`"
  elif [ -n "$expires" ]; then
    cap=""
    [ -z "$max_lifetime" ] || cap="; an extension reaches at most $(human "$max_lifetime") from now"
    echo "expiry:      $(iso "$expires") (in $(human $((expires - now))))$cap"
  else
    echo "expiry:      no expiry${idle_timeout:+: the idle timer alone ends the box}"
  fi
  echo "jobs:        ${jobs:-none running}"
}

command="${1:-}"
case "$command" in
  -h|--help|help)
    usage
    exit 0 ;;
  status|keep|release)
    [ $# = 1 ] || bad_input "$command takes no argument" "usage: cgrender-box $command" ;;
  extend)
    [ $# = 2 ] || bad_input "extend takes one DURATION" "usage: cgrender-box extend DURATION (e.g. 2h, 90m, 1h30m, PT2H)"
    seconds="$(seconds_of "$2")" || bad_input "'$2' is not a duration" \
      "fix: give it as hours, minutes and seconds, e.g. 2h, 90m, 1h30m, 1d or ISO-8601 PT2H"
    [ "$seconds" -gt 0 ] || bad_input "'$2' is no positive duration" "fix: give a duration longer than zero, e.g. 2h" ;;
  '')
    usage >&2
    exit 2 ;;
  *)
    bad_input "unknown command '$command': it is one of status, extend, keep, release" ;;
esac

backend_read || exit 1
case "$command" in
  status)
    status ;;
  extend)
    if [ -n "$kept" ]; then
      echo "box $box_id is kept (since $(iso "$kept")): it does not end itself until \`cgrender-box release\`;" \
        "nothing to extend"
      exit 0
    fi
    if [ -z "$expires" ]; then
      echo "$(ends_line); nothing to extend"
      exit 0
    fi
    before="$expires"
    backend_obey "extend $(iso_duration "$seconds")" && backend_read || exit 1
    if [ -n "$expires" ] && [ "$expires" -gt "$before" ]; then
      ends_line
    else
      echo "box $box_id still ends itself at $(iso "$before") at the latest: an extension reaches at most its max" \
        "lifetime${max_lifetime:+ ($(human "$max_lifetime"))} from now"
    fi ;;
  keep)
    if [ -n "$kept" ]; then
      ends_line
      exit 0
    fi
    backend_obey keep && backend_read || exit 1
    [ -n "$kept" ] || { echo "cgrender-box: the agent of box $box_id took keep, but the box is not kept" >&2; exit 1; }
    ends_line ;;
  release)
    if [ -z "$kept" ]; then
      echo "box $box_id is not kept; $(ends_line | sed "s/^box $box_id now /it /")"
      exit 0
    fi
    backend_obey release && backend_read || exit 1
    [ -z "$kept" ] || { echo "cgrender-box: the agent of box $box_id took release, but the box is still kept" >&2
      exit 1; }
    ends_line ;;
esac
