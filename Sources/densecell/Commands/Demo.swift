import ArgumentParser
import DenseCellAssets
import DenseCellCore
import DenseCellIO
import DenseCellTUI
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the viewer on a synthetic platelet study, with the shipped demo ensemble when there is one.",
        discussion: """
        Makes the phantom study DIR/phantom.h5 unless it is already there (deterministic, seed 1), then opens the viewer on it: ground truth and two simulated annotators, with ensemble inference from the demo models shipped in Assets/models/demo when present (otherwise the footer says that no models are loaded).

        Examples:
          densecell demo
          densecell demo --dir /tmp/platelets
          densecell demo --graphics kitty
        """
    )

    @Option(help: "Folder for the demo study.")
    var dir = "densecell-demo"

    @OptionGroup var graphicsOption: GraphicsOption

    func run() throws {
        if isatty(0) == 0 || isatty(1) == 0 { throw UsageError("demo opens the viewer and needs a terminal") }
        let studyPath = (dir as NSString).appendingPathComponent("phantom.h5")
        if !FileManager.default.fileExists(atPath: studyPath) {
            try OutputDirectory.create(dir)
            let bar = ProgressBar("phantom", total: 1000)
            let study = Phantom.generate(shape: Phantom.defaultShape, seed: 1) { bar.update(Int($0.fraction * 1000), detail: $0.stage) }
            try PhantomCommand.write(study, seed: 1, to: studyPath)
            bar.finish("wrote \(studyPath)")
        }
        let models = DemoModels.paths()
        let study = try OpenedStudy.open(study: studyPath, schema: .platelet)
        let provider = try ViewerInput.provider(models: models, top: nil)
        let session = try ViewerSession(study: study, fileName: "phantom.h5", provider: provider,
                                        cachePath: ViewerCacheFile.path(forStudy: studyPath), studyPath: studyPath, exportDirectory: dir,
                                        withoutModels: "no demo models shipped yet (Assets/models/demo is empty): ensemble inference is off")
        defer { session.close() }
        let signal: Int32?
        do { signal = try ViewerApp.run(session, graphics: try graphicsOption.choice()) } catch let e as TerminalError { throw UsageError(e.description) }
        // Ended by a signal: the terminal is restored; exit as the shell expects (128 + signal).
        if let signal { throw ExitCode(128 + signal) }
    }
}

/// The demo ensemble shipped under Assets/models/demo (model files only).
enum DemoModels {
    static func paths() -> [String] {
        let dir = Assets.url("models/demo")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".h5") }.sorted().map { dir.appendingPathComponent($0).path }
    }
}
