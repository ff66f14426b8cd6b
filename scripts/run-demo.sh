#!/usr/bin/env bash
# `make demo`: a central server and a township app on loopback, on SQLite under data/, with demo
# data, the township enrolled at the central server and syncing. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
CENTRAL_HOME=${DEMO_CENTRAL_HOME:-data/central}
TOWNSHIP_HOME=${DEMO_HOME:-data/township}
CENTRAL_PORT=${DEMO_CENTRAL_PORT:-5090}
TOWNSHIP_PORT=${DEMO_PORT:-5080}
CENTRAL_URL="http://127.0.0.1:${CENTRAL_PORT}"

mkdir -p "$CENTRAL_HOME" "$TOWNSHIP_HOME"
if [ ! -f "$CENTRAL_HOME/central.db" ]; then
  "$BIN/bianmin-central" --home "$CENTRAL_HOME" init --demo
fi
if [ ! -f "$TOWNSHIP_HOME/township.db" ]; then
  BIANMIN_HOME="$TOWNSHIP_HOME" "$BIN/bianmin-township" load-demo --cases 60
fi

# The receipts' QR codes lead to this demo's public progress page (published to the township).
BIANMIN_PUBLIC_BASE_URL=${BIANMIN_PUBLIC_BASE_URL:-$CENTRAL_URL} \
  "$BIN/bianmin-central" --home "$CENTRAL_HOME" serve --port "$CENTRAL_PORT" &
CENTRAL_PID=$!
trap 'kill $CENTRAL_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  if curl -fsS "$CENTRAL_URL/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

if [ ! -f "$TOWNSHIP_HOME/device_key" ]; then
  "$BIN/bianmin-central" --home "$CENTRAL_HOME" issue-enrollment-code --org 370613004 \
    --out "$CENTRAL_HOME/demo-code.txt" >/dev/null
  CODE=$(cat "$CENTRAL_HOME/demo-code.txt")
  rm -f "$CENTRAL_HOME/demo-code.txt"
  BIANMIN_HOME="$TOWNSHIP_HOME" "$BIN/bianmin-township" enroll --server "$CENTRAL_URL" --code "$CODE" \
    --label "演示：解甲庄街道便民服务中心窗口"
fi

cat <<TEXT

便民 township app (demo data, syncing): http://127.0.0.1:${TOWNSHIP_PORT}/
  窗口人员 chuangkou / demo-clerk-2026    初审 shenhe / demo-reviewer-2026
  村代办员 daiban / demo-agent-2026        管理员 admin / demo-admin-2026
便民 central review pages: ${CENTRAL_URL}/auth/login
  县级审批 xianshen / demo-county-2026    市级审批 shishen / demo-city-2026
  电子监察 jiancha / demo-supervisor-2026  系统管理 admin / demo-admin-2026

TEXT
BIANMIN_HOME="$TOWNSHIP_HOME" BIANMIN_CENTRAL_URL="$CENTRAL_URL" "$BIN/bianmin-township" serve --port "$TOWNSHIP_PORT"
