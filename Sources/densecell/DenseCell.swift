import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

@main
struct DenseCell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "densecell",
        abstract: "Review dense cellular segmentations of SBF-SEM volumes from a terminal.",
        discussion: """
        Volumes are named as PATH:DATASET for HDF5 (file.h5:/labels/truth), a multipage TIFF (stack.tif), or a directory of PNG slices. Axes are (z, y, x); indices count from 0 and ranges are half-open (--z 20:22 is slices 20 and 21). Exit status: 0 success, 1 failure while working, 2 bad input or usage.

        Examples:
          densecell demo
          densecell phantom study.h5 --shape 48x384x384 --seed 1
          densecell info study.h5
          densecell compare study.h5
        """,
        version: "0.1.0",
        subcommands: [Info.self, PhantomCommand.self, Evaluate.self, Compare.self, Export.self,
                      Segment.self, Merge.self, Bench.self, ModelCommand.self, View.self, Demo.self, Train.self,
                      Regions.self, Review.self, ConsensusCommand.self, Report.self, Convert.self]
    )

    /// Runs the command and maps every error to one line on stderr and an exit status
    /// (docs/ARCHITECTURE.md, "Errors"): 0 success, 1 failure while working, 2 bad input or usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as DenseCellError {
            fail(error.description, status: error.exitStatus)
        } catch {
            if error is ExitCode { exit(withError: error) }
            switch exitCode(for: error) {
            case .success:
                exit(withError: error)   // --help, --version
            case .validationFailure:
                // Parse and validation errors: ArgumentParser's message and usage, status 2.
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.badInput.rawValue)
            default:
                // Anything else is a failure while working that no library worded: say it plainly.
                fail((error as NSError).localizedDescription, status: .failure)
            }
        }
    }

    static func fail(_ message: String, status: ExitStatus) -> Never {
        FileHandle.standardError.write(Data("densecell: \(message)\n".utf8))
        Foundation.exit(status.rawValue)
    }
}

/// Bad input found by a command (exit status 2).
struct UsageError: DenseCellError {
    var message: String
    init(_ m: String) { message = m }
    var description: String { message }
    var exitStatus: ExitStatus { .badInput }
}

/// A failure while working (exit status 1).
struct WorkError: DenseCellError {
    var message: String
    init(_ m: String) { message = m }
    var description: String { message }
    var exitStatus: ExitStatus { .failure }
}
