import DenseCellAssets
import DenseCellCore
import Foundation

extension BitmapFont {
    /// The font file shipped under `Assets/font/`.
    static let standardFontPath = "font/densecell-6x10.txt"

    /// Reads a font file in the `Assets/font/` text format.
    public static func load(path: String) throws(IOError) -> BitmapFont {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(.missingFile, file: path, "cannot read the font file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw IOError(.corrupt, file: path, "font file is not UTF-8 text") }
        do { return try BitmapFont(parsing: text) } catch { throw IOError(.corrupt, file: path, error.description) }
    }

    private static let loadedStandard: Result<BitmapFont, IOError> = {
        do throws(IOError) { return .success(try load(path: Assets.url(standardFontPath).path)) } catch { return .failure(error) }
    }()

    /// The shipped figure font, read once.
    public static func standard() throws(IOError) -> BitmapFont { try loadedStandard.get() }
}
