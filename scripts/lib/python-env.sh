# Shared by scripts/run and scripts/test: find Python >= 3.11 and make ./.venv.
# A fresh Debian/Ubuntu machine has python3 but maybe not its venv module: install it with apt.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  echo "==> installing with apt: $*"
  if [ -z "${QUARTIER_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq
    export QUARTIER_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
  local python="${PYTHON:-python3}"
  if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python not found; install Python 3.11 or newer" >&2
    exit 1
  fi
  if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "error: Quartier needs Python 3.11 or newer; $python is $("$python" --version 2>&1)" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' 2>/dev/null; then
      apt_install python3-venv
    fi
    echo "==> creating .venv"
    "$python" -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
}
