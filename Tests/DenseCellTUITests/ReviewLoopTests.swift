import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// The review loop through the session: the queue, decisions, undo, flags and the live
/// consensus, with the log read back from disk.
final class ReviewLoopTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "review-loop-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Waits for the background region search to report.
    func waitForQueue(_ s: ViewerSession) {
        let deadline = Date().addingTimeInterval(10)
        while s.state.regionQueue == nil && Date() < deadline { s.applyBackgroundEvents(); Thread.sleep(forTimeInterval: 0.01) }
    }

    func testDecisionsAdvanceUndoRestoresAndConsensusFollows() throws {
        let study = TestStudies.make()
        let s = TestStudies.session(study, cols: 120, rows: 40)
        let log = dir + "/test.review.jsonl"
        try s.loadReview(path: log, reviewer: "ana")
        // truth vs annotator-1 (the default pair): the shifted square's edges on odd slices.
        s.send(.toggleRegionMode)
        waitForQueue(s)
        let q = try XCTUnwrap(s.state.regionQueue)
        let expected = DisagreementRegion.find(a: study.labels[0].labels, b: study.labels[1].labels,
                                               rule: DisagreementRule(classes: 7, organelles: [2, 3, 4, 5, 6]), minVoxels: 20)
        XCTAssertEqual(q.regions, expected)
        XCTAssertGreaterThanOrEqual(q.regions.count, 2)

        s.send(.nextDisagreement)
        let first = try XCTUnwrap(s.state.regionQueue?.current)
        XCTAssertEqual(first.id, 1)
        XCTAssertTrue(first.box.z.contains(s.state.z))
        XCTAssertTrue(s.frame().text.contains("region 1/\(q.regions.count)"), s.frame().text)

        s.send(.decide(.b))
        XCTAssertEqual(s.state.regionQueue?.decided[1], .b)
        XCTAssertEqual(s.state.regionQueue?.current?.id, 2, "a decision moves to the next undecided region")
        // The live consensus is truth with region 1 taken from annotator-1 (patched off the key thread).
        s.settle()
        let consensus = try XCTUnwrap(s.data.sourceVolumes.first { $0.name == ViewerSession.consensusName })
        let truth = study.labels[0].labels, a1 = study.labels[1].labels
        var changed = 0
        for i in 0..<truth.data.count where consensus.labels.data[i] != truth.data[i] {
            XCTAssertEqual(consensus.labels.data[i], a1.data[i]); changed += 1
        }
        XCTAssertEqual(changed, first.voxels)

        s.send(.undoDecision)
        XCTAssertNil(s.state.regionQueue?.decided[1])
        XCTAssertEqual(s.state.regionQueue?.current?.id, 1, "undo goes back to the undone region")
        s.settle()
        XCTAssertEqual(s.data.sourceVolumes.first { $0.name == ViewerSession.consensusName }?.labels, truth)

        s.send(.startFlag)
        for c in "odd edge" { s.send(.promptInput(c)) }
        s.send(.promptBackspace)
        XCTAssertTrue(s.frame().text.contains("note: odd edg"), s.frame().text)
        s.send(.promptSubmit)
        XCTAssertNil(s.state.prompt)

        let records = try ReviewLog.read(path: log).records
        XCTAssertEqual(records.map(\.kind), [.decision, .undo, .flag])
        XCTAssertEqual(records[1].target, records[0].id)
        XCTAssertEqual(records[2].note, "odd edg")
        XCTAssertEqual(Set(records.map(\.reviewer)), ["ana"])

        // A new session replays the log: region 1 is undecided, the flag is listed.
        let again = TestStudies.session(study, cols: 120, rows: 40)
        try again.loadReview(path: log, reviewer: "bo")
        again.send(.toggleReviewList)
        XCTAssertEqual(again.state.reviewList?.items.count, 1)
        XCTAssertTrue(again.frame().text.contains("flag: odd edg"), again.frame().text)
        again.send(.reviewListJump)
        XCTAssertEqual(again.state.z, records[2].at[0])
        XCTAssertEqual(again.state.cursor, PixelPoint(y: records[2].at[1], x: records[2].at[2]))
    }

    func testKeysInThePromptAreText() {
        var state = TestStudies.session().state
        state = reduce(state, .startFlag).state
        XCTAssertEqual(KeyMap.action(for: .char("q"), in: state), .promptInput("q"))
        XCTAssertEqual(KeyMap.action(for: .enter, in: state), .promptSubmit)
        XCTAssertEqual(KeyMap.action(for: .escape, in: state), .promptCancel)
        state = reduce(state, .promptCancel).state
        XCTAssertEqual(KeyMap.action(for: .char("q"), in: state), .quit)
        XCTAssertEqual(KeyMap.action(for: .char("b"), in: state), .decide(.b))
    }

    func testLogOfAnotherStudyIsRefused() throws {
        let log = dir + "/other.jsonl"
        try ReviewLog(path: log).append(ReviewRecord(reviewer: "x", kind: .flag, shape: Shape3(3, 3, 3), at: (0, 0, 0)))
        XCTAssertThrowsError(try TestStudies.session().loadReview(path: log, reviewer: "ana"))
        let names = dir + "/names.jsonl"
        try ReviewLog(path: names).append(ReviewRecord(reviewer: "x", kind: .flag, shape: Shape3(8, 48, 64), at: (0, 0, 0),
                                                       pair: ("truth", "somebody-else")))
        XCTAssertThrowsError(try TestStudies.session().loadReview(path: names, reviewer: "ana")) { error in
            XCTAssertTrue("\(error)".contains("somebody-else"), "\(error)")
        }
    }

    func testTakingTheEnsembleWhereItHasNoLabelsIsRefused() throws {
        let s = TestStudies.session(cols: 120, rows: 40)
        let log = dir + "/test.review.jsonl"
        try s.loadReview(path: log, reviewer: "ana")
        s.send(.toggleRegionMode)
        waitForQueue(s)
        s.send(.nextDisagreement)
        let region = try XCTUnwrap(s.state.regionQueue?.current)
        s.send(.decide(.ensemble))
        XCTAssertNil(s.state.regionQueue?.decided[region.id], "nothing is decided without ensemble labels")
        XCTAssertEqual(s.state.regionQueue?.current?.id, region.id, "the queue stays on the region")
        XCTAssertTrue(s.frame().text.contains("no ensemble labels"), s.frame().text)
        let records = FileManager.default.fileExists(atPath: log) ? try ReviewLog.read(path: log).records : []
        XCTAssertTrue(records.isEmpty, "no decision is recorded")
    }

    func testResettingTheConsensusKeepsOneVolume() throws {
        let s = TestStudies.session(cols: 120, rows: 40)
        let log = dir + "/test.review.jsonl"
        try s.loadReview(path: log, reviewer: "ana")
        s.send(.toggleRegionMode)
        waitForQueue(s)
        s.send(.nextDisagreement)
        s.send(.decide(.b))
        s.settle()
        let volumes = s.data.planes.volumes.count
        // A new queue of the pair with decisions rebuilds the consensus from the log.
        for _ in 0..<3 { s.data.derived.resetConsensus(base: 0) }
        XCTAssertEqual(s.data.planes.volumes.count, volumes, "a reset replaces the consensus volume")
    }

    func testTakingTheEnsembleWhereItCoversTheRegionIsRecorded() throws {
        let study = TestStudies.make()
        let s = TestStudies.session(study, cols: 120, rows: 40)
        try s.loadReview(path: dir + "/test.review.jsonl", reviewer: "ana")
        // The ensemble says what annotator-2 says, everywhere.
        try s.data.derived.insertEnsemble(study.labels[2].labels, at: Box3(shape: study.image.shape))
        s.send(.toggleRegionMode)
        waitForQueue(s)
        s.send(.nextDisagreement)
        let region = try XCTUnwrap(s.state.regionQueue?.current)
        s.send(.decide(.ensemble))
        XCTAssertEqual(s.state.regionQueue?.decided[region.id], .ensemble)
        s.settle()
        let consensus = try XCTUnwrap(s.data.sourceVolumes.first { $0.name == ViewerSession.consensusName })
        let truth = study.labels[0].labels, ensemble = study.labels[2].labels
        for i in 0..<truth.data.count where consensus.labels.data[i] != truth.data[i] {
            XCTAssertEqual(consensus.labels.data[i], ensemble.data[i])
        }
    }
}
