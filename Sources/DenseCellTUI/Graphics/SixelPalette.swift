import DenseCellCore

/// The at most 256 colour registers a pane is sent with in sixel (see docs/ARCHITECTURE.md,
/// Pixel graphics). Every pane pixel is a gray level, or a gray level blended with one fixed
/// colour (a class at the overlay's opacity, a disagreement kind), or one of the viewer's marks.
/// So colours are grouped by tint (chroma steps of `chromaStep`), each tint is a ramp of luma
/// levels over the range its pixels span, all ramps share one luma step, and the marks keep
/// registers of their own: an image pane is a gray ramp, an overlay pane gray × tint. The pixels
/// keep their place (no smoothing, no dithering).
enum SixelPalette {
    /// Gray levels of an image pane: its gray range in 64 steps (EM review lives on subtle
    /// contrast). Sixel pays for every colour present in a band of six rows, and EM noise puts
    /// nearly every level of its span in each band: bytes grow with the levels (docs/ARCHITECTURE.md).
    static let imageLevels = 64
    /// Gray levels of overlay and disagreement panes, where the tint carries the message and
    /// the image pane beside them the contrast; their tints get the same luma step.
    static let overlayLevels = 24
    /// Chroma differences (blue or red minus luma) below this are one tint.
    static let chromaStep = 6
    /// The colour registers terminals offer (xterm -ti vt340 with 256 registers, foot, WezTerm, mlterm).
    static let registers = 256
    /// Sixel gives colours in whole per cent: finer luma steps would decode to the same colours.
    static let finestStep = 255.0 / 100

    /// The levels of a pane showing `kind`.
    static func levels(for kind: PaneKind) -> Int { kind == .image ? imageLevels : overlayLevels }

    /// - Parameters:
    ///   - levels: luma steps over the widest tint's range (the ramp of a 50 % tint spans half
    ///     the gray range and gets half the steps); the step widens when the tints need more
    ///     registers than there are.
    ///   - exact: colours kept exactly, each in its own register, when present (the marks).
    /// - Returns: the palette (RGB8, most frequent colour first) and each pixel's index into it,
    ///   or nil when the raster has more tints than registers.
    static func quantize(_ canvas: RGBCanvas, levels: Int, exact: [RGB] = PaneImage.marks) -> (palette: [UInt8], indices: [UInt8])? {
        let count = canvas.width * canvas.height
        guard count > 0, levels >= 2 else { return nil }
        func key(_ c: RGB) -> UInt32 { UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b) }
        // Distinct colours and how often each occurs.
        var occurrences: [UInt32: Int] = [:]
        canvas.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                occurrences[UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2]), default: 0] += 1
            }
        }
        let marks = Set(exact.map(key)).filter { occurrences[$0] != nil }
        // Each other colour's tint and luma; each tint's luma range.
        var tintOfKey: [Int: Int] = [:]
        var range: [(lo: Int, hi: Int)] = []
        var colours: [(color: UInt32, tint: Int, luma: Int)] = []
        colours.reserveCapacity(occurrences.count)
        for color in occurrences.keys where !marks.contains(color) {
            let r = Int(color >> 16), g = Int((color >> 8) & 0xFF), b = Int(color & 0xFF)
            let luma = (77 * r + 150 * g + 29 * b + 128) >> 8
            let cb = (b - luma + 255 + chromaStep / 2) / chromaStep, cr = (r - luma + 255 + chromaStep / 2) / chromaStep
            let tint: Int
            if let known = tintOfKey[cb << 8 | cr] { tint = known } else {
                tint = range.count
                tintOfKey[cb << 8 | cr] = tint
                range.append((luma, luma))
            }
            range[tint].lo = min(range[tint].lo, luma); range[tint].hi = max(range[tint].hi, luma)
            colours.append((color, tint, luma))
        }
        let free = registers - marks.count
        guard range.count <= free else { return nil }
        // One step for every ramp, as fine as the levels ask (not finer than sixel's per cent),
        // widened until the ramps fit the registers left after the marks.
        let widest = range.map { $0.hi - $0.lo }.max() ?? 0
        var step = max(finestStep, Double(widest) / Double(levels - 1))
        func needed(_ step: Double) -> Int { range.reduce(0) { $0 + Int((Double($1.hi - $1.lo) / step).rounded()) + 1 } }
        while needed(step) > free { step *= 1.02 }
        // Groups: the marks, then (tint, level); a group's colour is its pixels' mean.
        var groupOfKey: [Int: Int] = [:]
        var groupOf: [UInt32: Int] = [:]
        var sums: [(r: Int, g: Int, b: Int, n: Int)] = []
        for mark in marks.sorted() {
            groupOf[mark] = sums.count
            let n = occurrences[mark]!
            sums.append((Int(mark >> 16) * n, Int((mark >> 8) & 0xFF) * n, Int(mark & 0xFF) * n, n))
        }
        for c in colours {
            let level = Int((Double(c.luma - range[c.tint].lo) / step).rounded())
            let k = c.tint << 16 | level
            let group: Int
            if let known = groupOfKey[k] { group = known } else {
                group = sums.count
                groupOfKey[k] = group
                sums.append((0, 0, 0, 0))
            }
            groupOf[c.color] = group
            let n = occurrences[c.color]!
            sums[group].r += Int(c.color >> 16) * n; sums[group].g += Int((c.color >> 8) & 0xFF) * n
            sums[group].b += Int(c.color & 0xFF) * n; sums[group].n += n
        }
        let groupColours: [RGB] = sums.map { s in
            RGB(UInt8((s.r + s.n / 2) / s.n), UInt8((s.g + s.n / 2) / s.n), UInt8((s.b + s.n / 2) / s.n))
        }
        // Most frequent first: sixel names a colour by its index each time a run of it starts, so
        // the common ones get the short numbers. Ties by colour, so a raster always gets the same
        // palette (the dictionaries' order differs from call to call).
        let order = sums.indices.sorted {
            sums[$0].n != sums[$1].n ? sums[$0].n > sums[$1].n : key(groupColours[$0]) < key(groupColours[$1])
        }
        var rank = [UInt8](repeating: 0, count: sums.count)
        for (position, group) in order.enumerated() { rank[group] = UInt8(position) }
        var palette = [UInt8]()
        palette.reserveCapacity(3 * sums.count)
        for group in order { palette += [groupColours[group].r, groupColours[group].g, groupColours[group].b] }
        var indices = [UInt8](repeating: 0, count: count)
        canvas.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                indices[i] = rank[groupOf[UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])]!]
            }
        }
        return (palette, indices)
    }
}
