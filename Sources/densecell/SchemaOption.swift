import ArgumentParser
import DenseCellCore

/// `--schema FILE.json`, shared by every command that names classes.
struct SchemaOption: ParsableArguments {
    @Option(help: "Label schema JSON replacing the platelet classes; a class may list the stored values it comes from (\"values\": [255]).")
    var schema: String?

    /// The schema file's classes, or the paper's platelet schema.
    func load() throws -> LabelSchema { try loadIfGiven() ?? .platelet }

    /// The schema file's classes, or nil when none was given (a study may then bring its own:
    /// an OME-Zarr store's label images name and color their values).
    func loadIfGiven() throws -> LabelSchema? { try schema.map(LabelSchema.load(path:)) }
}
