#!/bin/bash
# cgrender's watch for EC2's spot interruption notice, run on a spot box beside a render job's command. Every
# CGRENDER_SPOT_POLL seconds (5) it asks the instance metadata (IMDSv2, one token for hours) for spot/instance-action,
# which answers 404 until EC2 decides to reclaim the instance, then {"action": "terminate", "time": "…"} two minutes
# ahead. On a notice it records the reclaim time in JOB_DIR/interrupted and stops the render: SIGTERM to the job's
# process group, as a cancel does (the job's own shell, which then delivers what had finished, ignores it once the
# file exists), and SIGKILL to the render if it outlives KILL_GRACE seconds. It ends when the render ends (its caller
# stops it then) or once it has stopped the render.
# Usage: spot-watch.sh JOB_DIR RENDER_PID [KILL_GRACE]
# AWS_EC2_METADATA_SERVICE_ENDPOINT, if set, is where the instance metadata is (else 169.254.169.254).
set -u
job="$1"
render="$2"
grace="${3:-10}"
poll="${CGRENDER_SPOT_POLL:-5}"
imds_endpoint="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds_endpoint="${imds_endpoint%/}"
token=""
action=""
# noticed: whether EC2 gave the notice (then in $action); a refused token is asked for again at the next poll
noticed() {
  local reply code
  if [ -z "$token" ]; then
    token="$(curl -sf -m 2 -X PUT "$imds_endpoint/latest/api/token" \
      -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600')" || { token=""; return 1; }
  fi
  reply="$(curl -s -m 2 -w '\n%{http_code}' -H "X-aws-ec2-metadata-token: $token" \
    "$imds_endpoint/latest/meta-data/spot/instance-action")" || return 1
  code="${reply##*$'\n'}"
  case "$code" in
    200) action="${reply%$'\n'*}"; return 0 ;;
    401) token="" ;;
  esac
  return 1
}
# field NAME: a string field of the notice, only characters a time or an action word has
field() {
  printf '%s' "$action" | sed -n "s/.*\"$1\" *: *\"\([A-Za-z0-9:.+-]*\)\".*/\1/p"
}
sleeper=""
# Stopped by its caller when the render ended: the pause goes with it.
trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM
while kill -0 "$render" 2>/dev/null; do
  if noticed; then
    trap '' TERM
    # EC2's notice always has its time; without one, the documented two minutes from now
    at="$(field time)"
    at="${at:-$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)}"
    kind="$(field action)"
    printf 'at=%s\naction=%s\nnoticed=%s\n' "$at" "${kind:-terminate}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      > "$job/interrupted.tmp" && mv -f "$job/interrupted.tmp" "$job/interrupted"
    echo "cgrender: EC2 reclaims this spot instance at $at (${kind:-terminate}); stopping the" \
      "render and storing what has finished"
    read -r s < "/proc/$$/stat"
    set -- ${s##*) }
    kill -TERM -- "-$3" 2>/dev/null
    for _ in $(seq $((grace * 10))); do kill -0 "$render" 2>/dev/null || exit 0; sleep 0.1; done
    pkill -KILL -P "$render" 2>/dev/null
    kill -KILL "$render" 2>/dev/null
    exit 0
  fi
  sleep "$poll" &
  sleeper=$!
  wait "$sleeper"
done
