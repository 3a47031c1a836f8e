import XCTest
import DenseCellCore
import DenseCellIO
import Foundation

/// `segment --blocks`, `merge` and `--slurm` through the built binary: parts computed apart give
/// exactly the study of one run, bad parts are refused without output, and the generated SLURM
/// jobs run on the local one-node cluster (scripts/slurm-local.sh).
final class ClusterCLITests: XCTestCase {
    var dir = ""
    static let demoModels = CLI.packageRoot.appendingPathComponent("Assets/models/demo").path

    override func setUp() { dir = CLI.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func run(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, cwd: dir) }

    func ok(_ arguments: [String]) throws -> CLIResult {
        let r = try run(arguments)
        XCTAssertEqual(r.status, 0, "densecell \(arguments.joined(separator: " ")): \(r.stderr)")
        return r
    }

    /// Labels, mask and probabilities of a label source, read back.
    func read(_ path: String, _ name: String) throws -> (labels: [UInt8], mask: [UInt8]?, probabilities: [Float]?, image: [Float]) {
        let f = try HDF5File(path: dir + "/" + path)
        let labels = try f.readArray("/labels/" + name, as: .uint8, of: UInt8.self).data
        let mask = f.exists("/masks/" + name) ? try f.readArray("/masks/" + name, as: .uint8, of: UInt8.self).data : nil
        let p = f.exists("/probabilities/" + name) ? try f.readArray("/probabilities/" + name, as: .float32, of: Float.self).data : nil
        return (labels, mask, p, try f.readArray("/image", as: .float32, of: Float.self).data)
    }

    /// What is in the test's directory besides the inputs: no part, scratch or output file may be
    /// left by a refused command.
    func files() -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) }

    func testThreeBlocksMergeIntoExactlyTheSingleRun() throws {
        try ok(["phantom", "p.h5", "--shape", "11x48x48", "--seed", "7"])
        let common = ["--models", Self.demoModels, "--window", "5x32x32", "--probabilities", "--roi", "1:11,4:44,0:48"]
        try ok(["segment", "p.h5", "--out", "whole.h5"] + common)
        for i in [2, 0, 1] {
            let r = try ok(["segment", "p.h5", "--out", "part-\(i).h5", "--blocks", "3", "--block", "\(i)"] + common)
            XCTAssertTrue(r.stdout.contains("block \(i) of 3"), r.stdout)
        }
        // Parts in any order; a new study gets the image.
        try ok(["merge", "part-1.h5", "part-2.h5", "part-0.h5", "--out", "merged.h5"])
        let whole = try read("whole.h5", "ensemble"), merged = try read("merged.h5", "ensemble")
        XCTAssertEqual(merged.labels, whole.labels)
        XCTAssertEqual(merged.mask, whole.mask)
        XCTAssertNotNil(merged.mask)
        XCTAssertEqual(merged.image, whole.image)
        // Probabilities: both float16 of the same float sums.
        XCTAssertEqual(merged.probabilities?.map(\.bitPattern), whole.probabilities?.map(\.bitPattern))
        // Not a trivial segmentation: the phantom's cells and organelles are there.
        XCTAssertGreaterThanOrEqual(Set(whole.labels).count, 4)
        // Into an existing study, under another name.
        try FileManager.default.copyItem(atPath: dir + "/p.h5", toPath: dir + "/study.h5")
        try ok(["merge", "part-0.h5", "part-1.h5", "part-2.h5", "--out", "study.h5", "--name", "blocks"])
        XCTAssertEqual(try read("study.h5", "blocks").labels, whole.labels)
        XCTAssertEqual(try read("study.h5", "truth").labels.count, whole.labels.count)
    }

    func testBadPartsAndBlocksAreRefusedWithoutOutput() throws {
        try ok(["phantom", "p.h5", "--shape", "9x32x32", "--seed", "3"])
        try ok(["model", "init", "a.h5", "--width", "4", "--seed", "1"])
        try ok(["model", "init", "b.h5", "--width", "4", "--seed", "2"])
        let common = ["--window", "5x16x16", "--blocks", "3"]
        for i in 0..<3 { try ok(["segment", "p.h5", "--models", "a.h5", "--out", "a\(i).h5", "--block", "\(i)"] + common) }
        try ok(["segment", "p.h5", "--models", "b.h5", "--out", "b1.h5", "--block", "1"] + common)
        try ok(["segment", "p.h5", "--models", "a.h5", "--out", "o1.h5", "--block", "1", "--overlap", "0.5"] + common)
        let before = files()

        func refused(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try run(arguments)
            XCTAssertEqual(r.status, 2, "\(arguments): \(r.stderr)", file: file, line: line)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "one line: \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.contains(expected), "\(r.stderr) should say \(expected)", file: file, line: line)
            XCTAssertEqual(files(), before, "nothing written by \(arguments)", file: file, line: line)
        }
        try refused(["merge", "a0.h5", "a2.h5", "--out", "m.h5"], "missing block 1 of 3")
        try refused(["merge", "a0.h5", "a1.h5", "a1.h5", "a2.h5", "--out", "m.h5"], "a1.h5 and a1.h5 are both block 1 of 3")
        try refused(["merge", "a0.h5", "b1.h5", "a2.h5", "--out", "m.h5"], "b1.h5: not a part of the run of a0.h5: its models")
        try refused(["merge", "a0.h5", "o1.h5", "a2.h5", "--out", "m.h5"], "o1.h5: not a part of the run of a0.h5: its overlap is 0.5, not 0.25")
        try refused(["merge", "a0.h5", "p.h5", "--out", "m.h5"], "p.h5: not a densecell segment part")
        try refused(["merge", "a0.h5", "nope.h5", "--out", "m.h5"], "nope.h5: no such part file")
        // Merging into a study of another shape.
        try ok(["phantom", "other.h5", "--shape", "9x32x36", "--seed", "3"])
        let withOther = files()
        let r = try run(["merge", "a0.h5", "a1.h5", "a2.h5", "--out", "other.h5"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("other.h5:/image: shape"), r.stderr)
        XCTAssertEqual(files(), withOther)
        XCTAssertFalse(try HDF5File(path: dir + "/other.h5").exists("/labels/ensemble"), "the study is unchanged")
        try FileManager.default.removeItem(atPath: dir + "/other.h5")
        // Block index out of range, more blocks than window positions in z (9 slices: starts 0, 3, 4).
        try refused(["segment", "p.h5", "--models", "a.h5", "--out", "x.h5", "--block", "3"] + common, "--block 3 is out of range for --blocks 3")
        try refused(["segment", "p.h5", "--models", "a.h5", "--out", "x.h5", "--window", "5x16x16", "--blocks", "4", "--block", "0"],
                    "only 3 window positions")
        try refused(["segment", "p.h5", "--models", "a.h5", "--out", "x.h5", "--window", "5x16x16", "--blocks", "4", "--slurm", "jobs"],
                    "only 3 window positions")
    }

    /// The array task runs `segment` with every option given, as parsed: the scripts, run task by
    /// task without a cluster, give the single run's study.
    func testSegmentJobScriptsRunTheCommandAsParsed() throws {
        try ok(["phantom", "p.h5", "--shape", "9x32x32", "--seed", "5"])
        try ok(["model", "init", "a.h5", "--width", "4", "--seed", "1"])
        try ok(["model", "init", "b.h5", "--width", "4", "--seed", "2"])
        let common = ["--models", "a.h5", "b.h5", "--top", "2", "--name", "blocks", "--probabilities", "--window", "5x16x16",
                      "--roi", "1:9,0:32,4:28", "--precision", "f32", "--overlap", "0.1"]
        try ok(["segment", "p.h5", "--out", "whole.h5"] + common)
        try ok(["segment", "p.h5", "--out", "merged.h5", "--blocks", "2", "--slurm", "jobs", "--sbatch-args", "--time=10"] + common)
        let words = try CLI.execWords(dir + "/jobs/segment.sbatch")
        XCTAssertEqual(Array(words.dropFirst()),
                       ["segment", "p.h5", "--models=a.h5", "--models=b.h5", "--top=2", "--out=\(dir)/jobs/parts/part-\"$SLURM_ARRAY_TASK_ID\".h5",
                        "--name=blocks", "--probabilities", "--window=5x16x16", "--roi=1:9,0:32,4:28", "--precision=f32",
                        "--overlap=0.1", "--blocks=2", "--block=\"$SLURM_ARRAY_TASK_ID\""])
        for task in [1, 0] {
            let r = try CLI.runJobScript(dir + "/jobs/segment.sbatch", task: task, cwd: dir)
            XCTAssertEqual(r.status, 0, r.stdout)
        }
        let merge = try CLI.runJobScript(dir + "/jobs/merge.sbatch", task: nil, cwd: dir)
        XCTAssertEqual(merge.status, 0, merge.stdout)
        let whole = try read("whole.h5", "blocks"), merged = try read("merged.h5", "blocks")
        XCTAssertEqual(merged.labels, whole.labels)
        XCTAssertEqual(merged.mask, whole.mask)
        XCTAssertEqual(merged.probabilities?.map(\.bitPattern), whole.probabilities?.map(\.bitPattern))
    }

    /// The jobs `segment --slurm` writes, submitted to the local cluster, give the single run's study.
    func testSlurmJobsOnTheLocalClusterGiveTheSingleRun() throws {
        let sinfo = ["/usr/bin/sinfo", "/usr/local/bin/sinfo"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipIf(sinfo == nil, "sinfo not found: SLURM is not installed (make deps installs slurm-wlm and munge)")
        let script = CLI.packageRoot.appendingPathComponent("scripts/slurm-local.sh").path
        let conf = (ProcessInfo.processInfo.environment["DENSECELL_SLURM_DIR"] ?? "/tmp/densecell-slurm") + "/slurm.conf"
        /// Runs a shell command with posix_spawn and waitpid rather than Process: daemons the
        /// command starts inherit the descriptors Foundation watches to notice a child's exit,
        /// and would hold the wait open. Output goes to a file for the same reason.
        func shell(_ command: String) throws -> (status: Int32, output: String) {
            let log = dir + "/.shell-\(UUID().uuidString).log"
            defer { try? FileManager.default.removeItem(atPath: log) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let env = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": conf]) { $1 }.map { "\($0.key)=\($0.value)" }
            let words: [String] = ["/bin/bash", "-c", "cd '\(dir)' && " + command]
            let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
            let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, envp)
            guard rc == 0 else { throw NSError(domain: "posix_spawn", code: Int(rc)) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            return (exit, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        // A cluster this test starts is stopped when it ends, also when it fails; one running before is left alone.
        var startedCluster = false
        defer { if startedCluster { _ = try? shell("'\(script)' stop") } }
        if try shell("'\(script)' status").status != 0 {
            startedCluster = true
            let started = try shell("'\(script)' start")
            XCTAssertEqual(started.status, 0, "starting the local cluster: \(started.output)")
        }

        try ok(["phantom", "p.h5", "--shape", "9x40x40", "--seed", "11"])
        let common = ["--models", Self.demoModels, "--window", "5x32x32", "--probabilities", "--precision", "f32"]
        try ok(["segment", "p.h5", "--out", "whole.h5"] + common)
        let generated = try ok(["segment", "p.h5", "--out", "merged.h5", "--blocks", "3", "--slurm", "jobs",
                                "--sbatch-args", "--time=10 --job-name=densecell-test"] + common)
        XCTAssertTrue(generated.stdout.contains("submit.sh"), generated.stdout)
        for file in ["segment.sbatch", "merge.sbatch", "submit.sh"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/jobs/" + file), file)
        }
        let submitted = try shell("jobs/submit.sh")
        XCTAssertEqual(submitted.status, 0, submitted.output)
        let ids = submitted.output.split(separator: "\n").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }
        XCTAssertEqual(ids.count, 2, submitted.output)
        // Wait until neither job is queued or running.
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            let q = try shell("squeue --noheader --jobs=\(ids.map(String.init).joined(separator: ",")) 2>/dev/null")
            if q.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            Thread.sleep(forTimeInterval: 1)
        }
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/jobs/logs")) ?? []
        XCTAssertEqual(logs.filter { $0.hasPrefix("segment-") }.count, 3, "\(logs)")
        let jobLogs = try shell("cat jobs/logs/*").output
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/merged.h5"), "merge did not run: " + jobLogs)
        let whole = try read("whole.h5", "ensemble"), merged = try read("merged.h5", "ensemble")
        XCTAssertEqual(merged.labels, whole.labels)
        XCTAssertEqual(merged.probabilities?.map(\.bitPattern), whole.probabilities?.map(\.bitPattern))
        XCTAssertEqual(merged.image, whole.image)
    }
}

extension CLI {
    /// Runs a generated job script with bash as SLURM would run array task `task` (its `#SBATCH`
    /// lines are comments to bash), without a cluster.
    static func runJobScript(_ path: String, task: Int?, cwd: String) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [path]
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var environment = ProcessInfo.processInfo.environment
        environment["SLURM_ARRAY_TASK_ID"] = task.map(String.init)
        p.environment = environment
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("job-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle; p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return CLIResult(status: p.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr: "")
    }

    /// The words of a job script's `exec` line, unquoted as bash would (task index placeholders kept).
    static func execWords(_ script: String) throws -> [String] {
        let text = try String(contentsOfFile: script, encoding: .utf8)
        let line = try XCTUnwrap(text.split(separator: "\n").last { $0.hasPrefix("exec ") })
        // Words are single-quoted with the task's index spliced in double-quoted: drop the single
        // quotes, keep the double-quoted expansion as written.
        var words: [String] = [], word = "", quoted = false, doubleQuoted = false, started = false
        for ch in line.dropFirst("exec ".count) {
            if ch == "'" && !doubleQuoted { quoted.toggle(); started = true; continue }
            if ch == "\"" && !quoted { doubleQuoted.toggle() }
            if ch == " " && !quoted && !doubleQuoted { if started { words.append(word) }; word = ""; started = false; continue }
            word.append(ch); started = true
        }
        if started { words.append(word) }
        return words
    }
}
