# Sourced by scripts/serve and scripts/test: make ./.venv with Python >= 3.11.
# Debian ships venv support as a separate package; as root we install it when it is missing.
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Mayday needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    if ! "$PY" -m venv .venv 2>/dev/null; then
        rm -rf .venv
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python3-venv" >/dev/null
            "$PY" -m venv .venv
        else
            echo "cannot create a virtual environment: install python3-venv (Debian) and retry" >&2
            exit 1
        fi
    fi
    .venv/bin/python -m pip install -q --upgrade pip
fi
