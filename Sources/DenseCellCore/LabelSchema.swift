import Foundation

/// An sRGB color.
public struct RGB: Hashable, Sendable {
    /// Red.
    public var r: UInt8
    /// Green.
    public var g: UInt8
    /// Blue.
    public var b: UInt8
    /// A color from its red, green and blue components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// Parses `#RRGGBB`.
    public init?(hex: String) {
        var s = hex
        if s.hasPrefix("#") { s.removeFirst() }
        guard s.count == 6, let v = UInt32(s, radix: 16) else { return nil }
        self.init(UInt8(v >> 16), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF))
    }
    /// `#RRGGBB`, the form `init(hex:)` reads.
    public var hex: String { String(format: "#%02X%02X%02X", r, g, b) }
}

/// Names, colors and the organelle set of the classes a label volume may hold.
public struct LabelSchema: Hashable, Sendable {
    /// One class: its name, overlay color and the stored values it comes from.
    public struct Class: Hashable, Sendable {
        /// The name shown in legends and reports.
        public var name: String
        /// The overlay color; nil means the class is not painted (background).
        public var color: RGB?
        /// The stored label values read as this class (`"values": [255]`); nil when the schema
        /// lists no values and labels store class indices.
        public var values: [Int64]?
        /// A class with its name, color (nil: not painted) and stored values (nil: its index).
        public init(name: String, color: RGB?, values: [Int64]? = nil) { self.name = name; self.color = color; self.values = values }
    }
    /// The classes, indexed by label value (class 0 is background).
    public var classes: [Class]
    /// Indices of the organelle classes (not background, not cell).
    public var organelles: [Int]

    /// A schema from its classes and organelle indices.
    public init(classes: [Class], organelles: [Int]) {
        self.classes = classes
        self.organelles = organelles
    }

    /// Number of classes.
    public var count: Int { classes.count }
    /// Class names, indexed by label value.
    public var names: [String] { classes.map(\.name) }

    /// The paper's schema: background, cell and five organelle classes.
    public static let platelet = LabelSchema(classes: [
        Class(name: "background", color: nil),
        Class(name: "cell", color: RGB(hex: "#5B8DB8")),
        Class(name: "mitochondrion", color: RGB(hex: "#3BAA5C")),
        Class(name: "canalicular channel", color: RGB(hex: "#F2C14E")),
        Class(name: "alpha granule", color: RGB(hex: "#E0629B")),
        Class(name: "dense granule", color: RGB(hex: "#9B59D0")),
        Class(name: "dense granule core", color: RGB(hex: "#FF7F0E")),
    ], organelles: [2, 3, 4, 5, 6])

    /// Why a schema file could not be loaded.
    public enum LoadError: Error, CustomStringConvertible {
        /// The file (path) could not be read, and why.
        case unreadable(String, String)
        /// The file (path) was read but is not a valid schema, and why.
        case invalid(String, String)
        /// One line naming the file.
        public var description: String {
            switch self {
            case .unreadable(let path, let why): "\(path): cannot read schema: \(why)"
            case .invalid(let path, let why): "\(path): invalid schema: \(why)"
            }
        }
    }

    /// Loads `{"classes":[{"name":..,"color":"#RRGGBB","values":[..]},..], "organelles":[2,3,..]}`.
    /// Class 0 is background; a class without a color is not painted. When classes list `values`,
    /// every class lists them (an empty list for one the data never holds) and labels are read
    /// through `LabelMapping` (see docs/ARCHITECTURE.md, "Study file layout").
    public static func load(path: String) throws -> LabelSchema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError.unreadable(path, "no such file")
        }
        return try parse(data, source: path)
    }

    /// Parses schema JSON in the form `load(path:)` reads.
    /// - Parameters:
    ///   - data: The JSON bytes.
    ///   - source: The name errors give for where the JSON came from.
    /// - Throws: `LoadError.invalid` when the JSON is not a valid schema.
    public static func parse(_ data: Data, source: String = "schema") throws -> LabelSchema {
        /// A listed value as written: kept as text when it is not a whole number labels can store.
        struct StoredValue: Decodable {
            var value: Int64?
            var text: String
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int64.self) { value = i; text = String(i) } else {
                    value = nil
                    text = (try? c.decode(Double.self)).map { "\($0)" } ?? "(not a number)"
                }
            }
        }
        struct File: Decodable {
            struct C: Decodable { var name: String; var color: String?; var values: [StoredValue]? }
            var classes: [C]
            var organelles: [Int]?
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw LoadError.invalid(source, "not the expected JSON (\(error.localizedDescription))")
        }
        guard file.classes.count >= 2, file.classes.count <= 255 else {
            throw LoadError.invalid(source, "needs 2 to 255 classes")
        }
        var classes: [Class] = []
        for c in file.classes {
            var color: RGB? = nil
            if let hex = c.color {
                guard let parsed = RGB(hex: hex) else { throw LoadError.invalid(source, "bad color \(hex) for \(c.name)") }
                color = parsed
            }
            classes.append(Class(name: c.name, color: color, values: try c.values.map { list throws(LoadError) in
                try list.map { v throws(LoadError) in
                    // Labels are read as at most 64-bit integers (uint64 files beyond int64 are refused on read).
                    guard let value = v.value else {
                        throw LoadError.invalid(source, "class \(c.name): value \(v.text) is not a whole number from "
                                                + "\(Int64.min) to \(Int64.max), the range labels are stored in")
                    }
                    return value
                }
            }))
        }
        try checkValues(classes, source: source)
        let organelles = file.organelles ?? Array(2..<classes.count)
        guard organelles.allSatisfy({ $0 > 0 && $0 < classes.count }) else {
            throw LoadError.invalid(source, "organelle class index out of range")
        }
        return LabelSchema(classes: classes, organelles: organelles)
    }

    /// Listed values must say one class each: all classes list them or none does, and no value is
    /// listed twice.
    static func checkValues(_ classes: [Class], source: String) throws(LoadError) {
        guard classes.contains(where: { $0.values != nil }) else { return }
        if let unlisted = classes.first(where: { $0.values == nil }) {
            throw LoadError.invalid(source, "class \(unlisted.name) lists no values while other classes do; list the stored "
                                    + "values of every class (an empty list for a class the data never holds)")
        }
        var owner: [Int64: String] = [:]
        for c in classes {
            for v in c.values! {
                if let first = owner[v] {
                    throw LoadError.invalid(source, first == c.name ? "class \(c.name) lists value \(v) twice"
                                            : "value \(v) is listed by both \(first) and \(c.name)")
                }
                owner[v] = c.name
            }
        }
    }
}
