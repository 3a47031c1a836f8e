import XCTest
import DenseCellCore
@testable import DenseCellEngine

/// A window whose activations cannot be had is refused with a one-line error (bad input), never
/// by stopping the process.
final class WindowMemoryTests: XCTestCase {
    func assertTooLarge(_ error: Error, file: StaticString = #filePath, line: UInt = #line) {
        guard let e = error as? EngineError else { return XCTFail("not an EngineError: \(error)", file: file, line: line) }
        XCTAssertEqual(e.kind, .badInput, file: file, line: line)
        XCTAssertEqual(e.exitStatus, .badInput, file: file, line: line)
        XCTAssertTrue(e.message.contains("activations need") && e.message.contains("GiB"), e.message, file: file, line: line)
        XCTAssertFalse(e.message.contains("\n"), file: file, line: line)
    }

    func testAPoolThatCannotGrowThrowsAndStaysUsable() throws {
        let pool = ActivationPool()
        XCTAssertThrowsError(try pool.reserve(Int.max / 2)) { assertTooLarge($0) }
        XCTAssertNil(pool.base)
        try pool.reserve(1 << 20)
        XCTAssertGreaterThanOrEqual(pool.capacity, 1 << 20)
    }

    func testAnEnsembleRefusesAWindowTooLargeBeforeAllocatingIt() throws {
        var r = TestRandom(3)
        let ensemble = try Ensemble(models: [r.model(Architecture(width: 4), seed: 1)])
        let image = Volume<Float>(shape: Shape3(6, 16, 16), data: r.array(6 * 16 * 16, 0, 255))
        // y and x shrink to the volume; the depth is kept, here far beyond any machine's memory.
        let huge = InferenceOptions(window: Shape3(100_000_000, 16, 16), precision: .f32)
        XCTAssertThrowsError(try ensemble.segment(image, options: huge)) { assertTooLarge($0) }
        // The same ensemble still runs a window that fits.
        XCTAssertEqual(try ensemble.segment(image, options: InferenceOptions(window: Shape3(5, 16, 16), precision: .f32)).labels.shape,
                       image.shape)
    }

    func testCompilingForAWindowTooLargeThrows() {
        let model = NetworkModel.random(Architecture(width: 8), seed: 1)
        XCTAssertThrowsError(try CompiledNetwork(model, shape: Shape3(100_000_000, 64, 64), precision: .f32)) { assertTooLarge($0) }
    }

    /// The estimate refuses only the hopeless: it never exceeds what a compiled plan really takes.
    func testTheEstimateIsALowerBoundOfTheCompiledPlan() throws {
        for arch in [Architecture(width: 8), Architecture(width: 6, conv333: false, pyramid: false)] {
            let window = Shape3(3, 32, 16)
            let network = try CompiledNetwork(NetworkModel.random(arch, seed: 2), shape: window, precision: .f32)
            let plain = Double(window.count) * 4 * Double(1 + arch.classes)
            let estimate = arch.activationBytes(window: window, precision: .f32)
            XCTAssertGreaterThan(estimate, plain)
            XCTAssertLessThanOrEqual(estimate, plain + Double(network.plan.activationBytes), "\(arch)")
        }
        // The paper's network on the default window needs a few hundred MB, not more.
        let paper = Architecture(width: 64).activationBytes(window: Shape3(5, 256, 256), precision: .f32)
        XCTAssertGreaterThan(paper, 100e6); XCTAssertLessThan(paper, 1e9)
    }
}
