import XCTest
@testable import DenseCellCore
import DenseCellIO

final class ReviewCLITests: XCTestCase {
    var dir: String!
    var study: String { dir + "/s.h5" }
    override func setUpWithError() throws {
        dir = CLI.temporaryDirectory()
        let r = try CLI.run(["phantom", study, "--shape", "10x128x128", "--seed", "21"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func labels(_ path: String, _ name: String) throws -> [UInt8] {
        try HDF5File(path: path).readArray("/labels/" + name, as: .uint8, of: UInt8.self).data
    }

    /// The region's voxels by a flood fill written here, from the seed `regions --json` gives.
    static func floodFill(a: [UInt8], b: [UInt8], shape: Shape3, seed: [Int]) -> Set<Int> {
        let organelles: Set<UInt8> = [2, 3, 4, 5, 6]
        func counts(_ i: Int) -> Bool { a[i] != b[i] && (organelles.contains(a[i]) || organelles.contains(b[i])) }
        let start = (seed[0] * shape.y + seed[1]) * shape.x + seed[2]
        var seen: Set<Int> = [start], queue = [start]
        while let i = queue.popLast() {
            let z = i / shape.planeCount, y = (i / shape.x) % shape.y, x = i % shape.x
            for (nz, ny, nx) in [(z - 1, y, x), (z + 1, y, x), (z, y - 1, x), (z, y + 1, x), (z, y, x - 1), (z, y, x + 1)]
            where nz >= 0 && nz < shape.z && ny >= 0 && ny < shape.y && nx >= 0 && nx < shape.x {
                let j = (nz * shape.y + ny) * shape.x + nx
                if !seen.contains(j) && counts(j) { seen.insert(j); queue.append(j) }
            }
        }
        return seen
    }

    func testDecisionsGiveConsensusEqualToAExceptTheRegionTakenFromB() throws {
        let regions = try CLI.run(["regions", study, "--pair", "annotator-1,annotator-2", "--json"])
        XCTAssertEqual(regions.status, 0, regions.stderr)
        let doc = try JSONSerialization.jsonObject(with: Data(regions.stdout.utf8)) as! [String: Any]
        let list = doc["regions"] as! [[String: Any]]
        XCTAssertGreaterThan(list.count, 3)
        XCTAssertEqual(list.map { $0["id"] as! Int }, Array(1...list.count))
        let sizes = list.map { $0["voxels"] as! Int }
        XCTAssertEqual(sizes, sizes.sorted(by: >))

        let decide = try CLI.run(["review", study, "--pair", "annotator-1,annotator-2", "--decide", "2=b,1=a", "--reviewer", "ana"])
        XCTAssertEqual(decide.status, 0, decide.stderr)
        XCTAssertEqual(decide.stdout.split(separator: "\n").count, 2)
        let flag = try CLI.run(["review", study, "--flag", "3,40,50", "--note", "membrane, missing", "--reviewer", "bo"])
        XCTAssertEqual(flag.status, 0, flag.stderr)

        let listed = try CLI.run(["review", study, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let items = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as! [String: Any])["items"] as! [[String: Any]]
        XCTAssertEqual(items.map { $0["kind"] as! String }, ["decision", "decision", "flag"])
        XCTAssertEqual(items[0]["take"] as? String, "b")
        XCTAssertEqual((items[0]["region"] as! [String: Any])["id"] as? Int, 2)
        XCTAssertEqual(items[2]["note"] as? String, "membrane, missing")
        XCTAssertEqual(items[2]["reviewer"] as? String, "bo")
        let csv = try CLI.run(["review", study, "--csv"])
        XCTAssertTrue(csv.stdout.contains("\"membrane, missing\""), csv.stdout)

        // One figure per item, oldest first, each a crop with the decision or note in its heading.
        let figures = try CLI.run(["export", study, "--review", dir + "/s.review.jsonl", "--out", dir + "/figs"])
        XCTAssertEqual(figures.status, 0, figures.stderr)
        let paths = figures.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(paths.map { ($0 as NSString).lastPathComponent.components(separatedBy: "-z").first! },
                       ["s-review-001-region2-b", "s-review-002-region1-a", "s-review-003-flag"])
        for path in paths {
            let png = try PNGImage.read(path: path)
            XCTAssertEqual(png.channels, 3)
            XCTAssertGreaterThanOrEqual(png.width, 4 * ReviewFigure.cropSize, "four panes of at least the crop size")
        }

        let out = dir + "/consensus.h5"
        let c = try CLI.run(["consensus", study, "--pair", "annotator-1,annotator-2", "--out", out])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("2/\(list.count) regions decided"), c.stdout)

        let shape = Shape3(10, 128, 128)
        let a = try labels(study, "annotator-1"), b = try labels(study, "annotator-2")
        let consensus = try labels(out, "consensus")
        let region2 = Self.floodFill(a: a, b: b, shape: shape, seed: list[1]["seed"] as! [Int])
        XCTAssertEqual(region2.count, list[1]["voxels"] as! Int)
        var differing = 0
        for i in 0..<shape.count {
            if region2.contains(i) { XCTAssertEqual(consensus[i], b[i]); if consensus[i] != a[i] { differing += 1 } }
            else if consensus[i] != a[i] { XCTFail("voxel \(i) outside the decided region changed"); break }
        }
        XCTAssertEqual(differing, region2.count, "every voxel of the region disagrees, so each changes")
        // Undecided: every region but the two decided ones.
        let undecided = try HDF5File(path: out).readArray("/masks/consensus-undecided", as: .uint8, of: UInt8.self).data
        let expectedUndecided = sizes.dropFirst(2).reduce(0, +)
        XCTAssertEqual(undecided.reduce(0) { $0 + Int($1) }, expectedUndecided)
    }

    func testConsensusCanBeWrittenIntoTheStudyItReads() throws {
        // `--out` names the study itself: its datasets are added in one short write at the end,
        // after every reader of it was let go (HDF5 refuses to open a file read-write that is open).
        let copy = dir + "/self.h5"
        try FileManager.default.copyItem(atPath: study, toPath: copy)
        let r = try CLI.run(["consensus", copy, "--vote", "truth,annotator-1,annotator-2", "--out", copy, "--name", "vote"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let t = try labels(copy, "truth"), a = try labels(copy, "annotator-1"), v = try labels(copy, "vote")
        for i in 0..<v.count where t[i] == a[i] { XCTAssertEqual(v[i], t[i]) }
        XCTAssertEqual(try labels(copy, "truth"), try labels(study, "truth"), "the sources are untouched")
    }

    func testVoteIsTheVoxelwiseMajority() throws {
        let out = dir + "/vote.h5"
        let r = try CLI.run(["consensus", study, "--vote", "truth,annotator-1,annotator-2", "--out", out, "--name", "vote"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let t = try labels(study, "truth"), a = try labels(study, "annotator-1"), b = try labels(study, "annotator-2")
        let v = try labels(out, "vote")
        let undecided = try HDF5File(path: out).readArray("/masks/vote-undecided", as: .uint8, of: UInt8.self).data
        for i in 0..<v.count {
            let majority: UInt8? = a[i] == b[i] ? a[i] : t[i] == a[i] ? t[i] : t[i] == b[i] ? t[i] : nil
            if let m = majority { XCTAssertEqual(v[i], m); XCTAssertEqual(undecided[i], 0) }
            else { XCTAssertEqual(undecided[i], 1); XCTAssertEqual(v[i], t[i]) }
        }
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        let out = dir + "/c.h5"
        let missing = try CLI.run(["consensus", study, "--pair", "annotator-1,nobody", "--out", out])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/labels/nobody"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        // A log written for a study of another shape is refused.
        let other = dir + "/other.h5"
        XCTAssertEqual(try CLI.run(["phantom", other, "--shape", "8x96x96", "--seed", "3"]).status, 0)
        XCTAssertEqual(try CLI.run(["review", other, "--flag", "1,2,3", "--review", dir + "/shared.jsonl"]).status, 0)
        let wrong = try CLI.run(["consensus", study, "--pair", "annotator-1,annotator-2", "--review", dir + "/shared.jsonl", "--out", out])
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("another study"), wrong.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        // A malformed line in the middle names its line.
        let log = dir + "/s.review.jsonl"
        XCTAssertEqual(try CLI.run(["review", study, "--flag", "1,2,3"]).status, 0)
        var text = try String(contentsOfFile: log, encoding: .utf8)
        text += "garbage\n" + text
        try text.write(toFile: log, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["review", study])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("line 2"), bad.stderr)

        let region = try CLI.run(["review", study, "--pair", "annotator-1,annotator-2", "--decide", "9999=a", "--review", dir + "/x.jsonl"])
        XCTAssertEqual(region.status, 2)
        XCTAssertTrue(region.stderr.contains("no region 9999"), region.stderr)
    }

    /// A recording process killed with SIGKILL at random moments: the log replays to exactly the
    /// decisions it acknowledged (plus, at most, the one in flight), and never fails to read.
    func testKilledWriterLosesAtMostTheRecordInFlight() throws {
        let log = dir + "/kill.jsonl"
        let regions = try CLI.run(["regions", study, "--pair", "annotator-1,annotator-2", "--json", "--min-voxels", "1"])
        let count = ((try JSONSerialization.jsonObject(with: Data(regions.stdout.utf8)) as! [String: Any])["regions"] as! [Any]).count
        XCTAssertGreaterThan(count, 50)
        let decisions = (1...count).map { "\($0)=\(["a", "b", "neither"][$0 % 3])" }.joined(separator: ",")
        var acknowledgedTotal = 0
        for round in 0..<6 {
            let before = try ReviewLog.read(path: log).records.count
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["review", study, "--pair", "annotator-1,annotator-2", "--decide", decisions,
                           "--min-voxels", "1", "--review", log]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Kill once a varying number of decisions were acknowledged, a little later each
            // round, so some kills land between writes and some during one.
            let target = [1, 2, 5, 9, 14, 20][round]
            var buffer = Data()
            func acknowledged() -> Int { String(decoding: buffer, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("recorded decision") }.count }
            while acknowledged() < target {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
            }
            usleep(UInt32(round * 300))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            buffer.append(out.fileHandleForReading.readDataToEndOfFile())
            let acked = acknowledged()
            let contents = try ReviewLog.read(path: log)
            let added = contents.records.count - before
            XCTAssertGreaterThanOrEqual(added, acked, "round \(round): an acknowledged decision was lost")
            XCTAssertLessThanOrEqual(added, acked + 1, "round \(round): more than the record in flight appeared")
            acknowledgedTotal += acked
            // Reopening repairs a torn tail, and the log keeps reading.
            _ = try ReviewLog(path: log)
            XCTAssertNil(try ReviewLog.read(path: log).warning)
        }
        XCTAssertGreaterThan(acknowledgedTotal, 0, "the writer should have acknowledged some decisions before being killed")
    }
}
