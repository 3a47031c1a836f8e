import XCTest
import DenseCellCore
@testable import DenseCellIO

/// Zarr v2/v3 and N5 stores written by zarr-python, ome-zarr-py and tensorstore (see
/// Fixtures/make_zarr_fixtures.py), read back and checked voxel by voxel against the formula that
/// made them.
final class ZarrReadingTests: XCTestCase {
    static let shape = Shape3(5, 32, 40)
    /// The fixtures, by path (hidden metadata files such as `.zarray` are not bundle resources).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/zarr-fixtures").path

    /// What the fixture script stored at voxel `i` for a dtype code (`u1`, `u2`, `i4` …).
    func base(_ i: Int) -> Int {
        let s = Self.shape
        let z = i / s.planeCount, y = (i / s.x) % s.y, x = i % s.x
        return z * 31 + y * 7 + x * 3
    }

    func expected(_ code: String, _ i: Int) -> Double {
        let base = base(i)
        switch code {
        case "u1": return Double(base % 251)
        case "u2": return Double(base * 17 % 65521)
        case "i4": return Double(base * 1000 - 500_000)
        case "u4": return Double(base * 100_000)
        case "i8": return Double(base) * 1e12 - 7
        case "u8": return Double(base) * 1e12
        case "f4": return Double(Float(Double(base) / 8.0 - 100))
        case "f8": return Double(base) / 3.0 - 100
        default: fatalError("no such code \(code)")
        }
    }

    func open(_ text: String) throws -> VolumeSource { try VolumeReader.open(try VolumeReference.parse(Self.root + "/" + text)) }

    func values(_ v: VolumeSource) throws -> [Double] { try v.read(v.bounds).asDouble().data }

    func testEveryZarrArrayReadsExactly() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root).filter { $0.hasPrefix("v2_") || $0.hasPrefix("v3_") }
        XCTAssertGreaterThan(names.count, 35)
        for name in names.sorted() {
            let code = String(name.suffix(2))
            let v = try open(name)
            XCTAssertEqual(v.shape, Self.shape, name)
            let got = try values(v)
            let sparse = name.contains("sparse")
            let fill: Double = name.hasPrefix("v2_sparse") ? .nan : 7
            for i in got.indices {
                let z = i / Self.shape.planeCount, y = (i / Self.shape.x) % Self.shape.y
                let want = sparse && !(z < 2 && y < 16) ? fill : expected(code, i)
                if want.isNaN ? !got[i].isNaN : got[i] != want {
                    XCTFail("\(name): voxel \(i) is \(got[i]), not \(want)"); break
                }
            }
        }
    }

    func testReadTypesFollowTheStoredTypes() throws {
        func kind(_ v: AnyVolume) -> String {
            switch v { case .uint8: "uint8"; case .uint16: "uint16"; case .int32: "int32"; case .float32: "float32"
                       case .int64: "int64"; case .float64: "float64" }
        }
        let cases = ["v2_dtype_u1": "uint8", "v2_dtype_u2": "uint16", "v2_zstd_be_u2": "uint16", "v2_dtype_i4": "int32",
                     "v2_dtype_u4": "int32", "v2_dtype_i8": "int64", "v2_dtype_u8": "int64", "v2_dtype_f4": "float32",
                     "v2_zstd_be_f4": "float32", "v2_dtype_f8": "float64", "v3_big_endian_i4": "int32"]
        for (name, type) in cases {
            let v = try open(name)
            XCTAssertEqual(kind(try v.read(v.bounds)), type, name)
        }
    }

    func testOnlyTheChunksARequestTouchesAreRead() throws {
        // A sharded array: one inner chunk of one shard, then one plane (3 chunk columns × 2 rows).
        let v = try open("v3_sharded_u2") as! ChunkedVolume
        _ = try v.read(Box3(z: 0..<1, y: 0..<16, x: 0..<16))
        XCTAssertEqual(v.chunksRead, 1)
        _ = try v.read(Box3(z: 3..<4, y: 0..<32, x: 0..<40))
        XCTAssertEqual(v.chunksRead, 1 + 6)
        // Chunks never written are not read at all: only the 3 written of the 6 in z 0..<2.
        let sparse = try open("v3_sparse_sharded_u1") as! ChunkedVolume
        _ = try sparse.read(Box3(z: 0..<2, y: 0..<32, x: 0..<40))
        XCTAssertEqual(sparse.chunksRead, 3)
        XCTAssertEqual(try sparse.source.hasChunk([0, 1, 0]), false)
        XCTAssertEqual(try sparse.source.hasChunk([0, 0, 2]), true)
    }

    func testN5ReadsEveryCompressionAndItsMultiscale() throws {
        for compression in ["raw", "gzip", "bzip2", "xz", "blosc"] {
            for code in ["u2", "f4"] {
                let v = try open("data.n5:/\(compression)/\(code)")
                XCTAssertEqual(v.shape, Self.shape)
                let got = try values(v)
                XCTAssertTrue(got == got.indices.map { expected(code, $0) }, "\(compression)/\(code)")
            }
        }
        // A multiscale group without attributes.json of its own (as tensorstore writes N5) is still its s0.
        let bare = NSTemporaryDirectory() + "n5-bare-\(UUID().uuidString).n5"
        defer { try? FileManager.default.removeItem(atPath: bare) }
        try FileManager.default.copyItem(atPath: Self.root + "/data.n5/multiscale", toPath: bare)
        try FileManager.default.removeItem(atPath: bare + "/attributes.json")
        XCTAssertTrue(try values(try VolumeReader.open(try VolumeReference.parse(bare))) == (0..<Self.shape.count).map { expected("u1", $0) })
        let multiscale = try open("data.n5/multiscale")
        XCTAssertTrue(try values(multiscale) == (0..<Self.shape.count).map { expected("u1", $0) })
        XCTAssertTrue(multiscale.storage.hasPrefix("n5, blocks 2×16×16, gzip"), multiscale.storage)
    }

    func testOMEZarrStudiesOpenWithTheirLabels() throws {
        for version in ["0.4", "0.5"] {
            let path = Self.root + "/ome-\(version).ome.zarr"
            let study = try OpenedStudy.open(study: path, schema: .platelet)
            XCTAssertEqual(study.shape, Self.shape, version)
            XCTAssertEqual(study.resolutionNM, [50, 20, 20], version)
            XCTAssertEqual(study.available, ["truth", "annotator-1"], version)
            XCTAssertEqual(study.labels.map(\.role), [.truth, .annotator])
            let slices = try study.slices(0..<Self.shape.z)
            XCTAssertTrue(slices.image.data.map(Double.init) == (0..<Self.shape.count).map { expected("u1", $0) }, version)
            let all = (0..<Self.shape.count).map(base)
            XCTAssertTrue(slices.labels[0].labels.data == all.map { UInt8($0 % 7) }, version)
            XCTAssertTrue(slices.labels[1].labels.data == all.map { UInt8(($0 + 1) % 7) }, version)
        }
    }

    func testMultiscaleLevelsAreOfferedAtTheirShape() throws {
        // ome-zarr-py wrote the image's s1 level at half the size in y and x.
        let image = try open("ome-0.5.ome.zarr")
        let level = try XCTUnwrap(image.storedLevel(height: 16, width: 20))
        XCTAssertEqual(level.shape, Shape3(5, 16, 20))
        XCTAssertEqual(level.reference.dataset, "/s1")
        XCTAssertNil(image.storedLevel(height: 8, width: 10), "only the levels the file keeps")
        XCTAssertTrue(try values(level) == values(try open("ome-0.5.ome.zarr:/s1")))
        let n5 = try open("data.n5/multiscale")
        XCTAssertEqual(n5.storedLevel(height: 16, width: 20)?.shape, Shape3(5, 16, 20))
        XCTAssertNil(try open("v2_zstd_u2").storedLevel(height: 16, width: 20), "a plain array has no levels")
    }

    func testSparsePassesCountChunksNeverWrittenWithoutReadingThem() throws {
        // Two label volumes of 6×600×600 where only a few chunks were written (fill 0 and 1).
        let a = try open("sparse_labels_a") as! ChunkedVolume, b = try open("sparse_labels_b") as! ChunkedVolume
        let whole = (a: try a.read(a.bounds).asLabels(LabelMapping(classCount: 7)), b: try b.read(b.bounds).asLabels(LabelMapping(classCount: 7)))
        let written = (a: a.chunksRead, b: b.chunksRead)
        XCTAssertEqual(written.a, 1 * 2 * 2)   // z 0..<2, y 0..<128, x 64..<192: 1 layer × 2 rows × 2 columns
        let sources = [StudyLabels(name: "a", role: .truth, labels: a), StudyLabels(name: "b", role: .annotator, labels: b)]
        // A small budget: many slabs, so most tiles are uniform.
        let result = try StreamingMetrics.compare(sources, pair: (sources[0], sources[1]), schema: .platelet, slabBytes: 4 << 20)
        XCTAssertEqual(a.chunksRead - written.a, written.a, "the pass read only the chunks that were written")
        XCTAssertEqual(b.chunksRead - written.b, written.b)
        let expected = Metrics.pairwise([LabelSource(name: "a", role: .truth, labels: whole.a),
                                         LabelSource(name: "b", role: .annotator, labels: whole.b)], schema: .platelet)
        XCTAssertEqual(result.pairwise.miouAll, expected.miouAll)
        XCTAssertEqual(result.pairConfusion, Metrics.confusion(truth: whole.a, prediction: whole.b, classes: 7))
        XCTAssertEqual(result.fractions[1], Metrics.volumeFractions(whole.b, schema: .platelet))
        let e = try StreamingMetrics.evaluate(truth: sources[0], prediction: sources[1], schema: .platelet, slabBytes: 4 << 20)
        XCTAssertEqual(e.confusion, Metrics.confusion(truth: whole.a, prediction: whole.b, classes: 7))
        XCTAssertEqual(e.fractions[0], Metrics.volumeFractions(whole.a, schema: .platelet))
        // info's statistics the same way: the histogram counts the fill value of the chunks never written.
        let stats = try StreamingStatistics.of(b, labels: true)
        var histogram = [Int](repeating: 0, count: 256)
        for v in whole.b.data { histogram[Int(v)] += 1 }
        XCTAssertEqual(stats.histogram, histogram)
        XCTAssertEqual(stats.count, whole.b.data.count)
    }

    func testImageLabelNamesAndColorsMakeTheSchemaWhenNoneIsGiven() throws {
        // Names from `properties`, colors from `colors`; colors alone make no schema.
        let schema = try XCTUnwrap(ChunkedStore.labelSchema([
            ["properties": [["label-value": 1, "name": "membrane"], ["label-value": 2, "name": "nucleus"]],
             "colors": [["label-value": 2, "rgba": [255, 0, 0, 255]], ["label-value": 1, "rgba": [0, 0, 0, 0]]]],
            ["properties": [["label-value": 2, "name": "ignored: named already"]]],
        ]))
        XCTAssertEqual(schema.names, ["background", "membrane", "nucleus"])
        XCTAssertNil(schema.classes[1].color, "alpha 0: not painted")
        XCTAssertEqual(schema.classes[2].color, RGB(255, 0, 0))
        XCTAssertEqual(schema.organelles, [1, 2])
        XCTAssertNil(ChunkedStore.labelSchema([["colors": [["label-value": 2, "rgba": [59, 170, 92, 255]]]]]))
        let platelet = LabelSchema.platelet.names.enumerated().map { ["label-value": $0.offset, "name": $0.element] as [String: Any] }
        XCTAssertEqual(ChunkedStore.labelSchema([["properties": platelet]]), .platelet)
        // A store whose label images carry only colors opens with the platelet schema.
        XCTAssertEqual(try OpenedStudy.open(study: Self.root + "/ome-0.4.ome.zarr").schema, .platelet)
    }

    func testBadStoresAreOneLineErrorsNamingTheKey() throws {
        let dir = NSTemporaryDirectory() + "zarr-bad-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fm = FileManager.default
        func copy(_ name: String) throws -> String {
            let target = dir + "/" + name
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try fm.copyItem(atPath: Self.root + "/" + name, toPath: target)
            return target
        }
        func message(_ path: String) -> String {
            do { let v = try VolumeReader.open(try VolumeReference.parse(path)); _ = try v.read(v.bounds); return "no error" } catch {
                return "\(error)"
            }
        }
        // Metadata: malformed, unknown codec, unknown dtype.
        let a = try copy("v3_gzip_u2")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: a + "/zarr.json"))
        XCTAssertTrue(message(a).contains("zarr.json: not a JSON object"), message(a))
        let b = try copy("v3_zstd_f4")
        var meta = try String(contentsOfFile: b + "/zarr.json", encoding: .utf8)
        meta = meta.replacingOccurrences(of: "\"zstd\"", with: "\"snappy\"")
        try meta.write(toFile: b + "/zarr.json", atomically: true, encoding: .utf8)
        XCTAssertTrue(message(b).contains("unknown codec snappy"), message(b))
        let c = try copy("v2_dtype_u1")
        meta = try String(contentsOfFile: c + "/.zarray", encoding: .utf8).replacingOccurrences(of: "|u1", with: "<U7")
        try meta.write(toFile: c + "/.zarray", atomically: true, encoding: .utf8)
        XCTAssertTrue(message(c).contains("unsupported dtype <U7"), message(c))
        // A chunk that does not decompress, and one of the wrong size: the chunk key is named.
        let d = try copy("v2_zstd_u2")
        try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: d + "/1.0.2"))
        XCTAssertTrue(message(d).contains(":1.0.2: chunk does not decompress (zstd)"), message(d))
        let e = try copy("v2_none_u2")
        try Data([0, 0]).write(to: URL(fileURLWithPath: e + "/0.1.0"))
        XCTAssertTrue(message(e).contains(":0.1.0: chunk holds 2 bytes where 1024 were expected"), message(e))
        // A shard index pointing outside its shard.
        let f = try copy("v3_sharded_u2")
        let shard = f + "/c/0/0/0"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: shard)))
        let index = bytes.count - (8 * 16 + 4)
        for k in 0..<8 { bytes[index + k] = 0xEE }   // first entry's offset, far beyond the file
        // Keep the checksum right so the index itself is accepted.
        let crc = bytes[index..<(bytes.count - 4)].withUnsafeBytes { body in
            var c: UInt32 = 0xFFFF_FFFF
            for byte in body { c ^= UInt32(byte); for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 } }
            return c ^ 0xFFFF_FFFF
        }
        for k in 0..<4 { bytes[bytes.count - 4 + k] = UInt8((crc >> (8 * UInt32(k))) & 0xFF) }
        try Data(bytes).write(to: URL(fileURLWithPath: shard))
        XCTAssertTrue(message(f).contains("c/0/0/0: shard index points outside the shard"), message(f))
        // Axes that cannot be z, y, x.
        let g = try copy("ome-0.4.ome.zarr")
        meta = try String(contentsOfFile: g + "/.zattrs", encoding: .utf8).replacingOccurrences(of: "\"name\": \"c\"", with: "\"name\": \"q\"")
        try meta.write(toFile: g + "/.zattrs", atomically: true, encoding: .utf8)
        XCTAssertTrue(message(g).contains("cannot be mapped to z, y, x"), message(g))
    }
}
