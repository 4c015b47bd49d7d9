#!/bin/sh
# Verifies one callback with openssl: the body in body.json, the three webhook-* headers in
# WEBHOOK_ID, WEBHOOK_TIMESTAMP and WEBHOOK_SIGNATURE, the secret (whsec_...) in WEBHOOK_SECRET.
set -eu
AGE=$(( $(date +%s) - WEBHOOK_TIMESTAMP ))
if [ "${AGE#-}" -gt 300 ]; then echo "invalid (timestamp too far from now)"; exit 1; fi
KEY_HEX=$(printf '%s' "${WEBHOOK_SECRET#whsec_}" | openssl base64 -d -A | xxd -p -c 256)
EXPECTED=$( { printf '%s.%s.' "$WEBHOOK_ID" "$WEBHOOK_TIMESTAMP"; cat body.json; } \
  | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY_HEX" -binary | openssl base64 -A)
for SIG in $WEBHOOK_SIGNATURE; do
  if [ "$SIG" = "v1,$EXPECTED" ]; then echo valid; exit 0; fi
done
echo invalid; exit 1
