#!/usr/bin/env bash
# Installs dtm's Python SDK (dtmcli 1.7.7.0 from PyPI, with its dependencies requests and pymysql)
# into a virtualenv for test/interop/python, idempotently. Prints the venv's python on its last line.
#
#   scripts/python-sdk.sh            # venv in ${DTX_PYTHON_CACHE:-~/.cache/dtx-python}/.venv-interop
#
# Needs python3 (>= 3.8) with the venv module (Debian: apt-get install python3 python3-venv).
set -euo pipefail

SDK_VERSION="1.7.7.0"
CACHE="${DTX_PYTHON_CACHE:-${HOME}/.cache/dtx-python}"
VENV="${CACHE}/.venv-interop"
PY="${VENV}/bin/python"

python_bin="$(command -v python3 || true)"
if [[ -z "${python_bin}" ]]; then
  echo "python3 is not installed: the Python SDK interop test needs it (apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "${python_bin}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)'; then
  echo "python3 >= 3.8 is required, found $("${python_bin}" --version 2>&1)" >&2
  exit 1
fi

if [[ -x "${PY}" ]] && "${PY}" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('dtmcli') == '${SDK_VERSION}' else 1)" 2>/dev/null; then
  echo "${PY}"
  exit 0
fi

mkdir -p "${CACHE}"
if [[ ! -x "${PY}" ]]; then
  if ! "${python_bin}" -m venv "${VENV}" >&2; then
    echo "python3 cannot create a virtualenv: install the venv module (apt-get install python3-venv)" >&2
    exit 1
  fi
fi
"${PY}" -m pip install --disable-pip-version-check --quiet "dtmcli==${SDK_VERSION}" >&2
"${PY}" -c "import dtmcli.msg, dtmcli.saga, dtmcli.tcc" >&2
echo "${PY}"
