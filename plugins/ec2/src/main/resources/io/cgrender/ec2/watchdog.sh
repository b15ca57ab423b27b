#!/bin/bash
# cgrender's box watchdog, installed from the instance's user data and run by systemd (cgrender-watchdog.service).
# It ends the box, with no client needed:
#   - when the max lifetime has passed (at @EXPIRES_AT_ISO@, or later when the box agent extended it in
#     /var/lib/cgrender/expires-at), whatever the box is doing; a box with no expiry has none;
#   - when the box has been idle for @IDLE_SECONDS@s: no SSH session of the login user and no running job (a live
#     process named by ~/.cgrender/jobs/*/pid of the login user, judged by its pid and start time, never by a reused
#     pid or a pid alone). A session counts once it has logged in: after authentication sshd serves a connection in
#     a process of its own running as the user (named sshd, or sshd-session since OpenSSH 9.8); before it, only as
#     root or as sshd's unprivileged user. So a connection that never logs in does not hold the box;
#   - when the last job asked for it (~/.cgrender/after-job: stop or terminate), once no job runs and no SSH session
#     is open, so the client can still fetch the results. The file is the user's: it is read with the user's rights,
#     never through a symbolic link, and at most 64 bytes of it;
#   - when it has been an orphan for @ORPHAN_SECONDS@s: still launching, setting up or imaging (its cgrender:stage
#     tag) while the lease of the cgrender that was creating it (its cgrender:lease tag, "<until> <holder>") has
#     lapsed. It reads both tags from the instance metadata (cgrender launches its boxes with tags in the metadata);
#     without them (an instance launched otherwise) it skips this check.
# While the box is kept (the agent's keep: /var/lib/cgrender/kept holds since when, until its release), it ends the
# box neither at its max lifetime nor when idle; an orphan still ends, and a job's after-job request still applies.
# It ends the box with "shutdown -h now", which terminates it: cgrender launches its boxes with
# InstanceInitiatedShutdownBehavior=terminate. A "stop" request stops the box through the EC2 API instead, with the
# short-lived credentials of the namespace's instance profile, which cgrender gives a box that renders with results
# in S3 (the profile allows ec2:StopInstances of the box itself and no other EC2 action). A box without it has
# no credentials and cannot stop itself: it then ends like "terminate", and says why.
# It tells clients since when the box has been idle, or that it is busy, in the instance's cgrender:idle-since tag
# (an ISO-8601 instant, or "busy"), whenever that changes, with the instance profile's credentials (which allow tagging
# the box itself with that tag only). A box without the AWS CLI or a profile does not report it; clients then know
# its idle timeout only.
# Every setting can be overridden from the environment (CGRENDER_*), which is how its tests run it; "--once" checks
# once and exits instead of looping. AWS_ENDPOINT_URL and AWS_EC2_METADATA_SERVICE_ENDPOINT are honoured.
set -u
idle_seconds="${CGRENDER_IDLE_SECONDS:-@IDLE_SECONDS@}"
expires_at="${CGRENDER_EXPIRES_AT:-@EXPIRES_AT_EPOCH@}"
orphan_seconds="${CGRENDER_ORPHAN_SECONDS:-@ORPHAN_SECONDS@}"
login_user="${CGRENDER_LOGIN_USER:-@LOGIN_USER@}"
state_dir="${CGRENDER_STATE_DIR:-/var/lib/cgrender}"
shutdown_command="${CGRENDER_SHUTDOWN:-shutdown -h now}"
interval="${CGRENDER_INTERVAL:-30}"
home="${CGRENDER_HOME:-$(getent passwd "$login_user" | cut -d: -f6)}"
jobs_dir="$home/@JOBS_DIR@"
after_file="$home/@AFTER_JOB_FILE@"
aws_command="${CGRENDER_AWS:-aws}"
imds_endpoint="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds_endpoint="${imds_endpoint%/}"
stopping_since=""
orphan_since=""
report_retry_at=0
instance_id="${CGRENDER_INSTANCE_ID:-}"
region="${CGRENDER_REGION:-}"
# What runs a command with the login user's rights: runuser as root (on a box); nothing as that user (in tests).
as_login_user=""
if [ "$(id -u)" = 0 ] && [ "$login_user" != root ]; then
  as_login_user="runuser -u $login_user --"
fi

log() {
  echo "cgrender-watchdog: $*"
  logger -t cgrender-watchdog -- "$*" 2>/dev/null || true
}

end_box() {
  log "$1: shutting down, which terminates this box"
  $shutdown_command
  exit 0
}

# The instance metadata at $1, through IMDSv2.
imds() {
  local token
  token="$(curl -sf -m 5 -X PUT "$imds_endpoint/latest/api/token" \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "$imds_endpoint/latest/meta-data/$1"
}

# Sets instance_id and region from the instance metadata, once; fails, with why in out, when the EC2 API cannot be
# called. Not to be run in a subshell: it sets the watchdog's variables.
know_instance() {
  [ -n "$instance_id" ] || instance_id="$(imds instance-id)" || instance_id=""
  [ -n "$region" ] || region="$(imds placement/region)" || region=""
  if ! command -v "$aws_command" > /dev/null 2>&1; then
    out="the AWS CLI is not installed"
    return 1
  fi
  if [ -z "$instance_id" ] || [ -z "$region" ]; then
    out="the instance metadata gave no instance id or region"
    return 1
  fi
}

# Stops this instance through the EC2 API with its instance profile's credentials; ends it if it cannot.
stop_box() {
  local out=""
  if ! know_instance; then
    :
  elif out="$(timeout 120 "$aws_command" ec2 stop-instances --instance-ids "$instance_id" --region "$region" \
      ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} 2>&1)"; then
    log "the last job asked to stop the box: stopping $instance_id through the EC2 API (instance profile)"
    stopping_since="$(date +%s)"
    return 0
  fi
  end_box "the last job asked to stop the box, but it cannot stop itself without an instance profile ($(echo "$out" \
    | grep -v '^[[:space:]]*$' | tail -n 1))"
}

# Reports $1 ("busy", or the instant since which the box has been idle) in the instance's tag when it changed. A box
# that cannot (no AWS CLI, no instance profile yet) says why once and tries again every minute.
report_idle() {
  local value="$1" now="$2" out=""
  if [ "$value" = "$(cat "$state_dir/reported-idle" 2>/dev/null)" ] || [ "$now" -lt "$report_retry_at" ]; then
    return 0
  fi
  if know_instance && out="$(timeout 60 "$aws_command" ec2 create-tags --resources "$instance_id" \
      --tags "Key=@IDLE_SINCE_TAG@,Value=$value" --region "$region" \
      ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} 2>&1)"; then
    echo "$value" > "$state_dir/reported-idle"
    report_retry_at=0
    return 0
  fi
  if [ "$report_retry_at" = 0 ]; then
    log "cannot report the idle timer in the instance's tags ($(echo "$out" | grep -v '^[[:space:]]*$' \
      | tail -n 1)); clients see the idle timeout only"
  fi
  report_retry_at=$((now + 60))
}

# Ends the box once it has been an orphan for orphan_seconds, counted from when this watchdog first saw it as one.
check_orphan() {
  local now="$1" stage lease until_epoch
  if ! stage="$(imds tags/instance/cgrender:stage)"; then
    orphan_since=""
    return 0
  fi
  case "$stage" in
    launching|setting-up|imaging|failed) ;;
    *) orphan_since=""; return 0 ;;
  esac
  lease="$(imds tags/instance/cgrender:lease)" || lease=""
  until_epoch="$(date -d "${lease%% *}" +%s 2>/dev/null)" || until_epoch=0
  if [ -n "$lease" ] && [ "$now" -lt "$until_epoch" ]; then
    orphan_since=""
    return 0
  fi
  if [ -z "$orphan_since" ]; then
    orphan_since="$now"
    log "an orphan: $stage, and the lease of its creator lapsed (${lease:-none});" \
      "ending in ${orphan_seconds}s unless a cgrender takes it over"
  fi
  if [ $((now - orphan_since)) -ge "$orphan_seconds" ]; then
    end_box "an orphan for $((now - orphan_since))s ($stage, its creator's lease lapsed: ${lease:-none})"
  fi
}

# The login user's SSH sessions: sshd processes running as the user (see above). A root login user is never counted,
# as sshd's pre-authentication processes run as root too (cgrender's boxes log in as an unprivileged user).
ssh_sessions() {
  local uid n=0 f key value name
  uid="$(id -u "$login_user" 2>/dev/null)" || uid=0
  if [ "$uid" != 0 ]; then
    for f in /proc/[0-9]*/status; do
      name=""
      while read -r key value _; do
        case "$key" in
          Name:) name="$value" ;;
          Uid:) if [ "$value" = "$uid" ]; then case "$name" in sshd|sshd-session) n=$((n + 1)) ;; esac; fi; break ;;
        esac
      done 2>/dev/null < "$f"
    done
  fi
  echo "$n"
}

# Sets request to the after-job request, read as the login user without following a symbolic link (dd's nofollow),
# and uses it up.
after_request() {
  if ! request="$(timeout 10 $as_login_user dd if="$after_file" iflag=nofollow bs=64 count=1 status=none \
      2>/dev/null)"; then
    request=""
    log "refusing $after_file: not a file the login user can read (a symbolic link?)"
  fi
  timeout 10 $as_login_user rm -f -- "$after_file"
}

@JOB_ALIVE_FUNCTION@

running_jobs() {
  local n=0 f
  for f in "$jobs_dir"/*/pid; do
    [ -f "$f" ] || continue
    if job_alive "$f"; then
      n=$((n + 1))
    fi
  done
  echo "$n"
}

check() {
  local now expires sessions jobs request last kept
  now="$(date +%s)"
  # The box agent keeps the box, and moves the expiry, in files only root writes; never earlier than launched.
  kept="$(cat "$state_dir/kept" 2>/dev/null)"
  [[ "$kept" =~ ^[0-9]+$ ]] || kept=""
  expires="$(cat "$state_dir/expires-at" 2>/dev/null)"
  [[ "$expires" =~ ^[0-9]+$ ]] && [ -n "$expires_at" ] && [ "$expires" -gt "$expires_at" ] || expires="$expires_at"
  if [ -z "$kept" ] && [ -n "$expires" ] && [ "$now" -ge "$expires" ]; then
    end_box "max lifetime reached (the box expired at $(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' "$expires"))"
  fi
  check_orphan "$now"
  if [ -n "$stopping_since" ]; then
    # EC2 is stopping the box; give it ten minutes before watching again.
    [ $((now - stopping_since)) -lt 600 ] && return 0
    log "the box asked EC2 to stop it 10 minutes ago and still runs; watching again"
    stopping_since=""
    orphan_since=""
    echo "$now" > "$state_dir/last-busy"
  fi
  sessions="$(ssh_sessions)"
  jobs="$(running_jobs)"
  if [ "$sessions" -eq 0 ] && [ "$jobs" -eq 0 ] && { [ -e "$after_file" ] || [ -L "$after_file" ]; }; then
    after_request
    case "$request" in
      terminate) end_box "the last job asked to terminate the box" ;;
      stop) stop_box; return 0 ;;
      '') ;;
      *) log "ignoring the unknown after-job request $(printf '%q' "$request")" ;;
    esac
  fi
  if [ "$sessions" -gt 0 ] || [ "$jobs" -gt 0 ]; then
    echo "$now" > "$state_dir/last-busy"
    report_idle busy "$now"
    return 0
  fi
  last="$(cat "$state_dir/last-busy" 2>/dev/null || echo "$now")"
  report_idle "$(TZ=UTC printf '%(%Y-%m-%dT%H:%M:%SZ)T' "$last")" "$now"
  if [ -z "$kept" ] && [ $((now - last)) -ge "$idle_seconds" ]; then
    end_box "idle for $((now - last))s (no SSH session and no running job for ${idle_seconds}s)"
  fi
}

mkdir -p "$state_dir"
if [ "${1:-}" = --once ]; then
  [ -f "$state_dir/last-busy" ] || date +%s > "$state_dir/last-busy"
  check
  exit 0
fi
# A box that just (re)started is busy: the idle time counts from now.
date +%s > "$state_dir/last-busy"
log "watching: idle timeout ${idle_seconds}s, expires at @EXPIRES_AT_ISO@, orphan timeout ${orphan_seconds}s," \
  "jobs in $jobs_dir"
while true; do
  check
  sleep "$interval"
done
