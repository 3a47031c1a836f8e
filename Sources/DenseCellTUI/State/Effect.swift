import DenseCellCore

/// What an action asks of the world outside the state: reading counts, starting and cancelling
/// jobs, writing the review log and figures. `reduce` returns them with the next state;
/// `ViewerSession` runs them and sends what they found back as actions.
enum Effect: Equatable {
    /// Ranks the slices of the compared pair by disagreement (from the background pass's counts,
    /// unless the ranking held is current), then steps through the ranking.
    case rankSlices(forward: Bool)
    case startInference(JobKind)
    case cancelInference
    /// Finds the disagreement regions of a pair off the key thread.
    case findRegions(SourcePair)
    /// Records a decision on the current region in the review log.
    case recordDecision(ReviewRecord.Take)
    /// Records the undoing of the pair's last decision.
    case undoDecision
    /// Records a flag with the note typed on the prompt.
    case recordFlag(NotePrompt)
    /// Opens the list of review items (kept by the session).
    case showReviewList
    /// Writes the panes on screen as a PNG figure off the key thread.
    case exportView
}
