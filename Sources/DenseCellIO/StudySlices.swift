import DenseCellCore
import Foundation

/// A study opened for drawing figures of some of its slices: the image and label sources are
/// opened, not loaded, and `study(_:)` reads only the slices asked for (see docs/ARCHITECTURE.md,
/// "Export").
public final class StudySlices {
    /// One label source, opened.
    public struct Source {
        /// The source's name under `/labels`.
        public var name: String
        /// Truth, annotator or algorithm.
        public var role: SourceRole
        /// The labels, opened.
        public var labels: VolumeSource
        /// The labeled region, when the source labels only part of the volume.
        public var mask: VolumeSource?
        /// A source of `labels`, restricted to `mask` when it labels only part of the volume.
        public init(name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource? = nil) {
            self.name = name; self.role = role; self.labels = labels; self.mask = mask
        }
    }
    /// The image, opened.
    public let image: VolumeSource
    /// Voxel size (z, y, x) in nanometres, when the study records it.
    public let resolutionNM: [Double]?
    /// Names and colors of the label classes.
    public let schema: LabelSchema
    /// The label sources, in the study's order.
    public let sources: [Source]
    /// The whole study's (z, y, x) shape.
    public var shape: Shape3 { image.shape }

    /// - Throws: `IOError(.badShape)` naming a source or mask whose shape is not the image's.
    public init(image: VolumeSource, resolutionNM: [Double]?, schema: LabelSchema, sources: [Source]) throws(IOError) {
        for s in sources {
            for v in [s.labels] + [s.mask].compactMap({ $0 }) where v.shape != image.shape {
                throw IOError(.badShape, file: v.reference.path, dataset: v.reference.dataset,
                              "labels \(s.name) have shape \(v.shape) but the image is \(image.shape)")
            }
        }
        self.image = image; self.resolutionNM = resolutionNM; self.schema = schema; self.sources = sources
    }

    /// The study made of slices `z` only: the image (refusing NaN and infinity), every source's
    /// labels (checked against the schema) and masks of those slices.
    ///
    /// - Throws: `IOError` from reading.
    public func study(_ z: Range<Int>) throws(IOError) -> Study {
        let box = image.slab(z)
        var labels: [LabelSource] = []
        for s in sources {
            labels.append(LabelSource(name: s.name, role: s.role, labels: try s.labels.readLabels(box, classCount: schema.count),
                                      mask: try s.mask?.readMask(box)))
        }
        return Study(image: try image.readImage(box), resolutionNM: resolutionNM, labels: labels, schema: schema)
    }

    /// The gray window `Overlay.displayRange` gives for the whole image, from one streaming pass
    /// (see `VolumeSource.displayRange(slabBytes:progress:)`).
    ///
    /// - Throws: `IOError` from reading, or `.badValues` for NaN or infinity anywhere in the image.
    public func displayRange(slabBytes: Int = ReadBudget.slabBytes, progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> (lo: Float, hi: Float) {
        try image.displayRange(slabBytes: slabBytes, progress: progress)
    }
}
