import Foundation

/// Regions and review items as text tables, CSV and JSON, for the command line and reports.
public enum ReviewListing {
    static func className(_ c: Int, _ schema: LabelSchema) -> String { c < schema.count ? schema.names[c] : "class \(c)" }

    static func encode<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! e.encode(value), as: UTF8.self)
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    struct RegionJSON: Encodable {
        struct Pair: Encodable { var a: String; var b: String; var voxels: Int }
        var id: Int, voxels: Int
        var box: [String: [Int]]
        var centroid: [Double]
        var seed: [Int]
        var pairs: [Pair]
    }

    /// `{"pair":[A,B], "shape":[z,y,x], "min_voxels":N, "regions":[{"id","voxels","box":{"z":[z0,z1],..},"centroid","seed","pairs":[{"a","b","voxels"}]}]}`.
    public static func regionsJSON(_ regions: [DisagreementRegion], pair: (String, String), shape: Shape3,
                                   minVoxels: Int, schema: LabelSchema) -> String {
        struct Doc: Encodable { var pair: [String]; var shape: [Int]; var min_voxels: Int; var regions: [RegionJSON] }
        let items = regions.map { r in
            RegionJSON(id: r.id, voxels: r.voxels,
                       box: ["z": [r.box.z.lowerBound, r.box.z.upperBound], "y": [r.box.y.lowerBound, r.box.y.upperBound],
                             "x": [r.box.x.lowerBound, r.box.x.upperBound]],
                       centroid: [r.centroid.z, r.centroid.y, r.centroid.x].map { ($0 * 100).rounded() / 100 },
                       seed: [r.seed.z, r.seed.y, r.seed.x],
                       pairs: r.classPairs.map { .init(a: className(Int($0.a), schema), b: className(Int($0.b), schema), voxels: $0.voxels) })
        }
        return encode(Doc(pair: [pair.0, pair.1], shape: [shape.z, shape.y, shape.x], min_voxels: minVoxels, regions: items))
    }

    /// One row per region: id, voxels, box, centroid and the main class pair.
    public static func regionsCSV(_ regions: [DisagreementRegion], schema: LabelSchema) -> String {
        var lines = ["id,voxels,z0,z1,y0,y1,x0,x1,centroid_z,centroid_y,centroid_x,main_a,main_b,main_voxels,pairs"]
        for r in regions {
            let m = r.mainPair
            lines.append([String(r.id), String(r.voxels),
                          String(r.box.z.lowerBound), String(r.box.z.upperBound), String(r.box.y.lowerBound),
                          String(r.box.y.upperBound), String(r.box.x.lowerBound), String(r.box.x.upperBound),
                          String(format: "%.2f", r.centroid.z), String(format: "%.2f", r.centroid.y), String(format: "%.2f", r.centroid.x),
                          csvField(className(Int(m.a), schema)), csvField(className(Int(m.b), schema)), String(m.voxels),
                          String(r.classPairs.count)].joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }

    /// A readable table, largest regions first, with the main class pair spelled out.
    public static func regionsTable(_ regions: [DisagreementRegion], pair: (String, String), schema: LabelSchema, limit: Int? = nil) -> String {
        var rows = [["#", "voxels", "z", "y", "x", "\(pair.0) says", "\(pair.1) says", "share"]]
        for r in regions.prefix(limit ?? regions.count) {
            let m = r.mainPair
            rows.append(["\(r.id)", NumberText.grouped(r.voxels), "\(r.box.z.lowerBound)–\(r.box.z.upperBound - 1)",
                         "\(r.box.y.lowerBound)–\(r.box.y.upperBound - 1)", "\(r.box.x.lowerBound)–\(r.box.x.upperBound - 1)",
                         className(Int(m.a), schema), className(Int(m.b), schema),
                         String(format: "%.0f%%", 100 * Double(m.voxels) / Double(r.voxels))])
        }
        return alignedTable(rows, rightAligned: [0, 1])
    }

    /// Review items (newest first) as a readable table.
    public static func itemsTable(_ state: ReviewState) -> String {
        var rows = [["time", "reviewer", "kind", "z,y,x", "pair", "region", "take", "note"]]
        for r in state.items.reversed() {
            rows.append([String(r.time.prefix(19)).replacingOccurrences(of: "T", with: " "), r.reviewer,
                         r.kind.rawValue + (state.resolved.contains(r.id) ? " (resolved)" : ""),
                         r.at.map(String.init).joined(separator: ","), r.pair?.joined(separator: " vs ") ?? "",
                         r.region.map { "\($0.id)" } ?? "", r.take?.rawValue ?? "", r.note ?? ""])
        }
        return alignedTable(rows, rightAligned: [])
    }

    /// `{"items":[record…]}`, oldest first, each with `"resolved"` for flags.
    public static func itemsJSON(_ state: ReviewState) -> String {
        struct Item: Encodable { var record: ReviewRecord; var resolved: Bool
            func encode(to encoder: Encoder) throws {
                try record.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(resolved, forKey: .resolved)
            }
            enum Key: String, CodingKey { case resolved }
        }
        struct Doc: Encodable { var items: [Item] }
        return encode(Doc(items: state.items.map { Item(record: $0, resolved: state.resolved.contains($0.id)) }))
    }

    /// One row per item, oldest first.
    public static func itemsCSV(_ state: ReviewState) -> String {
        var lines = ["id,time,reviewer,kind,z,y,x,a,b,region,take,note,resolved"]
        for r in state.items {
            lines.append(([r.id, r.time, r.reviewer, r.kind.rawValue] + r.at.map(String.init)
                          + [r.pair?.first ?? "", r.pair?.last ?? "", r.region.map { "\($0.id)" } ?? "",
                             r.take?.rawValue ?? "", r.note ?? "", state.resolved.contains(r.id) ? "yes" : "no"])
                .map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }


    static func alignedTable(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return rightAligned.contains(c) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
