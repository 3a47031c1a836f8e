import Foundation

/// Data-parallel loops on all cores, the one place the project calls
/// `DispatchQueue.concurrentPerform`.
///
/// Work over a volume is split into contiguous z-slabs: each worker reads and writes one
/// contiguous stretch of memory, and results come back in slab order, which keeps reductions
/// deterministic. See docs/ARCHITECTURE.md, "Threading".
public enum Parallel {
    /// Calls `body` for every index of `0..<iterations`, concurrently; inline when there is only one.
    /// - Parameters:
    ///   - iterations: how many calls; zero calls nothing.
    ///   - body: the work of one index; it must not depend on the order of the calls.
    public static func forEach(_ iterations: Int, _ body: (Int) -> Void) {
        if iterations <= 0 { return }
        if iterations == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    }

    /// Splits `range` into contiguous pieces of nearly equal size, in order.
    /// - Parameters:
    ///   - range: the indices to split (typically z-planes).
    ///   - parts: how many pieces; by default four per core. Never more pieces than indices.
    /// - Returns: the pieces, covering `range` without gaps; empty for an empty range.
    public static func slabs(_ range: Range<Int>, parts: Int? = nil) -> [Range<Int>] {
        guard !range.isEmpty else { return [] }
        let n = max(1, min(range.count, parts ?? ProcessInfo.processInfo.activeProcessorCount * 4))
        return (0..<n).map { i in
            (range.lowerBound + range.count * i / n)..<(range.lowerBound + range.count * (i + 1) / n)
        }
    }

    /// Calls `body` once per slab of `range`, concurrently, and returns the results in slab order.
    /// - Parameters:
    ///   - range: the indices to split (see `slabs(_:parts:)`).
    ///   - parts: how many slabs; by default four per core.
    ///   - body: the work of one slab.
    /// - Returns: one result per slab, in slab order.
    public static func map<R>(slabsOf range: Range<Int>, parts: Int? = nil, _ body: (Range<Int>) -> R) -> [R] {
        let pieces = slabs(range, parts: parts)
        var results = [R?](repeating: nil, count: pieces.count)
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            forEach(pieces.count) { i in (base + i).pointee = body(pieces[i]) }
        }
        return results.map { $0! }
    }

    /// Calls `body` once per slab of `range`, concurrently.
    /// - Parameters:
    ///   - range: the indices to split (see `slabs(_:parts:)`).
    ///   - parts: how many slabs; by default four per core.
    ///   - body: the work of one slab.
    public static func forEach(slabsOf range: Range<Int>, parts: Int? = nil, _ body: (Range<Int>) -> Void) {
        let pieces = slabs(range, parts: parts)
        forEach(pieces.count) { i in body(pieces[i]) }
    }
}
