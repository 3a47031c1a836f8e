import DenseCellCore

/// Training windows of a fixed shape whose top-back-left corners are spaced by `stride`
/// (paper: windows 5×300×300, corners every 2×100×100), the last one flush with the far edge.
struct TrainingWindows: Sendable {
    var volume: Shape3, window: Shape3, stride: Shape3
    init(volume: Shape3, window: Shape3, stride: Shape3) {
        self.volume = volume; self.window = window; self.stride = stride
    }

    static func starts(_ size: Int, _ w: Int, _ s: Int) -> [Int] {
        guard size > w else { return [0] }
        var v = Array(Swift.stride(from: 0, through: size - w, by: s))
        if v.last != size - w { v.append(size - w) }
        return v
    }

    /// Every window corner, in z, y, x order.
    var corners: [(z: Int, y: Int, x: Int)] {
        var out: [(Int, Int, Int)] = []
        for z in Self.starts(volume.z, window.z, stride.z) {
            for y in Self.starts(volume.y, window.y, stride.y) {
                for x in Self.starts(volume.x, window.x, stride.x) { out.append((z, y, x)) }
            }
        }
        return out
    }

    /// One epoch's windows, shuffled by the generator.
    func epoch(using rng: inout some RandomNumberGenerator) -> [Box3] {
        corners.shuffled(using: &rng).map {
            Box3(z: $0.z..<min(volume.z, $0.z + window.z), y: $0.y..<min(volume.y, $0.y + window.y),
                 x: $0.x..<min(volume.x, $0.x + window.x))
        }
    }
}
