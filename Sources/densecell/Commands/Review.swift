import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the review items of a study (flags and decisions), or record new ones from a script.",
        discussion: """
        The review log is STUDY.review.jsonl beside the study (or --review FILE): one JSON line per
        action, appended and synced one record at a time, so nothing is lost but an action in flight.
        Undone decisions are left out; a decision on a region replaces an earlier one.

        Recording from a script: --flag Z,Y,X --note TEXT adds a flag; --pair A,B --decide ID=TAKE,…
        records decisions on regions (ids as `densecell regions` lists them; TAKE is a, b, ensemble
        or neither). Each record is acknowledged on stdout once it is on disk.

        Examples:
          densecell review study.h5
          densecell review study.h5 --json
          densecell review study.h5 --flag 12,300,410 --note "membrane missing"
          densecell review study.h5 --pair annotator-1,annotator-2 --decide 1=b,2=a,3=neither
        """
    )

    @Argument(help: "Study file (HDF5).")
    var study: String

    @Option(help: "Review log (default: STUDY.review.jsonl beside the study).")
    var review: String?

    @Option(help: "Who records (default: $USER).")
    var reviewer: String?

    @Flag(help: "Print the items as one JSON object.")
    var json = false

    @Flag(help: "Print the items as CSV.")
    var csv = false

    @Option(help: "Record a flag at Z,Y,X.")
    var flag: String?

    @Option(help: "The flag's note.")
    var note: String?

    @Option(help: "The pair the decisions are about, as A,B.")
    var pair: String?

    @Option(help: "Record decisions ID=TAKE,… (TAKE: a, b, ensemble, neither).")
    var decide: String?

    @Option(name: .customLong("min-voxels"), help: "Smallest region size, as for `densecell regions`.")
    var minVoxels = 20

    @Flag(name: .customLong("all-classes"), help: "Regions count cell/background disagreements too.")
    var allClasses = false

    @OptionGroup var schemaOption: SchemaOption

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        if decide != nil && pair == nil { throw ValidationError("--decide needs --pair A,B") }
        if note != nil && flag == nil { throw ValidationError("--note goes with --flag Z,Y,X") }
    }

    func run() throws {
        let opened = try OpenedStudy.open(study: study, schema: try schemaOption.loadIfGiven(), select: [], needsImage: false)
        let shape = opened.shape
        let logPath = review ?? ReviewLog.defaultPath(forStudy: study)
        let who = reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        if flag != nil || decide != nil {
            let log = try ReviewLog(path: logPath)
            if let warning = log.repaired { FileHandle.standardError.write(Data("densecell: \(warning)\n".utf8)) }
            if let flag {
                let at = try parseLocation(flag, shape: shape)
                try log.append(ReviewRecord(reviewer: who, kind: .flag, shape: shape, at: at, note: note))
                print("recorded flag at \(at.z),\(at.y),\(at.x)")
            }
            if let decide, let pair {
                let names = try parsePair(pair)
                let session = try PairDisagreement(opened, pair: names, allClasses: allClasses, minVoxels: minVoxels)
                let regions = try session.regions()
                for (id, take) in try parseDecisions(decide) {
                    guard id >= 1, id <= regions.count else {
                        throw UsageError("--decide: no region \(id) (the pair has \(regions.count))")
                    }
                    let r = regions[id - 1]
                    try log.append(ReviewRecord(reviewer: who, kind: .decision, shape: shape,
                                                at: (Int(r.centroid.z), Int(r.centroid.y), Int(r.centroid.x)),
                                                pair: names, region: r, take: take))
                    print("recorded decision region \(id): \(take.rawValue)")
                    fflush(stdout)
                }
            }
            return
        }
        let contents = try ReviewLog.read(path: logPath, shape: shape)
        if let warning = contents.warning { FileHandle.standardError.write(Data("densecell: \(warning)\n".utf8)) }
        let state = ReviewState(records: contents.records)
        if json { print(ReviewListing.itemsJSON(state)); return }
        if csv { print(ReviewListing.itemsCSV(state)); return }
        if state.items.isEmpty { print("\(logPath): no review items"); return }
        print("\(logPath): \(state.items.count) item\(state.items.count == 1 ? "" : "s"), newest first\n")
        print(ReviewListing.itemsTable(state))
    }

    func parseLocation(_ text: String, shape: Shape3) throws -> (z: Int, y: Int, x: Int) {
        let v = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == 3 else { throw UsageError("--flag \(text): expected Z,Y,X") }
        guard v[0] >= 0, v[0] < shape.z, v[1] >= 0, v[1] < shape.y, v[2] >= 0, v[2] < shape.x else {
            throw UsageError("--flag \(text): outside the study's \(shape) voxels")
        }
        return (v[0], v[1], v[2])
    }

    func parseDecisions(_ text: String) throws -> [(Int, ReviewRecord.Take)] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: "=")
            guard parts.count == 2, let id = Int(parts[0]), let take = ReviewRecord.Take(rawValue: String(parts[1])) else {
                throw UsageError("--decide \(item): expected ID=TAKE with TAKE one of a, b, ensemble, neither")
            }
            return (id, take)
        }
    }
}
