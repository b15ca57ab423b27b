#!/bin/bash
# cgrender box "@ROLE@" of namespace @NAMESPACE@. cloud-init runs this once, as root, on the first boot.
# It installs the box's watchdog (/usr/local/lib/cgrender/watchdog.sh, run by systemd on every boot), which ends
# the box when it has been idle for @IDLE_SECONDS@s (no SSH session, no running job), when its max lifetime ends at
# @EXPIRES_AT_ISO@, when it has been an orphan for @ORPHAN_SECONDS@s, or when the last job asked for it.
set -eu
install -d -m 0755 /usr/local/lib/cgrender /var/lib/cgrender
cat > /usr/local/lib/cgrender/watchdog.sh <<'CGRENDER_WATCHDOG'
@WATCHDOG@
CGRENDER_WATCHDOG
chmod 0755 /usr/local/lib/cgrender/watchdog.sh
cat > /etc/systemd/system/cgrender-watchdog.service <<'CGRENDER_UNIT'
[Unit]
Description=cgrender box watchdog: ends the box when it is idle or too old
After=network-online.target ssh.service

[Service]
ExecStart=/usr/local/lib/cgrender/watchdog.sh
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
CGRENDER_UNIT
systemctl daemon-reload
systemctl enable --now cgrender-watchdog.service
