#!/usr/bin/env bash
# Prepare this Debian 12 machine for Buildstrap: Debian packages, .venv, libvirt daemons, /dev/kvm.
# Idempotent: every step checks first and says what it did; a warm run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
APT_PACKAGES=(
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
  openssh-client gcc make cpio binutils xz-utils apache2-utils
  # minifix compiles dropbear for i686 (scripts' dropbear recipe): 32-bit glibc, zlib and libcrypt.
  gcc-multilib lib32z1-dev libcrypt-dev:i386
)
did=()
say() { printf 'setup: %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs Debian packages and starts libvirtd)" >&2
  exit 2
fi

# 1. Debian packages (and the i386 architecture, for minifix's 32-bit guest packages).
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
  did+=("added dpkg architecture i386")
  rm -f /var/lib/apt/lists/lock.buildstrap-fresh
fi
# minifix's dropbear recipe fetches Debian's source (apt-get source): it needs a deb-src entry for
# bookworm main. Mirror the existing deb entries (URIs, suites, components, signing key) unless one exists.
has_bookworm_src() {
  apt-get indextargets --no-release-info --format '$(TARGET_OF) $(RELEASE) $(COMPONENT)' 2>/dev/null \
    | grep -qx 'deb-src bookworm main'
}
if ! has_bookworm_src; then
  shopt -s nullglob
  deb822=(/etc/apt/sources.list.d/*.sources)
  oneline=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  shopt -u nullglob
  # deb822 stanzas whose Types include deb and Suites a bookworm suite -> the same stanza as deb-src.
  if [ ${#deb822[@]} -gt 0 ]; then
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm/ && uris != "" && enabled != "no") {
          printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n", uris, suites, comps
          if (signed != "") printf "Signed-By: %s\n", signed
          print ""
        }
        types = uris = suites = comps = signed = enabled = last = ""
      }
      FNR == 1 { flush() }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]/ { if (last == "signed-by:") signed = signed "\n" $0; next }  # an embedded key block
      { last = tolower($1); val = $0; sub(/^[^:]*:[ \t]*/, "", val) }
      last == "types:" { types = val }  last == "uris:" { uris = val }  last == "suites:" { suites = val }
      last == "components:" { comps = val }  last == "signed-by:" { signed = val }
      last == "enabled:" { enabled = tolower(val) }
      END { flush() }
    ' "${deb822[@]}" >/tmp/buildstrap-src.sources || :
    [ -s /tmp/buildstrap-src.sources ] && mv /tmp/buildstrap-src.sources /etc/apt/sources.list.d/buildstrap-src.sources
    rm -f /tmp/buildstrap-src.sources
  fi
  # One-line "deb [options] URI bookworm... components" entries -> "deb-src ...".
  if [ ${#oneline[@]} -gt 0 ] && ! has_bookworm_src; then
    grep -hE '^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+bookworm' "${oneline[@]}" 2>/dev/null \
      | sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' >/tmp/buildstrap-src.list || :
    [ -s /tmp/buildstrap-src.list ] && mv /tmp/buildstrap-src.list /etc/apt/sources.list.d/buildstrap-src.list
    rm -f /tmp/buildstrap-src.list
  fi
  has_bookworm_src || { echo "setup: found no bookworm deb entry to mirror as deb-src; add one for bookworm main" >&2; exit 1; }
  did+=("added deb-src entries for bookworm (/etc/apt/sources.list.d/buildstrap-src.*)")
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=0
[ ${#missing[@]} -gt 0 ] && need_update=1
# i386 package lists are needed to download minifix's packages.
ls /var/lib/apt/lists/*_binary-i386_Packages* >/dev/null 2>&1 || need_update=1
# ... and the bookworm source index, for apt-get source dropbear.
ls /var/lib/apt/lists/*bookworm_main_source_Sources* >/dev/null 2>&1 || need_update=1
if [ $need_update -eq 1 ]; then
  # Debian's security suite sometimes serves an i386 index mid-sync ("File has unexpected size"):
  # tolerate that as long as the main lists arrived.
  if ! apt-get update -q >/tmp/buildstrap-apt-update.log 2>&1; then
    ls /var/lib/apt/lists/*_main_binary-i386_Packages* >/dev/null 2>&1 \
      || { cat /tmp/buildstrap-apt-update.log >&2; echo "setup: apt-get update failed" >&2; exit 1; }
    say "apt-get update reported errors for some indexes (see /tmp/buildstrap-apt-update.log); continuing"
  fi
  did+=("refreshed apt package lists")
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  did+=("installed ${missing[*]}")
fi

# 2. /dev/kvm: root:kvm 0660, or libvirt re-probes QEMU on every call (35-60 s per define).
if [ -e /dev/kvm ]; then
  getent group kvm >/dev/null || groupadd -r kvm
  if [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
    chown root:kvm /dev/kvm && chmod 0660 /dev/kvm
    did+=("set /dev/kvm to root:kvm 0660")
  fi
fi

# 3. libvirt daemons: there is no systemd here, so start them ourselves.
if ! pgrep -x virtlogd >/dev/null; then virtlogd -d; did+=("started virtlogd"); fi
if ! pgrep -x libvirtd >/dev/null; then libvirtd -d; did+=("started libvirtd"); fi
for _ in $(seq 1 50); do
  virsh -q -c qemu:///system uri >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -q -c qemu:///system uri >/dev/null || { echo "setup: libvirtd does not answer on qemu:///system" >&2; exit 1; }

# 4. The Python venv with the pinned dependencies of pyproject.toml.
stamp=".venv/.buildstrap-deps-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || { "$PYTHON" -m venv .venv; did+=("created .venv"); }
  deps=$(.venv/bin/python - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
PY
)
  say "installing Python dependencies into .venv"
  # shellcheck disable=SC2086
  .venv/bin/pip install -q --disable-pip-version-check $deps 2>&1 | grep -v "is ignored: it is neither" || true
  .venv/bin/python -c 'import ansible, libvirt, paramiko, pycdlib, yaml, pytest' \
    || { echo "setup: the .venv is incomplete after pip install" >&2; exit 1; }
  rm -f .venv/.buildstrap-deps-*
  touch "$stamp"
  did+=("installed Python dependencies")
fi
# ansible-test sanity bootstraps pip in each test's venv with a get-pip script it downloads from
# ci-files.testing.ansible.com, which this machine may not reach: put our stand-in (scripts/get_pip.py) in its cache
# under the name this ansible-test looks for (get_pip_24_2.py for pip 24.2).
pip_version=$(.venv/bin/python -c 'import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent.joinpath("_internal", "python_requirements.py").read_text()
print(re.search(r"default_packages = dict\(\s*pip=.([0-9.]+)", src).group(1))')
get_pip="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if ! cmp -s scripts/get_pip.py "$get_pip"; then
  mkdir -p "$(dirname "$get_pip")" && cp scripts/get_pip.py "$get_pip"
  did+=("installed ansible-test's pip bootstrap stand-in $get_pip")
fi

# 5. A second, separate hypervisor on this machine: the unprivileged user buildstrap-hv's qemu:///session,
#    reached as qemu+ssh://buildstrap-hv@127.0.0.1:2222/session (inventory/fleet's hypervisors group) through an
#    sshd of our own that listens on 127.0.0.1 only. Root's key (/root/.ssh/buildstrap-hv) may only run commands
#    and forward to the hypervisor's loopback; the sshd's host key is pinned in /etc/ssh/ssh_known_hosts from
#    its own file (never learned over the network).
HV_USER=buildstrap-hv HV_PORT=2222 HV_DIR=/etc/buildstrap/hv HV_KEY=/root/.ssh/buildstrap-hv
if ! dpkg-query -W -f='${Status}' openssh-server 2>/dev/null | grep -q 'install ok installed'; then
  # No init script may start Debian's own sshd on every address: policy-rc.d forbids it during the install.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server >/dev/null \
    || { rm -f /usr/sbin/policy-rc.d; echo "setup: installing openssh-server failed" >&2; exit 1; }
  rm -f /usr/sbin/policy-rc.d
  did+=("installed openssh-server (not started on any public address)")
fi
if ! id "$HV_USER" >/dev/null 2>&1; then
  # "*": no password, yet not locked (sshd refuses locked accounts to keys too).
  useradd --system --create-home --home-dir /var/lib/$HV_USER --shell /bin/sh --password "*" "$HV_USER"
  did+=("created the unprivileged hypervisor user $HV_USER")
elif [ "$(getent shadow "$HV_USER" | cut -d: -f2)" = "!" ]; then
  usermod -p '*' "$HV_USER"; did+=("unlocked $HV_USER for key logins")
fi
mkdir -p "$HV_DIR" /root/.ssh /run/sshd && chmod 700 /root/.ssh
[ -f "$HV_DIR/ssh_host_ed25519_key" ] || { ssh-keygen -q -t ed25519 -N '' -C buildstrap-hv-host -f "$HV_DIR/ssh_host_ed25519_key"; did+=("made the hypervisor sshd's host key"); }
[ -f "$HV_KEY" ] || { ssh-keygen -q -t ed25519 -N '' -C buildstrap-hv-client -f "$HV_KEY"; did+=("made root's key for the hypervisor ($HV_KEY)"); }
cat >"$HV_DIR/sshd_config.new" <<CONF
# Buildstrap's second hypervisor (scripts/setup.sh): loopback only, one user, keys only.
ListenAddress 127.0.0.1
Port $HV_PORT
HostKey $HV_DIR/ssh_host_ed25519_key
PidFile /run/buildstrap-hv-sshd.pid
AllowUsers $HV_USER
AuthorizedKeysFile $HV_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
AllowTcpForwarding local
X11Forwarding no
CONF
if ! cmp -s "$HV_DIR/sshd_config.new" "$HV_DIR/sshd_config"; then
  mv "$HV_DIR/sshd_config.new" "$HV_DIR/sshd_config"; did+=("wrote $HV_DIR/sshd_config")
  [ -f /run/buildstrap-hv-sshd.pid ] && kill "$(cat /run/buildstrap-hv-sshd.pid)" 2>/dev/null || true
else
  rm -f "$HV_DIR/sshd_config.new"
fi
want_auth="restrict,port-forwarding,permitopen=\"127.0.0.1:*\" $(cat "$HV_KEY.pub")"
if [ "$(cat "$HV_DIR/authorized_keys" 2>/dev/null)" != "$want_auth" ]; then
  printf '%s\n' "$want_auth" >"$HV_DIR/authorized_keys" && chmod 644 "$HV_DIR/authorized_keys"
  did+=("authorized root's key for $HV_USER")
fi
want_known="[127.0.0.1]:$HV_PORT $(cut -d' ' -f1,2 "$HV_DIR/ssh_host_ed25519_key.pub")"
if ! grep -qxF "$want_known" /etc/ssh/ssh_known_hosts 2>/dev/null; then
  { grep -v "^\[127.0.0.1\]:$HV_PORT " /etc/ssh/ssh_known_hosts 2>/dev/null || true; echo "$want_known"; } >/etc/ssh/ssh_known_hosts.new
  mv /etc/ssh/ssh_known_hosts.new /etc/ssh/ssh_known_hosts && chmod 644 /etc/ssh/ssh_known_hosts
  did+=("pinned the hypervisor sshd's host key in /etc/ssh/ssh_known_hosts")
fi
if ! { [ -f /run/buildstrap-hv-sshd.pid ] && kill -0 "$(cat /run/buildstrap-hv-sshd.pid)" 2>/dev/null; }; then
  /usr/sbin/sshd -f "$HV_DIR/sshd_config"
  did+=("started the hypervisor's sshd on 127.0.0.1:$HV_PORT")
fi
hv_uri="qemu+ssh://$HV_USER@127.0.0.1:$HV_PORT/session?keyfile=$HV_KEY"
for _ in $(seq 1 50); do
  virsh -q -c "$hv_uri" uri >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -q -c "$hv_uri" uri >/dev/null || { echo "setup: the second hypervisor $hv_uri does not answer" >&2; exit 1; }
# Its storage pool lives in its user's home (Buildstrap's modules define pools only on system hypervisors).
if ! virsh -q -c "$hv_uri" pool-info buildstrap >/dev/null 2>&1; then
  virsh -q -c "$hv_uri" pool-define-as buildstrap dir --target /var/lib/$HV_USER/images >/dev/null
  virsh -q -c "$hv_uri" pool-build buildstrap >/dev/null
  virsh -q -c "$hv_uri" pool-autostart buildstrap >/dev/null
  did+=("defined the storage pool buildstrap of $hv_uri (/var/lib/$HV_USER/images)")
fi
if ! virsh -q -c "$hv_uri" pool-info buildstrap | grep 'State: *running' >/dev/null; then
  virsh -q -c "$hv_uri" pool-start buildstrap >/dev/null
fi

if [ ${#did[@]} -eq 0 ]; then
  say "nothing to do: everything was already in place"
else
  for d in "${did[@]}"; do say "$d"; done
fi
