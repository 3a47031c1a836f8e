import XCTest
@testable import DenseCellCore
@testable import DenseCellIO

final class ReviewLogTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "reviewlog-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let shape = Shape3(4, 10, 10)
    func record(_ kind: ReviewRecord.Kind, note: String? = nil, take: ReviewRecord.Take? = nil, target: String? = nil) -> ReviewRecord {
        ReviewRecord(reviewer: "ana", kind: kind, shape: shape, at: (1, 2, 3), pair: ("annotator-1", "annotator-2"),
                     note: note, take: take, target: target)
    }

    func testRecordsReadBackInOrderWithEveryField() throws {
        let path = dir + "/s.review.jsonl"
        let log = try ReviewLog(path: path)
        let written = [record(.flag, note: "odd \"granule\"\nhere"), record(.decision, take: .b), record(.undo, target: "x")]
        for r in written { try log.append(r) }
        let read = try ReviewLog.read(path: path, shape: shape)
        XCTAssertEqual(read.records, written)
        XCTAssertNil(read.warning)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, 3, "one line per record, newlines in notes escaped")
        XCTAssertTrue(text.contains("\"reviewer\":\"ana\""))
    }

    func testTornLastLineIsSkippedAndCutBeforeTheNextAppend() throws {
        let path = dir + "/s.review.jsonl"
        let first = record(.flag, note: "kept")
        try ReviewLog(path: path).append(first)
        let torn = String(record(.flag, note: "lost").jsonLine().prefix(40))
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile(); handle.write(Data(torn.utf8)); handle.closeFile()

        let read = try ReviewLog.read(path: path)
        XCTAssertEqual(read.records, [first])
        XCTAssertNotNil(read.warning)
        XCTAssertTrue(read.warning!.contains("line 2"))

        let log = try ReviewLog(path: path)
        XCTAssertNotNil(log.repaired)
        let next = record(.decision, take: .a)
        try log.append(next)
        XCTAssertEqual(try ReviewLog.read(path: path).records, [first, next])
    }

    func testMalformedLineInTheMiddleNamesItsLine() throws {
        let path = dir + "/s.review.jsonl"
        let lines = [record(.flag).jsonLine(), "{not json", record(.flag).jsonLine()]
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReviewLog.read(path: path)) { error in
            let e = error as! IOError
            XCTAssertEqual(e.kind, .corrupt)
            XCTAssertTrue(e.description.contains("line 2"), e.description)
        }
    }

    func testLogOfAnotherStudyIsRefused() throws {
        let path = dir + "/s.review.jsonl"
        try ReviewLog(path: path).append(record(.flag))
        XCTAssertThrowsError(try ReviewLog.read(path: path, shape: Shape3(4, 10, 11))) { error in
            XCTAssertTrue("\(error)".contains("another study"), "\(error)")
        }
    }

    func testMissingLogIsEmpty() throws {
        XCTAssertEqual(try ReviewLog.read(path: dir + "/none.jsonl").records, [])
        XCTAssertEqual(ReviewLog.defaultPath(forStudy: "/a/b/study.h5"), "/a/b/study.review.jsonl")
    }

    func testReplayAppliesUndoAndReplacesDecisions() {
        let r1 = ReviewRecord(reviewer: "ana", kind: .decision, shape: shape, at: (0, 0, 0), pair: ("a", "b"),
                              region: region(id: 1), take: .a)
        let r2 = ReviewRecord(reviewer: "ana", kind: .decision, shape: shape, at: (0, 0, 0), pair: ("a", "b"),
                              region: region(id: 2), take: .b)
        let r3 = ReviewRecord(reviewer: "bo", kind: .decision, shape: shape, at: (0, 0, 0), pair: ("a", "b"),
                              region: region(id: 1), take: .neither)
        let flag = ReviewRecord(reviewer: "bo", kind: .flag, shape: shape, at: (1, 1, 1), note: "look")
        let undo = ReviewRecord(reviewer: "bo", kind: .undo, shape: shape, at: (0, 0, 0), target: r2.id)
        let state = ReviewState(records: [r1, r2, r3, flag, undo])
        XCTAssertEqual(state.items.map(\.id), [r3.id, flag.id])
        XCTAssertEqual(state.decisions(pair: ("a", "b"))[1]?.take, .neither)
        XCTAssertNil(state.decisions(pair: ("a", "b"))[2])
        XCTAssertEqual(state.lastDecision?.id, r3.id)
    }

    func region(id: Int) -> DisagreementRegion {
        DisagreementRegion(id: id, voxels: 5, box: Box3(z: 0..<1, y: 0..<1, x: id..<(id + 5)), centroid: (0, 0, 2),
                           seed: (0, 0, id), classPairs: [ClassPairCount(a: 1, b: 4, voxels: 5)])
    }
}
