#!/usr/bin/env bash
# Prints one closing line "tests: N passed, N failed" from a `swift test` log that may hold both
# XCTest and Swift Testing results.
log="$1"
xc_total=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1 | sed -E 's/.*Executed ([0-9]+) tests?, with ([0-9]+) failures?.*/\1 \2/')
read -r xt xf <<<"${xc_total:-0 0}"
st_line=$(grep -E "Test run with [0-9]+ tests?" "$log" | tail -1)
st=$(sed -E 's/.*Test run with ([0-9]+) tests?.*/\1/' <<<"${st_line:-Test run with 0 tests}")
sf=0
if grep -q "failed" <<<"$st_line"; then
  sf=$(sed -nE 's/.*with ([0-9]+) issues?.*/\1/p' <<<"$st_line"); sf=${sf:-1}
fi
total=$((xt + st)); failed=$((xf + sf))
echo "tests: $((total - failed)) passed, $failed failed"
