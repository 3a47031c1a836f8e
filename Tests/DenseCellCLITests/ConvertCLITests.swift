import XCTest
import DenseCellCore
import DenseCellIO

/// `densecell convert` as a user runs it: what it writes is read by zarr-python and ome-zarr-py
/// (check-ome-zarr.py, run with the interpreter `make deps` puts in .build/venv), volumes of any
/// format become a study's image, and bad input is one line with exit status 2 and no output.
final class ConvertCLITests: XCTestCase {
    var dir = ""

    override func setUp() { dir = CLI.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The venv's Python with zarr and ome-zarr; in CI its absence is a failure, elsewhere a skip.
    func python() throws -> String {
        let path = CLI.packageRoot.appendingPathComponent(".build/venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        let message = "\(path) is missing: run `make deps` to create the venv with zarr, ome-zarr and numcodecs"
        if ProcessInfo.processInfo.environment["CI"] != nil { throw MissingVenv(description: message) }
        throw XCTSkip(message)
    }

    struct MissingVenv: Error, CustomStringConvertible { var description: String }

    func phantom(_ shape: String = "6x70x90", name: String = "study.h5") throws -> String {
        let study = dir + "/" + name
        let r = try CLI.run(["phantom", study, "--shape", shape, "--seed", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return study
    }

    /// Writes the study's image and labels as raw files and the JSON check-ome-zarr.py reads.
    func expectation(_ study: String, zarrFormat: Int, levels: Int, sharded: Bool) throws -> String {
        let opened = try OpenedStudy.open(study: study)
        let box = Box3(shape: opened.shape)
        guard case .uint8(let image) = try opened.image!.read(box) else { XCTFail("phantom image is not uint8"); return "" }
        _ = FileManager.default.createFile(atPath: dir + "/image.raw", contents: Data(image.data))
        var labels: [String: Any] = [:]
        for source in opened.labels {
            let file = dir + "/\(source.name).raw"
            _ = FileManager.default.createFile(atPath: file, contents: Data(try source.readLabels(box, mapping: LabelMapping(classCount: 7)).data))
            labels[source.name] = ["file": file, "dtype": "uint8", "role": source.role.rawValue]
        }
        var colors: [String: [Int]] = [:]
        for (i, c) in LabelSchema.platelet.classes.enumerated() { if let rgb = c.color { colors["\(i)"] = [Int(rgb.r), Int(rgb.g), Int(rgb.b)] } }
        let s = opened.shape
        let json: [String: Any] = ["shape": [s.z, s.y, s.x], "resolution": opened.resolutionNM!, "zarr_format": zarrFormat, "levels": levels,
                                   "shard": sharded, "image": ["file": dir + "/image.raw", "dtype": "uint8"], "labels": labels, "colors": colors]
        let path = dir + "/expected.json"
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testZarrPythonAndOmeZarrPyReadWhatConvertWrites() throws {
        let python = try python()
        let study = try phantom()
        let script = CLI.packageRoot.appendingPathComponent("Tests/DenseCellCLITests/check-ome-zarr.py").path
        let cases: [(args: [String], format: Int, levels: Int, sharded: Bool)] = [
            ([], 2, 1, false),   // 90 pixels wide: no level needed
            (["--levels", "3", "--codec", "blosc-zstd", "--chunks", "2x32x32"], 2, 3, false),
            (["--zarr-version", "3", "--levels", "2", "--codec", "gzip"], 3, 2, false),
            (["--shard", "4x64x64", "--chunks", "2x32x32", "--levels", "3"], 3, 3, true),
        ]
        for c in cases {
            let store = dir + "/out.ome.zarr"
            let r = try CLI.run(["convert", study, "--out", store] + c.args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("labels truth"), r.stdout)
            let expected = try expectation(study, zarrFormat: c.format, levels: c.levels, sharded: c.sharded)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script, store, expected]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "\(c.args): \(text)")
            // And back: the HDF5 study made from the store holds the same voxels.
            let back = dir + "/back.h5"
            XCTAssertEqual(try CLI.run(["convert", store, "--out", back]).status, 0)
            let a = try OpenedStudy.open(study: study), b = try OpenedStudy.open(study: back)
            XCTAssertTrue(try a.image!.read(a.image!.bounds).asDouble().data == b.image!.read(b.image!.bounds).asDouble().data, "\(c.args)")
            XCTAssertEqual(b.labels.map(\.name), a.labels.map(\.name))
            XCTAssertEqual(b.resolutionNM, a.resolutionNM)
        }
    }

    func testVolumesOfAnyFormatBecomeTheImage() throws {
        let study = try phantom()
        let store = dir + "/t.ome.zarr"
        // A 16-bit TIFF keeps its type; a label source comes from another file's dataset.
        let tiff = CLI.fixtures + "/tifffile-uint16.tif"
        var r = try CLI.run(["convert", tiff, "--out", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let source = try VolumeReader.open(try VolumeReference.parse(tiff))
        let written = try VolumeReader.open(try VolumeReference.parse(store))
        XCTAssertEqual(written.typeName, "uint16")
        XCTAssertTrue(try written.read(written.bounds).asDouble().data == source.read(source.bounds).asDouble().data)
        r = try CLI.run(["convert", study + ":/image", "--labels", "truth=\(study):/labels/truth", "--out", store])
        XCTAssertEqual(r.status, 0, r.stderr)
        let opened = try OpenedStudy.open(study: store)
        XCTAssertEqual(opened.available, ["truth"])
        XCTAssertEqual(opened.labels.first?.role, .truth)
        // A single zarr array (the store's own level 0) converts back to an HDF5 image.
        r = try CLI.run(["convert", store + "/0", "--out", dir + "/level0.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let level0 = try OpenedStudy.open(study: dir + "/level0.h5")
        XCTAssertEqual(level0.shape, opened.shape)
    }

    func testSegmentAndConsensusWriteIntoOMEZarrStores() throws {
        let study = try phantom("4x48x48")
        let models = dir + "/m.h5"
        XCTAssertEqual(try CLI.run(["model", "init", models, "--width", "4", "--seed", "1"]).status, 0)
        // A new store: the image, the labels with their role, the probabilities.
        let store = dir + "/seg.ome.zarr"
        var r = try CLI.run(["segment", study, "--models", models, "--out", store, "--probabilities", "--window", "3x32x32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        var opened = try OpenedStudy.open(study: store)
        XCTAssertEqual(opened.available, ["ensemble"])
        XCTAssertEqual(opened.labels.first?.role, .algorithm)
        XCTAssertEqual(opened.resolutionNM, [50, 20, 20])
        let source = try OpenedStudy.open(study: study)
        XCTAssertTrue(try opened.image!.read(opened.image!.bounds).asDouble().data == source.image!.read(source.image!.bounds).asDouble().data)
        XCTAssertTrue(FileManager.default.fileExists(atPath: store + "/probabilities/ensemble/.zarray"))
        // An existing store keeps its image and sources and gets the consensus and its undecided mask.
        let converted = dir + "/study.ome.zarr"
        XCTAssertEqual(try CLI.run(["convert", study, "--out", converted, "--zarr-version", "3"]).status, 0)
        r = try CLI.run(["consensus", converted, "--vote", "truth,annotator-1,annotator-2", "--out", converted])
        XCTAssertEqual(r.status, 0, r.stderr)
        opened = try OpenedStudy.open(study: converted)
        XCTAssertEqual(Set(opened.available), ["truth", "annotator-1", "annotator-2", "consensus"])
        XCTAssertEqual(try opened.source("consensus").role, .truth)
        XCTAssertTrue(FileManager.default.fileExists(atPath: converted + "/masks/consensus-undecided/zarr.json"))
        // Its majority is the one the HDF5 study gets.
        let h5 = dir + "/consensus.h5"
        XCTAssertEqual(try CLI.run(["consensus", study, "--vote", "truth,annotator-1,annotator-2", "--out", h5]).status, 0)
        let a = try OpenedStudy.open(study: h5, needsImage: false).source("consensus").labels, b = try opened.source("consensus").labels
        XCTAssertTrue(try a.read(a.bounds).asDouble().data == b.read(b.bounds).asDouble().data)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }, [])

        // A label image densecell wrote keeps its "class indices" mark when named by itself, so a
        // values schema (0/255) does not remap it.
        let values = dir + "/values.json"
        try #"{"classes":[{"name":"outside","values":[0]},{"name":"inside","values":[255]}],"organelles":[1]}"#
            .write(toFile: values, atomically: true, encoding: .utf8)
        r = try CLI.run(["info", converted + ":/labels/consensus", "--schema", values])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("outside the schema"), r.stderr)

        // A store of another shape is refused before any work, not after it.
        let small = try phantom("3x32x32", name: "small.h5")
        r = try CLI.run(["segment", small, "--models", models, "--out", converted, "--window", "3x32x32"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("the store's image is 4×48×48, not 3×32×32"), r.stderr)
        XCTAssertFalse(r.stderr.contains("segment: "), "refused before segmenting: \(r.stderr)")
        // A store is not converted onto itself (what a conversion does not carry would be lost).
        r = try CLI.run(["convert", converted, "--out", converted])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("is the source itself"), r.stderr)
    }

    func testBadInputIsOneLineExitTwoAndWritesNothing() throws {
        let study = try phantom("4x40x40")
        let folder = dir + "/notes.zarr"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let cases: [([String], String)] = [
            ([study, "--out", dir + "/o.ome.zarr", "--codec", "lz4"], "--codec"),
            ([study, "--out", dir + "/o.ome.zarr", "--zarr-version", "2", "--shard", "4x64x64"], "--shard"),
            ([study, "--out", dir + "/o.h5", "--shard", "4x64x64"], "OME-Zarr"),
            ([study, "--out", dir + "/o.ome.zarr", "--shard", "3x64x64", "--chunks", "2x32x32"], "multiple of the chunks"),
            ([study, "--out", dir + "/missing/o.ome.zarr"], "does not exist"),
            ([study, "--out", folder], "not a Zarr store"),
            ([dir + "/nothing.h5", "--out", dir + "/o.ome.zarr"], "no such file"),
        ]
        for (args, words) in cases {
            let r = try CLI.run(["convert"] + args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(left, ["notes.zarr", "study.h5"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }
}
