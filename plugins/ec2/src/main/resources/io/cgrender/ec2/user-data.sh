#!/bin/bash
# cgrender box "@ROLE@" of namespace @NAMESPACE@. cloud-init runs this once, as root, on the first boot.
# It installs the box's watchdog (/usr/local/lib/cgrender/watchdog.sh, run by systemd on every boot), which ends
# the box when it has been idle for @IDLE_SECONDS@s (no SSH session, no running job), when its max lifetime ends at
# @EXPIRES_AT_ISO@, when it has been an orphan for @ORPHAN_SECONDS@s, or when the last job asked for it; and the
# box's boot script (boot.sh, run by systemd at every boot before the watchdog), which prints the host keys on the
# console and arms the watchdog from the instance's own user data. CGRENDER_ROOT stands for / in tests.
set -eu
root="${CGRENDER_ROOT:-}"
# The keys the box authorizes besides its key pair's, appended to the login user's authorized_keys (as that user,
# 0600, each key once): the launching client's namespace key and the registered keys cgrender.keys selects.
authorize_keys() {
  local user="${CGRENDER_LOGIN_USER:-@LOGIN_USER@}" home as=""
  home="${CGRENDER_HOME:-$(getent passwd "$user" | cut -d: -f6)}"
  [ -n "$home" ] || return 1
  [ "$(id -u)" != 0 ] || as="runuser -u $user --"
  $as bash -c 'umask 077; mkdir -p "$1/.ssh" && f="$1/.ssh/authorized_keys" && touch "$f" && chmod 0600 "$f" || exit 1
    [ -z "$(tail -c1 "$f")" ] || echo >> "$f"
    while read -r t k _; do [ -z "$k" ] || grep -qF -- " $k" "$f" || echo "$t $k" >> "$f"; done' - "$home" <<'CGRENDER_KEYS'
@AUTHORIZED_KEYS@
CGRENDER_KEYS
}
authorize_keys || echo "cgrender: could not add the namespace's keys to the login user's authorized_keys" >&2
install -d -m 0755 "$root/usr/local/lib/cgrender" "$root/var/lib/cgrender" "$root/etc/systemd/system"
cat > "$root/usr/local/lib/cgrender/watchdog.sh" <<'CGRENDER_WATCHDOG'
@WATCHDOG@
CGRENDER_WATCHDOG
chmod 0755 "$root/usr/local/lib/cgrender/watchdog.sh"
cat > "$root/usr/local/lib/cgrender/boot.sh" <<'CGRENDER_BOOT'
@BOOT@
CGRENDER_BOOT
chmod 0755 "$root/usr/local/lib/cgrender/boot.sh"
cat > "$root/etc/systemd/system/cgrender-boot.service" <<'CGRENDER_UNIT'
[Unit]
Description=cgrender box boot: host keys on the console, the watchdog armed from this instance's launch
Wants=network-online.target
After=network-online.target ssh.service sshd.service
Before=cgrender-watchdog.service

[Service]
Type=oneshot
ExecStart=/usr/local/lib/cgrender/boot.sh
TimeoutStartSec=120

[Install]
WantedBy=multi-user.target
CGRENDER_UNIT
cat > "$root/etc/systemd/system/cgrender-watchdog.service" <<'CGRENDER_UNIT'
[Unit]
Description=cgrender box watchdog: ends the box when it is idle or too old
After=network-online.target ssh.service sshd.service cgrender-boot.service

[Service]
ExecStart=/usr/local/lib/cgrender/watchdog.sh
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
CGRENDER_UNIT
"$root/usr/local/lib/cgrender/boot.sh" || true
systemctl daemon-reload
systemctl enable cgrender-boot.service cgrender-watchdog.service
# restart, not enable --now: on a box launched from an image the watchdog already runs, and must take these settings
systemctl restart cgrender-watchdog.service
