#!/usr/bin/env bash
# Time and accuracy of tiled inference against the window and its overlap, for choosing the
# defaults: the shipped demo ensemble segments unseen phantoms with each window, overlap and
# precision, and a Markdown table gives the whole command's time and voxels/s (read, normalize,
# tile, ensemble, write) and MIoU(all)/MIoU(org) against the phantoms' truth.
#
#   scripts/overlap-table.sh                       # 48×512×512 phantoms of seeds 201 and 202
#   SHAPE=24x256x256 SEEDS=201 scripts/overlap-table.sh
#   WINDOWS="5x256x256" PRECISIONS="f32 auto" OVERLAPS="0 0.5" scripts/overlap-table.sh
#   CELLS="5x256x256:0.25:f32 5x512x512:0.125:auto" scripts/overlap-table.sh   # chosen cells only
#
# Overlap 0.5 at 5×256×256 is the rule densecell tiled with before `--overlap` existed (steps of
# 2×128×128) and the reference a default must stay close to. When `auto` picks the same precision
# as another column on this machine, its runs are not repeated. Runs one after another; on a
# shared machine, compare rows of one table only. Needs a release build (make build) or
# DENSECELL=path/to/densecell.
set -euo pipefail
cd "$(dirname "$0")/.."

DENSECELL=${DENSECELL:-.build/release/densecell}
MODELS=${MODELS:-Assets/models/demo}
SHAPE=${SHAPE:-48x512x512}
SEEDS=${SEEDS:-201 202}
WINDOWS=${WINDOWS:-5x256x256 5x384x384 5x512x512 9x512x512}
OVERLAPS=${OVERLAPS:-0 0.125 0.25 0.5}
PRECISIONS=${PRECISIONS:-auto}
CELLS=${CELLS:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/densecell-overlap.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[ -x "$DENSECELL" ] || { echo "overlap-table: $DENSECELL not found: run make build or set DENSECELL" >&2; exit 2; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

# What `--precision auto` resolves to here, the instruction set oneDNN runs and the CPU's name.
resolve_auto() {
    "$DENSECELL" bench --width 2 --window 1x4x4 --seconds 0 --precision auto --json | sed -e 's/.*"precision":"\([a-z0-9]*\)".*/\1/'
}
AUTO=$(resolve_auto)
ISA=$("$DENSECELL" bench --width 2 --window 1x4x4 --seconds 0 --json | sed -e 's/.*"cpu_isa":"\([a-z0-9_]*\)".*/\1/')
CPU=$(sed -n -e 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
CORES=$(nproc 2>/dev/null || echo "?")

for seed in $SEEDS; do
    "$DENSECELL" phantom "$WORK/phantom-$seed.h5" --shape "$SHAPE" --seed "$seed" >/dev/null 2>&1
done

# Mean over the phantoms of: seconds, voxels/s, MIoU(all), MIoU(org); sets `windows`.
measure() {
    local window=$1 overlap=$2 precision=$3 seconds=0 rate=0 all=0 org=0 n=0
    windows=""
    for seed in $SEEDS; do
        local out="$WORK/seg.h5" line json
        rm -f "$out"
        line=$("$DENSECELL" segment "$WORK/phantom-$seed.h5" --models "$MODELS" --out "$out" --window "$window" \
                   --overlap "$overlap" --precision "$precision" 2>"$WORK/stderr" | tail -n 1)
        windows=$(sed -n -e 's/.*(\([0-9]*\) windows over the region).*/\1/p' "$WORK/stderr" | head -n 1)
        # "wrote …  48×512×512 voxels in 123.4 s (102030 voxels/s …)"
        local t r
        t=$(sed -n -e 's/.* in \([0-9.]*\) s (\([0-9]*\) voxels\/s.*/\1/p' <<<"$line")
        r=$(sed -n -e 's/.* in \([0-9.]*\) s (\([0-9]*\) voxels\/s.*/\2/p' <<<"$line")
        [ -n "$t" ] && [ -n "$r" ] || { echo "overlap-table: no timing in: $line" >&2; cat "$WORK/stderr" >&2; exit 1; }
        json=$("$DENSECELL" evaluate "$WORK/phantom-$seed.h5:/labels/truth" "$out:/labels/ensemble" --json)
        seconds=$(awk -v a="$seconds" -v b="$t" 'BEGIN { print a + b }')
        rate=$(awk -v a="$rate" -v b="$r" 'BEGIN { print a + b }')
        all=$(awk -v a="$all" -v b="$(sed -e 's/.*"miou_all":\([0-9.eE+-]*\).*/\1/' <<<"$json")" 'BEGIN { print a + b }')
        org=$(awk -v a="$org" -v b="$(sed -e 's/.*"miou_org":\([0-9.eE+-]*\).*/\1/' <<<"$json")" 'BEGIN { print a + b }')
        n=$((n + 1))
        echo "overlap-table: seed $seed window $window overlap $overlap $precision: $line" >&2
    done
    awk -v s="$seconds" -v r="$rate" -v a="$all" -v o="$org" -v n="$n" \
        'BEGIN { printf "%.1f s | %.0f | %.4f | %.4f", s / n, r / n, a / n, o / n }'
}

# Voxels computed per voxel segmented: windows × the window's voxels (no wider than the phantom
# in y and x, as the engine fits it) over the phantom's voxels. Exact, whatever else runs.
work() {
    local window=$1 windows=$2
    awk -v w="$window" -v s="$SHAPE" -v n="$windows" 'BEGIN {
        split(w, a, "x"); split(s, b, "x")
        for (i = 2; i <= 3; i++) { f = int((b[i] + 3) / 4) * 4; if (a[i] > f) a[i] = f }
        printf "%.2f×", n * a[1] * a[2] * a[3] / (b[1] * b[2] * b[3]) }'
}

# The precision a column or cell names, as run: auto is spelled out as what it picks.
label_of() { if [ "$1" = auto ]; then echo "$AUTO (auto)"; else echo "$1"; fi; }

echo "Shipped ensemble ($MODELS), phantoms $SHAPE of seeds ${SEEDS// /, }; ${CPU:-unknown CPU}, $CORES cores, oneDNN ISA $ISA, --precision auto = $AUTO."
echo "Time and voxels/s: the whole \`segment\` command, mean over the phantoms; windows: per phantom, each run by every model;"
echo "work: voxels computed per voxel segmented (windows × window voxels / phantom voxels), exact whatever else runs."
echo

if [ -n "$CELLS" ]; then
    # One row per chosen cell WINDOW:OVERLAP:PRECISION.
    echo "| window | overlap | precision | windows | work | time | voxels/s | MIoU(all) | MIoU(org) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for cell in $CELLS; do
        IFS=: read -r window overlap precision <<<"$cell"
        measure "$window" "$overlap" "$precision" > "$WORK/cells"
        echo "| $window | $overlap | $(label_of "$precision") | $windows | $(work "$window" "$windows") | $(cat "$WORK/cells") |"
    done
    exit 0
fi

# Columns: each precision once; auto shares the column of what it picks when that is listed too.
columns=()
for p in $PRECISIONS; do
    if [ "$p" = auto ] && [[ " $PRECISIONS " == *" $AUTO "* ]]; then continue; fi
    columns+=("$p")
done

header="| window | overlap | windows | work |"; rule="|---|---|---|---|"
for p in "${columns[@]}"; do
    label=$(label_of "$p")
    [ "$p" = "$AUTO" ] && [[ " $PRECISIONS " == *" auto "* ]] && label="$p (= auto)"
    header+=" $label time | $label voxels/s | $label MIoU(all) | $label MIoU(org) |"
    rule+="---|---|---|---|"
done
echo "$header"; echo "$rule"
for window in $WINDOWS; do
    for overlap in $OVERLAPS; do
        row=""
        for p in "${columns[@]}"; do
            measure "$window" "$overlap" "$p" > "$WORK/cells"
            row+=" $(cat "$WORK/cells") |"
        done
        echo "| $window | $overlap | $windows | $(work "$window" "$windows") |$row"
    done
done
