import XCTest
import DenseCellCore
@testable import DenseCellIO

/// Labels as users store them: 0/255 masks, other numberings and instance-id volumes, read through
/// the schema's listed values (docs/ARCHITECTURE.md, "Study file layout").
final class LabelValuesCLITests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let shape = Shape3(3, 16, 20)

    func writeSchema(_ name: String, _ json: String) throws -> String {
        let path = dir + "/" + name
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Two classes under the same names and colors: stored as 0/1, or as the 0/255 a mask is saved with.
    func binarySchemas() throws -> (indices: String, masks: String) {
        (try writeSchema("indices.json", ##"{"classes":[{"name":"membrane"},{"name":"interior","color":"#FF0000"}],"organelles":[1]}"##),
         try writeSchema("masks.json", ##"{"classes":[{"name":"membrane","values":[0]},{"name":"interior","color":"#FF0000","values":[255]}],"organelles":[1]}"##))
    }

    func random(_ rng: inout SplitMix64, values: [UInt8]) -> Volume<UInt8> {
        Volume(shape: shape, data: (0..<shape.count).map { _ in values[rng.int(0, values.count - 1)] })
    }

    func writeH5(_ path: String, _ datasets: [(String, Volume<UInt8>)]) throws {
        let file = try HDF5File(path: path, mode: .truncate)
        for (name, v) in datasets { try file.writeArray(name, dims: [v.shape.z, v.shape.y, v.shape.x], data: v.data, memoryType: .uint8) }
        try file.flush()
    }

    func writePNGDirectory(_ path: String, _ v: Volume<UInt8>) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for z in 0..<v.shape.z {
            try PNGImage(width: v.shape.x, height: v.shape.y, channels: 1, pixels: Array(v.plane(z)))
                .write(path: path + String(format: "/slice-%03d.png", z))
        }
    }

    func testMasksSavedAs0And255EvaluateAsTheSameLabelsStoredAs0And1() throws {
        var rng = SplitMix64(seed: 20)
        let truth = random(&rng, values: [0, 1]), prediction = random(&rng, values: [0, 1])
        try writeH5(dir + "/t.h5", [("/truth", truth)])
        try writeH5(dir + "/p.h5", [("/prediction", prediction)])
        let scaled = { (v: Volume<UInt8>) in v.map { $0 * 255 } }
        try writePNGDirectory(dir + "/truth-png", scaled(truth))
        try TIFFStack.write(.uint8(scaled(prediction)), path: dir + "/prediction.tif")
        let schemas = try binarySchemas()

        let indices = try CLI.run(["evaluate", dir + "/t.h5:/truth", dir + "/p.h5:/prediction", "--schema", schemas.indices, "--json"])
        XCTAssertEqual(indices.status, 0, indices.stderr)
        XCTAssertTrue(indices.stdout.contains(#""classes":["membrane","interior"]"#), indices.stdout)
        let masks = try CLI.run(["evaluate", dir + "/truth-png", dir + "/prediction.tif", "--schema", schemas.masks, "--json"])
        XCTAssertEqual(masks.status, 0, masks.stderr)
        XCTAssertEqual(masks.stdout, indices.stdout)

        // Without listed values the 255s are outside the schema, as before, named in one line.
        let plain = try CLI.run(["evaluate", dir + "/truth-png", dir + "/prediction.tif", "--schema", schemas.indices, "--json"])
        XCTAssertEqual(plain.status, 2)
        XCTAssertEqual(plain.stderr, "densecell: \(dir)/truth-png: label value 255 is outside the schema (classes 0–1)\n")
        // And 0/1 labels under the 0/255 schema name the first unlisted value.
        let unlisted = try CLI.run(["evaluate", dir + "/t.h5:/truth", dir + "/prediction.tif", "--schema", schemas.masks])
        XCTAssertEqual(unlisted.status, 2)
        XCTAssertEqual(unlisted.stderr, "densecell: \(dir)/t.h5:/truth: label value 1 is outside the schema (its classes list the values 0, 255)\n")
    }

    func testARenumberingSchemaMapsOnReadInCompare() throws {
        var rng = SplitMix64(seed: 21)
        let sources = (0..<3).map { _ in random(&rng, values: [0, 1, 2]) }
        let names = ["truth", "annotator-1", "annotator-2"]
        try writeH5(dir + "/indices.h5", zip(names, sources).map { ("/labels/" + $0, $1) })
        try writeH5(dir + "/numbered.h5", zip(names, sources).map { ("/labels/" + $0, $1.map { ($0 + 1) * 10 }) })
        let indices = try writeSchema("indices.json", ##"{"classes":[{"name":"bg"},{"name":"cell","color":"#00FF00"},{"name":"er","color":"#0000FF"}]}"##)
        let numbered = try writeSchema("numbered.json", ##"{"classes":[{"name":"bg","values":[10]},{"name":"cell","color":"#00FF00","values":[20]},{"name":"er","color":"#0000FF","values":[30]}]}"##)

        let expected = try CLI.run(["compare", dir + "/indices.h5", "--schema", indices, "--pair", "truth,annotator-2", "--json"])
        XCTAssertEqual(expected.status, 0, expected.stderr)
        XCTAssertTrue(expected.stdout.contains("\"er\""), expected.stdout)
        let mapped = try CLI.run(["compare", dir + "/numbered.h5", "--schema", numbered, "--pair", "truth,annotator-2", "--json"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        XCTAssertEqual(mapped.stdout, expected.stdout)
    }

    func testLabelsDenseCellWroteAreClassesWhateverValuesTheSchemaLists() throws {
        var rng = SplitMix64(seed: 22)
        let truth = random(&rng, values: [0, 1]), other = random(&rng, values: [0, 1])
        let writer = try StudyWriter(path: dir + "/written.h5", shape: shape, existing: .replace)
        try writer.writeImage(Volume<Float>(shape: shape, repeating: 0.5), resolutionNM: nil)
        try writer.writeLabels(LabelSource(name: "truth", role: .truth, labels: truth))
        try writer.writeLabels(LabelSource(name: "segmentation", role: .algorithm, labels: other))
        try writer.commit()
        try writeH5(dir + "/user.h5", [("/labels/truth", truth.map { $0 * 255 }), ("/labels/segmentation", other.map { $0 * 255 })])
        let schemas = try binarySchemas()

        let written = try CLI.run(["compare", dir + "/written.h5", "--schema", schemas.masks, "--json"])
        XCTAssertEqual(written.status, 0, written.stderr)
        let user = try CLI.run(["compare", dir + "/user.h5", "--schema", schemas.masks, "--json"])
        XCTAssertEqual(user.status, 0, user.stderr)
        XCTAssertEqual(written.stdout, user.stdout)
        // info names their values as the classes they are.
        let info = try CLI.run(["info", dir + "/written.h5:/labels/truth", "--schema", schemas.masks, "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let interior = truth.data.filter { $0 == 1 }.count
        XCTAssertTrue(info.stdout.contains(#"{"class":1,"name":"interior","voxels":\#(interior)}"#), info.stdout)
    }

    func writeInstanceIDs() throws -> (int32: String, int64: String, truth: String) {
        // 300 neuron ids, each a run of voxels along x; the int64 ones need more than 32 bits.
        let ids = (0..<shape.count).map { Int64($0 / 3) }
        let file = try HDF5File(path: dir + "/ids.h5", mode: .truncate)
        let dims = [shape.z, shape.y, shape.x]
        try file.writeArray("/ids32", dims: dims, data: ids.map { Int32($0 * 7 + 1) }, memoryType: .int32)
        try file.writeArray("/labels/ids64", dims: dims, data: ids.map { ($0 << 36) + 5 }, memoryType: .int64)
        try file.writeArray("/labels/truth", dims: dims, data: [UInt8](repeating: 1, count: shape.count), memoryType: .uint8)
        try file.flush()
        return (dir + "/ids.h5:/ids32", dir + "/ids.h5:/labels/ids64", dir + "/ids.h5:/labels/truth")
    }

    func testInstanceIDVolumesAreRefusedInOneLine() throws {
        let refs = try writeInstanceIDs()
        let tail = "holds instance ids (320 distinct values in the slices read), not class labels; "
            + "give a --schema whose classes list the values they stand for\n"
        let evaluate = try CLI.run(["evaluate", refs.truth, refs.int32])
        XCTAssertEqual(evaluate.status, 2)
        XCTAssertEqual(evaluate.stderr, "densecell: \(refs.int32): " + tail)
        XCTAssertEqual(evaluate.stdout, "")

        let compare = try CLI.run(["compare", dir + "/ids.h5", "--json"])
        XCTAssertEqual(compare.status, 2)
        XCTAssertEqual(compare.stderr, "densecell: \(refs.int64): " + tail)
    }

    func testInfoSaysAVolumeHoldsInstanceIDs() throws {
        let refs = try writeInstanceIDs()
        let text = try CLI.run(["info", refs.int64])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("holds 320 distinct values (instance ids), not class labels: the schema reads 7 values as classes"),
                      text.stdout)
        XCTAssertFalse(text.stdout.contains("outside schema"), text.stdout)

        let json = try CLI.run(["info", refs.int32, "--labels", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains(#""instance_ids":{"distinct_values":320}"#), json.stdout)
        XCTAssertFalse(json.stdout.contains("\"histogram\""), json.stdout)

        // Class labels keep their histogram, named through the schema's listed values.
        let masks = try binarySchemas().masks
        try TIFFStack.write(.uint8(Volume(shape: shape, data: (0..<shape.count).map { $0 % 4 == 0 ? 255 : 0 })), path: dir + "/mask.tif")
        let histogram = try CLI.run(["info", dir + "/mask.tif", "--labels", "--schema", masks, "--json"])
        XCTAssertEqual(histogram.status, 0, histogram.stderr)
        XCTAssertTrue(histogram.stdout.contains(#""histogram":[{"class":0,"value":0,"name":"membrane","voxels":720},{"class":1,"value":255,"name":"interior","voxels":240}]"#),
                      histogram.stdout)
    }
}
