import ArgumentParser
import DenseCellIO
import Foundation

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the parts of a `segment --blocks` run into one study.",
        discussion: """
        Checks that the parts are every block of one run exactly once (same image, models and \\
        options; slices without gaps or overlaps) and writes their labels (and probabilities) as \\
        /labels/NAME of OUT: a new study with the image the parts were computed from, or an \\
        existing study of that image's shape. The result equals a single `segment` run voxel \\
        for voxel. A missing, repeated or foreign part is named in a one-line error (exit 2) \\
        and nothing is written.

        Examples:
          densecell segment big.h5 --models models/ --out part-0.h5 --blocks 2 --block 0
          densecell segment big.h5 --models models/ --out part-1.h5 --blocks 2 --block 1
          densecell merge part-0.h5 part-1.h5 --out big.h5
          densecell merge jobs/parts/part-*.h5 --out result.h5 --name ensemble-16
        """
    )

    @Argument(help: "The part files (any order).")
    var parts: [String]

    @Option(help: "Study file to write (created, or added to when it exists).")
    var out: String

    @Option(help: "Name of the label source (default: the name the parts were made with).")
    var name: String?

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("give the part files to merge") }
        if let name, name.isEmpty || name.contains("/") { throw ValidationError("--name must be a plain name without '/'") }
    }

    func run() throws {
        let start = Date()
        defer { ScratchCleanup.clear() }
        let voxels = try SegmentPartMerge.merge(parts, out: out, name: name, started: ScratchCleanup.install)
        let seconds = Date().timeIntervalSince(start)
        print("wrote \(out): \(parts.count) part\(parts.count == 1 ? "" : "s"), \(voxels) voxels in \(String(format: "%.1f", seconds)) s")
    }
}
