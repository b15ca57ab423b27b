#!/usr/bin/env bash
# Runs one cgrender job, detached from any SSH session: started under setsid, so it survives the client's
# disconnect. Records its process (pid and start time) while running (the box's idle watchdog treats a live job as
# "busy"), writes a status file (stage, exit code, start and end times) and appends all output to the log.
# The command runs in a process group of its own: cancelling (SIGTERM to this wrapper) sends SIGTERM to all of it,
# then SIGKILL to whatever is left after KILL_GRACE seconds, and the wrapper, outside that group, records the end.
# When the job ends, its copy of its inputs ($job/in, made for this job alone) is removed. A job whose box stopped it
# because the box itself is going away (a spot instance EC2 reclaims) says so in $job/interrupted: it ends interrupted.
# A job that brings files back keeps them in $job/out/ first (see collect_outputs).
# Usage: run.sh JOB_DIR WORKDIR AFTER KILL_GRACE   (AFTER: keep | stop | terminate; KILL_GRACE in seconds)
set -u
job="$1"
workdir="$2"
after="$3"
grace="${4:-10}"
# now VAR: sets VAR to the time in UTC (a builtin: no process started).
now() { local TZ=UTC0; printf -v "$1" '%(%Y-%m-%dT%H:%M:%SZ)T' -1; }
now started
write_status() {
  printf 'stage=%s\nstarted=%s\nended=%s\nexit=%s\n' "$1" "$started" "${2:-}" "${3:-}" > "$job/status.tmp" \
    && mv -f "$job/status.tmp" "$job/status"
}
# "PID START": this wrapper's pid and start time (field 22 of /proc/PID/stat), so a reused pid is never taken for it.
record_process() {
  local s
  read -r s < "/proc/$$/stat"
  set -- ${s##*) }
  echo "$$ ${20}" > "$job/pid"
}
# A job that brings files back (run --outputs) has $job/outputs: an extended regular expression (GNU find's -regex,
# over ./PATH) for the paths of its work directory it keeps. When the job ends, however it ends, the regular files that
# match are linked (else copied) into $job/out/, which outlives the work directory, and listed with their SHA-256 in
# $job/out.sha256 (sha256sum -z: "HASH  PATH" records, each ended by NUL); what matches but is no regular file (a
# symbolic link, a fifo, ...) is listed by find's type letter in $job/out.skipped ("T PATH", ended by NUL). find never
# follows a symbolic link, so nothing outside the work directory is read. Both lists are in place before the job's
# status says it ended: a client looks for them only then.
collect_outputs() {
  [ -f "$job/outputs" ] || return 0
  local re list="$job/out.list"
  re="$(cat "$job/outputs")"
  rm -rf "$job/out" "$job/out.sha256" "$job/out.skipped"
  mkdir -p "$job/out"
  : > "$job/out.skipped.tmp"
  : > "$list"
  if cd "$HOME/$workdir" 2>/dev/null; then
    find . -regextype posix-extended -regex "$re" ! -type d ! -type f -printf '%y %P\0' > "$job/out.skipped.tmp"
    find . -regextype posix-extended -regex "$re" -type f -printf '%P\0' > "$list"
    # Links cost nothing (the work directory goes right after); a file that cannot be linked is copied.
    xargs -0r -a "$list" cp -l --parents -t "$job/out" -- 2>/dev/null \
      || xargs -0r -a "$list" cp -n --parents -t "$job/out" -- 2>/dev/null
    cd "$job"
  fi
  ( cd "$job/out" && find . -type f -printf '%P\0' | xargs -0r sha256sum -z -- ) > "$job/out.sha256.tmp"
  mv -f "$job/out.skipped.tmp" "$job/out.skipped"
  mv -f "$job/out.sha256.tmp" "$job/out.sha256"
  rm -f "$list"
}
finish() {
  # The command has ended: what is left (keeping its outputs, recording the end) is not cancelled half-way.
  trap '' TERM INT HUP
  collect_outputs
  local ended
  now ended
  write_status "$1" "$ended" "$2"
  rm -f "$job/pid"
  if [ "$after" != keep ]; then
    # The box's watchdog carries this out (stop or terminate) once no other job runs.
    echo "$after" > "$HOME/.cgrender/after-job"
  fi
  # Followers see the end now; the inputs go after.
  exec 9>&-
  rm -rf "$job/in"
  exit "$2"
}
# Whether process group $1 has a process that has not exited. Not kill -0: a member that outlived its parent is a
# zombie until init reaps it, which some inits do lazily.
group_running() {
  local f s
  for f in /proc/[0-9]*/stat; do
    read -r s 2>/dev/null < "$f" || continue
    set -- "$1" ${s##*) }
    [ "$4" = "$1" ] && [ "$2" != Z ] && [ "$2" != X ] && return 0
  done
  return 1
}
child=
cancelled() {
  trap '' TERM INT HUP
  # A signal right after the command started, before its pid was taken: $! already names it.
  [ -n "$child" ] || child="${!:-}"
  [ -n "$child" ] || finish cancelled 143
  kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
  ( sleep "$grace"; kill -KILL -- "-$child" ) > /dev/null 2>&1 &
  local killer=$! code=143
  wait "$child" 2>/dev/null
  # What outlived the command's main process gets the rest of the grace period too.
  while group_running "$child" && kill -0 "$killer" 2>/dev/null; do sleep 0.05; done
  kill -0 "$killer" 2>/dev/null || code=137
  kill -KILL -- "-$child" 2>/dev/null
  # The killer ignores SIGTERM, as everything started after the trap line above does: only SIGKILL ends it.
  kill -KILL -- "-$killer" 2>/dev/null
  finish cancelled "$code"
}
# Before the process is recorded: whoever reads the record may signal at once.
trap cancelled TERM INT HUP
# Held until this script exits (however it ends): a follower waits for the job with flock instead of polling.
exec 9> "$job/running"
flock 9 2>/dev/null
record_process
write_status running
# Whoever started this may wait on descriptor 3 for the job to have recorded that it runs: it ends here.
{ echo started >&3; } 2>/dev/null
exec 3>&-
# Job control: the command leads a process group of its own, which cancel ends as a whole.
set -m
( cd "$HOME/$workdir" && exec bash "$job/command.sh" 9>&- ) >> "$job/log" 2>&1 < /dev/null &
child=$!
wait "$child"
code=$?
if [ -f "$job/interrupted" ]; then finish interrupted "$code"; fi
if [ "$code" -eq 0 ]; then finish succeeded 0; else finish failed "$code"; fi
