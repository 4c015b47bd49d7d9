#!/bin/sh
# Signs a request with openssl and sends it with curl.
# PPOB_URL=http://127.0.0.1:8000 API_KEY=... PRIVATE_KEY=... sh sign-request.sh
set -eu
BODY='{"produk_id":1,"nomor_tujuan":"087800000001"}'
TS=$(date +%s)
NONCE=$(openssl rand -hex 16)
BODY_HASH=$(printf '%s' "$BODY" | openssl dgst -sha256 -hex | sed 's/^.* //')
SIG=$(printf 'v1\n%s\n%s\nPOST\n/beli\n%s' "$TS" "$NONCE" "$BODY_HASH" \
  | openssl dgst -sha256 -hmac "$PRIVATE_KEY" -binary | openssl base64 -A)
curl -sS -X POST "$PPOB_URL/beli" -H "x-api-key: $API_KEY" -H 'content-type: application/json' \
  -H "x-timestamp: $TS" -H "x-nonce: $NONCE" -H "x-signature: v1,$SIG" --data "$BODY"
