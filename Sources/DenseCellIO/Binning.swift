import DenseCellCore

/// Down-sampling on read by integer factors per axis (the paper bins its data 2× in y and x).
enum Binning {
    /// Bins by `factors` per axis: block mean (as float) for images, block mode for labels.
    static func bin(_ v: AnyVolume, factors: Shape3, labels: Bool) -> AnyVolume {
        if labels {
            switch v {
            case .uint8(let x): return .uint8(mode(x, factors))
            case .uint16(let x): return .uint16(mode(x, factors))
            case .int32(let x): return .int32(mode(x, factors))
            case .float32(let x): return .float32(mode(x, factors))
            case .int64(let x): return .int64(mode(x, factors))
            case .float64(let x): return .float64(mode(x, factors))
            }
        }
        return .float32(mean(v.asFloat(), factors))
    }

    static func outShape(_ s: Shape3, _ f: Shape3) -> Shape3 {
        Shape3(max(1, s.z / f.z), max(1, s.y / f.y), max(1, s.x / f.x))
    }

    /// Block mean; a partial block at the far edge is dropped.
    static func mean(_ v: Volume<Float>, _ f: Shape3) -> Volume<Float> {
        let o = outShape(v.shape, f)
        var out = Volume<Float>(shape: o, repeating: 0)
        let scale = 1 / Float(min(f.z, v.shape.z) * min(f.y, v.shape.y) * min(f.x, v.shape.x))
        for z in 0..<o.z { for y in 0..<o.y { for x in 0..<o.x {
            var s: Float = 0
            for dz in 0..<min(f.z, v.shape.z) { for dy in 0..<min(f.y, v.shape.y) { for dx in 0..<min(f.x, v.shape.x) {
                s += v[z * f.z + dz, y * f.y + dy, x * f.x + dx]
            } } }
            out[z, y, x] = s * scale
        } } }
        return out
    }

    /// Block mode (the most frequent value; ties go to the smallest value).
    static func mode<T: Hashable & Comparable>(_ v: Volume<T>, _ f: Shape3) -> Volume<T> {
        let o = outShape(v.shape, f)
        var out = Volume<T>(shape: o, repeating: v.data[0])
        var counts: [T: Int] = [:]
        for z in 0..<o.z { for y in 0..<o.y { for x in 0..<o.x {
            counts.removeAll(keepingCapacity: true)
            for dz in 0..<min(f.z, v.shape.z) { for dy in 0..<min(f.y, v.shape.y) { for dx in 0..<min(f.x, v.shape.x) {
                counts[v[z * f.z + dz, y * f.y + dy, x * f.x + dx], default: 0] += 1
            } } }
            out[z, y, x] = counts.max { a, b in a.value < b.value || (a.value == b.value && a.key > b.key) }!.key
        } } }
        return out
    }
}
