/// How stored label values become schema classes: the one owner of what a label value means on
/// read (see docs/ARCHITECTURE.md, "Study file layout"). Without listed values a value is its class
/// index (0..<classCount); when the schema's classes list the values they come from (0/255 masks,
/// other numberings), each listed value reads as its class and every other value is outside the
/// schema. Values 0…65535 are looked up in a table (8- and 16-bit labels never touch the
/// dictionary); wider values in the dictionary.
public struct LabelMapping: Sendable, Equatable, CustomStringConvertible {
    /// Number of classes the labels read into.
    public let classCount: Int
    /// Stored value → class, when the schema lists values; nil when values are class indices.
    public let classOfValue: [Int64: UInt8]?
    /// Classes of the values 0…65535 (`unlisted` where none), empty when values are class indices.
    private let table: [UInt8]
    /// The table's mark for a value no class lists (mapped schemas have at most 255 classes, 0…254).
    private static let unlisted: UInt8 = 255

    /// Values are class indices 0..<classCount (the schema lists none).
    public init(classCount: Int) { self.init(classCount: classCount, classOfValue: nil, table: []) }

    private init(classCount: Int, classOfValue: [Int64: UInt8]?, table: [UInt8]) {
        self.classCount = classCount; self.classOfValue = classOfValue; self.table = table
    }

    /// The mapping a schema's classes say: identity when none lists values.
    public init(_ schema: LabelSchema) {
        guard schema.classes.contains(where: { $0.values != nil }) else { self.init(classCount: schema.count); return }
        precondition(schema.count <= 255, "a schema listing values has at most 255 classes")
        var classOf: [Int64: UInt8] = [:]
        var table = [UInt8](repeating: Self.unlisted, count: 65536)
        for (c, cls) in schema.classes.enumerated() {
            for v in cls.values ?? [] {
                classOf[v] = UInt8(c)
                if v >= 0 && v < 65536 { table[Int(v)] = UInt8(c) }
            }
        }
        self.init(classCount: schema.count, classOfValue: classOf, table: table)
    }

    /// Whether stored values are read as they are (class indices).
    public var isIdentity: Bool { classOfValue == nil }

    /// How many distinct stored values are classes.
    public var valueCount: Int { classOfValue?.count ?? classCount }

    /// Whether integer labels of `bytesPerValue` bytes holding `distinct` values are instance ids
    /// (neuron or organelle ids) rather than classes: wider than 8 bits (an 8-bit image given as
    /// labels by mistake is not called ids) and more than twice as many values as the schema reads
    /// as classes (a stray value or two, as in a 0/1/255 mask, is still named as outside the schema).
    public func holdsInstanceIDs(distinct: Int, bytesPerValue: Int) -> Bool { bytesPerValue > 1 && distinct > 2 * valueCount }

    /// The class a stored value reads as, nil when it is outside the schema.
    public func classOf(_ value: Int64) -> Int? {
        guard let classOfValue else { return value >= 0 && value < classCount ? Int(value) : nil }
        return classOfValue[value].map(Int.init)
    }

    /// What the labels read as depends on, for cache keys: `classes 7`, `classes 2 values 0:0 255:1`.
    public var description: String {
        guard let classOfValue else { return "classes \(classCount)" }
        return "classes \(classCount) values " + classOfValue.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
    }

    public static func == (a: LabelMapping, b: LabelMapping) -> Bool { a.classCount == b.classCount && a.classOfValue == b.classOfValue }

    /// Classes of 8-bit values: one table lookup per voxel. Nil when a value is outside the schema.
    func classes(of data: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: data.count)
        var missed = false
        table.withUnsafeBufferPointer { t in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<d.count { let c = t[Int(d[i])]; o[i] = c; missed = missed || c == Self.unlisted }
                }
            }
        }
        return missed ? nil : out
    }

    /// Classes of 16-bit or wider integer values: the table below 65536, the dictionary above.
    func classes<I: BinaryInteger>(of data: [I]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: data.count)
        var missed = false
        table.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                for (i, value) in data.enumerated() {
                    let w = Int64(truncatingIfNeeded: value)
                    let c = w >= 0 && w < 65536 ? t[Int(w)] : classOfValue![w] ?? Self.unlisted
                    o[i] = c; missed = missed || c == Self.unlisted
                }
            }
        }
        return missed ? nil : out
    }
}

extension LabelSchema {
    /// The mapping from stored label values to this schema's classes.
    public var mapping: LabelMapping { LabelMapping(self) }
}

extension AnyVolume {
    /// Interprets the volume as class labels through `mapping`.
    ///
    /// - Throws: `LabelError.instanceIDs` when integer labels hold instance ids
    ///   (`LabelMapping.holdsInstanceIDs`), else `.outOfSchema`/`.unlisted` naming the first value outside the
    ///   schema, or `.notLabels` for a float that is not a whole label value.
    public func asLabels(_ mapping: LabelMapping) throws(LabelError) -> Volume<UInt8> {
        if mapping.isIdentity { return try asClassIndices(mapping) }
        func mapped<I: BinaryInteger>(_ v: Volume<I>, _ classes: [UInt8]?) throws(LabelError) -> Volume<UInt8> {
            guard let classes else { throw refusal(firstOutside: v.data.first { mapping.classOf(Int64($0)) == nil }!, mapping) }
            return Volume(shape: v.shape, data: classes)
        }
        switch self {
        case .uint8(let v): return try mapped(v, mapping.classes(of: v.data))
        case .uint16(let v): return try mapped(v, mapping.classes(of: v.data))
        case .int32(let v): return try mapped(v, mapping.classes(of: v.data))
        case .int64(let v): return try mapped(v, mapping.classes(of: v.data))
        case .float32(let v): let w = try Self.wholeValues(v); return try mapped(w, mapping.classes(of: w.data))
        case .float64(let v): let w = try Self.wholeValues(v); return try mapped(w, mapping.classes(of: w.data))
        }
    }

    /// Values read as class indices 0..<classCount: the check alone, uint8 data kept as it is.
    private func asClassIndices(_ mapping: LabelMapping) throws(LabelError) -> Volume<UInt8> {
        let classCount = mapping.classCount
        func check<I: BinaryInteger>(_ v: Volume<I>) throws(LabelError) -> Volume<UInt8> {
            var out = [UInt8](repeating: 0, count: v.data.count)
            for (i, value) in v.data.enumerated() {
                guard value >= 0, value < classCount else { throw refusal(firstOutside: value, mapping) }
                out[i] = UInt8(value)
            }
            return Volume(shape: v.shape, data: out)
        }
        func whole<F: BinaryFloatingPoint>(_ v: Volume<F>) throws(LabelError) -> Volume<UInt8> {
            var out = [UInt8](repeating: 0, count: v.data.count)
            for (i, value) in v.data.enumerated() {
                guard value == value.rounded(), value >= 0, value < F(classCount) else {
                    throw LabelError.notLabels("\(value)")
                }
                out[i] = UInt8(value)
            }
            return Volume(shape: v.shape, data: out)
        }
        switch self {
        case .uint8(let v):
            if let bad = v.data.first(where: { Int($0) >= classCount }) { throw refusal(firstOutside: bad, mapping) }
            return v
        case .uint16(let v): return try check(v)
        case .int32(let v): return try check(v)
        case .int64(let v): return try check(v)
        case .float32(let v): return try whole(v)
        case .float64(let v): return try whole(v)
        }
    }

    /// Float labels as the whole numbers they hold.
    private static func wholeValues<F: BinaryFloatingPoint>(_ v: Volume<F>) throws(LabelError) -> Volume<Int64> {
        var out = [Int64](repeating: 0, count: v.data.count)
        for (i, value) in v.data.enumerated() {
            guard value == value.rounded(), abs(value) < 0x1p63 else { throw LabelError.notLabels("\(value)") }
            out[i] = Int64(value)
        }
        return Volume(shape: v.shape, data: out)
    }

    /// Why integer labels holding `value` cannot be read: instance ids when they hold many more
    /// distinct values than the schema has class values (counted only now, on the way to the error).
    private func refusal<I: BinaryInteger>(firstOutside value: I, _ mapping: LabelMapping) -> LabelError {
        let distinct = distinctIntegerCount
        if let distinct, mapping.holdsInstanceIDs(distinct: distinct, bytesPerValue: MemoryLayout<I>.size) {
            return .instanceIDs(distinct: distinct)
        }
        if mapping.isIdentity { return .outOfSchema(value: Int(value), classCount: mapping.classCount) }
        return .unlisted(value: Int64(value), listed: mapping.classOfValue!.keys.sorted())
    }

    /// How many distinct values integer data hold; nil for floats.
    var distinctIntegerCount: Int? {
        func small<I: FixedWidthInteger>(_ data: [I], _ values: Int) -> Int {
            var seen = [Bool](repeating: false, count: values)
            for v in data { seen[Int(v)] = true }
            return seen.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        switch self {
        case .uint8(let v): return small(v.data, 256)
        case .uint16(let v): return small(v.data, 65536)
        case .int32(let v): return Set(v.data).count
        case .int64(let v): return Set(v.data).count
        case .float32, .float64: return nil
        }
    }
}

/// Why a volume cannot be read as class labels.
public enum LabelError: Error, CustomStringConvertible, Equatable {
    /// An integer label at or beyond the schema's class count (or negative), when values are class indices.
    case outOfSchema(value: Int, classCount: Int)
    /// A value no class of the schema lists, when classes list their values.
    case unlisted(value: Int64, listed: [Int64])
    /// Integer labels with many more distinct values than the schema has classes: instance ids.
    case instanceIDs(distinct: Int)
    /// A float value that is not a whole class index.
    case notLabels(String)
    /// One line naming the offending value.
    public var description: String {
        switch self {
        case .outOfSchema(let value, let n): "label value \(value) is outside the schema (classes 0–\(n - 1))"
        case .unlisted(let value, let listed):
            "label value \(value) is outside the schema (its classes list the values "
                + (listed.count <= 8 ? listed.map(String.init).joined(separator: ", ")
                   : listed.prefix(8).map(String.init).joined(separator: ", ") + ", …") + ")"
        case .instanceIDs(let n):
            "holds instance ids (\(NumberText.grouped(n)) distinct values in the slices read), not class labels; "
                + "give a --schema whose classes list the values they stand for"
        case .notLabels(let v): "value \(v) is not a class label"
        }
    }
}
