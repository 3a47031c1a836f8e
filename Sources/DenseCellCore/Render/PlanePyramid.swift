/// Halving of z-planes for zoomed-out views: level L of an h×w plane is ⌈h/2^L⌉×⌈w/2^L⌉, each
/// pixel standing for the 2^L×2^L block of level 0 it covers (partial blocks at the far edges
/// included). Images average their blocks; labels and masks keep the most frequent value of each
/// 2×2 block of the level below (ties to the smallest), so classes stay classes.
public enum PlanePyramid {
    /// The (height, width) of `level` for a plane of `height`×`width`.
    public static func size(height: Int, width: Int, level: Int) -> (height: Int, width: Int) {
        let s = 1 << level
        return ((height + s - 1) / s, (width + s - 1) / s)
    }

    /// Levels above 0 worth storing: halving stops once the plane's larger side is at most 128.
    public static func levels(height: Int, width: Int) -> Int {
        var n = 0, side = max(height, width)
        while side > 128 { side = (side + 1) / 2; n += 1 }
        return n
    }

    /// The next level of an image plane: the mean of each 2×2 block (fewer at the far edges).
    public static func halveMean(_ p: [Float], height h: Int, width w: Int) -> [Float] {
        let (oh, ow) = size(height: h, width: w, level: 1)
        var out = [Float](repeating: 0, count: oh * ow)
        for y in 0..<oh {
            let y0 = 2 * y, y1 = min(h, y0 + 2)
            for x in 0..<ow {
                let x0 = 2 * x, x1 = min(w, x0 + 2)
                var s: Float = 0
                for yy in y0..<y1 { for xx in x0..<x1 { s += p[yy * w + xx] } }
                out[y * ow + x] = s / Float((y1 - y0) * (x1 - x0))
            }
        }
        return out
    }

    /// The next level of a uint8 image plane: the mean of each 2×2 block, rounded.
    public static func halveMean(_ p: [UInt8], height h: Int, width w: Int) -> [UInt8] {
        halveMean(p.map(Float.init), height: h, width: w).map { UInt8($0.rounded()) }
    }

    /// The next level of a label or mask plane: the most frequent value of each 2×2 block,
    /// ties to the smallest.
    public static func halveMode(_ p: [UInt8], height h: Int, width w: Int) -> [UInt8] {
        let (oh, ow) = size(height: h, width: w, level: 1)
        var out = [UInt8](repeating: 0, count: oh * ow)
        p.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<oh {
                    let y0 = 2 * y, full = y0 + 1 < h
                    for x in 0..<ow {
                        let x0 = 2 * x
                        if full && x0 + 1 < w {
                            let i = y0 * w + x0
                            dst[y * ow + x] = mode4(src[i], src[i + 1], src[i + w], src[i + w + 1])
                        } else {
                            // A partial block at the far edges: one or two values.
                            var values: [UInt8] = []
                            for yy in y0..<min(h, y0 + 2) { for xx in x0..<min(w, x0 + 2) { values.append(src[yy * w + xx]) } }
                            dst[y * ow + x] = values.count == 2 ? min(values[0], values[1]) : values[0]
                        }
                    }
                }
            }
        }
        return out
    }

    /// The most frequent of four values, ties to the smallest.
    @inline(__always) static func mode4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> UInt8 {
        if a == b && b == c && c == d { return a }
        @inline(__always) func count(_ v: UInt8) -> Int { (v == a ? 1 : 0) + (v == b ? 1 : 0) + (v == c ? 1 : 0) + (v == d ? 1 : 0) }
        var best = a, bestCount = count(a)
        @inline(__always) func consider(_ v: UInt8) {
            let n = count(v)
            if n > bestCount || (n == bestCount && v < best) { best = v; bestCount = n }
        }
        consider(b); consider(c); consider(d)
        return best
    }
}
