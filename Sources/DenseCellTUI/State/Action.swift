import DenseCellCore

/// Everything that can happen to the view: keys and mouse map to these, and so do the results of
/// effects and background events.
public enum Action: Equatable, Sendable {
    case nextSlice, previousSlice, pageDown, pageUp, firstSlice, lastSlice
    case goToSlice(Int)
    /// Moves the cursor to plane `index` along the normal of the plane shown.
    case goToPlane(Int)
    /// `o`: every pane shows the next plane (xy → xz → yz).
    case cyclePlane
    /// `O`: one source in all three planes.
    case toggleThreePlanes
    /// Pans by a quarter of the visible extent per step.
    case pan(dy: Int, dx: Int)
    case zoomIn, zoomOut, zoomFit
    case cyclePair
    case toggleClass(Int)
    case cycleAlpha
    case toggleDisagreementMap
    case cycleMetricsTab
    case toggleMetricsScope
    case nextDisagreement, previousDisagreement
    case setRanking(DisagreementRanking)
    /// The next or previous slice of the ranking held (after `n`/`N` brought it up to date).
    case stepRanking(forward: Bool)
    case runInference(JobKind)
    case cancelJob
    case exportView
    case toggleHelp
    case quit
    case resize(cols: Int, rows: Int)
    /// The terminal's graphics mode and cell size in pixels, once probed (again after a resize).
    case setGraphics(GraphicsMode, cell: CellSize)
    case click(row: Int, col: Int)
    case scroll(Int)

    // The review loop.
    case toggleRegionMode
    case setRegionQueue(RegionQueue)
    /// `a`, `b`, `E`, `x`: the session records the decision, then sends `decisionRecorded`.
    case decide(ReviewRecord.Take)
    case decisionRecorded(regionID: Int, take: ReviewRecord.Take, summary: String)
    case undoDecision
    case decisionUndone(regionID: Int)
    case startFlag
    case promptInput(Character)
    case promptBackspace
    case promptSubmit
    case promptCancel
    case toggleReviewList
    case setReviewList(ReviewList?)
    case reviewListMove(Int)
    case reviewListJump

    // Results of work done outside reduce.
    case addSource(String)
    case jobStarted(JobStatus)
    case jobProgress(voxelsDone: Int, voxelsTotal: Int, elapsedSeconds: Double)
    case jobEnded(message: String)
    case notice(String?)
    case status(String?)
}
