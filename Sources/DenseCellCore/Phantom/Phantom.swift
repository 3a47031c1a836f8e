import Foundation

/// The synthetic SBF-SEM platelet study (docs/ARCHITECTURE.md, "Phantom"): resting platelets with mitochondria,
/// alpha granules, dense granules with cores and canalicular channels, imaged as backscatter
/// SBF-SEM at 50 × 20 × 20 nm, with ground truth and two hurried annotators.
///
/// Deterministic: the same shape and seed give the same study on every platform and core count
/// (per-voxel randomness is hashed from the voxel index, not drawn in thread order).
public enum Phantom {
    /// The shape `densecell phantom` makes unless told otherwise.
    public static let defaultShape = Shape3(48, 384, 384)
    /// Voxel size (z, y, x) in nanometres.
    public static let resolutionNM: [Double] = [50, 20, 20]
    /// Names of the label sources written, in order.
    public static let sourceNames = ["truth", "annotator-1", "annotator-2"]

    /// How far a generation has come, reported as it works.
    public struct Progress: Sendable {
        /// Fraction of the whole generation done, 0…1.
        public var fraction: Double
        /// What is being done now.
        public var stage: String
    }

    /// Counts of the objects placed (those near the faces may lie partly outside the volume).
    public struct Summary: Sendable, Equatable {
        public var cells = 0, mitochondria = 0, alphaGranules = 0, denseGranules = 0, channelSegments = 0
    }

    /// The geometry summary of a phantom without rasterizing it.
    public static func summary(shape: Shape3 = defaultShape, seed: UInt64 = 1) -> Summary {
        let g = PhantomGeometry.sample(shape: shape, seed: seed)
        var s = Summary()
        s.cells = g.cells.count
        s.mitochondria = g.blobs.filter { $0.kind == .mitochondrion }.count
        s.alphaGranules = g.blobs.filter { $0.kind == .alphaGranule }.count
        s.denseGranules = g.blobs.filter { $0.kind == .denseGranule }.count
        s.channelSegments = g.tubes.count
        return s
    }

    /// Generates the study: `/image` (whole numbers 0…255), `truth`, `annotator-1` and
    /// `annotator-2` label sources.
    ///
    /// - Parameters:
    ///   - shape: volume size (z, y, x) in voxels.
    ///   - seed: any value; each annotator derives its own seed from it.
    ///   - progress: called now and then, from any thread, never concurrently.
    public static func generate(shape: Shape3 = defaultShape, seed: UInt64 = 1,
                                progress: ((Progress) -> Void)? = nil) -> Study {
        let tracker = ProgressTracker(totalPlanes: shape.z * 6, report: progress)
        tracker.stage("geometry")
        let geometry = PhantomGeometry.sample(shape: shape, seed: seed)
        let noise = PhantomNoise(seed: seed)
        let n = shape.count

        var truth = [UInt8](repeating: 0, count: n)
        var cellID = [UInt16](repeating: 0, count: n)
        var shade = [Float](repeating: 0, count: n)
        var image = [Float](repeating: 0, count: n)
        truth.withUnsafeMutableBufferPointer { t in
            cellID.withUnsafeMutableBufferPointer { c in
                shade.withUnsafeMutableBufferPointer { sh in
                    tracker.stage("truth")
                    PhantomRaster.draw(geometry, .identity(geometry), noise: noise, labels: t.baseAddress!,
                                       cellID: c.baseAddress!, shade: sh.baseAddress!, planeDone: tracker.planeDone)
                    tracker.stage("membranes")
                    PhantomImaging.membranes(shape: shape, labels: t.baseAddress!, cellID: c.baseAddress!,
                                             shade: sh.baseAddress!, planeDone: tracker.planeDone)
                    tracker.stage("blur")
                    PhantomImaging.blurXY(shape: shape, sh.baseAddress!, sigma: 0.9, planeDone: tracker.planeDone)
                    tracker.stage("noise")
                    image.withUnsafeMutableBufferPointer { out in
                        PhantomImaging.acquire(shape: shape, blurred: sh.baseAddress!, seed: SplitMix64.mix(seed ^ 0x1A6E),
                                               out: out.baseAddress!, planeDone: tracker.planeDone)
                    }
                }
            }
        }
        shade = []
        var sources = [LabelSource(name: "truth", role: .truth, labels: Volume(shape: shape, data: truth))]
        for (k, style) in [PhantomAnnotatorStyle.annotator1, .annotator2].enumerated() {
            tracker.stage("annotator-\(k + 1)")
            let pert = style.perturbation(geometry, seed: SplitMix64.mix(seed &+ 0xA11 &* UInt64(k + 1)))
            var labels = [UInt8](repeating: 0, count: n)
            labels.withUnsafeMutableBufferPointer { l in
                cellID.withUnsafeMutableBufferPointer { c in
                    PhantomRaster.draw(geometry, pert, noise: noise, labels: l.baseAddress!, cellID: c.baseAddress!,
                                       shade: nil, planeDone: tracker.planeDone)
                }
            }
            sources.append(LabelSource(name: "annotator-\(k + 1)", role: .annotator, labels: Volume(shape: shape, data: labels)))
        }
        tracker.finish()
        return Study(image: Volume(shape: shape, data: image), resolutionNM: resolutionNM, labels: sources,
                     schema: .platelet)
    }

    /// Counts finished planes across worker threads and reports the overall fraction.
    final class ProgressTracker: @unchecked Sendable {
        let lock = NSLock()
        let total: Int
        var done = 0
        var current = ""
        var lastReported = -1.0
        let report: ((Progress) -> Void)?

        init(totalPlanes: Int, report: ((Progress) -> Void)?) {
            total = max(1, totalPlanes); self.report = report
        }

        func stage(_ name: String) {
            lock.lock(); defer { lock.unlock() }
            current = name
            report?(Progress(fraction: Double(done) / Double(total), stage: name))
        }

        func planeDone() {
            lock.lock(); defer { lock.unlock() }
            done += 1
            let f = Double(done) / Double(total)
            if f - lastReported >= 0.01 {
                lastReported = f
                report?(Progress(fraction: min(1, f), stage: current))
            }
        }

        func finish() {
            lock.lock(); defer { lock.unlock() }
            report?(Progress(fraction: 1, stage: "done"))
        }
    }
}
