/// Range, mean and value histogram of a volume's values, accumulated slab by slab: statistics of
/// consecutive slabs added in z order equal those of the whole volume, bit for bit.
public struct ValueStatistics: Sendable, Equatable {
    /// The smallest and largest finite values (+∞ and −∞ before any).
    public private(set) var lowest = Double.infinity, highest = -Double.infinity
    /// The sum of the finite values, in the order added.
    public private(set) var sum = 0.0
    /// Finite values counted.
    public private(set) var count = 0
    /// NaN values seen (left out of range and mean).
    public private(set) var nanCount = 0
    /// Infinite values seen (left out of range and mean).
    public private(set) var infiniteCount = 0
    /// `histogram[v]` = values in [v, v + 1) for v in 0…255, when counting a histogram.
    public private(set) var histogram: [Int]
    /// Values outside [0, 256) while counting a histogram.
    public private(set) var outsideHistogram = 0
    /// The distinct whole values outside [0, 256) while counting a histogram (instance ids go here).
    private var distinctOutsideHistogram = Set<Int64>()
    let countsHistogram: Bool

    /// - Parameter histogram: also count the 0…255 histogram (for labels).
    public init(histogram: Bool) {
        countsHistogram = histogram
        self.histogram = histogram ? [Int](repeating: 0, count: 256) : []
    }

    /// The smallest and largest values exactly, when the values were added as integers (doubles
    /// lose integers beyond 2^53).
    public private(set) var integerRange: ClosedRange<Int64>? = nil

    /// How many distinct whole values were counted, when counting a histogram (labels): more than
    /// the schema has class values means the volume holds instance ids.
    public var distinctValues: Int? {
        countsHistogram ? histogram.reduce(0) { $0 + ($1 > 0 ? 1 : 0) } + distinctOutsideHistogram.count : nil
    }

    /// The mean of the finite values, 0 when there are none.
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }

    /// Adds `counts[v]` copies of each whole value v in 0..<counts.count (a histogram of unsigned
    /// integer data). The same as adding the values one by one: their sums are whole numbers, which
    /// doubles hold exactly below 2^53, so the order does not matter.
    public mutating func add(valueCounts counts: [Int]) {
        for (v, n) in counts.enumerated() where n > 0 {
            let value = Double(v)
            lowest = min(lowest, value); highest = max(highest, value)
            sum += value * Double(n); count += n
            if countsHistogram {
                if v < 256 { histogram[v] += n } else { outsideHistogram += n; distinctOutsideHistogram.insert(Int64(v)) }
            }
        }
    }

    /// Adds `count` copies of one value (the fill value of a region never written), as adding
    /// them one by one would.
    public mutating func add(_ value: Double, count: Int) {
        guard count > 0 else { return }
        guard value.isFinite else { if value.isNaN { nanCount += count } else { infiniteCount += count }; return }
        lowest = min(lowest, value); highest = max(highest, value); sum += value * Double(count); self.count += count
        if value.rounded() == value, let v = Int64(exactly: value) {
            integerRange = integerRange.map { min($0.lowerBound, v)...max($0.upperBound, v) }
        }
        if countsHistogram {
            if value >= 0 && value < 256 { histogram[Int(value)] += count } else { outsideHistogram += count }
        }
    }

    /// Adds integer values in order, keeping their range exactly.
    public mutating func add(integers values: [Int64]) {
        if let lo = values.min(), let hi = values.max() {
            integerRange = integerRange.map { min($0.lowerBound, lo)...max($0.upperBound, hi) } ?? lo...hi
        }
        if countsHistogram {
            // Exactly, before doubles round ids beyond 2^53.
            for v in values where v < 0 || v >= 256 { distinctOutsideHistogram.insert(v) }
        }
        add(values.lazy.map { Double($0) }, keepingDistinct: false)
    }

    /// Adds values in order.
    public mutating func add<C: Collection>(_ values: C) where C.Element == Double { add(values, keepingDistinct: true) }

    private mutating func add<C: Collection>(_ values: C, keepingDistinct: Bool) where C.Element == Double {
        for v in values {
            guard v.isFinite else { if v.isNaN { nanCount += 1 } else { infiniteCount += 1 }; continue }
            lowest = min(lowest, v); highest = max(highest, v); sum += v; count += 1
            if countsHistogram {
                if v >= 0 && v < 256 { histogram[Int(v)] += 1 } else {
                    outsideHistogram += 1
                    if keepingDistinct && v == v.rounded() && abs(v) < 0x1p63 { distinctOutsideHistogram.insert(Int64(v)) }
                }
            }
        }
    }
}
