#!/usr/bin/env bash
# What `make test` needs beyond the virtualenv, set up if missing (see ../shared/NOTES.md):
# the local Postgres server (the production-path and Postgres warehouse tests) and Debian's chromium
# (the browser tests; Playwright's own browser download does not work offline).
set -euo pipefail

if ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 || { echo "make test: no Postgres server on 127.0.0.1:5432 and none to start" >&2; exit 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
