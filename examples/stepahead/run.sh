#!/usr/bin/env bash
# Start the StepAhead example site on http://127.0.0.1:5000 (run from the repository root).
# On a fresh machine it creates .venv, installs consent_sdk into it, and keeps its data
# (SQLite file with the site's tables and the consent records, and a generated secret key)
# in instance/ at the repository root (gitignored).
set -euo pipefail

cd "$(dirname "$0")/../.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-5000}"

if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv ..."
    python3 -m venv .venv
fi
if ! .venv/bin/python -c "import consent_sdk, flask_sqlalchemy" 2>/dev/null; then
    echo "Installing consent_sdk (pip install -e .) ..."
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e .
fi

echo
echo "StepAhead example site: http://${HOST}:${PORT}/"
echo "  debug panel:          http://${HOST}:${PORT}/?debug=1"
echo "  privacy policy:       http://${HOST}:${PORT}/privacy"
echo "  consent dashboard:    http://${HOST}:${PORT}/admin/login"
echo "    (first: .venv/bin/python -m flask --app examples.stepahead create-admin you@example.com)"
echo "  customer sign-in:     http://${HOST}:${PORT}/account/login (two browsers, one choice)"
echo "    (first: .venv/bin/python -m flask --app examples.stepahead create-customer you@example.com)"
echo "Press Ctrl+C to stop."
echo
exec .venv/bin/python -m flask --app examples.stepahead run --host "$HOST" --port "$PORT" "$@"
