import DenseCellCore

/// A label source as the viewer holds it: the numbers of its labels and mask in the volume
/// table, never the voxels.
struct SourceVolumes {
    var name: String
    var role: SourceRole
    var labels: Int
    var mask: Int?
    /// Computed while the viewer runs (the ensemble, the live consensus), not read from the study.
    var derived: Bool
}

/// The label sources behind the view, reference first, and a revision bumped whenever one
/// changes so what was derived from it (rankings, pane images) is redone. Key thread only.
final class SourceTable {
    private(set) var list: [SourceVolumes] = []
    private(set) var revision = 0

    static let ensembleName = "ensemble"
    /// The live consensus of the review loop: A with the decisions applied.
    static let consensusName = "consensus"
    /// Sources the viewer computes while it runs, whose pixels change under a pane.
    static let derivedNames: Set<String> = [ensembleName, consensusName]

    var count: Int { list.count }
    subscript(index: Int) -> SourceVolumes { list[index] }

    func index(of name: String) -> Int? { list.firstIndex { $0.name == name } }

    /// Adds a source, or replaces the one of the same name.
    func set(_ source: SourceVolumes) {
        if let i = index(of: source.name) { list[i] = source } else { list.append(source) }
    }

    /// Records that a source's labels changed.
    func changed() { revision += 1 }
}
