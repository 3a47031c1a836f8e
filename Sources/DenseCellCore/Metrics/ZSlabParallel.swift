import Foundation

/// Runs work over contiguous z-slabs of a volume on all cores.
///
/// Slabs are whole planes, so each worker reads and writes one contiguous stretch of memory and
/// results come back in z order, which keeps reductions deterministic.
public enum ZSlabParallel {
    /// Splits `z` into about four slabs per core (fewer when there are fewer planes).
    public static func slabs(_ z: Range<Int>, parts: Int? = nil) -> [Range<Int>] {
        guard !z.isEmpty else { return [] }
        let n = max(1, min(z.count, parts ?? ProcessInfo.processInfo.activeProcessorCount * 4))
        return (0..<n).map { i in
            (z.lowerBound + z.count * i / n)..<(z.lowerBound + z.count * (i + 1) / n)
        }
    }

    /// Calls `body` once per slab of `z`, concurrently, and returns the results in slab order.
    public static func map<R>(_ z: Range<Int>, parts: Int? = nil, _ body: (Range<Int>) -> R) -> [R] {
        let pieces = slabs(z, parts: parts)
        var results = [R?](repeating: nil, count: pieces.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: pieces.count) { i in
                (base + i).pointee = body(pieces[i])
            }
        }
        return results.map { $0! }
    }

    /// Calls `body` once per slab of `z`, concurrently.
    public static func forEach(_ z: Range<Int>, parts: Int? = nil, _ body: (Range<Int>) -> Void) {
        let pieces = slabs(z, parts: parts)
        DispatchQueue.concurrentPerform(iterations: pieces.count) { i in body(pieces[i]) }
    }
}
