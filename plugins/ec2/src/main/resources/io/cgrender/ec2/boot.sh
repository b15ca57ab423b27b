#!/bin/bash
# cgrender's boot script, installed from the instance's user data and run by systemd at every boot
# (cgrender-boot.service), before the watchdog:
#   - it prints the SSH host key fingerprints on the console, in cloud-init's format. cloud-init prints them on the
#     first boot only; after a stop and start, a cgrender without the pinned key (another computer) reads them here.
#     Only root on the instance writes to the console, and EC2 hands it out (GetConsoleOutput) only to callers of
#     the account, as it does the first boot's, so these fingerprints are vouched for as much as cloud-init's;
#   - it arms the watchdog from this instance's own launch: a box launched from an image of another box carries that
#     box's watchdog (its expiry, idle and orphan timeouts baked in), which must never judge this one. The watchdog in
#     this instance's user data replaces it before it starts; on an instance other than the one it was installed on,
#     the last job's after-job request, the imaged box's job records and uploads, and its extended expiry go too, and
#     without a cgrender watchdog in its user data the watchdog is disabled (the instance is not a cgrender box). A
#     keep goes too.
# CGRENDER_ROOT (a directory standing for /), CGRENDER_CONSOLE and AWS_EC2_METADATA_SERVICE_ENDPOINT can be
# overridden, which is how its tests run it.
set -u
root="${CGRENDER_ROOT:-}"
console="${CGRENDER_CONSOLE:-/dev/console}"
home="${CGRENDER_HOME:-$(getent passwd "@LOGIN_USER@" | cut -d: -f6)}"
imds_endpoint="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254}"
imds_endpoint="${imds_endpoint%/}"
lib="$root/usr/local/lib/cgrender"
state="$root/var/lib/cgrender"

log() {
  echo "cgrender-boot: $*"
  logger -t cgrender-boot -- "$*" 2>/dev/null || true
}

# The instance metadata at latest/$1, through IMDSv2; tried for a minute while the network comes up.
imds() {
  local token i
  for i in $(seq 30); do
    if token="$(curl -sf -m 5 -X PUT "$imds_endpoint/latest/api/token" \
        -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')"; then
      curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "$imds_endpoint/latest/$1"
      return
    fi
    sleep 2
  done
  return 1
}

print_host_keys() {
  local f out
  out="-----BEGIN SSH HOST KEY FINGERPRINTS-----"$'\n'
  for f in "$root"/etc/ssh/ssh_host_*_key.pub; do
    [ -f "$f" ] || continue
    out+="$(ssh-keygen -l -E sha256 -f "$f")"$'\n'
  done
  out+="-----END SSH HOST KEY FINGERPRINTS-----"
  printf '%s\n' "$out" | sed 's/^/cgrender-boot: /' >> "$console"
}

arm_watchdog() {
  local id armed user_data watchdog
  if ! id="$(imds meta-data/instance-id)" || [ -z "$id" ]; then
    log "the instance metadata gave no instance id; the watchdog keeps the settings it has"
    return 0
  fi
  armed="$(cat "$state/instance-id" 2>/dev/null || echo "$id")"
  user_data="$(imds user-data)" || user_data=""
  watchdog="$(printf '%s\n' "$user_data" | sed -n "/<<'CGRENDER_WATCHDOG'\$/,/^CGRENDER_WATCHDOG\$/p" | sed '1d;$d')"
  mkdir -p "$state"
  if [ -z "$watchdog" ]; then
    if [ "$armed" != "$id" ]; then
      log "launched from an image of $armed, without a cgrender watchdog of its own: disabling the watchdog"
      systemctl disable --now cgrender-watchdog.service
    fi
  elif [ "$watchdog" != "$(cat "$lib/watchdog.sh" 2>/dev/null)" ]; then
    printf '%s\n' "$watchdog" > "$lib/watchdog.sh.new" && chmod 0755 "$lib/watchdog.sh.new" \
      && mv -f "$lib/watchdog.sh.new" "$lib/watchdog.sh"
    log "armed the watchdog with the settings of $id's own launch (it had those of $armed)"
  fi
  if [ "$armed" != "$id" ]; then
    rm -f "$state/last-busy" "$state/expires-at" "$state/kept"
    [ -z "$home" ] || rm -rf "$home/@AFTER_JOB_FILE@" "$home/@JOBS_DIR@" "$home/@WORK_ROOT@"
  fi
  echo "$id" > "$state/instance-id"
}

print_host_keys || log "could not print the host keys on $console"
arm_watchdog
