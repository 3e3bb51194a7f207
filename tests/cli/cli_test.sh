#!/usr/bin/env bash
# The egovbus command line, run as a user would. Usage: cli_test.sh path/to/egovbus
set -u
bin=$1
cd "$(dirname "$0")/../.."
passed=0 failed=0
expect() {  # expect NAME EXIT_CODE REGEX -- command...
  local name=$1 code=$2 regex=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$code" ] && grep -Eq -- "$regex" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    printf 'FAIL %s: exit %s (wanted %s)\n%s\n' "$name" "$rc" "$code" "$out"
  fi
}

expect version 0 '^egovbus [0-9]+\.[0-9]+\.[0-9]+$' -- "$bin" --version
expect usage 2 'usage:' -- "$bin" frobnicate
# The demo config: its data comes from demo/generate.py (ctest fixture demo-data), vendor B's
# WS-Security password from the environment.
export EGOV_DEMO_SOAPB_PASSWORD=cli-test
expect check-demo 0 'conf/bus.yaml: ok: 41 tenants, [0-9]+ routes, [0-9]+ endpoints, 40 warnings' -- "$bin" check --config conf/bus.yaml
expect check-placeholder-warning 0 '072029-molfetta.yaml:2:[0-9]+: tenant.fiscal_code: warning: placeholder' -- \
  "$bin" check --config conf/bus.yaml
expect openapi-no-drift 0 '^$' -- bash -c "diff <(\"$bin\" openapi --config conf/bus.yaml) schemas/openapi.yaml"
expect openapi-unknown-service 1 'service echo.ping has routes but no catalogue entry' -- \
  "$bin" openapi --config tests/data/openapi/bus.yaml
expect check-invalid-lists-all 1 '3 errors in' -- "$bin" check --config tests/data/config-invalid/bus.yaml
expect check-invalid-mapping 1 'profiles/p.yaml:4:14: routes\[0\]\.steps\[0\]\.map: mapping not found' -- \
  "$bin" check --config tests/data/config-invalid/bus.yaml
expect check-invalid-duration 1 '072006-bari.yaml:4:62: endpoints\.tributi\.timeout: expected a duration' -- \
  "$bin" check --config tests/data/config-invalid/bus.yaml
expect check-invalid-paths 1 'tenants: not a directory' -- "$bin" check --config tests/data/config-invalid/profiles/p.yaml
expect check-missing-file 1 'cannot read file' -- "$bin" check --config /nonexistent/bus.yaml
expect map-json 0 '^<http:request xmlns:http="urn:egovbus:http" method="GET" path="/posizioni/RSSMRA80A01A662A"><http:header name="X-Ente">C_A662</http:header><http:query name="anno">2025</http:query></http:request>$' -- \
  "$bin" map mappings/demo-rest/posizioni-request.xsl tests/data/cli/posizioni-request.json --param ente=C_A662
expect map-response-with-tables 0 '"due_date_it":"31/07/2025","status":"unpaid"' -- \
  "$bin" map mappings/demo-rest/posizioni-response.xsl tests/data/cli/posizioni-backend.json --param tenant=bari --config conf/bus.yaml
expect map-terminate 1 'posizioni-request.xsl:[0-9]+: bad-request: codice_fiscale' -- \
  "$bin" map mappings/demo-rest/posizioni-request.xsl tests/data/cli/invalid-cf.json
expect map-bad-input 1 'line 1, column [0-9]+' -- "$bin" map mappings/demo-rest/posizioni-request.xsl tests/cli/cli_test.sh

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
