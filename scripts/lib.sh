# shellcheck shell=bash
# Shared by the scripts in this folder: finds a Python >= 3.14.2, or builds a Debian unstable
# root that has one, and runs commands inside the project's virtual environment.
#
# Where a suitable python3.14 exists (devcontainer, GitHub Actions) the venvs are .venv* in the
# repo. Otherwise, on a Debian-like host as root, a root made by debootstrap lives in the cache
# directory (outside the repository) and commands run in it through chroot, inside a private
# mount namespace so that every mount disappears with the command; the venvs are /opt/venv* there.
#
# Venvs: the default one (tests, lint, benchmark) has requirements_test.txt; "develop" (scripts/
# develop and speak) adds requirements_dev.txt, kept apart so that switching between the demo and
# the tests never reinstalls anything; "ha-VERSION" (scripts/test --ha VERSION) has another Home
# Assistant release and its test harness.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${QWEN_TTS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qwen-tts-realtime}
ROOT=$CACHE/sid-root
# ffmpeg: Home Assistant's TTS converts audio with it; espeak-ng: the emulator's speaking voice;
# g++ and python3.14-dev: some of Home Assistant's test requirements have no wheels for 3.14 yet;
# libturbojpeg0: Home Assistant's camera helpers, loaded by scripts/develop.
ROOT_PACKAGES=python3.14,python3.14-venv,python3.14-dev,g++,ca-certificates,ffmpeg,espeak-ng,libturbojpeg0
# DEBIAN_MIRROR (optional): the mirror debootstrap builds the root from; unset, its own default.
# Variables that reach commands run inside the root (everything else is dropped).
PASS_VARS=(CI TERM DASHSCOPE_API_KEY DASHSCOPE_REGION DASHSCOPE_WORKSPACE PYTEST_ADDOPTS COLUMNS)

log() { printf '\033[1;34m[qwen-tts]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[qwen-tts]\033[0m %s\n' "$*" >&2; exit 1; }

python_ok() {  # $1: interpreter; true when it is CPython >= 3.14.2 with venv
  "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 14, 2))' 2>/dev/null
}

find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.14 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# MODE is "native" (a usable python on the host) or "chroot" (the debootstrap root).
if [[ -n ${QWEN_TTS_MODE:-} ]]; then
  MODE=$QWEN_TTS_MODE
elif HOST_PYTHON=$(find_python); then
  MODE=native
else
  MODE=chroot
fi

# Selects the venv the other functions work on: "" (the default one), develop, or ha-VERSION.
# VENV is its path as commands see it; VENV_DIR the same folder seen from this script.
use_venv() {
  local suffix=${1:+-$1}
  if [[ $MODE == native ]]; then
    VENV=$REPO/.venv$suffix VENV_DIR=$REPO/.venv$suffix
  else
    VENV=/opt/venv$suffix VENV_DIR=$ROOT/opt/venv$suffix
  fi
}
use_venv ""

ensure_root() {
  [[ $MODE == chroot ]] || return 0
  if [[ -f $ROOT/.qwen-tts-ready ]]; then
    [[ $(cat "$ROOT/.qwen-tts-ready") == "$ROOT_PACKAGES" ]] && return 0
    log "adding packages to the root: ${ROOT_PACKAGES//,/ }"
    # The mirror's unstable snapshot is often older than its Valid-Until date.
    in_root apt-get -qq -o Acquire::Check-Valid-Until=false update
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ${ROOT_PACKAGES//,/ } >/dev/null
    echo "$ROOT_PACKAGES" >"$ROOT/.qwen-tts-ready"
    return 0
  fi
  [[ $(id -u) == 0 ]] || die "No Python >= 3.14.2 found. Install python3.14, or run as root on Debian to build one."
  command -v apt-get >/dev/null || die "No Python >= 3.14.2 found and this host is not Debian-like."
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  log "building a Debian unstable root with Python 3.14 in $ROOT (once; a few minutes)"
  rm -rf "$ROOT.partial"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include="$ROOT_PACKAGES" sid "$ROOT.partial" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} \
    >"$CACHE/debootstrap.log" 2>&1 || die "debootstrap failed; see $CACHE/debootstrap.log"
  echo "$ROOT_PACKAGES" >"$ROOT.partial/.qwen-tts-ready"
  rm -rf "$ROOT"
  mv "$ROOT.partial" "$ROOT"
}

# Runs "$@" inside the root: private mount namespace, so the mounts are released when it ends.
in_root() {
  local env_args=(HOME=/root LANG=C.UTF-8 PATH="$VENV/bin:/usr/local/bin:/usr/bin:/bin"
    SSL_CERT_FILE=/etc/ssl/host-ca.crt PIP_CERT=/etc/ssl/host-ca.crt
    PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV="$VENV")
  local name
  for name in "${PASS_VARS[@]}"; do
    [[ -n ${!name:-} ]] && env_args+=("$name=${!name}")
  done
  while IFS= read -r name; do env_args+=("$name=${!name}"); done < <(compgen -v QWEN_TTS_ || true)
  mkdir -p "$ROOT$REPO"
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$ROOT/etc/ssl/host-ca.crt"
  unshare --mount --propagation private -- /bin/bash -c '
    set -e
    root=$1 repo=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
    mount --bind "$repo" "$root$repo"
    exec chroot "$root" /usr/bin/env -i "$@"
  ' _ "$ROOT" "$REPO" "${env_args[@]}" /bin/bash -c 'cd "$0" && exec "$@"' "$PWD" "$@"
}

# Runs "$@" with the project's venv first on PATH, wherever the venv lives.
in_env() {
  if [[ $MODE == native ]]; then
    PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" "$@"
  else
    in_root "$@"
  fi
}

create_venv() {
  if [[ $MODE == native ]]; then
    [[ -x $VENV/bin/python ]] || { log "creating $VENV"; "$HOST_PYTHON" -m venv "$VENV"; }
  elif [[ ! -f $VENV_DIR/pyvenv.cfg ]]; then  # bin/python links into the root
    log "creating $VENV inside the root"
    in_root python3.14 -m venv "$VENV"
  fi
}

# True when the venv was set up from exactly $1 (a hash). The stamp's name differs from the one
# earlier versions of this file wrote (which held another hash), so both can share a venv.
stamp_matches() { [[ $(cat "$VENV_DIR/.qwen-tts-stamp" 2>/dev/null) == "$1" ]]; }
write_stamp() { echo "$1" >"$VENV_DIR/.qwen-tts-stamp"; }

ensure_venv() {  # $@: requirement files on top of requirements_test.txt
  local requirements=("$REPO/requirements_test.txt" "$@")
  local stamp_value
  stamp_value=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
  create_venv
  if ! stamp_matches "$stamp_value"; then
    log "installing Python requirements into $VENV"
    local args=() file
    for file in "${requirements[@]}"; do args+=(-r "$file"); done
    in_env python -m pip install --quiet --upgrade pip
    in_env python -m pip install --quiet "${args[@]}"
    write_stamp "$stamp_value"
  fi
}

# A venv with Home Assistant $1 and the test harness release that pins it (or the newest harness
# with $1 installed over it), the requirements its core components pin, and the rest of
# requirements_test.txt: see scripts/ha_venv.py.
ensure_ha_venv() {
  local version=$1
  [[ $version =~ ^[0-9]{4}\.[0-9]{1,2}\.[0-9]+$ ]] || die "--ha wants a release like 2026.3.0, not '$version'"
  use_venv "ha-$version"
  local stamp_value
  stamp_value=$({ echo "$version"; cat "$REPO/requirements_test.txt" "$REPO/scripts/ha_venv.py"; } |
    sha256sum | cut -d' ' -f1)
  create_venv
  if ! stamp_matches "$stamp_value"; then
    log "installing Home Assistant $version and its test harness into $VENV"
    in_env python -m pip install --quiet --upgrade pip
    (cd "$REPO" && in_env python scripts/ha_venv.py install "$version" requirements_test.txt)
    write_stamp "$stamp_value"
  fi
}

setup_env() {
  ensure_root
  ensure_venv "$@"
}
