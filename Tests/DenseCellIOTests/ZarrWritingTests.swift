import XCTest
import DenseCellCore
@testable import DenseCellIO

/// OME-Zarr written by `OMEZarrWriter` (through `StudyConversion`), read back by the project's own
/// reader: HDF5 → OME-Zarr → HDF5 is identical, edge and empty chunks are right, and the target
/// is never half-written. What zarr-python and ome-zarr-py read of it is checked in
/// DenseCellCLITests (ConvertCLITests).
final class ZarrWritingTests: XCTestCase {
    /// Odd sizes, so every axis has an edge chunk with the chunks and shards used below.
    static let shape = Shape3(7, 45, 70)
    var dir = ""

    override func setUp() {
        dir = NSTemporaryDirectory() + "zarr-write-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A study with a float image, two label sources (one masked to part of the volume, with an
    /// all-background corner) and float16 probabilities.
    func makeStudy(byteImage: Bool = false) throws -> String {
        let s = Self.shape
        let path = dir + "/study.h5"
        let writer = try StudyWriter(path: path, shape: s, existing: .replace)
        let image = (0..<s.count).map { i -> Float in
            let z = i / s.planeCount, y = (i / s.x) % s.y, x = i % s.x
            return byteImage ? Float((z * 31 + y * 7 + x * 3) % 256) : Float(z) * 0.5 + Float(y) * 0.25 - Float(x) * 0.125
        }
        try writer.writeImage(Volume(shape: s, data: image), resolutionNM: [50, 20, 20])
        let truth = (0..<s.count).map { i -> UInt8 in
            let y = (i / s.x) % s.y, x = i % s.x
            return y < 20 && x < 36 ? 0 : UInt8((i * 7 + y) % 7)   // a zero corner: chunks there are not stored
        }
        try writer.writeLabels(LabelSource(name: "truth", role: .truth, labels: Volume(shape: s, data: truth)))
        let mask = (0..<s.count).map { i -> UInt8 in (i / s.planeCount) < 4 ? 1 : 0 }
        try writer.writeLabels(LabelSource(name: "annotator-1", role: .annotator, labels: Volume(shape: s, data: truth.map { ($0 + 1) % 7 }),
                                           mask: Volume(shape: s, data: mask)))
        let probabilities = (0..<(2 * s.count)).map { Float($0 % 17) / 16 }
        try writer.writeProbabilities(ProbabilitySource(name: "net", classes: 2, shape: s, data: probabilities))
        try writer.commit()
        return path
    }

    func convert(_ from: String, to: String, _ options: OMEZarrOptions = OMEZarrOptions()) throws {
        let study = try OpenedStudy.open(study: from)
        try StudyConversion.convert(study, into: try StudyConversion.destination(to, shape: study.shape, options: options))
    }

    func assertSameStudy(_ a: String, _ b: String, _ message: String) throws {
        let x = try OpenedStudy.open(study: a), y = try OpenedStudy.open(study: b)
        XCTAssertEqual(y.shape, x.shape, message)
        XCTAssertEqual(y.resolutionNM, x.resolutionNM, message)
        XCTAssertEqual(y.image!.typeName, x.image!.typeName, message)
        XCTAssertEqual(y.labels.map(\.name), x.labels.map(\.name), message)
        XCTAssertEqual(y.labels.map(\.role), x.labels.map(\.role), message)
        let box = Box3(shape: x.shape)
        XCTAssertTrue(try y.image!.read(box).asDouble().data == x.image!.read(box).asDouble().data, "image: \(message)")
        for (p, q) in zip(x.labels, y.labels) {
            XCTAssertTrue(try q.readLabels(box, mapping: LabelMapping(classCount: 7)).data == p.readLabels(box, mapping: LabelMapping(classCount: 7)).data, "\(p.name): \(message)")
            // The labeled region comes along too (`masks/NAME`, named by the label image's `mask`).
            XCTAssertEqual(q.mask != nil, p.mask != nil, "\(p.name)'s mask: \(message)")
            if let pm = p.mask, let qm = q.mask { XCTAssertTrue(try qm.readMask(box).data == pm.readMask(box).data, "\(p.name)'s mask: \(message)") }
        }
    }

    func testHDF5ToOMEZarrToHDF5IsIdentical() throws {
        let study = try makeStudy()
        let cases: [(String, OMEZarrOptions)] = [
            ("v2 zstd", OMEZarrOptions(zarrVersion: 2, chunks: Shape3(2, 16, 32))),
            ("v2 blosc", OMEZarrOptions(zarrVersion: 2, compression: .bloscZstd, chunks: Shape3(3, 32, 32), levels: 1)),
            ("v3 gzip", OMEZarrOptions(zarrVersion: 3, compression: .gzip, chunks: Shape3(2, 16, 16))),
            ("v3 sharded", OMEZarrOptions(zarrVersion: 3, chunks: Shape3(2, 16, 16), shard: Shape3(4, 32, 48), levels: 3)),
            ("v3 sharded blosc default chunks", OMEZarrOptions(zarrVersion: 3, compression: .bloscZstd, shard: Shape3(8, 512, 512))),
        ]
        for (name, options) in cases {
            let store = dir + "/\(name.replacingOccurrences(of: " ", with: "-")).ome.zarr", back = dir + "/back.h5"
            try convert(study, to: store, options)
            try assertSameStudy(study, store, name)
            try convert(store, to: back)
            try assertSameStudy(study, back, name)
            // The probabilities, float16 as stored, every value (the study reader does not read them from a store).
            let p = try ZarrArray(store: DirectoryStore(root: store), prefix: "probabilities/net/")
            XCTAssertEqual(p.arrayShape, [2, 7, 45, 70], name)
            XCTAssertEqual(p.encoding.typeName, "float16", name)
            XCTAssertTrue(try Self.values(p) == (0..<(2 * Self.shape.count)).map { Double(Float($0 % 17) / 16) }, name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: AtomicFile.temporaryPath(for: store)), name)
        }
    }

    /// Every element of an array in C order, assembled from its decoded chunks (fill value where absent).
    static func values(_ a: ZarrArray) throws -> [Double] {
        let n = a.arrayShape.count
        var strides = [Int](repeating: 1, count: n)
        for k in stride(from: n - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * a.arrayShape[k + 1] }
        var out = [Double](repeating: a.fillValue, count: a.arrayShape.reduce(1, *))
        let grid = ZarrArrayWriter.positions(lower: a.arrayShape.map { _ in 0 }, upper: zip(a.arrayShape, a.chunkShape).map { ($0 + $1 - 1) / $1 })
        for index in grid {
            guard let chunk = try a.chunk(index) else { continue }
            let inner = ZarrArrayWriter.positions(lower: a.chunkShape.map { _ in 0 }, upper: a.chunkShape)
            chunk.bytes.withUnsafeBytes { raw in
                for p in inner {
                    let at = zip(index, zip(p, a.chunkShape)).map { $0 * $1.1 + $1.0 }
                    guard zip(at, a.arrayShape).allSatisfy({ $0 < $1 }) else { continue }
                    let src = zip(p, chunk.strides).map { $0 * $1 }.reduce(0, +)
                    out[zip(at, strides).map { $0 * $1 }.reduce(0, +)] = a.encoding.double(raw.baseAddress! + src * a.encoding.size)
                }
            }
        }
        return out
    }

    func testPyramidLevelsAreMeansAndModesOfTheLevelBelow() throws {
        let study = try makeStudy(byteImage: true)
        let store = dir + "/p.ome.zarr"
        try convert(study, to: store, OMEZarrOptions(zarrVersion: 3, chunks: Shape3(2, 16, 16), shard: Shape3(2, 32, 32), levels: 3))
        let s = Self.shape
        let source = try OpenedStudy.open(study: study)
        var image = try source.image!.read(source.image!.bounds).asFloat().data
        var truth = try source.labels.first { $0.name == "truth" }!.readLabels(Box3(shape: s), mapping: LabelMapping(classCount: 7)).data
        var (h, w) = (s.y, s.x)
        for level in 1..<3 {
            let (oh, ow) = PlanePyramid.size(height: h, width: w, level: 1)
            image = (0..<s.z).flatMap { z in PlanePyramid.halveMean(Array(image[(z * h * w)..<((z + 1) * h * w)]), height: h, width: w) }
            truth = (0..<s.z).flatMap { z in PlanePyramid.halveMode(Array(truth[(z * h * w)..<((z + 1) * h * w)]), height: h, width: w) }
            (h, w) = (oh, ow)
            let storedImage = try VolumeReader.open(try VolumeReference.parse(store + "/\(level)"))
            XCTAssertEqual(storedImage.shape, Shape3(s.z, h, w))
            XCTAssertEqual(storedImage.typeName, "uint8")
            XCTAssertTrue(try storedImage.read(storedImage.bounds).asFloat().data == image.map { $0.rounded() }, "image level \(level)")
            let storedLabels = try VolumeReader.open(try VolumeReference.parse(store + "/labels/truth/\(level)"))
            XCTAssertTrue(try storedLabels.readLabels(storedLabels.bounds, mapping: LabelMapping(classCount: 7)).data == truth, "labels level \(level)")
        }
        // The metadata the reader uses: levels fine to coarse, scale doubling in y and x.
        let node = try ChunkedStore.Node(store: DirectoryStore(root: store), prefix: "", format: .zarr)
        let datasets = (node.ome["multiscales"] as! [[String: Any]])[0]["datasets"] as! [[String: Any]]
        XCTAssertEqual(datasets.map { $0["path"] as! String }, ["0", "1", "2"])
        let scales = datasets.map { (($0["coordinateTransformations"] as! [[String: Any]])[0]["scale"] as! [Double]) }
        XCTAssertEqual(scales, [[50, 20, 20], [50, 40, 40], [50, 80, 80]])
        XCTAssertEqual(node.ome["version"] as? String, "0.5")
    }

    func testChunksOfOnlyZerosAreNotStoredAndShardsMarkThemEmpty() throws {
        let study = try makeStudy()
        let plain = dir + "/plain.ome.zarr", sharded = dir + "/sharded.ome.zarr"
        try convert(study, to: plain, OMEZarrOptions(zarrVersion: 2, chunks: Shape3(7, 16, 16), levels: 1))
        // truth is 0 where y < 20 and x < 36: chunk (0, 0, 0) and (0, 0, 1) hold only zeros.
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain + "/labels/truth/0/0/0/0"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain + "/labels/truth/0/0/0/1"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: plain + "/labels/truth/0/0/0/2"))
        try convert(study, to: sharded, OMEZarrOptions(zarrVersion: 3, chunks: Shape3(7, 16, 16), shard: Shape3(7, 32, 32), levels: 1))
        let truth = try ZarrArray(store: DirectoryStore(root: sharded), prefix: "labels/truth/0/")
        XCTAssertEqual(truth.chunkShape, [7, 16, 16])
        XCTAssertEqual(try truth.hasChunk([0, 0, 0]), false)
        XCTAssertEqual(try truth.hasChunk([0, 0, 1]), false)
        XCTAssertEqual(try truth.hasChunk([0, 1, 0]), true)
        // The last shard in x covers x 64..<96 of a 70-wide array: its second column of chunks lies outside.
        XCTAssertEqual(try truth.hasChunk([0, 0, 5]), false)
        XCTAssertEqual(try truth.hasChunk([0, 0, 4]), true)
    }

    func testAnExistingStoreIsReplacedWholeOrLeftAlone() throws {
        let study = try makeStudy()
        let store = dir + "/out.ome.zarr"
        try convert(study, to: store, OMEZarrOptions(zarrVersion: 3))
        // Replacing a v3 store by a v2 one leaves nothing of the old one.
        try convert(study, to: store, OMEZarrOptions(zarrVersion: 2))
        XCTAssertFalse(FileManager.default.fileExists(atPath: store + "/zarr.json"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: store + "/.zgroup"))
        // A conversion that fails (labels outside a 3-class schema) leaves the store as it was and no scratch.
        let before = try FileManager.default.subpathsOfDirectory(atPath: store).sorted()
        let small = LabelSchema(classes: (0..<3).map { LabelSchema.Class(name: "c\($0)", color: nil) }, organelles: [])
        let opened = try OpenedStudy.open(study: study, schema: small)
        XCTAssertThrowsError(try StudyConversion.convert(opened, into: try StudyConversion.destination(store, shape: opened.shape,
                                                                                                      options: OMEZarrOptions(zarrVersion: 3)))) { error in
            XCTAssertEqual((error as? IOError)?.kind, .badLabels)
        }
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: store).sorted(), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["out.ome.zarr", "study.h5"])
        // A directory that is not a store is never replaced.
        let folder = dir + "/folder.zarr"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        _ = FileManager.default.createFile(atPath: folder + "/notes.txt", contents: Data("keep".utf8))
        XCTAssertThrowsError(try convert(study, to: folder)) { error in
            XCTAssertEqual((error as? IOError)?.kind, .badOutput)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/notes.txt"))
    }

    func testWhatAKilledWriterLeftIsTidiedAndAStoreSetAsideIsPutBack() throws {
        let study = try makeStudy()
        let store = dir + "/out.ome.zarr"
        try convert(study, to: store, OMEZarrOptions(zarrVersion: 2))
        // A writer killed between its two renames: the store aside, nothing in place, a scratch directory.
        let dead = 2_147_483_000   // above any pid_max: no such process
        XCTAssertEqual(rename(store, dir + "/.out.ome.zarr.old-\(dead)"), 0)
        try FileManager.default.createDirectory(atPath: dir + "/.out.ome.zarr.partial-\(dead)/0", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/.out.ome.zarr.partial-\(dead).h5", contents: Data())
        let writer = try OMEZarrWriter(path: store, shape: Self.shape, options: OMEZarrOptions(), existing: .addTo)
        XCTAssertTrue(writer.addsToExisting)
        writer.discard()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["out.ome.zarr", "study.h5"])
        try assertSameStudy(study, store, "recovered")
    }

    func testImagesKeepTheirTypeAndEveryValue() throws {
        // zarr-python's arrays of every type (ZarrReadingTests' fixtures), each converted as a study's image.
        let cases = ["v2_dtype_u1": "uint8", "v2_dtype_u2": "uint16", "v2_zstd_be_u2": "uint16", "v2_dtype_i4": "int32",
                     "v2_dtype_u4": "int64", "v2_dtype_i8": "int64", "v2_dtype_f4": "float32", "v2_dtype_f8": "float64"]
        for (name, type) in cases {
            let source = try OpenedStudy.open(study: ZarrReadingTests.root + "/" + name)
            let store = dir + "/\(name).ome.zarr"
            try StudyConversion.convert(source, into: try StudyConversion.destination(store, shape: source.shape,
                                                                                     options: OMEZarrOptions(zarrVersion: 3, levels: 2)))
            let written = try OpenedStudy.open(study: store).image!
            XCTAssertEqual(written.typeName, type, name)
            XCTAssertTrue(try written.read(written.bounds).asDouble().data == source.image!.read(source.image!.bounds).asDouble().data, name)
        }
    }

    func testOptionsThatDoNotFitAreRefused() throws {
        let s = Self.shape
        for (options, words) in [(OMEZarrOptions(zarrVersion: 2, shard: Shape3(4, 64, 64)), "Zarr v3"),
                                 (OMEZarrOptions(zarrVersion: 3, chunks: Shape3(2, 16, 16), shard: Shape3(3, 32, 32)), "multiple of the chunks"),
                                 (OMEZarrOptions(levels: 9), "levels")] {
            XCTAssertThrowsError(try OMEZarrWriter(path: dir + "/x.ome.zarr", shape: s, options: options)) { error in
                XCTAssertEqual((error as? IOError)?.kind, .badOutput)
                XCTAssertTrue("\(error)".contains(words), "\(error)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}
