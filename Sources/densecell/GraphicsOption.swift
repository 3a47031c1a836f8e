import ArgumentParser
import DenseCellTUI
import Foundation

/// `--graphics`, shared by the commands that open the viewer; DENSECELL_GRAPHICS when not given.
struct GraphicsOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        How image panes are drawn: auto (ask the terminal), kitty, sixel, iterm2 (real pixels) or blocks \
        (half-block characters). Default: DENSECELL_GRAPHICS, else auto. \
        Example: --graphics sixel
        """, valueName: "MODE"))
    var graphics: String?

    static let environmentVariable = "DENSECELL_GRAPHICS"

    /// The mode asked for on the command line or in the environment.
    func choice() throws -> GraphicsChoice {
        if let graphics {
            guard let choice = GraphicsChoice(graphics) else { throw ValidationError("--graphics takes \(GraphicsChoice.names), not \(graphics)") }
            return choice
        }
        if let text = ProcessInfo.processInfo.environment[Self.environmentVariable], !text.isEmpty {
            guard let choice = GraphicsChoice(text) else {
                throw ValidationError("\(Self.environmentVariable) takes \(GraphicsChoice.names), not \(text)")
            }
            return choice
        }
        return .auto
    }

    func validate() throws { _ = try choice() }
}
