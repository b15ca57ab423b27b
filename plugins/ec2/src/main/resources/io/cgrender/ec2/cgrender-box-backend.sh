# EC2's part of cgrender-box: the box's state is what its agent and watchdog keep in /var/lib/cgrender (expires-at,
# kept, reported-idle; root writes them, anyone reads them) and the instance's tags in its metadata; a command goes
# to the agent's own code, run as root (the login user has passwordless sudo on the images cgrender launches):
# agent.sh --obey LINE, which validates it as it validates a message from the box's queue, applies it and returns.
# CGRENDER_STATE_DIR, CGRENDER_AGENT, CGRENDER_SUDO (empty: none), CGRENDER_HOME and
# AWS_EC2_METADATA_SERVICE_ENDPOINT can be overridden, which is how its tests run it.
state_dir="${CGRENDER_STATE_DIR:-/var/lib/cgrender}"
agent="${CGRENDER_AGENT:-/usr/local/lib/cgrender/agent.sh}"
if [ "$(id -u)" = 0 ]; then
  sudo="${CGRENDER_SUDO-}"
else
  sudo="${CGRENDER_SUDO-sudo -n}"
fi
box_home="${CGRENDER_HOME:-$HOME}"
imds_endpoint="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds_endpoint="${imds_endpoint%/}"

imds() {
  local token
  token="$(curl -sf -m 5 -X PUT "$imds_endpoint/latest/api/token" \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')" || return 1
  curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "$imds_endpoint/latest/meta-data/$1"
}

# A number from the state file $1, empty when there is none.
state_number() {
  local n
  n="$(cat "$state_dir/$1" 2>/dev/null)" || n=""
  [[ "$n" =~ ^[0-9]+$ ]] && echo "$n"
}

backend_read() {
  if ! box_id="$(imds instance-id)" || [ -z "$box_id" ]; then
    echo "cgrender-box: not on a cgrender box on EC2 (the instance metadata gives no instance id)" >&2
    return 1
  fi
  box_role="$(imds tags/instance/@ROLE_TAG@)" || box_role="(unknown: no tags in the instance metadata)"
  box_namespace="$(imds tags/instance/@NAMESPACE_TAG@)" || box_namespace="(unknown)"
  idle_timeout="$(seconds_of "$(imds tags/instance/@IDLE_TIMEOUT_TAG@)")" || idle_timeout=""
  max_lifetime="$(seconds_of "$(imds tags/instance/@MAX_LIFETIME_TAG@)")" || max_lifetime=""
  expires="$(state_number expires-at)" || expires="$(epoch_of "$(imds tags/instance/@EXPIRES_TAG@)")" || expires=""
  kept="$(state_number kept)" || kept=""
  idle="$(cat "$state_dir/reported-idle" 2>/dev/null)" || idle=""
  [ -z "$idle" ] || [ "$idle" = busy ] || idle="$(epoch_of "$idle")" || idle=""
  jobs="$(running_jobs "$box_home/@JOBS_DIR@")"
}

backend_obey() {
  local out status
  out="$(timeout "$wait_seconds" $sudo "$agent" --obey "$1" 2>&1)"
  status=$?
  [ "$status" != 0 ] || return 0
  [ "$status" != 124 ] || echo "cgrender-box: the agent of box $box_id did not apply '$1' within ${wait_seconds}s" >&2
  [ "$status" = 124 ] || echo "cgrender-box: the agent of box $box_id did not apply '$1' (exit $status)" >&2
  [ -z "$out" ] || printf '%s\n' "$out" >&2
  return 1
}
