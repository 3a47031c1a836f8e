import DenseCellCore

/// The few colors a pane is sent with in sixel (see docs/ARCHITECTURE.md, Pixel graphics).
/// Sixel pays per color per band of six rows, so a noisy EM slice in libchafa's 256 adaptive
/// colors costs over 3 bytes a pixel. Every pane pixel is a gray level, or a gray level
/// blended with one fixed color (a class at the overlay's opacity, a disagreement kind): its
/// chroma is that fixed color's, its luma follows the gray. So colors are grouped by luma, in
/// `levels` steps, and by chroma, in steps of `chromaStep`: each overlay color keeps its own
/// ramp, and the pixels keep their place (no smoothing, no dithering).
enum SixelPalette {
    /// Luma steps of the whole 0…255 range. Bytes grow with the steps the noise spans: a z step
    /// through the demo's four 384×384 panes at 200×60 sends 377 KB with 11 steps, 401 KB with
    /// 12, 510 KB with 16. 11 steps of 25.5 levels err by 6 on average, within the EM image's
    /// noise: the decoded panes look like the export, edge for edge.
    static let levels = 11
    /// Chroma differences (blue or red minus luma) below this are one tint.
    static let chromaStep = 6

    /// - Returns: the palette (RGB8, most frequent color first) and each pixel's index into it,
    ///   or nil when the raster needs more than 256 colors.
    static func quantize(_ canvas: RGBCanvas, levels: Int = levels) -> (palette: [UInt8], indices: [UInt8])? {
        let count = canvas.width * canvas.height
        guard count > 0 else { return nil }
        // Distinct colors and how often each occurs.
        var occurrences: [UInt32: Int32] = [:]
        canvas.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                occurrences[UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2]), default: 0] += 1
            }
        }
        // Each distinct color's group: (luma step, blue chroma step, red chroma step).
        var groupOfKey: [Int: Int] = [:]
        var groupOf: [UInt32: Int] = [:]
        var sums: [(r: Int, g: Int, b: Int, n: Int, mode: UInt32, modeCount: Int32)] = []
        for (color, n) in occurrences {
            let r = Int(color >> 16), g = Int((color >> 8) & 0xFF), b = Int(color & 0xFF)
            let luma = (77 * r + 150 * g + 29 * b + 128) >> 8
            let step = (luma * (levels - 1) + 127) / 255
            let cb = (b - luma + 255 + chromaStep / 2) / chromaStep, cr = (r - luma + 255 + chromaStep / 2) / chromaStep
            let key = step << 16 | cb << 8 | cr
            let group: Int
            if let known = groupOfKey[key] { group = known } else {
                guard sums.count < 256 else { return nil }
                group = sums.count
                groupOfKey[key] = group
                sums.append((0, 0, 0, 0, color, 0))
            }
            groupOf[color] = group
            let m = Int(n)
            sums[group].r += r * m; sums[group].g += g * m; sums[group].b += b * m; sums[group].n += m
            // Ties go to the smaller color: the dictionary's order differs from call to call.
            if n > sums[group].modeCount || (n == sums[group].modeCount && color < sums[group].mode) {
                sums[group].mode = color; sums[group].modeCount = n
            }
        }
        // A group's color: the color most of its pixels have (the surround, the cursor's ink),
        // else their mean.
        let colors: [RGB] = sums.map { s in
            if Int(s.modeCount) * 2 >= s.n { return RGB(UInt8(s.mode >> 16), UInt8((s.mode >> 8) & 0xFF), UInt8(s.mode & 0xFF)) }
            return RGB(UInt8((s.r + s.n / 2) / s.n), UInt8((s.g + s.n / 2) / s.n), UInt8((s.b + s.n / 2) / s.n))
        }
        // Most frequent first: sixel names a color by its index each time a run of it starts, so
        // the common ones get the short numbers. Ties by color, so a raster always gets the same
        // palette.
        func key(_ c: RGB) -> Int { Int(c.r) << 16 | Int(c.g) << 8 | Int(c.b) }
        let order = colors.indices.sorted { sums[$0].n != sums[$1].n ? sums[$0].n > sums[$1].n : key(colors[$0]) < key(colors[$1]) }
        var rank = [UInt8](repeating: 0, count: colors.count)
        for (position, group) in order.enumerated() { rank[group] = UInt8(position) }
        var palette = [UInt8]()
        palette.reserveCapacity(3 * colors.count)
        for group in order { palette += [colors[group].r, colors[group].g, colors[group].b] }
        var indices = [UInt8](repeating: 0, count: count)
        canvas.pixels.withUnsafeBufferPointer { p in
            for i in 0..<count {
                indices[i] = rank[groupOf[UInt32(p[3 * i]) << 16 | UInt32(p[3 * i + 1]) << 8 | UInt32(p[3 * i + 2])]!]
            }
        }
        return (palette, indices)
    }
}
