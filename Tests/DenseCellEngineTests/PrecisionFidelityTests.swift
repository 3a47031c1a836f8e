// Precision by measured fidelity: what `auto` may choose labels like f32 on the shipped ensemble.
import XCTest
import DenseCellCore
@testable import DenseCellEngine

final class PrecisionFidelityTests: XCTestCase {
    /// Agreement and MIoU(all) against a count by hand.
    func testFidelityCountsAgreementAndMIoU() {
        let shape = Shape3(1, 1, 4)
        let truth = Volume<UInt8>(shape: shape, data: [0, 0, 1, 1])
        let f32 = Volume<UInt8>(shape: shape, data: [0, 0, 1, 1])
        let other = Volume<UInt8>(shape: shape, data: [0, 1, 1, 1])
        let fidelity = PrecisionFidelity(reference: f32, candidate: other, truth: truth, classes: 2)
        XCTAssertEqual(fidelity.agreement, 0.75)
        XCTAssertEqual(fidelity.referenceMIoU, 1)
        XCTAssertEqual(fidelity.candidateMIoU, (1.0 / 2 + 2.0 / 3) / 2, accuracy: 1e-12)   // IoU 1/2 and 2/3
        XCTAssertFalse(fidelity.meets(PrecisionFidelity.autoBar))
        XCTAssertTrue(fidelity.meets(.init(minimumAgreement: 0.75, maximumMIoUDifference: 0.42)))
        XCTAssertFalse(fidelity.meets(.init(minimumAgreement: 0.75, maximumMIoUDifference: 0.41)))
        let same = PrecisionFidelity(reference: f32, candidate: f32, truth: truth, classes: 2)
        XCTAssertTrue(same.meets(PrecisionFidelity.autoBar))
    }

    /// `auto` is the first candidate this CPU runs natively; with bf16 instructions that is bf16.
    func testAutoIsTheFastestNativeCandidate() {
        XCTAssertEqual(Precision.automatic, Precision.autoCandidates.first(where: Precision.runsNatively))
        XCTAssertEqual(Precision.autoCandidates.last, .f32, "f32 is always there to fall back on")
        if Precision.cpuISA.hasPrefix("avx512_core_bf16") || Precision.cpuISA.hasPrefix("avx512_core_amx") {
            XCTAssertEqual(Precision.automatic, .bf16)
            XCTAssertTrue(PrecisionChoice.auto.explanation.hasPrefix("bf16 (auto: fastest native precision on"), PrecisionChoice.auto.explanation)
        }
    }

    /// Every precision `auto` may choose (and this CPU runs natively) labels two phantoms the
    /// shipped ensemble never saw as f32 does, within `autoBar`, with segment's default window
    /// and overlap. Small phantoms, but each ~0.5 Mvoxels: 0.1 % is hundreds of voxels.
    func testAutoCandidatesLabelLikeF32OnTheShippedEnsemble() throws {
        let candidates = Precision.autoCandidates.filter { $0 != .f32 && Precision.runsNatively($0) }
        try XCTSkipIf(candidates.isEmpty, "oneDNN runs only f32 natively on \(Precision.cpuISA)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let ensemble = try Ensemble.load(paths: [root.appendingPathComponent("Assets/models/demo").path], top: nil)
        XCTAssertEqual(ensemble.models.count, 3)
        for seed: UInt64 in [301, 302] {
            let study = Phantom.generate(shape: Shape3(8, 256, 256), seed: seed)
            let truth = try XCTUnwrap(study.labels.first { $0.role == .truth }).labels
            let f32 = try ensemble.segment(study.image, options: InferenceOptions(precision: .f32)).labels
            for precision in candidates {
                let labels = try ensemble.segment(study.image, options: InferenceOptions(precision: precision)).labels
                let fidelity = PrecisionFidelity(reference: f32, candidate: labels, truth: truth, classes: ensemble.classes)
                print("phantom \(seed), \(precision.rawValue): \(fidelity)")
                XCTAssertTrue(fidelity.meets(PrecisionFidelity.autoBar), "phantom \(seed), \(precision.rawValue): \(fidelity)")
                XCTAssertGreaterThan(fidelity.referenceMIoU, 0.6, "the ensemble segments the phantom at all")
            }
        }
    }
}
