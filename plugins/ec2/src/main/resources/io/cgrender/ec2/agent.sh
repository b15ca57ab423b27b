#!/bin/bash
# cgrender's box agent on EC2, installed over SSH when the box is set up (agent-install.sh) and run by systemd
# (cgrender-agent.service, Restart=always) from every boot on, also on boxes launched from an image of this one.
# It long-polls the box's own SQS queue (@QUEUE_PREFIX@<instance id>, subscribed to the namespace's SNS topic,
# made by cgrender at launch) and obeys one-line commands:
#   sync-keys        re-reads the namespace's keys from EC2 (key pairs tagged with the namespace: its own key pair
#                    @KEY_PAIR@ plus the registered keys cgrender.keys selects, and the key of the client that
#                    set the box up) and writes them to the login user's ~/.ssh/authorized_keys, atomically, with the
#                    user's rights; also at start and every @RESYNC_SECONDS@s. Lines holding no key of the
#                    namespace's key pairs (now or ever seen here, listed in /var/lib/cgrender/agent-keys) are the
#                    user's own (an adopted instance's key, say) and stay;
#   ping NONCE       answers in the instance's tag @PONG_TAG@ ("NONCE <instant>");
#   extend DURATION  moves the box's expiry by DURATION (PT…H…M…S), to at most the box's max lifetime (its
#                    @MAX_LIFETIME_TAG@ tag, else @MAX_EXTENSION_SECONDS@s) from now: the watchdog reads the new expiry
#                    from /var/lib/cgrender/expires-at at its next check, and clients from the instance's
#                    @EXPIRES_TAG@ tag; nothing for a kept box or one with no expiry;
#   keep             the watchdog ends the box neither at its expiry nor when idle (/var/lib/cgrender/kept holds since
#                    when; the instance's @KEPT_TAG@ tag says it too) until
#   release          ends a keep: the expiry counts again, never sooner than the idle timeout (the box's
#                    @IDLE_TIMEOUT_TAG@ tag, else @IDLE_SECONDS@s) from now, and the idle timer restarts now;
#   stop             stops the instance through the EC2 API (its instance profile may stop the box itself only);
#   terminate        shuts the box down, which terminates it (InstanceInitiatedShutdownBehavior=terminate).
# A message is only a trigger: its body is matched against these exact forms and never used as a key, a path or a
# command; anything else is logged and dropped. Keys come from EC2 alone, and only "type base64" of each is written
# (no options, no comment of the key's). An authorized_keys without the namespace's own key is never written: when
# EC2 does not show it (an error, a missing permission), the file stays as it is.
# Runs as root for three things only: reading the instance metadata's credentials, writing
# /var/lib/cgrender/expires-at and kept (which the watchdog, also root, trusts, so the login user must not write
# them) and shutting the box down. The login user's files are written as the login user (runuser).
# "agent.sh --obey LINE" obeys one line and exits (0 done, 2 no command), with the same validation: what
# cgrender-box on the box runs as root (sudo), so commands from inside the box reach the same code. Commands are
# obeyed one at a time (a lock in /var/lib/cgrender).
# Every setting can be overridden from the environment (CGRENDER_*), which is how its tests run it.
# AWS_ENDPOINT_URL and AWS_EC2_METADATA_SERVICE_ENDPOINT are honoured.
set -u
namespace="${CGRENDER_NAMESPACE:-@NAMESPACE@}"
queue_prefix="${CGRENDER_QUEUE_PREFIX:-@QUEUE_PREFIX@}"
own_key_pair="${CGRENDER_KEY_PAIR:-@KEY_PAIR@}"
selected_keys="${CGRENDER_KEYS:-@KEYS@}"
client_key="${CGRENDER_CLIENT_KEY:-@CLIENT_KEY@}"
max_extension="${CGRENDER_MAX_EXTENSION_SECONDS:-@MAX_EXTENSION_SECONDS@}"
idle_seconds="${CGRENDER_IDLE_SECONDS:-@IDLE_SECONDS@}"
resync_seconds="${CGRENDER_RESYNC_SECONDS:-@RESYNC_SECONDS@}"
wait_seconds="${CGRENDER_WAIT_SECONDS:-20}"
login_user="${CGRENDER_LOGIN_USER:-@LOGIN_USER@}"
state_dir="${CGRENDER_STATE_DIR:-/var/lib/cgrender}"
shutdown_command="${CGRENDER_SHUTDOWN:-shutdown -h now}"
home="${CGRENDER_HOME:-$(getent passwd "$login_user" | cut -d: -f6)}"
aws_command="${CGRENDER_AWS:-aws}"
imds_endpoint="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds_endpoint="${imds_endpoint%/}"
endpoint=()
[ -z "${AWS_ENDPOINT_URL:-}" ] || endpoint=(--endpoint-url "$AWS_ENDPOINT_URL")
as_login_user=""
if [ "$(id -u)" = 0 ] && [ "$login_user" != root ]; then
  as_login_user="runuser -u $login_user --"
fi
instance_id=""
region=""
queue_url=""
last_complaint=""

log() {
  echo "cgrender-agent: $*"
  logger -t cgrender-agent -- "$*" 2>/dev/null || true
}

# Logs $1 unless it was the last thing complained about: a failing call is said once, not every 20 s.
complain() {
  [ "$1" = "$last_complaint" ] || log "$1"
  last_complaint="$1"
}

# The last non-empty line of $1: AWS's reason for an error.
reason() {
  printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1
}

imds() {
  local token
  token="$(curl -sf -m 5 -X PUT "$imds_endpoint/latest/api/token" \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "$imds_endpoint/latest/meta-data/$1"
}

aws_call() {
  timeout 60 "$aws_command" "$@" --region "$region" "${endpoint[@]}"
}

# Whether the registered key $1 is one cgrender.keys selects ("*" for all).
selected() {
  local name names
  read -ra names <<< "$selected_keys" # no pathname expansion of "*"
  for name in "${names[@]}"; do
    if [ "$name" = "*" ] || [ "$name" = "$1" ]; then
      return 0
    fi
  done
  return 1
}

# Whether the authorized_keys line $1 holds one of the keys in the list $2 (blobs, space-separated).
holds_one_of() {
  local words word
  read -ra words <<< "$1"
  for word in "${words[@]}"; do
    [[ " $2 " != *" $word "* ]] || return 0
  done
  return 1
}

sync_keys() {
  local out key_pair name public type blob lines="" names="" own=0 current managed="" line kept="" words
  if ! out="$(aws_call ec2 describe-key-pairs --include-public-key --output text \
      --filters "Name=tag:@NAMESPACE_TAG@,Values=$namespace" \
      --query 'KeyPairs[].[KeyName, Tags[?Key==`@KEY_NAME_TAG@`].Value | [0], Tags[?Key==`@PUBLIC_KEY_TAG@`].Value | [0],
        PublicKey]' 2>&1)"; then
    complain "cannot read the namespace's keys from EC2 ($(reason "$out")); authorized_keys stays as it is"
    return 1
  fi
  while IFS=$'\t' read -r key_pair name tagged public; do
    # a key EC2 cannot hold as a key pair (ECDSA) is in the key pair's tag; its own material is a key nobody has
    if [ -n "$tagged" ] && [ "$tagged" != None ]; then
      public="$tagged"
    fi
    read -r type blob _ <<< "$public"
    case "$type" in
      ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) ;;
      *) continue ;;
    esac
    [[ "$blob" =~ ^[A-Za-z0-9+/]+={0,2}$ ]] || continue
    managed+=" $blob"
    if [ "$key_pair" = "$own_key_pair" ] && [ "$name" = None ]; then
      lines="$type $blob cgrender namespace key"$'\n'"$lines"
      own=1
    elif [[ "$name" =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] && selected "$name"; then
      lines+="$type $blob cgrender key $name"$'\n'
      names+=" $name"
    fi
  done <<< "$out"
  if [ "$own" != 1 ]; then
    complain "EC2 shows no key pair $own_key_pair of $namespace; authorized_keys stays as it is"
    return 1
  fi
  read -r type blob _ <<< "$client_key"
  if [ -n "$blob" ] && [[ " $managed " != *" $blob "* ]]; then
    lines+="$type $blob cgrender key of the client that set the box up"$'\n'
    managed+=" $blob"
  fi
  # cgrender's keys are those of the namespace's key pairs, now or ever seen here; the rest is the user's and stays
  managed="$(tr '\n' ' ' < "$state_dir/agent-keys" 2>/dev/null) $managed"
  current="$($as_login_user cat "$home/.ssh/authorized_keys" 2>/dev/null)"
  while IFS= read -r line; do
    [ -z "$line" ] || holds_one_of "$line" "$managed" || kept+="$line"$'\n'
  done <<< "$current"
  lines="$kept$lines"
  read -ra words <<< "$managed"
  printf '%s\n' "${words[@]}" | sort -u > "$state_dir/agent-keys.new" \
    && mv -f "$state_dir/agent-keys.new" "$state_dir/agent-keys"
  if [ "$current"$'\n' = "$lines" ]; then
    return 0
  fi
  if ! printf '%s' "$lines" | $as_login_user sh -c 'umask 077 && mkdir -p "$1" && cat > "$1/authorized_keys.new" &&
      mv -f "$1/authorized_keys.new" "$1/authorized_keys"' sh "$home/.ssh"; then
    complain "cannot write $home/.ssh/authorized_keys as $login_user"
    return 1
  fi
  log "authorized_keys: the namespace's key and ${names:+registered keys$names}${names:-no registered key}"
}

pong() {
  local out
  if ! out="$(aws_call ec2 create-tags --resources "$instance_id" \
      --tags "Key=@PONG_TAG@,Value=$1 $(date -u +%Y-%m-%dT%H:%M:%SZ)" 2>&1)"; then
    log "cannot answer ping $1 ($(reason "$out"))"
  fi
}

# The box's expiry (epoch seconds): the last extension, else the instance's tag; empty when it has none (adopted).
expiry() {
  local e
  e="$(cat "$state_dir/expires-at" 2>/dev/null)" || e=""
  if ! [[ "$e" =~ ^[0-9]+$ ]]; then
    e="$(imds tags/instance/@EXPIRES_TAG@)" && e="$(date -d "$e" +%s 2>/dev/null)" || e=""
  fi
  echo "$e"
}

# Seconds in the instance's tag $1 (an ISO-8601 duration), else $2.
tagged_seconds() {
  local s
  s="$(imds "tags/instance/$1")" && s="$(seconds_of "$s")" && echo "$s" || echo "$2"
}

# Sets the instance's tag $1 to $2 (empty: none), saying so when it cannot.
set_tag() {
  local out
  if ! out="$(aws_call ec2 create-tags --resources "$instance_id" --tags "Key=$1,Value=$2" 2>&1)"; then
    log "cannot update the instance's $1 tag ($(reason "$out"))"
  fi
}

# Since when the box is kept (epoch seconds), empty when it is not.
kept_since() {
  local k
  k="$(cat "$state_dir/kept" 2>/dev/null)" || k=""
  [[ "$k" =~ ^[0-9]+$ ]] && echo "$k"
}

# Writes $2 to the state file $1, atomically.
write_state() {
  echo "$2" > "$state_dir/$1.new" && mv -f "$state_dir/$1.new" "$state_dir/$1"
}

iso_of() {
  date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

# Moves the expiry by $1 seconds, to at most the max lifetime from now.
extend() {
  local by="$1" now current wanted cap
  now="$(date +%s)"
  current="$(expiry)"
  if [ -z "$current" ]; then
    log "ignoring extend: this box has no expiry"
    return 0
  fi
  if [ -n "$(kept_since)" ]; then
    log "ignoring extend: this box is kept (release it first)"
    return 0
  fi
  cap="$(tagged_seconds @MAX_LIFETIME_TAG@ "$max_extension")"
  wanted=$((current + by))
  if [ "$wanted" -gt $((now + cap)) ]; then
    wanted=$((now + cap))
  fi
  if [ "$wanted" -le "$current" ]; then
    log "extend by ${by}s: the expiry stays at $(iso_of "$current") (at most ${cap}s from now)"
    return 0
  fi
  write_state expires-at "$wanted"
  log "extended the box's life to $(iso_of "$wanted")"
  set_tag @EXPIRES_TAG@ "$(iso_of "$wanted")"
}

keep() {
  local since
  since="$(kept_since)"
  if [ -n "$since" ]; then
    log "keep: kept since $(iso_of "$since") already"
    return 0
  fi
  since="$(date +%s)"
  write_state kept "$since"
  log "kept: the box ends itself neither at its expiry nor when idle until released"
  set_tag @KEPT_TAG@ "$(iso_of "$since")"
}

# Ends a keep: the expiry counts again, never sooner than the idle timeout from now; the idle timer restarts now.
release() {
  local now current earliest
  if [ -z "$(kept_since)" ]; then
    log "release: this box is not kept"
    return 0
  fi
  now="$(date +%s)"
  current="$(expiry)"
  earliest=$((now + $(tagged_seconds @IDLE_TIMEOUT_TAG@ "$idle_seconds")))
  write_state last-busy "$now"
  if [ -n "$current" ] && [ "$current" -lt "$earliest" ]; then
    write_state expires-at "$earliest"
    current="$earliest"
  fi
  rm -f "$state_dir/kept"
  log "released: the box ends itself ${current:+at $(iso_of "$current") at the latest, or }when idle"
  [ -z "$current" ] || set_tag @EXPIRES_TAG@ "$(iso_of "$current")"
  set_tag @KEPT_TAG@ ""
}

# Seconds in an ISO-8601 duration of hours, minutes and seconds (as Java writes one: PT2H, PT1H30M); fails otherwise.
seconds_of() {
  [[ "$1" =~ ^PT([0-9]{1,6}H)?([0-9]{1,8}M)?([0-9]{1,10}S)?$ ]] && [ "$1" != PT ] || return 1
  local h="${BASH_REMATCH[1]%H}" m="${BASH_REMATCH[2]%M}" s="${BASH_REMATCH[3]%S}"
  echo $((10#${h:-0} * 3600 + 10#${m:-0} * 60 + 10#${s:-0}))
}

obey() {
  local body="$1" seconds out
  if [ "$body" = sync-keys ]; then
    sync_keys
  elif [[ "$body" =~ ^ping\ ([A-Za-z0-9-]{1,64})$ ]]; then
    pong "${BASH_REMATCH[1]}"
  elif [[ "$body" =~ ^extend\ (PT[0-9HMS]{1,30})$ ]] && seconds="$(seconds_of "${BASH_REMATCH[1]}")"; then
    extend "$seconds"
  elif [ "$body" = keep ]; then
    keep
  elif [ "$body" = release ]; then
    release
  elif [ "$body" = stop ]; then
    if out="$(aws_call ec2 stop-instances --instance-ids "$instance_id" 2>&1)"; then
      log "asked to stop: stopping $instance_id through the EC2 API"
    else
      log "asked to stop, but cannot ($(reason "$out"))"
    fi
  elif [ "$body" = terminate ]; then
    log "asked to terminate: shutting down, which terminates this box"
    $shutdown_command
  else
    log "ignoring a message that is no command: $(printf '%q' "${body:0:80}")"
    return 2
  fi
}

# Obeys $1 holding the agent's lock, so that the service and cgrender-box (--obey) never obey at once.
obey_locked() {
  local status
  mkdir -p "$state_dir"
  {
    flock -w 30 9 || log "obeying without the lock: another command holds it for more than 30s"
    obey "$1"
    status=$?
  } 9> "$state_dir/agent.lock"
  return "$status"
}

if [ "${1:-}" = --obey ]; then
  if ! instance_id="$(imds instance-id)" || ! region="$(imds placement/region)" || [ -z "$instance_id" ]; then
    log "the instance metadata gives no instance id or region"
    exit 1
  fi
  obey_locked "${2:-}"
  exit $?
fi

until instance_id="$(imds instance-id)" && region="$(imds placement/region)" && [ -n "$instance_id" ]; do
  complain "the instance metadata gives no instance id or region yet"
  sleep 5
done
if ! command -v "$aws_command" > /dev/null 2>&1; then
  log "the AWS CLI is not installed: no commands reach this box"
  exec sleep infinity
fi
queue="$queue_prefix$instance_id"
log "listening on queue $queue for $namespace"
sync_keys
next_sync=$(($(date +%s) + resync_seconds))
while true; do
  if [ -z "$queue_url" ] && ! queue_url="$(aws_call sqs get-queue-url --queue-name "$queue" --query QueueUrl \
      --output text 2>&1)"; then
    complain "no queue $queue to listen on ($(reason "$queue_url")); asking again in a minute"
    queue_url=""
    sleep 60
  elif ! out="$(aws_call sqs receive-message --queue-url "$queue_url" --wait-time-seconds "$wait_seconds" \
      --max-number-of-messages 1 --output text --query 'Messages[0].[ReceiptHandle, Body]' 2>&1)"; then
    complain "cannot receive from $queue ($(reason "$out"))"
    case "$out" in *NonExistentQueue*) queue_url="" ;; esac
    sleep 10
  elif [ -n "$out" ] && [ "$out" != None ]; then
    last_complaint=""
    handle="${out%%$'\t'*}"
    aws_call sqs delete-message --queue-url "$queue_url" --receipt-handle "$handle" > /dev/null 2>&1 \
      || log "cannot delete a message from $queue"
    obey_locked "${out#*$'\t'}"
  fi
  if [ "$(date +%s)" -ge "$next_sync" ]; then
    sync_keys
    next_sync=$(($(date +%s) + resync_seconds))
  fi
done
