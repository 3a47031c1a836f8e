import XCTest
@testable import DenseCellIO
import Foundation
import TestSupport

/// End-to-end runs of `densecell train` on small phantoms (the built binary).
final class TrainCLITests: XCTestCase {
    func testTrainWritesModelsLogsAndResumes() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/train.h5", "--shape", "6x48x48", "--seed", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/eval.h5", "--shape", "5x32x32", "--seed", "2"]).status, 0)
        let args = ["train", "--train", "\(dir)/train.h5", "--eval", "\(dir)/eval.h5", "--out", "\(dir)/models",
                    "--instances", "2", "--seed", "5", "--width", "4", "--window", "5x32x32", "--eval-interval", "2"]
        let r = try CLI.run(args + ["--steps", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for seed in [5, 6] {
            let file = try HDF5File(path: "\(dir)/models/model-seed\(seed).h5")
            XCTAssertEqual(file.attribute("/", "format")?.stringValue, "densecell-model")
            XCTAssertEqual(file.attribute("/", "seed")?.intValues, [seed])
            XCTAssertEqual(file.attribute("/", "steps")?.intValues, [2])
            XCTAssertEqual(file.attribute("/", "width")?.intValues, [4])
            XCTAssertNotNil(file.attribute("/", "eval_miou_all")?.doubleValues?.first.flatMap { $0.isNaN ? nil : $0 })
            let csv = try String(contentsOfFile: "\(dir)/models/model-seed\(seed).csv", encoding: .utf8)
            XCTAssertEqual(csv.split(separator: "\n").count, 2)
        }
        // Seeds differ, so do the weights.
        let a = try HDF5File(path: "\(dir)/models/model-seed5.h5").readArray("/weights/enc0.conv0/kernel", as: .float32, of: Float.self).data
        let b = try HDF5File(path: "\(dir)/models/model-seed6.h5").readArray("/weights/enc0.conv0/kernel", as: .float32, of: Float.self).data
        XCTAssertNotEqual(a, b)
        // The models segment.
        let s = try CLI.run(["segment", "\(dir)/eval.h5", "--models", "\(dir)/models", "--out", "\(dir)/seg.h5", "--window", "5x32x32"])
        XCTAssertEqual(s.status, 0, s.stderr)
        // --resume continues each log.
        let again = try CLI.run(args + ["--steps", "4", "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let csv = try String(contentsOfFile: "\(dir)/models/model-seed5.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",")[0] }, ["2", "4"])
    }

    /// `train` leaves the best checkpoint's predictions on the held-out volume as a study beside
    /// the models (the same labels `segment` writes with that model file), and `report` of that
    /// study draws the learning curves with the numbers of the training log.
    func testEvaluationStudyAndLearningCurves() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/train.h5", "--shape", "6x48x48", "--seed", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/eval.h5", "--shape", "5x32x32", "--seed", "2"]).status, 0)
        let r = try CLI.run(["train", "--train", "\(dir)/train.h5", "--eval", "\(dir)/eval.h5", "--out", "\(dir)/models",
                             "--seed", "3", "--width", "4", "--window", "5x32x32", "--steps", "6", "--eval-interval", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let studyPath = "\(dir)/models/evaluation/model-seed3-eval.h5"
        let study = try StudyFile.read(path: studyPath)
        let eval = try StudyFile.read(path: "\(dir)/eval.h5")
        XCTAssertEqual(study.source(named: "truth")?.labels, eval.source(named: "truth")?.labels)
        XCTAssertEqual(study.source(named: "truth")?.role, .truth)
        XCTAssertEqual(study.source(named: "model-seed3")?.role, .algorithm)
        XCTAssertEqual(study.image.data, eval.image.data)
        // Not in the models directory itself: `segment --models DIR` takes every .h5 there.
        let s = try CLI.run(["segment", "\(dir)/eval.h5", "--models", "\(dir)/models", "--out", "\(dir)/seg.h5", "--window", "5x32x32"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(try StudyFile.read(path: "\(dir)/seg.h5").source(named: "ensemble")?.labels, study.source(named: "model-seed3")?.labels)
        let file = try HDF5File(path: studyPath)
        XCTAssertEqual(file.attribute("/", "training_logs"), .strings(["../model-seed3.csv"]))
        XCTAssertEqual(try file.info("/probabilities/model-seed3").dims, [7, 5, 32, 32])

        let report = try CLI.run(["report", studyPath, "--out", "\(dir)/report"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let csv = try String(contentsOfFile: "\(dir)/models/model-seed3.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(csv.map { $0[0] }, ["2", "4", "6"])
        let miou = try MarkupNode.parse(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/report/training-miou.svg")))
        let loss = try MarkupNode.parse(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/report/training-loss.svg")))
        func points(_ svg: MarkupNode, _ metric: String) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: svg.all.filter { $0.attributes["data-metric"] == metric }
                .map { ($0.attributes["data-step"]!, Double($0.attributes["data-value"]!)!) })
        }
        let all = points(miou, "training_miou_all"), org = points(miou, "training_miou_org"), losses = points(loss, "training_loss")
        for line in csv {
            XCTAssertEqual(losses[line[0]]!, Double(line[2])!, accuracy: 1e-9 * abs(Double(line[2])!))
            XCTAssertEqual(all[line[0]]!, Double(line[4])!, accuracy: 1e-12)
            if let o = Double(line[5]) { XCTAssertEqual(org[line[0]]!, o, accuracy: 1e-12) }
        }
        // Later steps lie further right on the chart.
        let cx = miou.all.filter { $0.attributes["data-metric"] == "training_miou_all" }.map { Double($0.attributes["cx"]!)! }
        XCTAssertEqual(cx, cx.sorted())
        XCTAssertEqual(Set(cx).count, 3)
        let page = try String(contentsOfFile: "\(dir)/report/index.html", encoding: .utf8)
        XCTAssertTrue(page.contains("training-loss.svg") && page.contains("training-miou.svg"))
        // A log given on the command line that does not exist is bad input.
        let missing = try CLI.run(["report", studyPath, "--training-log", "\(dir)/nope.csv", "--out", "\(dir)/report2"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
    }

    /// The array task runs `train` with every option given, as parsed, one instance per task.
    func testSlurmTaskTrainsWithEveryOptionGiven() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "s.h5", "--shape", "5x32x32", "--seed", "1"], cwd: dir).status, 0)
        let r = try CLI.run(["train", "--train", "s.h5", "--eval-image", "s.h5:/image", "--eval-labels", "s.h5:/labels/truth",
                             "--out", "models", "--instances", "2", "--seed", "5", "--width", "4", "--window", "5x32x32",
                             "--steps", "2", "--eval-interval", "3", "--elastic-sigma", "2.5", "--no-conv333", "--no-pyramid",
                             "--loss", "dice-ce", "--decay", "staircase", "--no-multiloss", "--slurm", "jobs", "--sbatch-args", "--time=10"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let words = try CLI.execWords(dir + "/jobs/train.sbatch")
        XCTAssertEqual(Array(words.dropFirst()),
                       ["train", "--train=s.h5", "--out=models", "--eval-image=s.h5:/image", "--eval-labels=s.h5:/labels/truth",
                        "--instances=1", "--seed=\"$((SLURM_ARRAY_TASK_ID + 5))\"", "--width=4", "--no-conv333", "--no-pyramid",
                        "--steps=2", "--window=5x32x32", "--eval-interval=3", "--elastic-sigma=2.5", "--loss=dice-ce",
                        "--decay=staircase", "--no-multiloss"])
        let task = try CLI.runJobScript(dir + "/jobs/train.sbatch", task: 1, cwd: dir)
        XCTAssertEqual(task.status, 0, task.stdout)
        let file = try HDF5File(path: "\(dir)/models/model-seed6.h5")
        XCTAssertEqual(file.attribute("/", "seed")?.intValues, [6])
        XCTAssertEqual(file.attribute("/", "steps")?.intValues, [2])
        XCTAssertEqual(file.attribute("/", "width")?.intValues, [4])
        XCTAssertEqual(file.attribute("/", "conv333")?.intValues, [0])
        XCTAssertEqual(file.attribute("/", "pyramid")?.intValues, [0])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/models/model-seed5.h5"), "one instance per task")
    }

    func testBadInputExitsWithStatus2() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/s.h5", "--shape", "5x32x32", "--seed", "1"]).status, 0)
        let base = ["train", "--train", "\(dir)/s.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/m", "--width", "4"]
        let big = try CLI.run(base + ["--window", "5x64x64"])
        XCTAssertEqual(big.status, 2)
        XCTAssertTrue(big.stderr.contains("smaller than the window"), big.stderr)
        let odd = try CLI.run(base + ["--window", "5x30x30"])
        XCTAssertEqual(odd.status, 2)
        let missing = try CLI.run(["train", "--train", "\(dir)/none.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/m"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("none.h5"), missing.stderr)
        let help = try CLI.run(["train", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:"))
    }

    func testOutputDirectoryThatCannotBeCreatedIsAFailureWhileWorking() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/s.h5", "--shape", "5x32x32", "--seed", "1"]).status, 0)
        // A plain file where a parent directory should be: creating the output directory fails.
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: "\(dir)/file"))
        let r = try CLI.run(["train", "--train", "\(dir)/s.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/file/models",
                             "--width", "4", "--window", "5x32x32", "--steps", "1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("densecell: \(dir)/file/models: cannot create the directory"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Error:"), r.stderr)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
    }

    func testSchemaIsBadInputWhenUnreadableOrTooSmall() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/s.h5", "--shape", "5x32x32", "--seed", "1"]).status, 0)
        let base = ["train", "--train", "\(dir)/s.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/m",
                    "--width", "4", "--window", "5x32x32", "--steps", "1"]
        let missing = try CLI.run(base + ["--schema", "\(dir)/none.json"])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("densecell: \(dir)/none.json: cannot read schema"), missing.stderr)
        XCTAssertEqual(missing.stderr.filter { $0 == "\n" }.count, 1, missing.stderr)
        // The phantom's labels go up to 6; a three-class schema cannot hold them.
        let small = "{\"classes\":[{\"name\":\"bg\"},{\"name\":\"cell\",\"color\":\"#5B8DB8\"},{\"name\":\"mito\",\"color\":\"#3BAA5C\"}],\"organelles\":[2]}"
        try Data(small.utf8).write(to: URL(fileURLWithPath: "\(dir)/small.json"))
        let r = try CLI.run(base + ["--schema", "\(dir)/small.json"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("s.h5:/labels/truth: label value"), r.stderr)
        XCTAssertTrue(r.stderr.contains("outside the schema (classes 0–2)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/m"), "nothing written for bad input")
    }

    func testSchemaSetsClassesNamesAndOrganelleMetric() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/train.h5", "--shape", "6x32x32", "--seed", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/eval.h5", "--shape", "5x32x32", "--seed", "2"]).status, 0)
        // Eight classes (one more than the phantom uses) and only class 2 as an organelle.
        let names = (0..<8).map { "k\($0)" }
        let schema = "{\"classes\":[" + names.map { "{\"name\":\"\($0)\",\"color\":\"#808080\"}" }.joined(separator: ",")
            + "],\"organelles\":[2]}"
        try Data(schema.utf8).write(to: URL(fileURLWithPath: "\(dir)/s.json"))
        let r = try CLI.run(["train", "--train", "\(dir)/train.h5", "--eval", "\(dir)/eval.h5", "--out", "\(dir)/m",
                             "--width", "4", "--window", "5x32x32", "--steps", "2", "--eval-interval", "2",
                             "--seed", "3", "--schema", "\(dir)/s.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let model = try HDF5File(path: "\(dir)/m/model-seed3.h5")
        XCTAssertEqual(model.attribute("/", "classes")?.intValues, [8])
        XCTAssertEqual(model.attribute("/", "class_names"), .strings(names))
        XCTAssertEqual(try model.info("/weights/pred3d/bias").dims, [8])
        let recorded = try XCTUnwrap(model.attribute("/", "eval_miou_org")?.doubleValues?.first)

        // The recorded MIoU(org) is the schema's: evaluating the model's own segmentation of the
        // held-out study with the same schema gives the same number.
        let s = try CLI.run(["segment", "\(dir)/eval.h5", "--models", "\(dir)/m/model-seed3.h5", "--out", "\(dir)/seg.h5",
                             "--window", "5x32x32"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let e = try CLI.run(["evaluate", "\(dir)/eval.h5:/labels/truth", "\(dir)/seg.h5:/labels/ensemble",
                             "--schema", "\(dir)/s.json", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["classes"] as? [String], names)
        if recorded.isNaN {
            XCTAssertTrue(json["miou_org"] is NSNull, "\(json)")
        } else {
            XCTAssertEqual(try XCTUnwrap(json["miou_org"] as? Double), recorded, accuracy: 1e-9)
        }
    }
}
