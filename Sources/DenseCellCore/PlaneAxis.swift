/// Which plane of a volume is looked at, named by the two axes it spans: `xy` (a z-slice),
/// `xz` (rows are z, columns x, at one y) or `yz` (rows are z, columns y, at one x). The side
/// planes keep z vertical, as CATMAID's and webKnossos' orthogonal views do, so anisotropic
/// voxels stretch the rows only (docs/ARCHITECTURE.md, "Orthogonal planes").
public enum PlaneAxis: String, CaseIterable, Sendable, Hashable {
    case xy, xz, yz

    /// The axis normal to the plane (0 z, 1 y, 2 x): `j`/`k` step along it.
    public var normal: Int { switch self { case .xy: 0; case .xz: 1; case .yz: 2 } }
    /// The axis down the plane's rows.
    public var rowAxis: Int { self == .xy ? 1 : 0 }
    /// The axis along the plane's columns.
    public var columnAxis: Int { self == .yz ? 1 : 2 }

    /// The next plane `o` shows.
    public var next: PlaneAxis { switch self { case .xy: .xz; case .xz: .yz; case .yz: .xy } }

    /// The axis letter of an axis number.
    public static func axisName(_ axis: Int) -> String { ["z", "y", "x"][axis] }
    /// The letter of the normal axis ("z" for xy planes).
    public var normalName: String { Self.axisName(normal) }

    /// Rows and columns of the plane in a volume of `shape`.
    public func size(_ shape: Shape3) -> (rows: Int, columns: Int) { (shape[rowAxis], shape[columnAxis]) }
    /// How many planes of this kind the volume holds.
    public func depth(_ shape: Shape3) -> Int { shape[normal] }

    /// A voxel's (row, column, index along the normal) in this plane's terms.
    public func planeCoordinates(z: Int, y: Int, x: Int) -> (row: Int, column: Int, index: Int) {
        let p = [z, y, x]
        return (p[rowAxis], p[columnAxis], p[normal])
    }

    /// The voxel (z, y, x) at (row, column) of the plane at `index`.
    public func voxel(row: Int, column: Int, index: Int) -> (z: Int, y: Int, x: Int) {
        var p = [0, 0, 0]
        p[rowAxis] = row; p[columnAxis] = column; p[normal] = index
        return (p[0], p[1], p[2])
    }

    /// The box of `count` planes from `index` on, whole in the other two axes.
    public func box(_ shape: Shape3, index: Int, count: Int = 1) -> Box3 {
        var ranges = [0..<shape.z, 0..<shape.y, 0..<shape.x]
        ranges[normal] = index..<(index + count)
        return Box3(z: ranges[0], y: ranges[1], x: ranges[2])
    }

    /// The part of `box` in plane terms: its rows, columns and range along the normal.
    public func ranges(_ box: Box3) -> (rows: Range<Int>, columns: Range<Int>, normal: Range<Int>) {
        let r = [box.z, box.y, box.x]
        return (r[rowAxis], r[columnAxis], r[normal])
    }

    /// How many times taller than wide a voxel of this plane is drawn: the row axis's voxel size
    /// over the column axis's (1 without a resolution, or when it is not positive).
    public func rowStretch(resolution: [Double]?) -> Double {
        guard let r = resolution, r.count == 3, r[rowAxis] > 0, r[columnAxis] > 0 else { return 1 }
        return r[rowAxis] / r[columnAxis]
    }

    /// Every plane of a block read as `box` (along the normal, in order), each row by row: one
    /// pass over the block, which for yz planes (a column of each row) is several times faster
    /// than cutting the planes one by one.
    public func planes<T>(_ values: [T], box: Box3) -> [[T]] {
        let s = box.shape
        switch self {
        case .xy:
            return (0..<s.z).map { Array(values[($0 * s.y * s.x)..<(($0 + 1) * s.y * s.x)]) }
        case .xz:
            var out = [[T]](repeating: [], count: s.y)
            for y in 0..<s.y { out[y].reserveCapacity(s.z * s.x) }
            for z in 0..<s.z { for y in 0..<s.y { let start = (z * s.y + y) * s.x; out[y] += values[start..<(start + s.x)] } }
            return out
        case .yz:
            // Transposed into one buffer (plane after plane) in a single pass, then cut.
            let n = s.z * s.y
            let flat = [T](unsafeUninitializedCapacity: s.x * n) { buffer, count in
                values.withUnsafeBufferPointer { v in
                    let out = buffer.baseAddress!, src = v.baseAddress!
                    for row in 0..<n {
                        let base = row * s.x
                        for x in 0..<s.x { (out + x * n + row).initialize(to: src[base + x]) }
                    }
                }
                count = s.x * n
            }
            return (0..<s.x).map { Array(flat[($0 * n)..<(($0 + 1) * n)]) }
        }
    }

    /// Plane `index`'s voxels, row by row, out of a block read as `box` (whose extent along the
    /// normal holds `index`): `values` is the block in (z, y, x) order.
    public func extract<T>(_ values: [T], box: Box3, index: Int) -> [T] {
        let s = box.shape
        let i = index - [box.z, box.y, box.x][normal].lowerBound
        switch self {
        case .xy:
            let n = s.y * s.x
            return Array(values[(i * n)..<((i + 1) * n)])
        case .xz:
            var out: [T] = []
            out.reserveCapacity(s.z * s.x)
            for z in 0..<s.z { let start = (z * s.y + i) * s.x; out += values[start..<(start + s.x)] }
            return out
        case .yz:
            var out: [T] = []
            out.reserveCapacity(s.z * s.y)
            for z in 0..<s.z { for y in 0..<s.y { out.append(values[(z * s.y + y) * s.x + i]) } }
            return out
        }
    }
}
