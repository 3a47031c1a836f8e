import XCTest
import DenseCellCore
import DenseCellIO
@testable import DenseCellReport

final class ReviewLogTests: XCTestCase {
    func parse(_ lines: String) throws -> ReviewLog {
        try ReviewLog.parse(Data(lines.utf8), path: "s.review.jsonl", schema: .platelet)
    }

    /// Decisions per class pair after undo and re-decisions; flags with notes and resolution.
    func testSummaryReplaysUndoRedecisionAndResolve() throws {
        let log = try parse("""
        {"time":"2026-11-29T10:00:00Z","reviewer":"ana","kind":"decision","z":3,"y":10,"x":12,"pair":["annotator-1","annotator-2"],"region":{"id":1,"voxels":120,"main":[4,1]},"take":"a"}
        {"time":"2026-11-29T10:00:05Z","reviewer":"ana","kind":"decision","z":4,"y":20,"x":22,"pair":["annotator-1","annotator-2"],"region":{"id":2,"voxels":90,"main":[4,1]},"take":"b"}
        {"time":"2026-11-29T10:00:09Z","reviewer":"ana","kind":"undo","pair":["annotator-1","annotator-2"]}
        {"time":"2026-11-29T10:00:12Z","reviewer":"ana","kind":"decision","z":4,"y":20,"x":22,"pair":"annotator-1,annotator-2","region":{"id":2,"voxels":90,"main":["alpha granule","cell"]},"take":"neither"}
        {"time":"2026-11-29T10:01:00Z","reviewer":"bo","kind":"decision","z":5,"y":1,"x":2,"pair":["annotator-1","annotator-2"],"region":{"id":3,"voxels":40,"main":[2,3]},"take":"ensemble"}
        {"time":"2026-11-29T10:01:30Z","reviewer":"bo","kind":"decision","z":5,"y":1,"x":2,"pair":["annotator-1","annotator-2"],"region":{"id":3,"voxels":40,"main":[2,3]},"take":"b"}
        {"time":"2026-11-29T10:02:00Z","reviewer":"bo","kind":"flag","location":[7,8,9],"note":"membrane & <granule> unclear"}
        {"time":"2026-11-29T10:03:00Z","reviewer":"bo","kind":"flag","z":1,"y":2,"x":3,"note":"check the channel"}
        {"time":"2026-11-29T10:04:00Z","reviewer":"ana","kind":"resolve","z":7,"y":8,"x":9}

        """)
        XCTAssertTrue(log.warnings.isEmpty)
        XCTAssertEqual(log.records.count, 9)
        XCTAssertEqual(log.records.map(\.regionID), [1, 2, nil, 2, 3, 3, nil, nil, nil])
        XCTAssertEqual(log.records[7].location, [1, 2, 3])
        let s = ReviewSummary(log)
        XCTAssertEqual(s.records, 9)
        XCTAssertEqual(s.reviewers, ["ana", "bo"])
        // Region 2's "b" was undone, region 3's "ensemble" replaced by "b".
        XCTAssertEqual(s.withdrawn, 2)
        let alphaCell = try XCTUnwrap(s.decisions.first { $0.classes == ["alpha granule", "cell"] })
        XCTAssertEqual(alphaCell.pair, "annotator-1 vs annotator-2")
        XCTAssertEqual(alphaCell.takes, ["a": 1, "neither": 1])
        let mitoChannel = try XCTUnwrap(s.decisions.first { $0.classes == ["mitochondrion", "canalicular channel"] })
        XCTAssertEqual(mitoChannel.takes, ["b": 1])
        XCTAssertEqual(s.decisions.count, 2)
        XCTAssertEqual(s.flags.map(\.record.note), ["membrane & <granule> unclear", "check the channel"])
        XCTAssertEqual(s.flags.map(\.resolved), [true, false])
        XCTAssertEqual(s.flags[0].record.location, [7, 8, 9])
        XCTAssertEqual(s.flags[1].record.line, 8)
    }

    /// A killed writer leaves at most a torn last line: skipped with a warning naming it.
    func testTornLastLineIsSkippedWithAWarning() throws {
        let log = try parse("""
        {"kind":"flag","z":1,"y":2,"x":3,"note":"first"}
        {"kind":"decision","z":1,"y":2,"x":3,"region":{"id":5,"main":[4,5]},"ta
        """)
        XCTAssertEqual(log.records.map(\.kind), [.flag])
        XCTAssertEqual(log.warnings.count, 1)
        XCTAssertTrue(log.warnings[0].contains("line 2"), log.warnings[0])
    }

    /// A malformed line before the end is corruption, not a torn write: one error with its line.
    func testMalformedMiddleLineIsAnErrorWithItsLineNumber() {
        let text = """
        {"kind":"flag","z":1,"y":2,"x":3,"note":"ok"}
        this is not json
        {"kind":"flag","z":1,"y":2,"x":3,"note":"ok too"}

        """
        XCTAssertThrowsError(try parse(text)) { error in
            let e = error as? IOError
            XCTAssertEqual(e?.kind, .corrupt)
            XCTAssertEqual(e?.description, "s.review.jsonl: line 2: not a JSON object")
        }
        XCTAssertThrowsError(try parse("{\"kind\":\"decision\",\"take\":\"maybe\"}\n{\"kind\":\"flag\"}\n")) { error in
            XCTAssertTrue("\(error)".contains("line 1"), "\(error)")
        }
        XCTAssertThrowsError(try parse("{\"kind\":\"shout\"}\n{\"kind\":\"flag\"}\n")) { error in
            XCTAssertTrue("\(error)".contains("unknown kind \"shout\""), "\(error)")
        }
    }

    func testEmptyLogAndReadErrors() throws {
        let log = try parse("")
        XCTAssertTrue(log.records.isEmpty)
        XCTAssertTrue(ReviewSummary(log).decisions.isEmpty)
        XCTAssertThrowsError(try ReviewLog.read(path: "/nonexistent/x.review.jsonl", schema: .platelet)) { error in
            XCTAssertEqual((error as? IOError)?.kind, .missingFile)
        }
    }
}
