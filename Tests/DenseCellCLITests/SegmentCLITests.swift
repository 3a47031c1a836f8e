import XCTest
import DenseCellCore
@testable import DenseCellIO
import Foundation

/// End-to-end runs of `densecell model init`, `segment` and `bench` (the built debug binary).
final class SegmentCLITests: XCTestCase {
    static let binary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/densecell").path
    }()

    var dir: String = ""

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.binary), "build densecell first")
        dir = NSTemporaryDirectory() + "dc-segment-cli-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A small study: smooth blobs on a bright background, uint8, with a truth label source.
    func makeStudy(_ path: String, shape: Shape3) throws -> Study {
        var image = Volume<Float>(shape: shape, repeating: 200)
        var truth = Volume<UInt8>(shape: shape, repeating: 0)
        for z in 0..<shape.z { for y in 0..<shape.y { for x in 0..<shape.x {
            let d = hypot(Double(y - shape.y / 2), Double(x - shape.x / 2))
            if d < Double(shape.y) / 3 { image[z, y, x] = Float(100 + (x * 7 + y * 3 + z) % 40); truth[z, y, x] = 1 }
        } } }
        let study = Study(image: image, resolutionNM: [50, 20, 20], labels: [LabelSource(name: "truth", role: .truth, labels: truth)])
        try StudyFile.write(study, path: path)
        return study
    }

    func makeModels(_ n: Int, width: Int = 8) throws -> String {
        let models = dir + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        for s in 1...n {
            let r = try run(["model", "init", "\(models)/m\(s).h5", "--width", "\(width)", "--seed", "\(s)"])
            XCTAssertEqual(r.status, 0, r.err)
        }
        return models
    }

    func testSegmentIntoNewStudyWithProbabilities() throws {
        let input = dir + "/in.h5"
        let study = try makeStudy(input, shape: Shape3(7, 48, 40))
        let models = try makeModels(2)
        let out = dir + "/out.h5"
        let r = try run(["segment", input, "--models", models, "--out", out, "--probabilities", "--window", "5x32x32", "--tta"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("100%"), "progress reaches 100%: \(r.err)")
        let file = try HDF5File(path: out)
        // A new file is a complete study: the image is copied (uint8 stays uint8).
        XCTAssertEqual(try file.info("/image").typeName, "uint8")
        XCTAssertEqual(try VolumeReader.readHDF5(file, "/image").asFloat(), study.image)
        XCTAssertEqual(file.attribute("/image", "resolution_nm")?.doubleValues, [50, 20, 20])
        XCTAssertEqual(file.attribute("/labels/ensemble", "role")?.stringValue, "algorithm")
        let pinfo = try file.info("/probabilities/ensemble")
        XCTAssertEqual(pinfo.dims, [7, 7, 48, 40]); XCTAssertEqual(pinfo.typeName, "float16")
        let labels = try file.readArray("/labels/ensemble", as: .uint8, of: UInt8.self).data
        let p = try file.readArray("/probabilities/ensemble", as: .float32, of: Float.self).data
        let n = 7 * 48 * 40
        var mismatches = 0
        for v in 0..<n {
            let column = (0..<7).map { p[$0 * n + v] }
            XCTAssertEqual(column.reduce(0, +), 1, accuracy: 0.01)
            // Labels are the argmax of the float32 probabilities; float16 storage may flip near-ties.
            if column[Int(labels[v])] < column.max()! - 2e-3 { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
        // `info` describes the result.
        let info = try run(["info", out])
        XCTAssertEqual(info.status, 0)
        XCTAssertTrue(info.out.contains("/labels/ensemble  7×48×40  uint8"), info.out)
        XCTAssertTrue(info.out.contains("/probabilities/ensemble  7×7×48×40  float16"), info.out)
        XCTAssertTrue(info.out.contains("role=algorithm"), info.out)
    }

    func testSegmentIntoExistingStudyWithRegionOfInterest() throws {
        let study = dir + "/study.h5"
        _ = try makeStudy(study, shape: Shape3(6, 40, 40))
        let models = try makeModels(1)
        let r = try run(["segment", study, "--models", models + "/m1.h5", "--out", study, "--name", "roi",
                         "--roi", "1:4,8:32,:20", "--window", "5x16x16"])
        XCTAssertEqual(r.status, 0, r.err)
        let loaded = try StudyFile.read(path: study)
        XCTAssertEqual(loaded.labels.map(\.name).sorted(), ["roi", "truth"])
        let source = loaded.source(named: "roi")!
        XCTAssertEqual(source.role, .algorithm)
        let mask = try XCTUnwrap(source.mask)
        let inside = Box3(z: 1..<4, y: 8..<32, x: 0..<20)
        for z in 0..<6 { for y in 0..<40 { for x in 0..<40 {
            let isInside = inside.z.contains(z) && inside.y.contains(y) && inside.x.contains(x)
            XCTAssertEqual(mask[z, y, x], isInside ? 1 : 0)
            if !isInside { XCTAssertEqual(source.labels[z, y, x], 0) }
        } } }
        // The truth is untouched.
        XCTAssertEqual(loaded.source(named: "truth")!.labels.data.filter { $0 == 1 }.count > 0, true)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".partial-") })
    }

    func testBadInputExitsWithStatus2AndWritesNothing() throws {
        let input = dir + "/in.h5"
        _ = try makeStudy(input, shape: Shape3(3, 16, 16))
        let models = try makeModels(1)
        let out = dir + "/never.h5"
        var r = try run(["segment", input, "--models", dir + "/missing", "--out", out])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("missing"), r.err)
        r = try run(["segment", input, "--models", models, "--out", out, "--window", "5x30x32"])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("--window"), r.err)
        r = try run(["segment", input, "--models", models, "--out", out, "--roi", "0:9,0:4,0:4"])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("--roi"), r.err)
        r = try run(["segment", input + ":/nope", "--models", models, "--out", out])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("/nope"), r.err)
        // Not a model file.
        r = try run(["segment", input, "--models", input, "--out", out])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("model"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        // An existing output with a different image shape is refused and left as it was.
        let other = dir + "/other.h5"
        _ = try makeStudy(other, shape: Shape3(3, 16, 20))
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        r = try run(["segment", input, "--models", models, "--out", other])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.err.contains("does not match"), r.err)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: other)), before)
    }

    /// A window whose activations cannot fit in memory is a one-line usage error, not a crash.
    func testAWindowTooLargeForMemoryIsRefusedInOneLine() throws {
        let input = dir + "/in.h5"
        _ = try makeStudy(input, shape: Shape3(3, 16, 16))
        let models = try makeModels(1)
        let out = dir + "/never.h5"
        // y and x shrink to the image; the depth is kept, and a hundred million slices fit nowhere.
        for command in [["segment", input, "--models", models, "--out", out, "--window", "100000000x16x16"],
                        ["bench", "--width", "8", "--window", "100000000x32x32", "--seconds", "0.1"]] {
            let r = try run(command)
            XCTAssertEqual(r.status, 2, "\(command): \(r.err)")
            // The command's own progress lines come first; the refusal is one line, the last.
            let errors = r.err.split(separator: "\n").filter { !$0.hasPrefix("densecell \(command[0]): ") }
            XCTAssertEqual(errors.count, 1, r.err)
            XCTAssertTrue(errors.first?.hasPrefix("densecell: window 100000000×") == true, r.err)
            XCTAssertTrue(errors.first?.contains("activations need") == true, r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testHelpHasExamplesAndBenchPrintsJSON() throws {
        for command in [["segment"], ["bench"], ["model", "init"]] {
            let r = try run(command + ["--help"])
            XCTAssertEqual(r.status, 0)
            XCTAssertTrue(r.out.contains("Examples:"), "\(command)")
        }
        let r = try run(["bench", "--width", "8", "--window", "3x32x32", "--seconds", "0.2", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        XCTAssertEqual(object?["width"] as? Int, 8)
        XCTAssertEqual(object?["window"] as? [Int], [3, 32, 32])
        // auto resolves to bf16 where oneDNN runs it natively (AVX512-BF16 or AMX), f32 elsewhere, and
        // says which instruction set decided.
        XCTAssertEqual(object?["precision_requested"] as? String, "auto")
        XCTAssertTrue(["f32", "bf16"].contains(object?["precision"] as? String ?? ""))
        let isa = object?["cpu_isa"] as? String ?? ""
        XCTAssertEqual(object?["precision"] as? String == "bf16", isa.hasPrefix("avx512_core_bf16") || isa.hasPrefix("avx512_core_amx"), isa)
        for key in ["voxels_per_second", "gflops", "peak_gflops"] {
            XCTAssertGreaterThan(object?[key] as? Double ?? 0, 0, key)
        }
        XCTAssertEqual(object?["pyramid"] as? Bool, true)
        // The ablation switches reach the network timed: no pyramid is less work per voxel.
        let ablated = try run(["bench", "--width", "8", "--no-pyramid", "--no-conv333", "--window", "3x32x32", "--seconds", "0.2", "--json"])
        XCTAssertEqual(ablated.status, 0, ablated.err)
        let a = try JSONSerialization.jsonObject(with: Data(ablated.out.utf8)) as? [String: Any]
        XCTAssertEqual(a?["pyramid"] as? Bool, false)
        XCTAssertEqual(a?["conv333"] as? Bool, false)
        XCTAssertLessThan(try XCTUnwrap(a?["gflops"] as? Double) / (a?["voxels_per_second"] as? Double ?? 1),
                          try XCTUnwrap(object?["gflops"] as? Double) / (object?["voxels_per_second"] as? Double ?? 1))
        // bf16 reports its error against f32 on the same window.
        let bf16 = try run(["bench", "--width", "8", "--window", "3x32x32", "--seconds", "0.2", "--json", "--precision", "bf16"])
        XCTAssertEqual(bf16.status, 0, bf16.err)
        let b = try JSONSerialization.jsonObject(with: Data(bf16.out.utf8)) as? [String: Any]
        XCTAssertEqual(b?["precision"] as? String, "bf16")
        let error = try XCTUnwrap(b?["max_abs_probability_error_vs_f32"] as? Double)
        XCTAssertGreaterThan(error, 0); XCTAssertLessThan(error, 0.05)
    }

    /// `bench --end-to-end` runs the segment path on a phantom and accounts for its time by phase.
    func testBenchEndToEndReportsThePhasesOfTheSegmentPath() throws {
        let models = try makeModels(1, width: 4)
        let r = try run(["bench", "--end-to-end", "--shape", "6x40x40", "--window", "5x32x32", "--models", models,
                         "--precision", "f32", "--overlap", "0", "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(object["shape"] as? [Int], [6, 40, 40])
        XCTAssertEqual(object["models"] as? Int, 1)
        XCTAssertEqual(object["overlap"] as? Double, 0)
        let phases = try XCTUnwrap(object["phases"] as? [String: Double])
        for phase in ["read", "gather", "network", "blend", "write", "commit"] { XCTAssertNotNil(phases[phase], phase) }
        XCTAssertTrue(phases.keys.contains { $0.contains("normalize") }, "\(phases.keys)")
        let seconds = try XCTUnwrap(object["seconds"] as? Double)
        XCTAssertEqual(phases.values.reduce(0, +), seconds, accuracy: 0.05 + 0.02 * seconds, "the phases cover the run")
        // `seconds` is printed to the millisecond: allow that rounding on a run of a few milliseconds.
        XCTAssertEqual(object["voxels_per_second"] as? Double ?? 0, Double(6 * 40 * 40) / seconds,
                       accuracy: Double(6 * 40 * 40) / seconds * (0.0006 / seconds + 0.02) + 1)
    }
}
