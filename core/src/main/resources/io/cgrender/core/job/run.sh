#!/usr/bin/env bash
# Runs one cgrender job, detached from any SSH session: started under setsid, so it survives the client's
# disconnect. Records its pid while running (the box's idle watchdog treats a live job pid as "busy"), writes a
# status file (stage, exit code, start and end times) and appends all output to the log.
# Usage: run.sh JOB_DIR WORKDIR AFTER   (AFTER: keep | stop | terminate)
set -u
job="$1"
workdir="$2"
after="$3"
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
started="$(now)"
write_status() {
  printf 'stage=%s\nstarted=%s\nended=%s\nexit=%s\n' "$1" "$started" "${2:-}" "${3:-}" > "$job/status.tmp" \
    && mv -f "$job/status.tmp" "$job/status"
}
finish() {
  write_status "$1" "$(now)" "$2"
  rm -f "$job/pid"
  if [ "$after" != keep ]; then
    # The box's watchdog carries this out (stop or terminate) once no other job runs.
    echo "$after" > "$HOME/.cgrender/after-job"
  fi
  exit "$2"
}
child=
cancelled() {
  trap '' TERM INT HUP
  # The whole job, also when only this wrapper was signalled (it leads the job's process group under setsid).
  kill -TERM -- -$$ 2>/dev/null || { [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; }
  [ -n "$child" ] && wait "$child" 2>/dev/null
  finish cancelled 143
}
# Before the pid is recorded: whoever reads it may signal at once.
trap cancelled TERM INT HUP
# Held until this script exits (however it ends): a follower waits for the job with flock instead of polling.
exec 9> "$job/running"
flock 9 2>/dev/null
echo $$ > "$job/pid"
write_status running
( cd "$HOME/$workdir" && exec bash "$job/command.sh" 9>&- ) >> "$job/log" 2>&1 < /dev/null &
child=$!
wait "$child"
code=$?
if [ "$code" -eq 0 ]; then finish succeeded 0; else finish failed "$code"; fi
