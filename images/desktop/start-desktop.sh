#!/usr/bin/env bash
# Entry point of the `desktop` container: Xvnc + an Xfce session on $DISPLAY.
# Exits non-zero as soon as Xvnc or the session dies, so Kubernetes restarts the
# container; exits 0 after a clean SIGTERM/SIGINT shutdown.
set -euo pipefail

DISPLAY="${DISPLAY:-:0}"
RESOLUTION="${RESOLUTION:-1280x800}"
VNC_PORT="${VNC_PORT:-5900}"
VNC_PASSWORD_FILE="${VNC_PASSWORD_FILE:-/var/run/secrets/agent/vnc/vnc-password}"
X_READY_TIMEOUT_SECONDS="${X_READY_TIMEOUT_SECONDS:-30}"
# How often a rotated VNC password Secret is looked for (the kubelet itself syncs about once a minute).
VNC_PASSWORD_POLL_SECONDS="${VNC_PASSWORD_POLL_SECONDS:-2}"
XAUTHORITY="${XAUTHORITY:-$HOME/.Xauthority}"
export DISPLAY XAUTHORITY

display_number="${DISPLAY#:}"
display_number="${display_number%%.*}"
x_socket_dir=/tmp/.X11-unix # fixed in Xvnc; the emptyDir shared with the sidecars

log() { printf '%s start-desktop: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
die() { log "$*"; exit 1; }

[[ "$RESOLUTION" =~ ^[0-9]+x[0-9]+$ ]] || die "RESOLUTION must look like 1280x800, got '$RESOLUTION'"
[[ "$VNC_PASSWORD_POLL_SECONDS" =~ ^[0-9]+([.][0-9]+)?$ ]] \
  || die "VNC_PASSWORD_POLL_SECONDS must be a number of seconds, got '$VNC_PASSWORD_POLL_SECONDS'"
[[ -r "$VNC_PASSWORD_FILE" ]] || die "VNC password file $VNC_PASSWORD_FILE is missing or unreadable"

# Private files first (password, cookie); the session gets the usual umask below.
umask 077
runtime_dir="$(mktemp -d "${TMPDIR:-/tmp}/desktop.XXXXXX")"

# The Secret is plain text; Xvnc wants TigerVNC's obfuscated form. The copy lives
# outside $HOME/.config because that is a PVC shared with the shell container.
# Xvnc reads -PasswordFile at every authentication, so replacing the copy (atomic
# rename) is all a rotation needs; follow_vnc_password_rotation does that below.
vnc_password_obfuscated="$runtime_dir/vnc-passwd"
convert_vnc_password() {
  local converted="$vnc_password_obfuscated.new"
  vncpasswd -f <"$VNC_PASSWORD_FILE" >"$converted" 2>/dev/null || true
  if [[ ! -s "$converted" ]]; then
    rm -f "$converted"
    return 1
  fi
  mv -f "$converted" "$vnc_password_obfuscated"
}
convert_vnc_password || die "vncpasswd produced no password (is $VNC_PASSWORD_FILE empty?)"

# The kubelet updates a mounted Secret by swapping the `..data` symlink, so the
# file's content changes under the same path: compare the content, not the inode.
# shellcheck disable=SC2317  # runs in the background below
follow_vnc_password_rotation() {
  local seen current
  seen="$(<"$VNC_PASSWORD_FILE")"
  while sleep "$VNC_PASSWORD_POLL_SECONDS"; do
    [[ -r "$VNC_PASSWORD_FILE" ]] || continue
    current="$(<"$VNC_PASSWORD_FILE")"
    [[ "$current" == "$seen" ]] && continue
    if convert_vnc_password; then
      log "VNC password rotated: new connections need the new password"
      seen="$current"
    else
      # Keep the previous password rather than open or lock out the desktop.
      log "ERROR: $VNC_PASSWORD_FILE changed but is empty or unreadable; keeping the previous VNC password"
      seen="$current"
    fi
  done
}

# A fresh cookie per start: Xvnc only admits clients holding it, plus the local
# user granted below. This keeps X access control on (no -ac, no xhost +).
touch "$XAUTHORITY"
xauth -f "$XAUTHORITY" remove "$DISPLAY" >/dev/null 2>&1 || true
xauth -f "$XAUTHORITY" add "$DISPLAY" MIT-MAGIC-COOKIE-1 "$(mcookie)"

# xfce4-session starts ssh-agent and gpg-agent by default; both detach into
# sessions of their own and would outlive the desktop (and `gpg` starts its agent
# on demand anyway). System-level xfconf defaults turn them off; a user setting
# in ~/.config still wins.
xfconf_defaults="$runtime_dir/xdg/xfce4/xfconf/xfce-perchannel-xml"
mkdir -p "$xfconf_defaults"
cat >"$xfconf_defaults/xfce4-session.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-session" version="1.0">
  <property name="startup" type="empty">
    <property name="ssh-agent" type="empty"><property name="enabled" type="bool" value="false"/></property>
    <property name="gpg-agent" type="empty"><property name="enabled" type="bool" value="false"/></property>
  </property>
</channel>
XML
export XDG_CONFIG_DIRS="$runtime_dir/xdg:${XDG_CONFIG_DIRS:-/etc/xdg}"

umask 022

# A socket or lock left by a previous run of this container (the emptyDir
# outlives it) would make Xvnc refuse to start.
mkdir -p "$x_socket_dir" 2>/dev/null || true
rm -f "$x_socket_dir/X$display_number" "/tmp/.X$display_number-lock"

xvnc_pid=""
session_pid=""
rotation_pid=""

stop_children() {
  local pid
  for pid in "$rotation_pid" "$session_pid" "$xvnc_pid"; do
    if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  # dbus-run-session leaves its bus (and the daemons it activated) behind when it
  # is signalled. When this script leads its process group (tini starts it in
  # its own group; so does setsid) the group holds exactly those, since the
  # session starts no ssh-agent or gpg-agent (they would detach; see above).
  if [[ "$(cut -d' ' -f5 "/proc/$$/stat")" == "$$" ]]; then
    trap '' TERM
    kill -TERM -- "-$$" 2>/dev/null || true
  fi
  for pid in "$rotation_pid" "$session_pid" "$xvnc_pid"; do
    if [[ -n "$pid" ]]; then wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$runtime_dir"
}

# shellcheck disable=SC2317  # invoked by the trap below
on_signal() {
  log "stopping on signal"
  trap - INT
  stop_children
  exit 0
}
trap on_signal TERM INT

# -nolisten tcp: X is reachable only through the shared unix socket.
# -s 0 (and xset s off below): a blanked screen would turn every screenshot black.
Xvnc "$DISPLAY" \
  -geometry "$RESOLUTION" \
  -depth 24 \
  -rfbport "$VNC_PORT" \
  -SecurityTypes VncAuth \
  -PasswordFile "$vnc_password_obfuscated" \
  -auth "$XAUTHORITY" \
  -nolisten tcp \
  -AlwaysShared \
  -s 0 \
  -desktop "${HOSTNAME:-agent} desktop" &
xvnc_pid=$!

x_ready=false
for ((i = 0; i < X_READY_TIMEOUT_SECONDS * 10; i++)); do
  kill -0 "$xvnc_pid" 2>/dev/null || die "Xvnc exited during startup"
  if xset q >/dev/null 2>&1; then
    x_ready=true
    break
  fi
  sleep 0.1
done
$x_ready || { stop_children; die "Xvnc did not accept connections within ${X_READY_TIMEOUT_SECONDS}s"; }

# The computer-control sidecar runs as the same UID but has no cookie: admit it
# by UID (server-interpreted localuser), which keeps access control enabled.
xhost "+SI:localuser:$(id -un)" >/dev/null
xset s off
log "Xvnc ready on $DISPLAY ($RESOLUTION), VNC on port $VNC_PORT"

follow_vnc_password_rotation &
rotation_pid=$!

# dbus-run-session gives Xfce its session bus and tears it down with the session.
dbus-run-session -- xfce4-session &
session_pid=$!

# Whichever child ends first ends the container, so a dead desktop is restarted.
finished_pid=""
set +e
wait -n -p finished_pid "$xvnc_pid" "$session_pid"
status=$?
set -e
if [[ "$finished_pid" == "$xvnc_pid" ]]; then
  log "Xvnc exited (status $status)"
else
  log "Xfce session exited (status $status)"
fi
trap - INT
stop_children
exit 1
