# The local cloud's part of cgrender-box: the box is the directory CGRENDER_BOX_DIR (its box host sets it for every
# process of the box). The state is its state file, box.properties (Java properties, written by atomic rename); the
# agent is reached through its inbox/ exactly as clients reach it: one line per *.msg file, written under a hidden
# name and renamed into place. After the command, the script posts a ping: the agent takes messages in order, so its
# answer (the tag cgrender:agent-pong) means the command was applied.
box_dir="${CGRENDER_BOX_DIR:-}"

backend_read() {
  local file="$box_dir/box.properties" props
  if [ -z "$box_dir" ] || [ ! -f "$file" ]; then
    echo "cgrender-box: not on a cgrender box (no box.properties in CGRENDER_BOX_DIR '$box_dir')" >&2
    return 1
  fi
  props="$(sed 's/\\\(.\)/\1/g' "$file")" # keys and values without the properties format's escapes
  prop() { printf '%s\n' "$props" | sed -n "s/^$1=//p" | head -n 1; }
  box_id="$(prop id)"
  box_role="$(prop role)"
  box_namespace="$(prop namespace)"
  box_state="$(prop state)"
  idle_timeout="$(seconds_of "$(prop idle-timeout)")" || idle_timeout=""
  max_lifetime="$(seconds_of "$(prop max-lifetime)")" || max_lifetime=""
  expires="$(epoch_of "$(prop expires-at)")" || expires=""
  kept="$(prop 'tag.cgrender:kept')"
  [ -z "$kept" ] || kept="$(epoch_of "$kept")" || kept="$(epoch_of "$(prop launched-at)")"
  idle="$(prop 'tag.cgrender:idle-since')"
  [ -z "$idle" ] || [ "$idle" = busy ] || idle="$(epoch_of "$idle")" || idle=""
  pong="$(prop 'tag.cgrender:agent-pong')"
  jobs="$(running_jobs "$box_dir/home/@JOBS_DIR@")"
}

# Posts the line $2 as message $1 (milliseconds: the agent takes messages in name order).
post() {
  local tmp random
  random="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
  mkdir -p "$box_dir/inbox" && tmp="$(mktemp -p "$box_dir/inbox" .post-XXXXXXXX.tmp)" \
    && printf '%s\n' "$2" > "$tmp" && mv -f "$tmp" "$box_dir/inbox/$(printf '%013d' "$1")-$random.msg"
}

backend_obey() {
  local nonce now i
  if [ "$box_state" != RUNNING ]; then
    echo "cgrender-box: box $box_id is ${box_state,,}: its agent runs only while the box runs" >&2
    return 1
  fi
  nonce="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  now="$(date +%s%3N)"
  if ! post "$now" "$1" || ! post $((now + 1)) "ping $nonce"; then
    echo "cgrender-box: cannot write to the agent's inbox, $box_dir/inbox" >&2
    return 1
  fi
  for ((i = 0; i < wait_seconds * 20; i++)); do
    backend_read || return 1
    [[ "$pong" != "$nonce "* ]] || return 0
    sleep 0.05
  done
  echo "cgrender-box: the agent of box $box_id did not apply '$1' within ${wait_seconds}s (see $box_dir/host.log)" >&2
  return 1
}
