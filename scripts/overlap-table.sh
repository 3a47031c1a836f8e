#!/usr/bin/env bash
# Time and accuracy of tiled inference against the window overlap, for choosing the default:
# the shipped demo ensemble segments unseen phantoms at each overlap and precision, and a
# Markdown table gives the whole command's time and voxels/s (read, normalize, tile, ensemble,
# write) and MIoU(all)/MIoU(org) against the phantoms' truth.
#
#   scripts/overlap-table.sh                       # 48×512×512 phantoms of seeds 201 and 202
#   SHAPE=24x256x256 SEEDS=201 scripts/overlap-table.sh
#   PRECISIONS="f32 auto bf16" OVERLAPS="0 0.5" scripts/overlap-table.sh
#
# Overlap 0.5 is the rule densecell tiled with before `--overlap` existed (steps of 2×128×128
# for the 5×256×256 window). When `auto` picks the same precision as another column on this
# machine, its runs are not repeated. Runs one after another; on a shared machine, compare rows
# of one table only. Needs a release build (make build) or DENSECELL=path/to/densecell.
set -euo pipefail
cd "$(dirname "$0")/.."

DENSECELL=${DENSECELL:-.build/release/densecell}
MODELS=${MODELS:-Assets/models/demo}
SHAPE=${SHAPE:-48x512x512}
SEEDS=${SEEDS:-201 202}
OVERLAPS=${OVERLAPS:-0 0.25 0.5}
PRECISIONS=${PRECISIONS:-f32 auto}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/densecell-overlap.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[ -x "$DENSECELL" ] || { echo "overlap-table: $DENSECELL not found: run make build or set DENSECELL" >&2; exit 2; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

# What `--precision auto` resolves to here, and the instruction set oneDNN runs.
resolve_auto() {
    "$DENSECELL" bench --width 2 --window 1x4x4 --seconds 0 --precision auto --json | sed -e 's/.*"precision":"\([a-z0-9]*\)".*/\1/'
}
AUTO=$(resolve_auto)
ISA=$("$DENSECELL" bench --width 2 --window 1x4x4 --seconds 0 --json | sed -e 's/.*"cpu_isa":"\([a-z0-9_]*\)".*/\1/')

for seed in $SEEDS; do
    "$DENSECELL" phantom "$WORK/phantom-$seed.h5" --shape "$SHAPE" --seed "$seed" >/dev/null 2>&1
done

# Mean over the phantoms of: seconds, voxels/s, MIoU(all), MIoU(org).
measure() {
    local overlap=$1 precision=$2 seconds=0 rate=0 all=0 org=0 n=0
    windows=""
    for seed in $SEEDS; do
        local out="$WORK/seg.h5" line json
        rm -f "$out"
        line=$("$DENSECELL" segment "$WORK/phantom-$seed.h5" --models "$MODELS" --out "$out" \
                   --overlap "$overlap" --precision "$precision" 2>"$WORK/stderr" | tail -n 1)
        windows=$(sed -n -e 's/.*(\([0-9]*\) windows over the region).*/\1/p' "$WORK/stderr" | head -n 1)
        # "wrote …  48×512×512 voxels in 123.4 s (102030 voxels/s …)"
        local t r
        t=$(sed -n -e 's/.* in \([0-9.]*\) s (\([0-9]*\) voxels\/s.*/\1/p' <<<"$line")
        r=$(sed -n -e 's/.* in \([0-9.]*\) s (\([0-9]*\) voxels\/s.*/\2/p' <<<"$line")
        [ -n "$t" ] && [ -n "$r" ] || { echo "overlap-table: no timing in: $line" >&2; exit 1; }
        json=$("$DENSECELL" evaluate "$WORK/phantom-$seed.h5:/labels/truth" "$out:/labels/ensemble" --json)
        seconds=$(awk -v a="$seconds" -v b="$t" 'BEGIN { print a + b }')
        rate=$(awk -v a="$rate" -v b="$r" 'BEGIN { print a + b }')
        all=$(awk -v a="$all" -v b="$(sed -e 's/.*"miou_all":\([0-9.eE+-]*\).*/\1/' <<<"$json")" 'BEGIN { print a + b }')
        org=$(awk -v a="$org" -v b="$(sed -e 's/.*"miou_org":\([0-9.eE+-]*\).*/\1/' <<<"$json")" 'BEGIN { print a + b }')
        n=$((n + 1))
        echo "overlap-table: seed $seed overlap $overlap $precision: $line" >&2
    done
    awk -v s="$seconds" -v r="$rate" -v a="$all" -v o="$org" -v n="$n" \
        'BEGIN { printf "%.0f s | %.0f | %.4f | %.4f", s / n, r / n, a / n, o / n }'
}

# Columns: each precision once; auto shares the column of what it picks when that is listed too.
columns=()
for p in $PRECISIONS; do
    if [ "$p" = auto ] && [[ " $PRECISIONS " == *" $AUTO "* ]]; then continue; fi
    columns+=("$p")
done

echo "Shipped ensemble ($MODELS), phantoms $SHAPE of seeds ${SEEDS// /, }; CPU ISA $ISA, --precision auto = $AUTO."
echo "Time and voxels/s: the whole \`segment\` command, mean over the phantoms; windows: per phantom, each run by every model."
echo
header="| overlap | windows |"; rule="|---|---|"
for p in "${columns[@]}"; do
    label=$p
    [ "$p" = "$AUTO" ] && [[ " $PRECISIONS " == *" auto "* ]] && label="$p (= auto)"
    header+=" $label time | $label voxels/s | $label MIoU(all) | $label MIoU(org) |"
    rule+="---|---|---|---|"
done
echo "$header"; echo "$rule"
for overlap in $OVERLAPS; do
    label=$overlap
    [ "$overlap" = 0.5 ] && label="0.5 (previous rule: step 2×128×128)"
    row=""
    for p in "${columns[@]}"; do
        measure "$overlap" "$p" > "$WORK/cells"
        row+=" $(cat "$WORK/cells") |"
    done
    echo "| $label | $windows |$row"
done
