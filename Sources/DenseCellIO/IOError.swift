import DenseCellCore

/// A problem with an input or output file, worded for a one-line message:
/// `file.h5:/labels/truth: no such dataset`.
public struct IOError: DenseCellError, Equatable {
    /// What went wrong; every kind but `writeFailed` is the user's input at fault.
    public enum Kind: Sendable, Equatable {
        /// The file or directory named does not exist.
        case missingFile
        /// The HDF5 file has no such dataset.
        case missingDataset
        /// The element type cannot be read (strings, compounds), or a value does not fit the type it is read as.
        case unsupportedType
        /// The data are not a 3-D volume, or do not match the shape of the volume they belong to.
        case badShape
        /// The file is truncated or corrupt, or not of the format its name says.
        case corrupt
        /// A file could not be written or put in place (a failure while working).
        case writeFailed
        /// The reference does not say which data to read (an HDF5 file without a dataset, an empty directory).
        case badReference
        /// Label values outside the schema.
        case badLabels
        /// An output path that cannot be used: its directory is missing, or a file stands where a directory should.
        case badOutput
    }
    /// What went wrong.
    public var kind: Kind
    /// The user's path of the file at fault.
    public var file: String
    /// The dataset inside `file`, when there is one.
    public var dataset: String?
    /// The reason, without the file name.
    public var message: String

    /// - Parameters:
    ///   - kind: What went wrong.
    ///   - file: The path as the user gave it.
    ///   - dataset: The HDF5 dataset, if any.
    ///   - message: The reason, e.g. `no such dataset`.
    public init(_ kind: Kind, file: String, dataset: String? = nil, _ message: String) {
        self.kind = kind; self.file = file; self.dataset = dataset; self.message = message
    }

    /// 1 for `writeFailed`, else 2.
    public var exitStatus: ExitStatus { kind == .writeFailed ? .failure : .badInput }

    /// `FILE:DATASET: message`, or `FILE: message`.
    public var description: String {
        if let d = dataset { return "\(file):\(d): \(message)" }
        return "\(file): \(message)"
    }
}
