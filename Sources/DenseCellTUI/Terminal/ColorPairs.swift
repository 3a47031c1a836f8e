/// Color pairs allocated on demand, reusing the least recently used ones when the terminal's
/// supply runs out. A pair is never taken from a cell drawn in the current frame; cells still
/// showing an old definition see a new generation and are redrawn.
final class ColorPairs {
    private let capacity: Int
    private var pairOf: [UInt64: Int32] = [:]
    private var keyOf: [UInt64]
    private var lastUsed: [Int]
    private(set) var generation: [UInt32]
    private var next: Int32 = 1   // pair 0 is the terminal default
    private let define: (Int32, Int32, Int32) -> Void
    private(set) var evictions = 0

    /// - Parameter define: makes `pair` show (foreground, background); -1 is the default color.
    init(capacity: Int, define: @escaping (Int32, Int32, Int32) -> Void) {
        self.capacity = max(2, capacity)
        keyOf = [UInt64](repeating: UInt64.max, count: self.capacity)
        lastUsed = [Int](repeating: -1, count: self.capacity)
        generation = [UInt32](repeating: 0, count: self.capacity)
        self.define = define
    }

    /// The pair showing fg on bg (each a color number or -1), or 0 when none can be had.
    func pair(fg: Int32, bg: Int32, frame: Int) -> Int32 {
        let key = UInt64(UInt32(bitPattern: fg)) << 32 | UInt64(UInt32(bitPattern: bg))
        if let p = pairOf[key] { lastUsed[Int(p)] = frame; return p }
        var p: Int32
        if Int(next) < capacity {
            p = next; next += 1
        } else {
            // Least recently used among the pairs not on screen in this frame.
            var best = -1, bestFrame = frame
            for i in 1..<capacity where lastUsed[i] < bestFrame { best = i; bestFrame = lastUsed[i] }
            guard best > 0 else { return 0 }
            p = Int32(best)
            pairOf[keyOf[best]] = nil
            evictions += 1
        }
        pairOf[key] = p
        keyOf[Int(p)] = key
        lastUsed[Int(p)] = frame
        generation[Int(p)] &+= 1
        define(p, fg, bg)
        return p
    }
}
