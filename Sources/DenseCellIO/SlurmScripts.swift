import Foundation

/// One SLURM batch job densecell writes for a cluster run (docs/ARCHITECTURE.md, Cluster): an
/// array of tasks, or a single job that runs after the previous one succeeded.
public struct SlurmJob: Sendable {
    /// The file stem (`DIR/NAME.sbatch`) and, prefixed with `densecell-`, the job's name.
    public var name: String
    /// Tasks 0..<n of an array job, or nil for a single job.
    public var arrayTasks: Int?
    /// The command's words. `{task}` in a word becomes the array task's index and `{task+K}`
    /// that index plus K.
    public var command: [String]
    /// A line saying what the job does, written as a comment at the top of its script.
    public var comment: String

    /// A job running `command`; the parameters are the properties of the same names.
    public init(name: String, arrayTasks: Int?, command: [String], comment: String) {
        self.name = name; self.arrayTasks = arrayTasks; self.command = command; self.comment = comment
    }
}

/// Writes `DIR/NAME.sbatch` for each job and `DIR/submit.sh`, which submits them in order, each
/// after the previous one with `--dependency=afterok` (docs/ARCHITECTURE.md, Cluster).
public enum SlurmScripts {
    /// - Parameters:
    ///   - directory: Created if missing; logs go to `DIR/logs`.
    ///   - jobs: The jobs in submission order; each runs only after the one before it succeeded.
    ///   - workingDirectory: Where the jobs run (relative paths in the commands are relative to it).
    ///   - sbatchArguments: Extra `sbatch` options for every job (`--partition=…`, `--time=…`).
    /// - Returns: The paths written, submit script last.
    /// - Throws: `IOError` when the directory or a file cannot be written.
    @discardableResult
    public static func write(directory: String, jobs: [SlurmJob], workingDirectory: String,
                             sbatchArguments: [String]) throws(IOError) -> [String] {
        let dir = absolute(directory, in: workingDirectory)
        try OutputDirectory.create(dir)
        try OutputDirectory.create(dir + "/logs")
        var written: [String] = []
        for job in jobs {
            var lines = ["#!/bin/bash", "# \(job.comment)", "# Written by densecell; submit with submit.sh in this directory.",
                         "#SBATCH --job-name=densecell-\(job.name)", "#SBATCH --chdir=\(workingDirectory)"]
            if let n = job.arrayTasks {
                lines.append("#SBATCH --array=0-\(n - 1)")
                lines.append("#SBATCH --output=\(dir)/logs/\(job.name)-%A_%a.log")
            } else {
                lines.append("#SBATCH --output=\(dir)/logs/\(job.name)-%j.log")
            }
            lines += ["set -euo pipefail",
                      "# oneDNN's threads: the CPUs SLURM gave this task, waiting passively (nodes are shared).",
                      "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}",
                      "export OMP_WAIT_POLICY=passive",
                      "exec " + job.command.map(shellWord).joined(separator: " ")]
            let path = dir + "/\(job.name).sbatch"
            try writeText(lines.joined(separator: "\n") + "\n", to: path, executable: false)
            written.append(path)
        }
        var submit = ["#!/bin/bash",
                      "# Submits " + jobs.map { "\($0.name).sbatch" }.joined(separator: ", then ") + " (each after the previous one succeeded).",
                      "set -euo pipefail",
                      "dir=$(cd \"$(dirname \"$0\")\" && pwd)",
                      "extra=(" + sbatchArguments.map(quote).joined(separator: " ") + ")",
                      "previous=\"\""]
        for job in jobs {
            submit += ["job=$(sbatch --parsable \"${extra[@]}\" ${previous:+--dependency=afterok:$previous} \"$dir/\(job.name).sbatch\")",
                       "previous=${job%%;*}",
                       "echo \"\(job.name): job $previous\""]
        }
        let submitPath = dir + "/submit.sh"
        try writeText(submit.joined(separator: "\n") + "\n", to: submitPath, executable: true)
        written.append(submitPath)
        return written
    }

    /// `path` made absolute against `directory`.
    public static func absolute(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    /// A word for bash: single-quoted, with `{task}` / `{task+K}` left to the shell.
    static func shellWord(_ word: String) -> String {
        var out = "", rest = Substring(word)
        while let open = rest.range(of: "{task") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            let offset = rest[open.upperBound..<close]
            if !rest[..<open.lowerBound].isEmpty { out += quote(String(rest[..<open.lowerBound])) }
            if offset.isEmpty { out += "\"$SLURM_ARRAY_TASK_ID\"" }
            else if offset.hasPrefix("+"), let k = Int(offset.dropFirst()) { out += "\"$((SLURM_ARRAY_TASK_ID + \(k)))\"" }
            else { out += quote(String(rest[open.lowerBound...close])) }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty || out.isEmpty { out += quote(String(rest)) }
        return out
    }

    /// Single-quoted for bash.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    private static func writeText(_ text: String, to path: String, executable: Bool) throws(IOError) {
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8),
                                                 attributes: [.posixPermissions: executable ? 0o755 : 0o644]) else {
                throw IOError(.writeFailed, file: path, "cannot write the script")
            }
        }
    }
}
