import XCTest
import DenseCellCore
@testable import DenseCellReport

final class ReviewSummaryTests: XCTestCase {
    let shape = Shape3(4, 32, 32)

    func region(_ id: Int, main: (UInt8, UInt8)) -> DisagreementRegion {
        DisagreementRegion(id: id, voxels: 50 - id, box: Box3(z: 0..<2, y: id..<(id + 4), x: 0..<5), centroid: (0, Double(id), 2),
                           seed: (0, id, 0), classPairs: [ClassPairCount(a: main.0, b: main.1, voxels: 50 - id)])
    }

    func testSummaryReplaysUndoRedecisionAndResolve() {
        let pair = ("annotator-1", "annotator-2")
        let d1 = ReviewRecord(reviewer: "ana", kind: .decision, shape: shape, at: (0, 1, 1), pair: pair, region: region(1, main: (4, 1)), take: .a)
        let d2 = ReviewRecord(reviewer: "ana", kind: .decision, shape: shape, at: (0, 2, 2), pair: pair, region: region(2, main: (4, 1)), take: .b)
        let undo = ReviewRecord(reviewer: "ana", kind: .undo, shape: shape, at: (0, 2, 2), pair: pair, target: d2.id)
        let d3 = ReviewRecord(reviewer: "bo", kind: .decision, shape: shape, at: (0, 3, 3), pair: pair, region: region(3, main: (2, 1)), take: .b)
        let d3again = ReviewRecord(reviewer: "bo", kind: .decision, shape: shape, at: (0, 3, 3), pair: pair, region: region(3, main: (2, 1)), take: .neither)
        let flag = ReviewRecord(reviewer: "bo", kind: .flag, shape: shape, at: (1, 2, 3), note: "look <here>")
        let other = ReviewRecord(reviewer: "cy", kind: .flag, shape: shape, at: (2, 2, 2), note: "fine")
        let resolve = ReviewRecord(reviewer: "cy", kind: .resolve, shape: shape, at: (2, 2, 2), target: other.id)
        let s = ReviewSummary(path: "s.review.jsonl", records: [d1, d2, undo, d3, d3again, flag, other, resolve], schema: .platelet)
        XCTAssertEqual(s.records, 8)
        XCTAssertEqual(s.withdrawn, 2, "one undone, one decided again")
        XCTAssertEqual(s.reviewers, ["ana", "bo", "cy"])
        XCTAssertEqual(s.decisions, [
            .init(pair: "annotator-1 vs annotator-2", classes: ["alpha granule", "cell"], takes: ["a": 1]),
            .init(pair: "annotator-1 vs annotator-2", classes: ["mitochondrion", "cell"], takes: ["neither": 1]),
        ])
        XCTAssertEqual(s.flags.map(\.record.note), ["look <here>", "fine"])
        XCTAssertEqual(s.flags.map(\.line), [6, 7])
        XCTAssertEqual(s.flags.map(\.resolved), [false, true])
    }
}
