import CPNG
import DenseCellCore
import Foundation

/// An 8-bit image with 1–4 interleaved channels, as read from or written to PNG.
public struct PNGImage: Equatable, Sendable {
    /// Size in pixels, and samples per pixel (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA).
    public var width: Int, height: Int, channels: Int
    /// Row-major samples, `channels` per pixel.
    public var pixels: [UInt8]
    /// - Precondition: `pixels.count == width * height * channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// The samples of pixel (x, y).
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
    ///
    /// - Throws: `IOError(.missingFile)` or `.corrupt` with libpng's reason.
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

/// A directory of PNG files, one z-slice each in natural name order (grayscale or palette),
/// opened by listing it and decoding the first slice; slices are decoded when read.
final class PNGVolume: VolumeSource {
    let reference: VolumeReference
    let shape: Shape3
    let files: [String]

    init(_ ref: VolumeReference) throws(IOError) {
        reference = ref
        let directory = ref.path
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw IOError(.missingFile, file: directory, "cannot list directory")
        }
        files = names.filter { $0.lowercased().hasSuffix(".png") }
            .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
            .map { (directory as NSString).appendingPathComponent($0) }
        guard let first = files.first else { throw IOError(.badReference, file: directory, "directory holds no PNG files") }
        let img = try Self.slice(first)
        shape = Shape3(files.count, img.height, img.width)
    }

    var typeName: String { "uint8" }
    var readBytesPerVoxel: Int { 1 }
    var storage: String { "PNG slices" }
    var zGrain: Int { 1 }

    static func slice(_ path: String) throws(IOError) -> PNGImage {
        let img = try PNGImage.read(path: path, keepPalette: true)
        guard img.channels == 1 else {
            throw IOError(.unsupportedType, file: path, "a slice must be grayscale or palette, not \(img.channels)-channel")
        }
        return img
    }

    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        precondition(bounds.contains(box), "box \(box) outside volume \(shape)")
        var data: [UInt8] = []
        data.reserveCapacity(box.shape.count)
        for z in box.z {
            let img = try Self.slice(files[z])
            guard img.width == shape.x, img.height == shape.y else {
                throw IOError(.badShape, file: files[z], "slice is \(img.width)×\(img.height), first slice is \(shape.x)×\(shape.y)")
            }
            for y in box.y { data.append(contentsOf: img.pixels[(y * shape.x + box.x.lowerBound)..<(y * shape.x + box.x.upperBound)]) }
        }
        return .uint8(Volume(shape: box.shape, data: data))
    }
}
