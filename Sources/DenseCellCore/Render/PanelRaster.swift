/// Colors one pane of one z-slice at image resolution, with the same per-pixel rules as the
/// viewer (`Overlay`), through lookup tables so no pixel recomputes a blend.
public enum PanelRaster {
    /// The pane's pixels over `y`×`x` of slice `z`. Label sources paint only inside their
    /// labeled region (mask); a disagreement map compares only where both are labeled and
    /// shows the plain image elsewhere.
    public static func render(_ pane: Pane, study: Study, z: Int, y: Range<Int>, x: Range<Int>,
                              window: (lo: Float, hi: Float), alpha: Double,
                              hidden: Set<Int> = []) throws(FigureError) -> RGBCanvas {
        let shape = study.shape
        guard z >= 0, z < shape.z else { throw .sliceOutOfRange(z, count: shape.z) }
        guard y.lowerBound >= 0, y.upperBound <= shape.y, x.lowerBound >= 0, x.upperBound <= shape.x,
              !y.isEmpty, !x.isEmpty else {
            throw .roiOutOfRange("y \(y.lowerBound):\(y.upperBound), x \(x.lowerBound):\(x.upperBound) is outside the \(shape.y)×\(shape.x) slice")
        }
        func source(_ name: String) throws(FigureError) -> LabelSource {
            guard let s = study.source(named: name) else { throw .missingSource(name, available: study.labels.map(\.name)) }
            return s
        }
        let schema = study.schema
        let n = schema.count
        let w = x.count, h = y.count
        let planeOffset = z * shape.planeCount
        // Calls body(o, i) for every pixel of the region: o its index in the panel, i the voxel's
        // index in the volume's backing arrays.
        func forEachPixel(_ body: (_ o: Int, _ i: Int) -> Void) {
            for row in 0..<h {
                let src = planeOffset + (y.lowerBound + row) * shape.x + x.lowerBound
                for col in 0..<w { body(row * w + col, src + col) }
            }
        }
        var plain = [UInt8](repeating: 0, count: 256 * 3)
        for g in 0..<256 { plain[3 * g] = UInt8(g); plain[3 * g + 1] = UInt8(g); plain[3 * g + 2] = UInt8(g) }

        // `table` holds [r, g, b] for every (row, gray); `rows` picks the table row of each pixel.
        var table = plain
        var rows = [Int32](repeating: 0, count: w * h)
        var masks: [Volume<UInt8>] = []
        var outside: Int32 = 0   // the plain-image row, for unlabeled and masked-out pixels

        switch pane {
        case .image:
            break
        case .labels(let name):
            let s = try source(name)
            if let m = s.mask { masks.append(m) }
            table = []
            for c in 0..<n {
                for g in 0..<256 {
                    let rgb = Overlay.blend(gray: UInt8(g), label: UInt8(c), schema: schema, alpha: alpha, hidden: hidden)
                    table += [rgb.r, rgb.g, rgb.b]
                }
            }
            table += plain
            outside = Int32(n)
            s.labels.data.withUnsafeBufferPointer { lab in
                rows.withUnsafeMutableBufferPointer { r in
                    forEachPixel { o, i in r[o] = Int(lab[i]) < n ? Int32(lab[i]) : outside }
                }
            }
        case .disagreement(let nameA, let nameB):
            let sa = try source(nameA), sb = try source(nameB)
            masks = [sa.mask, sb.mask].compactMap { $0 }
            let kinds = Overlay.Disagreement.allCases
            let organelles = Set(schema.organelles)
            // The kind of every label pair, and one representative pair per kind whose colors
            // come from the shared rule.
            var kindOfPair = [Int32](repeating: Int32(kinds.count), count: 256 * 256)
            var representative: [Overlay.Disagreement: (UInt8, UInt8)] = [:]
            for p in 0..<n {
                for q in 0..<n {
                    let kind = Overlay.disagreement(UInt8(p), UInt8(q), organelles: organelles)
                    kindOfPair[p * 256 + q] = Int32(kind.rawValue)
                    if representative[kind] == nil { representative[kind] = (UInt8(p), UInt8(q)) }
                }
            }
            table = []
            for kind in kinds {
                guard let (p, q) = representative[kind] else { table += plain; continue }
                for g in 0..<256 {
                    let rgb = Overlay.disagreementPixel(gray: UInt8(g), a: p, b: q, organelles: organelles)
                    table += [rgb.r, rgb.g, rgb.b]
                }
            }
            table += plain
            outside = Int32(kinds.count)
            sa.labels.data.withUnsafeBufferPointer { la in
                sb.labels.data.withUnsafeBufferPointer { lb in
                    kindOfPair.withUnsafeBufferPointer { k in
                        rows.withUnsafeMutableBufferPointer { r in
                            forEachPixel { o, i in r[o] = k[Int(la[i]) * 256 + Int(lb[i])] }
                        }
                    }
                }
            }
        }
        for mask in masks {
            mask.data.withUnsafeBufferPointer { m in
                rows.withUnsafeMutableBufferPointer { r in
                    forEachPixel { o, i in if m[i] == 0 { r[o] = outside } }
                }
            }
        }

        var out = [UInt8](repeating: 0, count: w * h * 3)
        let lo = window.lo, hi = window.hi
        study.image.data.withUnsafeBufferPointer { img in
            table.withUnsafeBufferPointer { lut in
                rows.withUnsafeBufferPointer { r in
                    out.withUnsafeMutableBufferPointer { dst in
                        forEachPixel { o, i in
                            let t = 3 * (Int(r[o]) * 256 + Int(Overlay.gray(img[i], lo: lo, hi: hi)))
                            dst[3 * o] = lut[t]; dst[3 * o + 1] = lut[t + 1]; dst[3 * o + 2] = lut[t + 2]
                        }
                    }
                }
            }
        }
        return RGBCanvas(width: w, height: h, pixels: out)
    }
}
