/// Pure per-pixel coloring shared by the viewer and PNG export, so both show the same thing.
public enum Overlay {
    /// A robust display window for an image: the 0.5th and 99.5th percentiles, from a
    /// histogram of a strided sample (cheap on large volumes).
    public static func displayRange(_ values: ArraySlice<Float>) -> (lo: Float, hi: Float) {
        guard !values.isEmpty else { return (0, 1) }
        let stride = displaySampleStride(count: values.count)
        var sample: [Float] = []
        sample.reserveCapacity(values.count / stride + 1)
        var i = values.startIndex
        while i < values.endIndex { sample.append(values[i]); i += stride }
        return displayRange(samples: sample)
    }

    /// Every how many values `displayRange` samples: about 262,144 samples in all.
    static func displaySampleStride(count: Int) -> Int { max(1, count / 262_144) }

    /// The 0.5 % and 99.5 % percentiles of the sampled values (every `displaySampleStride`-th
    /// value, from the first), as `displayRange` finds them.
    public static func displayRange(samples: [Float]) -> (lo: Float, hi: Float) {
        guard !samples.isEmpty else { return (0, 1) }
        let sample = samples.sorted()
        let lo = sample[Int(Double(sample.count - 1) * 0.005)]
        let hi = sample[Int(Double(sample.count - 1) * 0.995)]
        return hi > lo ? (lo, hi) : (lo, lo + 1)
    }

    /// Gathers `displayRange`'s sample of an image read in pieces (slabs, in any order): every
    /// `displaySampleStride`-th voxel of the whole, so the window equals the whole image's.
    public struct WindowSampler: Sendable {
        /// Voxels of the whole image.
        public let count: Int
        let stride: Int
        var samples: [Float] = []

        public init(count: Int) {
            self.count = count
            stride = Overlay.displaySampleStride(count: count)
            samples.reserveCapacity(count / stride + 1)
        }

        /// Adds the sampled voxels of `values`, whose first voxel is voxel `first` of the image.
        public mutating func add(_ values: [Float], first: Int) { add(values, first: first) { $0 } }

        /// Adds `count` voxels of one value (a region never written), the first of them voxel `first`.
        public mutating func add(_ value: Float, first: Int, count: Int) {
            let firstSampled = (first + stride - 1) / stride * stride
            guard firstSampled < first + count else { return }
            samples.append(contentsOf: repeatElement(value, count: (first + count - 1 - firstSampled) / stride + 1))
        }

        /// Adds the sampled voxels of a volume in its stored type (converting only those sampled),
        /// whose first voxel is voxel `first` of the image.
        public mutating func add(_ values: AnyVolume, first: Int) {
            switch values {
            case .uint8(let v): add(v.data, first: first) { Float($0) }
            case .uint16(let v): add(v.data, first: first) { Float($0) }
            case .int32(let v): add(v.data, first: first) { Float($0) }
            case .float32(let v): add(v.data, first: first) { $0 }
            case .int64(let v): add(v.data, first: first) { Float($0) }
            case .float64(let v): add(v.data, first: first) { Float($0) }
            }
        }

        mutating func add<T>(_ values: [T], first: Int, _ float: (T) -> Float) {
            var i = (first + stride - 1) / stride * stride
            while i < first + values.count { samples.append(float(values[i - first])); i += stride }
        }

        /// The window of what was added (the whole image's once every voxel was).
        public var range: (lo: Float, hi: Float) { Overlay.displayRange(samples: samples) }
    }

    /// The display window of a whole image, as `displayRange(_:)` on its voxels finds it.
    public static func displayRange(_ image: Volume<Float>) -> (lo: Float, hi: Float) {
        displayRange(image.data[...])
    }

    /// Maps an intensity into 0…255 through the display window.
    @inlinable public static func gray(_ v: Float, lo: Float, hi: Float) -> UInt8 {
        let t = (v - lo) / (hi - lo) * 255
        return UInt8(max(0, min(255, t.isNaN ? 0 : t)).rounded())
    }

    /// The image gray with a class color laid over it at `alpha`; classes without a color
    /// (background) or hidden ones leave the gray.
    @inlinable public static func blend(gray g: UInt8, label: UInt8, schema: LabelSchema, alpha: Double,
                                        hidden: Set<Int> = []) -> RGB {
        let c = Int(label)
        guard c < schema.count, let color = schema.classes[c].color, !hidden.contains(c) else { return RGB(g, g, g) }
        return mix(RGB(g, g, g), color, alpha)
    }

    /// `top` laid over `base` with opacity `alpha` (0: only base, 1: only top).
    @inlinable public static func mix(_ base: RGB, _ top: RGB, _ alpha: Double) -> RGB {
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - alpha) + Double(b) * alpha).rounded()) }
        return RGB(m(base.r, top.r), m(base.g, top.g), m(base.b, top.b))
    }

    /// Kinds of disagreement between a reference source A and a compared source B.
    public enum Disagreement: Int, CaseIterable, Sendable {
        /// Both sources give the same class.
        case agree
        /// An organelle in A where B has none.
        case missed
        /// An organelle in B where A has none.
        case extra
        /// Both have an organelle, of different classes.
        case confused
        /// Neither has an organelle; they differ on cell versus background.
        case cellBoundary
        /// The map color of the kind; nil for agreement (the image shows through).
        public var color: RGB? {
            switch self {
            case .agree: nil
            case .missed: RGB(0xE8, 0x41, 0x3C)        // organelle in A, not in B
            case .extra: RGB(0x2B, 0xB5, 0xE8)         // organelle in B, not in A
            case .confused: RGB(0xFF, 0xD4, 0x00)      // different organelle classes
            case .cellBoundary: RGB(0xB0, 0x8C, 0xFF)  // cell vs background
            }
        }
        /// The kind's name in legends.
        public var name: String {
            switch self {
            case .agree: "agree"
            case .missed: "organelle only in A"
            case .extra: "organelle only in B"
            case .confused: "different organelle"
            case .cellBoundary: "cell vs background"
            }
        }
    }

    /// The kind of disagreement between label `a` of the reference and label `b` of the compared source.
    @inlinable public static func disagreement(_ a: UInt8, _ b: UInt8, organelles: Set<Int>) -> Disagreement {
        if a == b { return .agree }
        let ao = organelles.contains(Int(a)), bo = organelles.contains(Int(b))
        switch (ao, bo) {
        case (true, false): return .missed
        case (false, true): return .extra
        case (true, true): return .confused
        case (false, false): return .cellBoundary
        }
    }

    /// Disagreement map pixel: agreeing voxels show the dimmed image, others their kind's color.
    @inlinable public static func disagreementPixel(gray g: UInt8, a: UInt8, b: UInt8, organelles: Set<Int>,
                                                    alpha: Double = 0.85) -> RGB {
        let kind = disagreement(a, b, organelles: organelles)
        guard let color = kind.color else { let d = UInt8(Double(g) * 0.6); return RGB(d, d, d) }
        return mix(RGB(g, g, g), color, alpha)
    }
}
