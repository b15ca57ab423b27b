#!/bin/bash
# Installs cgrender's box agent (agent.sh) as cgrender-agent.service, started now and at every boot, restarted
# whenever it ends, and the box's own command, /usr/local/bin/cgrender-box (status, extend, keep, release: the agent's
# commands from inside the box). cgrender runs this over SSH as root (sudo) when it sets a box up; it is idempotent.
# The agent needs the AWS CLI, which is installed when missing: Debian's and Ubuntu's awscli package, or AWS's snap
# where there is none (Ubuntu 24.04); Amazon Linux's awscli-2 (which its images come with).
# CGRENDER_ROOT stands for / and CGRENDER_SYSTEMCTL for systemctl in tests.
set -eu
root="${CGRENDER_ROOT:-}"
systemctl="${CGRENDER_SYSTEMCTL:-systemctl}"
if ! command -v aws > /dev/null 2>&1; then
  if command -v apt-get > /dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q awscli > /dev/null 2>&1 || { apt-get update -q > /dev/null && apt-get install -y -q awscli; } \
      || snap install aws-cli --classic
  else
    dnf -y -q install awscli-2
  fi
fi
install -d -m 0755 "$root/usr/local/lib/cgrender" "$root/var/lib/cgrender" "$root/etc/systemd/system" \
  "$root/usr/local/bin"
cat > "$root/usr/local/lib/cgrender/agent.sh.new" <<'CGRENDER_AGENT'
@AGENT@
CGRENDER_AGENT
chmod 0755 "$root/usr/local/lib/cgrender/agent.sh.new"
mv -f "$root/usr/local/lib/cgrender/agent.sh.new" "$root/usr/local/lib/cgrender/agent.sh"
cat > "$root/usr/local/bin/cgrender-box.new" <<'CGRENDER_BOX_COMMAND'
@CGRENDER_BOX@
CGRENDER_BOX_COMMAND
chmod 0755 "$root/usr/local/bin/cgrender-box.new"
mv -f "$root/usr/local/bin/cgrender-box.new" "$root/usr/local/bin/cgrender-box"
cat > "$root/etc/systemd/system/cgrender-agent.service" <<'CGRENDER_UNIT'
[Unit]
Description=cgrender box agent: keys, ping, extend, keep, release, stop and terminate on command from the box's queue
Wants=network-online.target
After=network-online.target cgrender-boot.service

[Service]
ExecStart=/usr/local/lib/cgrender/agent.sh
Restart=always
RestartSec=5
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes

[Install]
WantedBy=multi-user.target
CGRENDER_UNIT
"$systemctl" daemon-reload
"$systemctl" enable cgrender-agent.service
"$systemctl" restart cgrender-agent.service
echo "cgrender-agent installed"
