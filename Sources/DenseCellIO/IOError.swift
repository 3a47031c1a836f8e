import DenseCellCore

/// A problem with an input or output file, worded for a one-line message:
/// `file.h5:/labels/truth: no such dataset`.
public struct IOError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case missingFile, missingDataset, unsupportedType, badShape, corrupt, writeFailed, badReference, badLabels
    }
    public var kind: Kind
    public var file: String
    public var dataset: String?
    public var message: String

    public init(_ kind: Kind, file: String, dataset: String? = nil, _ message: String) {
        self.kind = kind; self.file = file; self.dataset = dataset; self.message = message
    }

    public var description: String {
        if let d = dataset { return "\(file):\(d): \(message)" }
        return "\(file): \(message)"
    }
}
