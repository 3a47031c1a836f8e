import Foundation

/// Files shipped with densecell: the bitmap font for figures and the demo ensemble.
public enum Assets {
    /// The folder holding the shipped files (`font/`, `models/`).
    public static var directory: URL { Bundle.module.resourceURL! }
    public static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }
}
