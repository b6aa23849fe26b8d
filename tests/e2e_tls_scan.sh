#!/usr/bin/env bash
# e2e_tls_scan.sh: an offline scan of the server's TLS with Debian's sslscan
# against 127.0.0.1 finds what the README promises and nothing weaker:
# TLS 1.2 only, exactly the two ECDHE-ECDSA AEAD suites (AES-128-GCM
# preferred, ChaCha20-Poly1305), X25519 for ECDHE, no renegotiation, no
# compression, not vulnerable to Heartbleed, a P-256 ECDSA certificate.
set -u
e2e_name=tls_scan
. "$(dirname "$0")/e2e_lib.sh"
if ! command -v sslscan >/dev/null; then
	echo "FAIL $e2e_name: sslscan is not installed (build.sh test installs it)"
	failed=1
	finish
fi
start_server
check "server starts" test -n "$server_pid"
[ -n "$server_pid" ] || finish

out=$(timeout 60 sslscan --no-colour "127.0.0.1:$port" 2>&1)
check "scan ran" grep -q "Supported Server Cipher" <<<"$out"
for v in SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.3; do
	check "$v disabled" grep -Eq "^$v +disabled" <<<"$out"
done
check "TLSv1.2 enabled" grep -Eq "^TLSv1.2 +enabled" <<<"$out"
check "no renegotiation" grep -q "Session renegotiation not supported" <<<"$out"
check "no heartbleed" grep -q "not vulnerable to heartbleed" <<<"$out"
check "no compression" bash -c '! grep -q "Compression enabled" <<<"$0"' "$out"
suites=$(grep -E '^(Preferred|Accepted) ' <<<"$out")
check "exactly two suites" test "$(grep -c . <<<"$suites")" -eq 2
check "AES-128-GCM or ChaCha20 preferred" \
	grep -Eq '^Preferred TLSv1.2 .*(ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305)' <<<"$suites"
check "only ECDHE-ECDSA AEAD suites" bash -c \
	'! grep -Ev "ECDHE-ECDSA-(AES128-GCM-SHA256|CHACHA20-POLY1305) " <<<"$0" | grep -q .' "$suites"
check "ECDHE over X25519" bash -c '! grep -v "Curve 25519" <<<"$0" | grep -q .' "$suites"
check "P-256 ECDSA certificate" grep -q "ECC Curve Name: *prime256v1" <<<"$out"
check "server still serves after the scan" port_open "$port"
finish
