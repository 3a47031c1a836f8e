import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct PhantomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantom",
        abstract: "Write a synthetic SBF-SEM platelet study with ground truth and two annotators.",
        discussion: """
        Resting platelets at 50×20×20 nm (z, y, x): flattened discs 2–3 µm across, some touching,
        each with mitochondria (with cristae), alpha granules, dense granules with an off-centre
        dense core, and a canalicular channel network opening to the surface; imaged like
        backscatter SBF-SEM (bright resin, dark membranes, blur, Poisson–Gaussian noise, slice
        drift). The file holds /image (uint8, resolution_nm), /labels/truth (role truth) and
        /labels/annotator-1, /labels/annotator-2 (role annotator): boundaries shifted by 1–2
        pixels, missed small granules, alpha/dense confusions and skipped channel segments, as
        hurried human labelers differ. The same shape and seed give the same file.

        Examples:
          densecell phantom study.h5
          densecell phantom big.h5 --shape 96x768x768 --seed 7
          densecell phantom small.h5 --shape 16x128x128 --preview small-z8.png
        """
    )

    @Argument(help: "Output study file (HDF5); written under a temporary name, then renamed.")
    var output: String

    @Option(help: "Volume size ZxYxX in voxels.")
    var shape: String = "48x384x384"

    @Option(help: "Random seed; each annotator derives its own from it.")
    var seed: UInt64 = 1

    @Option(help: "Also write a PNG of the middle slice: the image beside the truth overlay.")
    var preview: String?

    func run() throws {
        guard let size = Shape3(parsing: shape) else {
            throw UsageError("--shape \(shape): expected ZxYxX with positive sizes, e.g. 48x384x384")
        }
        guard size.y >= 16, size.x >= 16 else {
            throw UsageError("--shape \(shape): y and x must be at least 16 voxels")
        }
        // Generation holds about 20 bytes per voxel (labels, cell ids, shading, image, annotators).
        let limit = Int(ProcessInfo.processInfo.physicalMemory / 20)
        guard size.count <= limit else {
            throw UsageError("--shape \(shape): \(size.count) voxels need about \((size.count * 20) >> 30) GiB; this machine allows up to \(limit) voxels")
        }
        // Opened first, so a missing directory fails before minutes of generation.
        let writer = try StudyWriter(path: output, shape: size, existing: .replace)
        // Progress counts planes of the whole job (truth, imaging, two annotators) in thousandths.
        let bar = ProgressBar("phantom", total: 1000)
        let study = Phantom.generate(shape: size, seed: seed) { bar.update(Int($0.fraction * 1000), detail: $0.stage) }
        try Self.write(study, seed: seed, with: writer)
        if let preview { try writePreview(study, path: preview) }
        let s = Phantom.summary(shape: size, seed: seed)
        bar.finish("wrote \(output): \(size) voxels, \(s.cells) cells, \(s.mitochondria) mitochondria, "
                   + "\(s.alphaGranules) alpha granules, \(s.denseGranules) dense granules, \(s.channelSegments) channel segments")
    }

    /// Writes a generated study atomically, with the seed and class names as attributes
    /// (also used by `demo`).
    static func write(_ study: Study, seed: UInt64, to output: String) throws(IOError) {
        try write(study, seed: seed, with: StudyWriter(path: output, shape: study.shape, existing: .replace))
    }

    static func write(_ study: Study, seed: UInt64, with writer: StudyWriter) throws(IOError) {
        try writer.writeImage(study.image, resolutionNM: study.resolutionNM)
        try writer.setAttribute("/image", "phantom_seed", .ints([Int(truncatingIfNeeded: seed)]))
        for source in study.labels { try writer.writeLabels(source) }
        try writer.setAttribute("/", "generator", .string("densecell phantom"))
        try writer.setAttribute("/", "class_names", .strings(study.schema.names))
        try writer.commit()
    }

    /// The middle slice as gray image | truth overlay, through the shared overlay colors.
    func writePreview(_ study: Study, path: String) throws {
        let s = study.shape
        let z = s.z / 2
        let slice = study.image.plane(z)
        let range = Overlay.displayRange(slice)
        let truth = study.labels[0].labels.plane(z)
        var pixels = [UInt8](repeating: 0, count: s.y * s.x * 2 * 3)
        let width = 2 * s.x
        for y in 0..<s.y {
            for x in 0..<s.x {
                let i = y * s.x + x
                let g = Overlay.gray(slice[slice.startIndex + i], lo: range.lo, hi: range.hi)
                let c = Overlay.blend(gray: g, label: truth[truth.startIndex + i], schema: study.schema, alpha: 0.45)
                let left = (y * width + x) * 3, right = (y * width + s.x + x) * 3
                pixels[left] = g; pixels[left + 1] = g; pixels[left + 2] = g
                pixels[right] = c.r; pixels[right + 1] = c.g; pixels[right + 2] = c.b
            }
        }
        try PNGImage(width: width, height: s.y, channels: 3, pixels: pixels).write(path: path)
    }
}
