import Foundation
import DenseCellCore

/// How closely the labels computed in one precision follow f32's on a labelled volume: the share
/// of voxels given the same class, and MIoU(all) against the truth for both. `auto` chooses only
/// precisions that meet `autoBar` on the shipped ensemble (docs/ARCHITECTURE.md, Performance).
public struct PrecisionFidelity: Sendable, CustomStringConvertible {
    /// A bound on how far a precision's labels may stray from f32's.
    public struct Bar: Sendable, CustomStringConvertible {
        /// The least share of voxels whose class must equal f32's.
        public var minimumAgreement: Double
        /// The most MIoU(all) against the truth may differ from f32's, either way.
        public var maximumMIoUDifference: Double

        public var description: String {
            "≥ \(percent(minimumAgreement)) of voxels equal, MIoU(all) within \(maximumMIoUDifference)"
        }
    }

    /// What a precision must meet to be one of `auto`'s candidates.
    public static let autoBar = Bar(minimumAgreement: 0.999, maximumMIoUDifference: 0.001)

    /// Share of voxels labelled the same in both precisions.
    public var agreement: Double
    /// MIoU(all) against the truth of the f32 labels and of the other precision's.
    public var referenceMIoU: Double, candidateMIoU: Double

    /// Compares `candidate` (labels in some precision) with `reference` (f32's) and both with `truth`.
    /// - Parameter classes: the class count; MIoU(all) averages over the classes present.
    public init(reference: Volume<UInt8>, candidate: Volume<UInt8>, truth: Volume<UInt8>, classes: Int) {
        let between = Metrics.confusion(truth: reference, prediction: candidate, classes: classes)
        let same = (0..<classes).reduce(0) { $0 + between[$1, $1] }
        agreement = between.total == 0 ? 1 : Double(same) / Double(between.total)
        let all = Array(0..<classes)
        referenceMIoU = Metrics.confusion(truth: truth, prediction: reference, classes: classes).miou(over: all) ?? 0
        candidateMIoU = Metrics.confusion(truth: truth, prediction: candidate, classes: classes).miou(over: all) ?? 0
    }

    /// Whether these labels are within `bar` of f32's.
    public func meets(_ bar: Bar) -> Bool {
        agreement >= bar.minimumAgreement && abs(candidateMIoU - referenceMIoU) <= bar.maximumMIoUDifference
    }

    public var description: String {
        "labels equal on \(percent(agreement, digits: 3)) of voxels, MIoU(all) \(fixed(candidateMIoU)) against f32's \(fixed(referenceMIoU))"
    }
}

private func percent(_ fraction: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f %%", fraction * 100) }
private func fixed(_ value: Double) -> String { String(format: "%.4f", value) }
