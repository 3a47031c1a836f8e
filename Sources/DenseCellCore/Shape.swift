import Foundation

/// The extent of a volume along (z, y, x).
public struct Shape3: Hashable, Sendable, CustomStringConvertible {
    /// Number of planes (slices).
    public var z: Int
    /// Number of rows in a plane.
    public var y: Int
    /// Number of columns in a plane.
    public var x: Int
    /// A shape of `z` planes of `y` rows by `x` columns.
    public init(_ z: Int, _ y: Int, _ x: Int) { self.z = z; self.y = y; self.x = x }
    /// Number of voxels in the volume.
    public var count: Int { z * y * x }
    /// Number of voxels in one plane.
    public var planeCount: Int { y * x }
    /// The extent along axis 0 (z), 1 (y) or 2 (x).
    public subscript(axis: Int) -> Int { axis == 0 ? z : axis == 1 ? y : x }
    /// `z×y×x`, as shown to users.
    public var description: String { "\(z)×\(y)×\(x)" }

    /// Parses `48x384x384` (also accepts `×` and `,`).
    public init?(parsing text: String) {
        let parts = text.split(whereSeparator: { $0 == "x" || $0 == "X" || $0 == "×" || $0 == "," })
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let z = parts[0], let y = parts[1], let x = parts[2],
              z > 0, y > 0, x > 0 else { return nil }
        self.init(z, y, x)
    }
}

/// A half-open box of voxels, `z0..<z1, y0..<y1, x0..<x1`.
public struct Box3: Hashable, Sendable, CustomStringConvertible {
    /// Planes covered.
    public var z: Range<Int>
    /// Rows covered.
    public var y: Range<Int>
    /// Columns covered.
    public var x: Range<Int>
    /// A box covering the given ranges along each axis.
    public init(z: Range<Int>, y: Range<Int>, x: Range<Int>) { self.z = z; self.y = y; self.x = x }
    /// The box covering a whole volume of `shape`.
    public init(shape: Shape3) { self.init(z: 0..<shape.z, y: 0..<shape.y, x: 0..<shape.x) }
    /// The extent of the box.
    public var shape: Shape3 { Shape3(z.count, y.count, x.count) }
    /// `z0:z1,y0:y1,x0:x1`, the form `parse(_:in:)` reads.
    public var description: String {
        "\(z.lowerBound):\(z.upperBound),\(y.lowerBound):\(y.upperBound),\(x.lowerBound):\(x.upperBound)"
    }
    /// The part of this box that lies inside a volume of `shape` (possibly empty).
    public func clamped(to shape: Shape3) -> Box3 {
        Box3(z: z.clamped(to: 0..<shape.z), y: y.clamped(to: 0..<shape.y), x: x.clamped(to: 0..<shape.x))
    }
    /// Whether `other` lies wholly inside this box.
    public func contains(_ other: Box3) -> Bool {
        z.lowerBound <= other.z.lowerBound && z.upperBound >= other.z.upperBound &&
        y.lowerBound <= other.y.lowerBound && y.upperBound >= other.y.upperBound &&
        x.lowerBound <= other.x.lowerBound && x.upperBound >= other.x.upperBound
    }

    /// Parses a region of interest `z0:z1,y0:y1,x0:x1`; an empty bound means the volume edge.
    public static func parse(_ text: String, in shape: Shape3) -> Box3? {
        let axes = text.split(separator: ",", omittingEmptySubsequences: false)
        guard axes.count == 3 else { return nil }
        let limits = [shape.z, shape.y, shape.x]
        var ranges: [Range<Int>] = []
        for (i, axis) in axes.enumerated() {
            let ends = axis.split(separator: ":", omittingEmptySubsequences: false)
            guard ends.count == 2 else { return nil }
            let lo = ends[0].isEmpty ? 0 : Int(ends[0])
            let hi = ends[1].isEmpty ? limits[i] : Int(ends[1])
            guard let l = lo, let h = hi, l >= 0, h <= limits[i], l < h else { return nil }
            ranges.append(l..<h)
        }
        return Box3(z: ranges[0], y: ranges[1], x: ranges[2])
    }
}

