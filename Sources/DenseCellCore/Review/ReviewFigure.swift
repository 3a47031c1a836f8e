import Foundation

/// What figure shows one review item: the slice, a crop around the region or the flagged spot,
/// the panes of its pair, and a heading with the decision or the note.
public struct ReviewFigure: Sendable, Equatable {
    /// The slice shown.
    public var z: Int
    /// Rows of the crop.
    public var roiY: Range<Int>
    /// Columns of the crop.
    public var roiX: Range<Int>
    /// The panes side by side.
    public var panes: [Pane]
    /// The line above the panels.
    public var heading: String
    /// The PNG's file name, without a directory.
    public var fileName: String

    /// Image pixels shown around a flag, and the least shown around a region.
    static let cropSize = 128
    /// Margin around a region's box.
    public static let margin = 24

    /// - Parameters:
    ///   - record: a flag or a decision.
    ///   - number: the item's position in the listing (1 = oldest), used in the file name.
    ///   - shape: the study's shape.
    ///   - studyName: the study file's name without extension, starting the file name.
    ///   - sources: label sources present (a pair the study lacks falls back to all sources).
    public init(record: ReviewRecord, number: Int, shape: Shape3, studyName: String, sources: [String]) {
        let at = record.at.count == 3 ? record.at : [0, 0, 0]
        z = min(max(0, at[0]), shape.z - 1)
        func crop(_ lo: Int, _ hi: Int, _ extent: Int) -> Range<Int> {
            // Grow to at least the crop size around the middle, then clamp to the image.
            let want = max(hi - lo + 2 * Self.margin, Self.cropSize)
            let mid = (lo + hi) / 2
            var start = max(0, mid - want / 2)
            let end = min(extent, start + want)
            start = max(0, end - want)
            return start..<end
        }
        if let box = record.region?.box, box.count == 6 {
            roiY = crop(box[2], box[3], shape.y)
            roiX = crop(box[4], box[5], shape.x)
            if !(box[0]..<box[1]).contains(z) { z = min(max(box[0], (box[0] + box[1]) / 2), shape.z - 1) }
        } else {
            roiY = crop(at[1], at[1] + 1, shape.y)
            roiX = crop(at[2], at[2] + 1, shape.x)
        }
        if let pair = record.pair, pair.count == 2, sources.contains(pair[0]), sources.contains(pair[1]) {
            panes = [.image, .labels(pair[0]), .labels(pair[1]), .disagreement(pair[0], pair[1])]
        } else {
            panes = [.image] + sources.map { .labels($0) }
        }
        let who = "\(record.reviewer), \(record.time.prefix(16).replacingOccurrences(of: "T", with: " "))"
        switch record.kind {
        case .decision:
            let region = record.region.map { "region \($0.id) (\($0.voxels) voxels)" } ?? "region"
            let pair = record.pair?.joined(separator: " vs ") ?? ""
            heading = "\(region) of \(pair): took \(record.take?.rawValue ?? "?") · \(who)"
        default:
            heading = "flag at z \(at[0]), y \(at[1]), x \(at[2]): \(record.note ?? "(no note)") · \(who)"
        }
        let kind = record.kind == .decision ? "region\(record.region?.id ?? 0)-\(record.take?.rawValue ?? "")" : "flag"
        let digits = String(format: "%03d", number)
        fileName = "\(studyName.isEmpty ? "study" : studyName)-review-\(digits)-\(kind)-z\(String(format: "%03d", z)).png"
    }
}
