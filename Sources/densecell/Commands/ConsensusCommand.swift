import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct ConsensusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensus",
        abstract: "Write consensus labels: A with the review's decisions applied, or the majority of several sources.",
        discussion: """
        With --pair A,B: /labels/NAME = A, with each decided region of the pair replaced by the
        chosen source's labels on that region's voxels (`ensemble` takes /labels/ensemble), and
        /masks/NAME-undecided marking the regions left undecided or marked `neither`.
        The regions are found again in the study; a decision about a region the study no longer
        has as it was (labels changed since the review) is refused.
        With --vote A,B,C…: the voxelwise majority of three or more sources; ties are undecided.
        OUT is created atomically; when it exists, the two datasets are added to it at the end
        (replacing earlier ones of the same name). An OUT ending in .zarr is an OME-Zarr store:
        labels/NAME (role "truth") and masks/NAME-undecided, with the study's image when the
        store is new.

        Examples:
          densecell consensus study.h5 --pair annotator-1,annotator-2 --out consensus.h5
          densecell consensus study.h5 --vote truth,annotator-1,annotator-2 --out vote.h5 --name vote
          densecell consensus study.h5 --pair annotator-1,annotator-2 --out consensus.ome.zarr
        """
    )

    @Argument(help: "Study file (HDF5).")
    var study: String

    @Option(help: "The reviewed pair, as A,B.")
    var pair: String?

    @Option(help: "Vote over these sources instead, as A,B,C,…")
    var vote: String?

    @Option(help: "Review log (default: STUDY.review.jsonl beside the study).")
    var review: String?

    @Option(help: "Output file (HDF5), or an OME-Zarr store (.ome.zarr).")
    var out: String

    @Option(help: "Name of the consensus labels.")
    var name = "consensus"

    @Option(name: .customLong("min-voxels"), help: "Smallest region size, as the review used.")
    var minVoxels = 20

    @Flag(name: .customLong("all-classes"), help: "Regions count cell/background disagreements too, as the review used.")
    var allClasses = false

    @OptionGroup var schemaOption: SchemaOption

    func validate() throws {
        if (pair == nil) == (vote == nil) { throw ValidationError("give either --pair A,B or --vote A,B,C") }
    }

    func run() throws {
        let schema = try schemaOption.load()
        // An OME-Zarr OUT: the consensus goes to a scratch study first, then into the store.
        let zarr = StudyConversion.isZarr(out)
            ? try OMEZarrResults(store: out, shape: OpenedStudy.open(study: study, schema: schema, select: [], needsImage: false).shape) : nil
        let (writer, message) = try write(into: zarr?.scratchStudy ?? out, schema: schema)
        // The study read (possibly `--out` itself) is closed now: the short write into it can open it.
        try writer.commit()
        if let zarr {
            let image = zarr.storeExists ? nil : try OpenedStudy.open(study: study, schema: schema, select: [])
            try zarr.commit(image: image.map { ($0.image!, $0.resolutionNM) }, schema: schema)
        }
        print(message)
    }

    /// Computes the consensus into an uncommitted writer of `path`; every reader of the study is let go on return.
    func write(into path: String, schema: LabelSchema) throws -> (StudyWriter, String) {
        let opened = try OpenedStudy.open(study: study, schema: schema, select: [], needsImage: false)
        if let vote {
            let names = vote.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard names.count >= 3 else { throw UsageError("--vote \(vote): give three or more sources") }
            let bar = ProgressBar("vote", total: opened.shape.z, unit: "slices")
            let (ties, writer) = try ConsensusWriter.vote(opened, sources: names, out: path, name: name) { done, _ in bar.update(done) }
            bar.finish()
            return (writer, "\(self.out):/labels/\(name) = majority of \(names.joined(separator: ", ")); \(ties) tied voxels undecided")
        }
        let names = try parsePair(pair!)
        let session = try PairDisagreement(opened, pair: names, allClasses: allClasses, minVoxels: minVoxels)
        let logPath = review ?? ReviewLog.defaultPath(forStudy: study)
        let contents = try ReviewLog.read(path: logPath, shape: session.shape)
        if let warning = contents.warning { FileHandle.standardError.write(Data("densecell: \(warning)\n".utf8)) }
        let find = ProgressBar("regions", total: session.shape.z, unit: "slices")
        let regions = try session.regions { done, _ in find.update(done) }
        find.finish()
        let write = ProgressBar("consensus", total: session.shape.z, unit: "slices")
        let (s, writer) = try ConsensusWriter.fromDecisions(session, regions: regions, review: ReviewState(records: contents.records),
                                                            study: opened, out: path, name: name) { done, _ in write.update(done) }
        write.finish()
        return (writer, "\(self.out):/labels/\(name): \(s.decidedRegions)/\(s.totalRegions) regions decided, \(s.changedVoxels) voxels changed from \(names.0), \(s.undecidedVoxels) voxels undecided")
    }
}
