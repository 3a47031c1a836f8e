import XCTest
import DenseCellCore
@testable import DenseCellIO

/// The study writer's files read back through HDF5 (layout, attributes, chunking, dtypes), and
/// failed writes leave nothing behind.
final class StudyWriterTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-writer-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let shape = Shape3(6, 300, 20)   // y above one chunk, so chunking shows
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testNewStudyLayoutReadsBack() throws {
        let path = dir + "/s.h5"
        let image = Volume(shape: shape, data: (0..<shape.count).map { Float($0 % 200) })
        let truth = Volume(shape: shape, data: (0..<shape.count).map { UInt8($0 % 7) })
        let region = Box3(z: 1..<4, y: 10..<200, x: 5..<15)
        let writer = try StudyWriter(path: path, shape: shape, existing: .replace)
        try writer.writeImage(image, resolutionNM: [50, 20, 20])
        try writer.writeLabels(LabelSource(name: "truth", role: .truth, labels: truth))
        try writer.createLabels("roi", role: .algorithm, region: region)
        let inside = (0..<region.shape.count).map { UInt8($0 % 5) }
        try writer.writeLabels("roi", box: region, inside)
        try writer.createProbabilities("roi", classes: 3, storage: .float16)
        let probs = (0..<(3 * region.shape.count)).map { Float($0 % 9) * 0.125 }   // exact in half precision
        try writer.writeProbabilities("roi", box: region, classes: 3, probs)
        try writer.writeProbabilities(ProbabilitySource(name: "wide", classes: 2, shape: shape,
                                                        data: (0..<(2 * shape.count)).map { Float($0) * 1e-3 }),
                                      storage: .float32)
        try writer.setAttribute("/", "generator", .string("test"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the real name before commit")
        try writer.commit()
        XCTAssertEqual(try listing(), ["s.h5"], "no scratch file left")

        let f = try HDF5File(path: path)
        XCTAssertEqual(f.datasetNames(), ["/image", "/labels/roi", "/labels/truth", "/masks/roi", "/probabilities/roi", "/probabilities/wide"])
        let img = try f.info("/image")
        XCTAssertEqual(img.typeName, "uint8")
        XCTAssertEqual(img.chunks, [4, 256, 20])
        XCTAssertEqual(img.filters, ["shuffle", "gzip 1"])
        XCTAssertEqual(f.attribute("/image", "resolution_nm"), .doubles([50, 20, 20]))
        XCTAssertEqual(try f.readArray("/image", as: .uint8, of: UInt8.self).data, image.data.map { UInt8($0) })

        let t = try f.info("/labels/truth")
        XCTAssertEqual(t.typeName, "uint8")
        XCTAssertEqual(t.chunks, [4, 256, 20])
        XCTAssertTrue(t.filters.contains("gzip 1"))
        XCTAssertEqual(f.attribute("/labels/truth", "role"), .string("truth"))
        XCTAssertNil(f.attribute("/labels/truth", "mask"))
        XCTAssertEqual(try f.readArray("/labels/truth", as: .uint8, of: UInt8.self).data, truth.data)

        XCTAssertEqual(f.attribute("/labels/roi", "role"), .string("algorithm"))
        XCTAssertEqual(f.attribute("/labels/roi", "mask"), .string("/masks/roi"))
        XCTAssertEqual(f.attribute("/labels/roi", "roi"), .ints([1, 4, 10, 200, 5, 15]))
        let labels = try f.readArray("/labels/roi", as: .uint8, of: UInt8.self).data
        let mask = try f.readArray("/masks/roi", as: .uint8, of: UInt8.self).data
        XCTAssertEqual(try f.info("/masks/roi").typeName, "uint8")
        var i = 0, j = 0
        for z in 0..<shape.z { for y in 0..<shape.y { for x in 0..<shape.x {
            let isInside = region.z.contains(z) && region.y.contains(y) && region.x.contains(x)
            XCTAssertEqual(mask[i], isInside ? 1 : 0)
            if isInside { XCTAssertEqual(labels[i], inside[j]); j += 1 } else { XCTAssertEqual(labels[i], 0) }
            i += 1
        } } }

        let p = try f.info("/probabilities/roi")
        XCTAssertEqual(p.typeName, "float16")
        XCTAssertEqual(p.dims, [3, 6, 300, 20])
        XCTAssertEqual(p.chunks, [1, 4, 256, 20])
        let back = try f.readArray("/probabilities/roi", as: .float32, of: Float.self,
                                   start: [0, 1, 10, 5], count: [3, 3, 190, 10]).data
        XCTAssertEqual(back, probs)
        XCTAssertEqual(try f.info("/probabilities/wide").typeName, "float32")
        XCTAssertEqual(f.attribute("/", "generator"), .string("test"))

        // The reader sees the same study.
        let study = try StudyFile.read(path: path)
        XCTAssertEqual(study.source(named: "roi")?.role, .algorithm)
        XCTAssertEqual(study.source(named: "roi")?.mask?.data, mask)
    }

    func testWritesOutsideTheVolumeOrOfWrongSizeAreRefused() throws {
        let writer = try StudyWriter(path: dir + "/s.h5", shape: shape, existing: .replace)
        try writer.createLabels("a", role: .annotator)
        XCTAssertThrowsError(try writer.writeLabels("a", box: Box3(z: 5..<7, y: 0..<1, x: 0..<1), [1, 2]))
        XCTAssertThrowsError(try writer.writeLabels("a", box: Box3(z: 0..<1, y: 0..<1, x: 0..<2), [1]))
        XCTAssertThrowsError(try writer.writeImage(Volume(shape: Shape3(1, 1, 1), repeating: 0), resolutionNM: nil))
    }

    func testFailedNewWriteLeavesNoFile() throws {
        let path = dir + "/new.h5"
        do {
            let writer = try StudyWriter(path: path, shape: shape, existing: .replace)
            try writer.createLabels("a", role: .annotator)
            try writer.writeLabels("a", box: Box3(z: 0..<1, y: 0..<1, x: 0..<1), [3])
            XCTAssertEqual(try listing(), [(writer.scratchPath as NSString).lastPathComponent])
            // Dropped without commit: the run failed.
        }
        XCTAssertEqual(try listing(), [])
        // A commit that cannot rename (a directory holds the name) fails and removes its scratch file.
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        let writer = try StudyWriter(path: path, shape: shape, existing: .replace)
        try writer.createLabels("a", role: .annotator)
        XCTAssertThrowsError(try writer.commit()) { error in
            XCTAssertEqual((error as? IOError)?.kind, .writeFailed)
        }
        XCTAssertEqual(try listing(), ["new.h5"])
        XCTAssertThrowsError(try StudyWriter(path: dir + "/no/such/dir/s.h5", shape: shape, existing: .replace))
    }

    func testAddToExistingStudy() throws {
        let path = dir + "/s.h5"
        let image = Volume(shape: shape, data: (0..<shape.count).map { Float($0 % 13) })
        let old = Volume(shape: shape, data: [UInt8](repeating: 2, count: shape.count))
        let first = try StudyWriter(path: path, shape: shape, existing: .addTo)
        XCTAssertFalse(first.addsToExisting)
        try first.writeImage(image, resolutionNM: nil)
        try first.writeLabels(LabelSource(name: "ens", role: .algorithm, labels: old, mask: old))
        try first.writeProbabilities(ProbabilitySource(name: "ens", classes: 1, shape: shape,
                                                       data: [Float](repeating: 0.5, count: shape.count)))
        try first.writeLabels(LabelSource(name: "truth", role: .truth, labels: old))
        try first.commit()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        // A failed add leaves the study byte for byte as it was.
        do {
            let failed = try StudyWriter(path: path, shape: shape, existing: .addTo)
            XCTAssertTrue(failed.addsToExisting)
            try failed.createLabels("ens", role: .algorithm)
            try failed.writeLabels("ens", box: Box3(shape: shape), [UInt8](repeating: 5, count: shape.count))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try listing(), ["s.h5"])

        // A successful add replaces the labels and drops their stale mask and probabilities.
        let add = try StudyWriter(path: path, shape: shape, existing: .addTo)
        try add.createLabels("ens", role: .algorithm)
        try add.writeLabels("ens", box: Box3(shape: shape), [UInt8](repeating: 5, count: shape.count))
        try add.setAttribute("/labels/ens", "models", .strings(["m1.h5"]))
        try add.commit()
        XCTAssertEqual(try listing(), ["s.h5"])
        let f = try HDF5File(path: path)
        XCTAssertEqual(f.datasetNames(), ["/image", "/labels/ens", "/labels/truth"])
        XCTAssertEqual(try f.readArray("/labels/ens", as: .uint8, of: UInt8.self).data, [UInt8](repeating: 5, count: shape.count))
        XCTAssertEqual(f.attribute("/labels/ens", "role"), .string("algorithm"))
        XCTAssertEqual(f.attribute("/labels/ens", "models"), .strings(["m1.h5"]))
        XCTAssertNil(f.attribute("/labels/ens", "mask"))
        XCTAssertEqual(try f.info("/labels/ens").chunks, [4, 256, 20])
        XCTAssertEqual(try f.readArray("/labels/truth", as: .uint8, of: UInt8.self).data, old.data)
        XCTAssertEqual(try f.readArray("/image", as: .float32, of: Float.self).data, image.data)

        // Another image shape is refused before any work.
        XCTAssertThrowsError(try StudyWriter(path: path, shape: Shape3(1, 2, 3), existing: .addTo)) { error in
            XCTAssertEqual((error as? IOError)?.kind, .badShape)
            XCTAssertTrue("\(error)".contains("does not match"), "\(error)")
        }
    }

    func testTiffWriteIsAtomic() throws {
        let path = dir + "/s.tif"
        let v = Volume(shape: Shape3(2, 3, 4), data: (0..<24).map { UInt8($0) })
        try TIFFStack.write(.uint8(v), path: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TIFFStack.write(.float32(v.map { Float($0) }), path: path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try listing(), ["s.tif"])
        guard case .uint8(let back) = try TIFFStack.read(path: path) else { return XCTFail() }
        XCTAssertEqual(back, v)
    }
}
