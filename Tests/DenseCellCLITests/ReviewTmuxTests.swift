import DenseCellCore
import DenseCellIO
import Foundation
import XCTest

extension ViewTmuxTests {
    /// The review loop end to end: walk the region queue, decide two regions, flag a place with a
    /// note, quit; the log lists exactly that and consensus applies it voxel by voxel.
    func testReviewLoopRecordsDecisionsAndFlagsThatConsensusApplies() throws {
        let study = dir + "/phantom.h5"
        let made = try CLI.run(["phantom", study, "--shape", "10x160x160", "--seed", "4"])
        XCTAssertEqual(made.status, 0, made.stderr)
        try startShell(cols: 100, rows: 30, study: "phantom.h5", expect: "z 0/10", extra: " --reviewer ana")
        // Sources are truth, annotator-1, annotator-2: Tab twice compares the two annotators.
        try keys("Tab"); try keys("Tab")
        try waitFor("the annotator pair") { $0.contains("comparing annotator-1 (A) with annotator-2 (B)") }
        try keys("r")
        try waitFor("the region queue") { $0.contains("regions of annotator-1 vs annotator-2, 0 decided") }
        try keys("n")
        var s = try waitFor("the first region") { $0.contains("region 1/") }
        XCTAssertTrue(s.contains("a/b take A/B"), "review hints in the footer:\n\(s)")
        try keys("b")
        try waitFor("the decision") { $0.contains("region 1: took B (annotator-2)") }
        try keys("n")
        try waitFor("region 3") { $0.contains("region 3/") }
        try keys("a")
        try waitFor("the second decision") { $0.contains("region 3: took A (annotator-1)") }
        try keys("f")
        try waitFor("the note prompt") { $0.contains("note:") && $0.contains("Enter saves") }
        try keys("-l", "granule edge unclear")
        try keys("Enter")
        s = try waitFor("the flag") { $0.contains("flagged (") }
        XCTAssertTrue(s.contains("granule edge unclear"), s)
        try keys("q")
        try waitFor("the shell after the viewer") { $0.contains("READY$") && !$0.contains("z 0/10") && !$0.contains("region 3/") }

        let listed = try CLI.run(["review", study, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let items = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as! [String: Any])["items"] as! [[String: Any]]
        XCTAssertEqual(items.map { $0["kind"] as! String }, ["decision", "decision", "flag"])
        XCTAssertEqual(items.map { $0["take"] as? String }, ["b", "a", nil])
        XCTAssertEqual(items.map { ($0["region"] as? [String: Any])?["id"] as? Int }.prefix(2), [1, 3])
        XCTAssertEqual(items[2]["note"] as? String, "granule edge unclear")
        XCTAssertEqual(Set(items.map { $0["reviewer"] as! String }), ["ana"])
        XCTAssertEqual(items[0]["pair"] as? [String], ["annotator-1", "annotator-2"])

        let out = dir + "/consensus.h5"
        let c = try CLI.run(["consensus", study, "--pair", "annotator-1,annotator-2", "--out", out])
        XCTAssertEqual(c.status, 0, c.stderr)
        let regions = try CLI.run(["regions", study, "--pair", "annotator-1,annotator-2", "--json"])
        let first = ((try JSONSerialization.jsonObject(with: Data(regions.stdout.utf8)) as! [String: Any])["regions"] as! [[String: Any]])[0]
        let read = { (path: String, name: String) in try HDF5File(path: path).readArray("/labels/" + name, as: .uint8, of: UInt8.self).data }
        let a = try read(study, "annotator-1"), b = try read(study, "annotator-2"), consensus = try read(out, "consensus")
        let shape = Shape3(10, 160, 160)
        let region = ReviewCLITests.floodFill(a: a, b: b, shape: shape, seed: first["seed"] as! [Int])
        XCTAssertEqual(region.count, first["voxels"] as! Int)
        var changed = 0
        for i in 0..<shape.count {
            let expected = region.contains(i) ? b[i] : a[i]
            if consensus[i] != expected { XCTFail("voxel \(i): consensus \(consensus[i]), expected \(expected)"); break }
            if consensus[i] != a[i] { changed += 1 }
        }
        XCTAssertEqual(changed, region.count)
    }
}
