import DenseCellCore
import DenseCellIO
import DenseCellEngine
@testable import DenseCellTUI
import XCTest

/// The viewer's results through the engine's ensemble equal what the engine computes directly.
final class EnsembleProviderTests: XCTestCase {
    let options = InferenceOptions(window: Shape3(5, 32, 32))

    func testTilesAssembleToTheEnginesOwnSegmentation() throws {
        let study = TestStudies.make(shape: Shape3(6, 48, 64))
        let ensemble = try Ensemble(models: [NetworkModel.random(Architecture(width: 4), seed: 3),
                                             NetworkModel.random(Architecture(width: 4), seed: 4)])
        let provider = EnsembleProvider(ensemble: ensemble, options: options)
        XCTAssertTrue(provider.cacheKey.hasPrefix(ensemble.checksums.joined(separator: ",") + ";"))
        XCTAssertEqual(provider.summary, "2 models, \(options.precision.rawValue)")
        // Results computed another way are not taken from the cache.
        var other = options
        other.overlap = 0
        XCTAssertNotEqual(EnsembleProvider(ensemble: ensemble, options: other).cacheKey, provider.cacheKey)
        other = options
        other.precision = options.precision == .f32 ? .bf16 : .f32
        XCTAssertNotEqual(EnsembleProvider(ensemble: ensemble, options: other).cacheKey, provider.cacheKey)
        let s = TestStudies.session(study, provider: provider)
        s.send(.runInference(.wholeVolume))
        s.waitForJob(timeout: 300)
        XCTAssertTrue(s.frame().contains("ensemble done"), s.frame().text(row: 23))
        let direct = try ensemble.segment(study.image, options: options)
        let viewer = try XCTUnwrap(s.data.ensembleVolumes)
        XCTAssertEqual(viewer.labels, direct.labels)
        XCTAssertTrue(viewer.mask!.data.allSatisfy { $0 == 1 })
    }

    func testCancelStopsTheEngine() throws {
        let study = TestStudies.make(shape: Shape3(8, 96, 96))
        let ensemble = try Ensemble(models: [NetworkModel.random(Architecture(width: 8), seed: 5)])
        let s = TestStudies.session(study, provider: EnsembleProvider(ensemble: ensemble, options: options))
        s.send(.runInference(.wholeVolume))
        s.send(.cancelJob)
        s.waitForJob(timeout: 300)
        XCTAssertNil(s.state.job)
        XCTAssertTrue(s.frame().contains("ensemble cancelled"), s.frame().text(row: 23))
    }
}
