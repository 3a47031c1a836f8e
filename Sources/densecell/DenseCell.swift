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
                      Segment.self, Bench.self, ModelCommand.self, View.self, Demo.self, Train.self, Report.self]
    )

    /// Runs the command, mapping errors to the exit statuses of DESIGN §9:
    /// 0 success, 1 failure while working, 2 bad input or usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as IOError {
            fail(error.description, status: 2)
        } catch let error as UsageError {
            fail(error.message, status: 2)
        } catch let error as WorkError {
            fail(error.message, status: 1)
        } catch let error as LabelSchema.LoadError {
            fail(error.description, status: 2)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                exit(withError: error)
            }
            if error is ExitCode { exit(withError: error) }
            // Parse and validation errors: ArgumentParser's message and usage, status 2.
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("densecell: \(message)\n".utf8))
        Foundation.exit(status)
    }
}

/// Bad input found by a command (exit status 2).
struct UsageError: Error { var message: String; init(_ m: String) { message = m } }
/// A failure while working (exit status 1).
struct WorkError: Error { var message: String; init(_ m: String) { message = m } }
