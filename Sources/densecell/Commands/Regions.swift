import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Regions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the disagreement regions of two label sources, largest first.",
        discussion: """
        A region is a 6-connected 3-D component of voxels where A and B differ and at least one
        of them says an organelle class (--all-classes counts cell/background too), inside both
        sources' labeled regions. Found in one streaming pass, so gigavoxel pairs work.
        Region ids are the queue order the viewer's `r` walks and the review log refers to.

        With --json, prints {"pair":[A,B], "shape":[z,y,x], "min_voxels":N, "regions":[{"id", "voxels",
        "box":{"z":[z0,z1],"y":..,"x":..}, "centroid":[z,y,x], "seed":[z,y,x], "pairs":[{"a","b","voxels"}]}]}
        (boxes half-open; pairs by voxel count, the main pair first).

        Examples:
          densecell regions study.h5 --pair annotator-1,annotator-2
          densecell regions study.h5 --pair truth,ensemble --min-voxels 100 --csv > regions.csv
        """
    )

    @Argument(help: "Study file (HDF5) with label sources under /labels.")
    var study: String

    @Option(help: "The two label sources to compare, as A,B.")
    var pair: String

    @Option(name: .customLong("min-voxels"), help: "Drop regions smaller than this.")
    var minVoxels = 20

    @Flag(name: .customLong("all-classes"), help: "Count cell/background disagreements too, not only organelles.")
    var allClasses = false

    @Option(help: "Show at most this many rows in the table (0 = all).")
    var limit = 50

    @Flag(help: "Print the regions as one JSON object.")
    var json = false

    @Flag(help: "Print the regions as CSV.")
    var csv = false

    @OptionGroup var schemaOption: SchemaOption

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if minVoxels < 1 { throw ValidationError("--min-voxels must be at least 1") }
    }

    func run() throws {

        let names = try parsePair(pair)
        let opened = try OpenedStudy.open(study: study, schema: try schemaOption.loadIfGiven(), select: [], needsImage: false)
        let schema = opened.schema
        let review = try PairDisagreement(opened,
                                          pair: names, allClasses: allClasses, minVoxels: minVoxels)
        let bar = ProgressBar("regions", total: review.shape.z, unit: "slices")
        let regions = try review.regions { done, _ in bar.update(done) }
        bar.finish("\(regions.count) regions")
        if json {
            print(ReviewListing.regionsJSON(regions, pair: names, shape: review.shape, minVoxels: minVoxels, schema: schema))
        } else if csv {
            print(ReviewListing.regionsCSV(regions, schema: schema))
        } else {
            let total = regions.reduce(0) { $0 + $1.voxels }
            print("\(study): \(names.0) vs \(names.1), \(regions.count) region\(regions.count == 1 ? "" : "s") of ≥ \(minVoxels) voxels, \(NumberText.grouped(total)) voxels in all\n")
            if !regions.isEmpty {
                print(ReviewListing.regionsTable(regions, pair: names, schema: schema, limit: limit == 0 ? nil : limit))
                if limit > 0 && regions.count > limit { print("… \(regions.count - limit) more (--limit 0 shows all)") }
            }
        }
    }
}
