import CPNG
import DenseCellCore
import Foundation

/// An 8-bit image with 1–4 interleaved channels, as read from or written to PNG.
public struct PNGImage: Equatable, Sendable {
    public var width: Int, height: Int, channels: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    public func pixel(x: Int, y: Int) -> [UInt8] {
        let i = (y * width + x) * channels
        return Array(pixels[i..<(i + channels)])
    }

    /// Writes the image through libpng; the file appears under its final name only when complete.
    ///
    /// - Throws: `IOError(.writeFailed)` naming `path` with libpng's reason.
    public func write(path: String) throws(IOError) {
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            var err = [CChar](repeating: 0, count: 256)
            let rc = pixels.withUnsafeBufferPointer {
                dc_png_write(tmp, $0.baseAddress, UInt32(width), UInt32(height), Int32(channels), &err, 256)
            }
            if rc != 0 { throw IOError(.writeFailed, file: path, String(cString: err)) }
        }
    }

    /// Reads a PNG as 8-bit; palette images give their indices when `keepPalette` (label PNGs).
    public static func read(path: String, keepPalette: Bool = false) throws(IOError) -> PNGImage {
        guard FileManager.default.fileExists(atPath: path) else { throw IOError(.missingFile, file: path, "no such file") }
        var buf: UnsafeMutablePointer<UInt8>? = nil
        var w: UInt32 = 0, h: UInt32 = 0
        var ch: Int32 = 0, depth: Int32 = 0
        var err = [CChar](repeating: 0, count: 256)
        let rc = dc_png_read(path, &buf, &w, &h, &ch, &depth, keepPalette ? 1 : 0, &err, 256)
        guard rc == 0, let buf else { throw IOError(.corrupt, file: path, String(cString: err)) }
        defer { free(buf) }
        let n = Int(w) * Int(h) * Int(ch)
        return PNGImage(width: Int(w), height: Int(h), channels: Int(ch), pixels: Array(UnsafeBufferPointer(start: buf, count: n)))
    }
}

/// A directory of PNG files, one z-slice each in name order (grayscale or palette).
public enum PNGStack {
    public static func read(directory: String) throws(IOError) -> AnyVolume {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw IOError(.missingFile, file: directory, "cannot list directory")
        }
        let files = names.filter { $0.lowercased().hasSuffix(".png") }.sorted { $0.localizedStandardCompare($1) == .orderedAscending }
        guard !files.isEmpty else { throw IOError(.badReference, file: directory, "directory holds no PNG files") }
        var data: [UInt8] = []
        var width = 0, height = 0
        for (z, name) in files.enumerated() {
            let path = (directory as NSString).appendingPathComponent(name)
            let img = try PNGImage.read(path: path, keepPalette: true)
            guard img.channels == 1 else {
                throw IOError(.unsupportedType, file: path, "a slice must be grayscale or palette, not \(img.channels)-channel")
            }
            if z == 0 { width = img.width; height = img.height }
            guard img.width == width, img.height == height else {
                throw IOError(.badShape, file: path, "slice is \(img.width)×\(img.height), first slice is \(width)×\(height)")
            }
            data += img.pixels
        }
        return .uint8(Volume(shape: Shape3(files.count, height, width), data: data))
    }
}
