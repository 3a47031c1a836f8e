// Interim implementation of the shared metrics contract (DESIGN §3), kept only until the
// Core metrics land in main; the signatures match the contract exactly.
import DenseCellCore

public struct ConfusionMatrix: Equatable, Sendable {
    public let classes: Int
    public var counts: [Int]

    public init(classes: Int) {
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    public subscript(t: Int, p: Int) -> Int {
        get { counts[t * classes + p] }
        set { counts[t * classes + p] = newValue }
    }

    public var total: Int { counts.reduce(0, +) }

    public func iou() -> [Double?] {
        (0..<classes).map { j in
            var row = 0, col = 0
            for k in 0..<classes { row += self[j, k]; col += self[k, j] }
            let denominator = row + col - self[j, j]
            return denominator == 0 ? nil : Double(self[j, j]) / Double(denominator)
        }
    }

    public func miou(over classes: [Int]) -> Double? {
        let all = iou()
        let defined = classes.compactMap { $0 < all.count ? all[$0] : nil }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }

    public static func + (a: ConfusionMatrix, b: ConfusionMatrix) -> ConfusionMatrix {
        var c = a
        for i in c.counts.indices { c.counts[i] += b.counts[i] }
        return c
    }
}

public struct PairwiseComparison: Sendable {
    public var names: [String]
    public var miouOrg: [[Double?]]
    public var miouAll: [[Double?]]
}

public enum Metrics {
    public static func confusion(truth: Volume<UInt8>, prediction: Volume<UInt8>, classes: Int,
                                 masks: [Volume<UInt8>] = [], z: Range<Int>? = nil) -> ConfusionMatrix {
        var m = ConfusionMatrix(classes: classes)
        let plane = truth.shape.planeCount
        let zs = z ?? 0..<truth.shape.z
        for i in (zs.lowerBound * plane)..<(zs.upperBound * plane) {
            if masks.contains(where: { $0.data[i] == 0 }) { continue }
            m[Int(truth.data[i]), Int(prediction.data[i])] += 1
        }
        return m
    }

    public static func volumeFractions(_ labels: Volume<UInt8>, schema: LabelSchema, cellMask: Volume<UInt8>? = nil,
                                       masks: [Volume<UInt8>] = [], z: Range<Int>? = nil) -> [Double?] {
        var counts = [Int](repeating: 0, count: schema.count)
        var inCell = 0
        let plane = labels.shape.planeCount
        let zs = z ?? 0..<labels.shape.z
        for i in (zs.lowerBound * plane)..<(zs.upperBound * plane) {
            if masks.contains(where: { $0.data[i] == 0 }) { continue }
            let c = Int(labels.data[i])
            let cell = cellMask.map { $0.data[i] != 0 } ?? (c != 0)
            guard cell else { continue }
            inCell += 1
            if c < counts.count { counts[c] += 1 }
        }
        let organelles = Set(schema.organelles)
        return (0..<schema.count).map { c in
            guard organelles.contains(c), inCell > 0 else { return nil }
            return Double(counts[c]) / Double(inCell)
        }
    }

    public static func pairwise(_ sources: [LabelSource], schema: LabelSchema, z: Range<Int>? = nil) -> PairwiseComparison {
        let n = sources.count
        var org = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
        var all = org
        for a in 0..<n {
            for b in 0..<n {
                let masks = [sources[a].mask, sources[b].mask].compactMap { $0 }
                let m = confusion(truth: sources[a].labels, prediction: sources[b].labels, classes: schema.count, masks: masks, z: z)
                org[a][b] = m.miou(over: schema.organelles)
                all[a][b] = m.miou(over: Array(0..<schema.count))
            }
        }
        return PairwiseComparison(names: sources.map(\.name), miouOrg: org, miouAll: all)
    }
}
