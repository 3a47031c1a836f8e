/// How image panes reach the screen: half-block characters, or real pixels through one of the
/// terminal image protocols (see docs/ARCHITECTURE.md, Pixel graphics).
public enum GraphicsMode: String, CaseIterable, Sendable {
    case blocks, sixel, kitty, iterm2

    /// Whether panes are sent as images rather than drawn with characters.
    public var isPixels: Bool { self != .blocks }
}

/// What the user asked for: a mode, or `auto` to probe the terminal.
public enum GraphicsChoice: Equatable, Sendable {
    case auto
    case fixed(GraphicsMode)

    /// Parses `auto`, `kitty`, `sixel`, `iterm2` or `blocks`; nil for anything else.
    public init?(_ text: String) {
        let t = text.lowercased()
        if t == "auto" { self = .auto; return }
        guard let mode = GraphicsMode(rawValue: t) else { return nil }
        self = .fixed(mode)
    }

    /// The accepted spellings, for error messages.
    public static let names = "auto, kitty, sixel, iterm2 or blocks"
}

/// A character cell's size in screen pixels. Half blocks make a cell one pixel wide and two tall.
public struct CellSize: Hashable, Sendable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// A cell size in pixels.
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    static let halfBlock = CellSize(width: 1, height: 2)
    /// Width × height, as in `10×20`.
    public var description: String { "\(width)×\(height)" }
}
