import DenseCellCore
@testable import DenseCellIO
import Foundation
import XCTest

/// Runs the real viewer in a detached tmux session, types keys and reads the screen back.
final class ViewTmuxTests: XCTestCase {
    var socket = ""
    var dir = ""

    static var tmux: String? {
        ["/usr/bin/tmux", "/usr/local/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    override func setUpWithError() throws {
        guard Self.tmux != nil else { throw XCTSkip("tmux is not installed (make deps installs it); skipping the terminal end-to-end test") }
        socket = "densecell-test-\(UUID().uuidString.prefix(8))"
        dir = CLI.temporaryDirectory()
        try writeStudy(dir + "/study.h5")
    }

    override func tearDown() {
        if !socket.isEmpty {
            _ = try? tmux(["kill-server"])   // this test's own server only, and its socket file
            let base = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
            try? FileManager.default.removeItem(atPath: "\(base)/tmux-\(getuid())/\(socket)")
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Six slices with truth and an annotator that misses the organelle on odd slices.
    func writeStudy(_ path: String) throws {
        let shape = Shape3(6, 40, 60)
        var image = Volume<Float>(shape: shape, repeating: 0)
        var truth = Volume<UInt8>(shape: shape, repeating: 0)
        var annotator = Volume<UInt8>(shape: shape, repeating: 0)
        for z in 0..<6 { for y in 0..<40 { for x in 0..<60 {
            let inCell = (5..<35).contains(y) && (5..<55).contains(x)
            let organelle = (12..<24).contains(y) && (15..<30).contains(x)
            image[z, y, x] = Float(inCell ? (organelle ? 60 : 120) : 200) + Float((x + y) % 7)
            truth[z, y, x] = organelle ? 2 : (inCell ? 1 : 0)
            annotator[z, y, x] = organelle && z % 2 == 1 ? 1 : truth[z, y, x]
        } } }
        let study = Study(image: image, labels: [LabelSource(name: "truth", role: .truth, labels: truth),
                                                 LabelSource(name: "annotator-1", role: .annotator, labels: annotator)])
        try StudyFile.write(study, path: path)
    }

    /// Runs a tmux command on this test's own server and returns what it printed.
    /// posix_spawn and waitpid rather than Process: the tmux server that new-session starts
    /// inherits descriptors Foundation watches to notice a child's exit, and would hold them.
    @discardableResult
    func tmux(_ args: [String], output: Bool = false) throws -> String {
        let outPath = dir + "/.tmux-out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([Self.tmux!, "-L", socket] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Self.tmux!, &actions, nil, argv, environ)
        guard rc == 0 else { throw NSError(domain: "tmux", code: Int(rc)) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard output else { return "" }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "viewer"], output: true) }

    /// Waits until the screen satisfies `condition`; fails with the last screen otherwise.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 20, _ condition: (String) -> Bool,
                 file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(last)", file: file, line: line)
        return last
    }

    func keys(_ k: String...) throws { try tmux(["send-keys", "-t", "viewer"] + k) }

    func startShell(cols: Int = 100, rows: Int = 30, study: String = "study.h5", expect: String = "z 0/6",
                    extra: String = "") throws {
        try tmux(["new-session", "-d", "-s", "viewer", "-x", "\(cols)", "-y", "\(rows)", "-c", dir,
                  "env", "PS1=READY$ ", "TERM=xterm-256color", "bash", "--norc", "--noprofile"])
        try waitFor("the shell prompt") { $0.contains("READY$") }
        try keys("'\(CLI.binary.path)' view \(study)\(extra)", "Enter")
        try waitFor("the viewer") { $0.contains(expect) }
    }

    /// The prompt is back, the viewer's screen is gone and the terminal is in cooked mode again.
    func assertShellRestored(status expected: String) throws {
        try waitFor("the shell after the viewer") { !$0.contains("z 0/6") && !$0.contains("z 1/6") && $0.contains("READY$") }
        try keys("echo status=$?; stty -a | grep -o -- '-\\?icanon' | head -1; stty -a | grep -o -- ' -\\?echo ' | head -1", "Enter")
        let s = try waitFor("the status and stty lines") { screen in
            let lines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            return screen.contains("status=") && lines.contains { $0.hasSuffix("icanon") && !$0.contains(" ") }
                && lines.contains { $0 == "echo" || $0 == "-echo" }
        }
        XCTAssertTrue(s.contains("status=\(expected)"), s)
        let lines = s.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertTrue(lines.contains("icanon"), "canonical input restored:\n\(s)")
        XCTAssertTrue(lines.contains("echo"), "echo restored:\n\(s)")
    }

    func testKeysChangeTheScreenAndQuitRestoresTheShell() throws {
        try startShell()
        var s = try screen()
        XCTAssertTrue(s.contains("study.h5"))
        XCTAssertTrue(s.contains("truth A"))
        XCTAssertTrue(s.contains("A↓ B→"), "confusion tab first:\n\(s)")
        try keys("j")
        s = try waitFor("z 1") { $0.contains("z 1/6") }
        try keys("m")
        s = try waitFor("the pairwise tab") { $0.contains("MIoU(org)") && !$0.contains("A↓ B→") }
        // MIoU(org) of truth vs annotator-1 on slice 1: the mitochondrion is missed entirely.
        XCTAssertTrue(s.contains("0.000"), s)
        try keys("?")
        try waitFor("the help overlay") { $0.contains("? or Esc closes") }
        try keys("?")
        try waitFor("the help closed") { !$0.contains("? or Esc closes") }
        try keys("q")
        try assertShellRestored(status: "0")
    }

    func testCtrlCQuitsCleanly() throws {
        try startShell(cols: 80, rows: 24)
        try keys("C-c")
        try assertShellRestored(status: "0")
    }

    func testSIGTERMRestoresTheTerminal() throws {
        try startShell(cols: 120, rows: 40)
        let shellPID = try tmux(["list-panes", "-t", "viewer", "-F", "#{pane_pid}"], output: true).trimmingCharacters(in: .whitespacesAndNewlines)
        // The viewer is the shell's only child.
        let ps = Process()
        ps.executableURL = URL(fileURLWithPath: "/bin/ps")
        ps.arguments = ["--ppid", shellPID, "-o", "pid="]
        let out = Pipe()
        ps.standardOutput = out
        try ps.run(); ps.waitUntilExit()
        let pid = try XCTUnwrap(Int32(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGTERM)
        try assertShellRestored(status: "143")
    }

    /// The metrics pane shows the numbers `compare --json` prints for the same study.
    func testMetricsPaneMatchesCompareJSON() throws {
        let phantom = try CLI.run(["phantom", dir + "/phantom.h5", "--shape", "6x96x128", "--seed", "3"])
        XCTAssertEqual(phantom.status, 0, phantom.stderr)
        let compare = try CLI.run(["compare", dir + "/phantom.h5", "--json"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        let names = try XCTUnwrap(json["sources"] as? [String])
        let org = try XCTUnwrap(json["miou_org"] as? [[Any]])
        let all = try XCTUnwrap(json["miou_all"] as? [[Any]])
        let fractions = try XCTUnwrap(json["volume_fractions"] as? [String: [String: Any]])
        func text(_ v: Any) -> String { (v as? Double).map { String(format: "%.3f", $0) } ?? "—" }

        try startShell(cols: 160, rows: 50, study: "phantom.h5", expect: "z 0/6")
        try keys("m"); try keys("v")
        let screen = try waitFor("pairwise MIoU of the volume") { $0.contains("MIoU(org)") && $0.contains("· volume") }
        // At 160 columns the pane shows one table (a second one joins from 170).
        let lines = screen.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("MIoU(org)") })
        // The viewer lists truth, then the annotators; rows and columns follow that order.
        let order = ["truth", "annotator-1", "annotator-2"]
        for (r, name) in order.enumerated() {
            let row = lines[header + 1 + r]
            XCTAssertTrue(row.hasPrefix(name), row)
            let shown = row.split(separator: " ").map(String.init).filter { $0.hasPrefix("0.") || $0.hasPrefix("1.") || $0 == "—" }
            let i = try XCTUnwrap(names.firstIndex(of: name))
            let expected = order.map { text(org[i][names.firstIndex(of: $0)!]) } + order.map { text(all[i][names.firstIndex(of: $0)!]) }
            XCTAssertEqual(shown, expected, "row \(name)")
        }
        // Volume fractions tab.
        try keys("m"); try keys("m")
        let f = try waitFor("volume fractions") { $0.contains("of cell voxels") }
        for organelle in ["mitochondrion", "alpha granule", "dense granule core"] {
            let row = try XCTUnwrap(f.split(separator: "\n").map(String.init).first { $0.hasPrefix(organelle) })
            let shown = row.split(separator: " ").map(String.init).filter { $0.hasSuffix("%") }
            let expected = order.map { source -> String in
                (fractions[source]?[organelle] as? Double).map { String(format: "%.1f%%", $0 * 100) } ?? "—"
            }
            XCTAssertEqual(shown, expected, organelle)
        }
        try keys("q")
        try assertShellRestored(status: "0")
    }

    /// `I` runs the ensemble in the background; results go to the sidecar cache, never into
    /// the study, and come back from the cache on the next visit.
    func testLabelsOutsideTheSchemaAreRefusedBeforeTheScreenOpens() throws {
        // The image passed as labels by mistake: its values run past the 7 classes.
        try startShell(expect: "outside the schema", extra: " --labels oops=study.h5:/image")
        try keys("echo status=$?", "Enter")
        let s = try waitFor("the exit status") { $0.contains("status=") }
        XCTAssertTrue(s.contains("status=2"), s)
        XCTAssertTrue(s.contains("densecell: ") && s.contains("study.h5"), s)
    }

    func testEnsembleRunsCachesAndLeavesTheStudyAlone() throws {
        let model = try CLI.run(["model", "init", dir + "/models/m1.h5", "--width", "8", "--seed", "1"])
        XCTAssertEqual(model.status, 0, model.stderr)
        let before = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/study.h5"))
        try startShell(cols: 120, rows: 40, extra: " --models models")
        try waitFor("the models in the footer") { $0.contains("ensemble: 1 model") }
        try keys("I")
        try waitFor("the ensemble to finish", timeout: 120) { $0.contains("ensemble done") }
        var s = try screen()
        XCTAssertTrue(s.contains("ensemble"), s)
        // Nothing printed over the screen from the job's threads (HDF5 diagnostics once scrolled it).
        XCTAssertTrue(s.split(separator: "\n").first?.hasPrefix(" study.h5 z ") == true, "the header stays on the first line:\n\(s)")
        try keys("q")
        try assertShellRestored(status: "0")
        XCTAssertEqual(FileManager.default.contents(atPath: dir + "/study.h5"), before, "the study file is untouched")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/study.densecell-cache.h5"))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".partial") })
        // Second visit: straight from the cache.
        try keys("clear; '\(CLI.binary.path)' view study.h5 --models models", "Enter")
        s = try waitFor("the cached results") { $0.contains("ensemble results from the cache: 100%") }
        try keys("q")
        try assertShellRestored(status: "0")
    }

    func testResizeRedrawsForTheNewSize() throws {
        try startShell(cols: 80, rows: 24)
        try tmux(["resize-window", "-t", "viewer", "-x", "160", "-y", "50"])
        let s = try waitFor("a redraw at 160 columns") { screen in
            screen.split(separator: "\n").contains { $0.contains("Volume fractions") && $0.contains("slice 0") }
        }
        XCTAssertTrue(s.contains("annotator-1"))
        try keys("q")
        try assertShellRestored(status: "0")
    }
}

/// `view` and `demo` refuse bad input with one line and exit status 2, before touching the terminal.
final class ViewCommandTests: XCTestCase {
    func testBadInputGetsOneLineAndStatus2() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try CLI.run(["view", dir + "/nope.h5"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("nope.h5"), missing.stderr)

        let study = Study(image: Volume(shape: Shape3(2, 8, 8), repeating: 10),
                          labels: [LabelSource(name: "truth", role: .truth, labels: Volume(shape: Shape3(2, 8, 8), repeating: 1))])
        try StudyFile.write(study, path: dir + "/s.h5")
        let other = Study(image: Volume(shape: Shape3(3, 8, 8), repeating: 10),
                          labels: [LabelSource(name: "x", role: .truth, labels: Volume(shape: Shape3(3, 8, 8), repeating: 1))])
        try StudyFile.write(other, path: dir + "/other.h5")
        let mismatch = try CLI.run(["view", dir + "/s.h5", "--labels", "mine=\(dir)/other.h5:/labels/x"])
        XCTAssertEqual(mismatch.status, 2)
        XCTAssertTrue(mismatch.stderr.contains("other.h5") && mismatch.stderr.contains("shape 3×8×8 but the image is 2×8×8"), mismatch.stderr)

        let noDataset = try CLI.run(["view", dir + "/s.h5", "--labels", "mine=\(dir)/other.h5:/labels/nothing"])
        XCTAssertEqual(noDataset.status, 2)
        XCTAssertTrue(noDataset.stderr.contains("/labels/nothing"), noDataset.stderr)

        // Good input, but no terminal: said plainly, and nothing is written beside the study.
        let noTTY = try CLI.run(["view", dir + "/s.h5"])
        XCTAssertEqual(noTTY.status, 2)
        XCTAssertTrue(noTTY.stderr.contains("needs a terminal"), noTTY.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["other.h5", "s.h5"])

        let usage = try CLI.run(["view"])
        XCTAssertEqual(usage.status, 2)
        let colors = try CLI.run(["view", dir + "/s.h5", "--colors", "16"])
        XCTAssertEqual(colors.status, 2)
    }

    func testHelpHasExamples() throws {
        for command in ["view", "demo"] {
            let help = try CLI.run([command, "--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains("Examples:"), command)
            XCTAssertTrue(help.stdout.contains("densecell \(command)"), command)
        }
    }
}
