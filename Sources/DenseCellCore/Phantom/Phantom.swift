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
        /// Platelets.
        public var cells = 0
        /// Mitochondria.
        public var mitochondria = 0
        /// Alpha granules.
        public var alphaGranules = 0
        /// Dense granules (each with its core).
        public var denseGranules = 0
        /// Tube segments of the canalicular channel system.
        public var channelSegments = 0
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

    /// One z-slab of a generated study.
    public struct Slab: Sendable {
        /// The slices it covers.
        public var z: Range<Int>
        /// The image of those slices (whole numbers 0…255).
        public var image: Volume<Float>
        /// The labels of those slices, one volume per name of `sourceNames`, in order.
        public var labels: [Volume<UInt8>]
    }

    /// Slices per slab so that one slab's working buffers take about `budget` bytes: 11 bytes per
    /// voxel of the slab and its halo of 2 slices on each side (labels, cell ids, shading, the
    /// rasterizer's distances) and 7 per voxel of the slab's output (image and three label volumes).
    public static func slabDepth(for shape: Shape3, budget: Int = 768 << 20) -> Int {
        let plane = max(1, shape.planeCount)
        return max(1, min(shape.z, (budget / plane - 44) / 18))
    }

    /// Generates the study slab by slab in bounded memory, calling `body` with consecutive slabs in
    /// z order. Each slab is rasterized from the object geometry with the halo the membranes (one
    /// slice) and the beam's slice mixing (one more) need; every per-voxel random value is hashed
    /// from the voxel's index in the whole volume and the drift is drawn for the whole stack, so
    /// the study is the same whatever the slab depth.
    ///
    /// - Parameters:
    ///   - shape: volume size (z, y, x) in voxels.
    ///   - seed: any value; each annotator derives its own seed from it.
    ///   - slabDepth: slices per slab (default: `slabDepth(for:)`).
    ///   - progress: called now and then, from any thread, never concurrently.
    ///   - body: receives each slab; what it throws ends generation.
    public static func generateSlabs(shape: Shape3, seed: UInt64 = 1, slabDepth: Int? = nil,
                                     progress: ((Progress) -> Void)? = nil, _ body: (Slab) throws -> Void) rethrows {
        let depth = max(1, slabDepth ?? Self.slabDepth(for: shape))
        let slabs = stride(from: 0, to: shape.z, by: depth).map { $0..<min(shape.z, $0 + depth) }
        func window(_ z: Range<Int>, _ halo: Int) -> Range<Int> { max(0, z.lowerBound - halo)..<min(shape.z, z.upperBound + halo) }
        // Planes processed: the raster window, membranes and blur on the shaded window, imaging and two annotators on the slab.
        let planes = slabs.reduce(0) { $0 + window($1, 2).count + 2 * window($1, 1).count + 3 * $1.count }
        let tracker = ProgressTracker(totalPlanes: planes, report: progress)
        tracker.stage("geometry")
        let geometry = PhantomGeometry.sample(shape: shape, seed: seed)
        let noise = PhantomNoise(seed: seed)
        let drift = PhantomImaging.Drift(shape: shape, seed: SplitMix64.mix(seed ^ 0x1A6E))
        let annotators = [PhantomAnnotatorStyle.annotator1, .annotator2].enumerated().map { k, style in
            style.perturbation(geometry, seed: SplitMix64.mix(seed &+ 0xA11 &* UInt64(k + 1)))
        }
        let plane = shape.planeCount
        for out in slabs {
            let raster = window(out, 2), shaded = window(out, 1)
            // Buffers hold their planes only, addressed by whole-volume voxel index through `origin`.
            var labels = [UInt8](repeating: 0, count: raster.count * plane)
            var cellID = [UInt16](repeating: 0, count: raster.count * plane)
            var shade = [Float](repeating: 0, count: raster.count * plane)
            var image = [Float](repeating: 0, count: out.count * plane)
            var sources: [Volume<UInt8>] = []
            let origin = raster.lowerBound * plane, outOrigin = out.lowerBound * plane
            let slabText = shape.z > depth ? " z \(out.lowerBound)–\(out.upperBound - 1)" : ""
            labels.withUnsafeMutableBufferPointer { l in
                cellID.withUnsafeMutableBufferPointer { c in
                    shade.withUnsafeMutableBufferPointer { sh in
                        let l0 = l.baseAddress! - origin, c0 = c.baseAddress! - origin, s0 = sh.baseAddress! - origin
                        tracker.stage("truth" + slabText)
                        PhantomRaster.draw(geometry, .identity(geometry), noise: noise, planes: raster, labels: l0,
                                           cellID: c0, shade: s0, planeDone: tracker.planeDone)
                        tracker.stage("membranes" + slabText)
                        PhantomImaging.membranes(shape: shape, planes: shaded, labels: l0, cellID: c0, shade: s0,
                                                 planeDone: tracker.planeDone)
                        tracker.stage("blur" + slabText)
                        PhantomImaging.blurXY(shape: shape, planes: shaded, s0, sigma: 0.9, planeDone: tracker.planeDone)
                        tracker.stage("noise" + slabText)
                        image.withUnsafeMutableBufferPointer { im in
                            PhantomImaging.acquire(shape: shape, planes: out, blurred: s0, drift: drift,
                                                   out: im.baseAddress! - outOrigin, planeDone: tracker.planeDone)
                        }
                    }
                }
            }
            shade = []
            let first = (out.lowerBound - raster.lowerBound) * plane
            sources.append(Volume(shape: Shape3(out.count, shape.y, shape.x), data: Array(labels[first..<(first + out.count * plane)])))
            labels = []
            for (k, pert) in annotators.enumerated() {
                tracker.stage("annotator-\(k + 1)" + slabText)
                var drawn = [UInt8](repeating: 0, count: out.count * plane)
                drawn.withUnsafeMutableBufferPointer { l in
                    // The truth's cell ids are no longer needed: the annotator's own overwrite them.
                    cellID.withUnsafeMutableBufferPointer { c in
                        PhantomRaster.draw(geometry, pert, noise: noise, planes: out, labels: l.baseAddress! - outOrigin,
                                           cellID: c.baseAddress! - origin, shade: nil, planeDone: tracker.planeDone)
                    }
                }
                sources.append(Volume(shape: Shape3(out.count, shape.y, shape.x), data: drawn))
            }
            cellID = []
            try body(Slab(z: out, image: Volume(shape: Shape3(out.count, shape.y, shape.x), data: image), labels: sources))
        }
        tracker.finish()
    }

    /// Generates the whole study in memory: `/image` (whole numbers 0…255), `truth`,
    /// `annotator-1` and `annotator-2` label sources (for small studies; `phantom` streams slabs).
    ///
    /// - Parameters:
    ///   - shape: volume size (z, y, x) in voxels.
    ///   - seed: any value; each annotator derives its own seed from it.
    ///   - slabDepth: slices generated at a time (the study is the same for any value).
    ///   - progress: called now and then, from any thread, never concurrently.
    public static func generate(shape: Shape3 = defaultShape, seed: UInt64 = 1, slabDepth: Int? = nil,
                                progress: ((Progress) -> Void)? = nil) -> Study {
        var image: [Float] = [], labels = [[UInt8]](repeating: [], count: sourceNames.count)
        image.reserveCapacity(shape.count)
        for k in labels.indices { labels[k].reserveCapacity(shape.count) }
        generateSlabs(shape: shape, seed: seed, slabDepth: slabDepth, progress: progress) { slab in
            image += slab.image.data
            for k in labels.indices { labels[k] += slab.labels[k].data }
        }
        let roles: [SourceRole] = [.truth, .annotator, .annotator]
        let sources = sourceNames.indices.map { LabelSource(name: sourceNames[$0], role: roles[$0], labels: Volume(shape: shape, data: labels[$0])) }
        return Study(image: Volume(shape: shape, data: image), resolutionNM: resolutionNM, labels: sources, schema: .platelet)
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
