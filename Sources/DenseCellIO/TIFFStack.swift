import CTIFF
import DenseCellCore
import Foundation

/// Multipage TIFF stacks, one page per z (uint8 or uint16 grayscale, as the public platelet data).
enum TIFFStack {
    /// Reads every page as one z-slice.
    ///
    /// - Throws: `IOError` naming the file when it is missing, corrupt, tiled, not 8/16-bit
    ///   unsigned grayscale, or its pages differ in size.
    static func read(path: String) throws(IOError) -> AnyVolume {
        let source = try TIFFVolume(VolumeReference(path: path, dataset: nil, kind: .tiff))
        return try source.read(source.bounds)
    }

    /// Writes a uint8 or uint16 stack, one page per z, under a temporary name renamed into place.
    ///
    /// - Parameters:
    ///   - v: The volume; only `.uint8` and `.uint16` can be written.
    ///   - path: The file to create; an existing file is replaced only when the write succeeds.
    /// - Throws: `IOError(.unsupportedType)` for other element types, `.writeFailed` when libtiff fails.
    static func write(_ v: AnyVolume, path: String) throws(IOError) {
        dc_tiff_quiet()
        let bits: UInt16
        switch v {
        case .uint8: bits = 8
        case .uint16: bits = 16
        default: throw IOError(.unsupportedType, file: path, "TIFF stacks are written as uint8 or uint16")
        }
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            guard let tif = TIFFOpen(tmp, "w") else { throw IOError(.writeFailed, file: path, "cannot create file") }
            defer { TIFFClose(tif) }
            let s = v.shape
            for z in 0..<s.z {
                dc_tiff_set_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(s.x))
                dc_tiff_set_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), UInt32(s.y))
                dc_tiff_set_u16(tif, UInt32(TIFFTAG_SAMPLESPERPIXEL), 1)
                dc_tiff_set_u16(tif, UInt32(TIFFTAG_PHOTOMETRIC), UInt16(PHOTOMETRIC_MINISBLACK))
                dc_tiff_set_u16(tif, UInt32(TIFFTAG_PLANARCONFIG), UInt16(PLANARCONFIG_CONTIG))
                dc_tiff_set_u32(tif, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(s.y))
                dc_tiff_set_u32(tif, UInt32(TIFFTAG_SUBFILETYPE), UInt32(FILETYPE_PAGE))
                dc_tiff_set_u16(tif, UInt32(TIFFTAG_BITSPERSAMPLE), bits)
                for y in 0..<s.y {
                    let rows = (z * s.y + y) * s.x..<((z * s.y + y + 1) * s.x)
                    let status: Int32
                    switch v {
                    case .uint8(let vol): var row = Array(vol.data[rows]); status = TIFFWriteScanline(tif, &row, UInt32(y), 0)
                    case .uint16(let vol): var row = Array(vol.data[rows]); status = TIFFWriteScanline(tif, &row, UInt32(y), 0)
                    default: status = -1
                    }
                    if status < 0 { throw IOError(.writeFailed, file: path, "write failed") }
                }
                if TIFFWriteDirectory(tif) == 0 { throw IOError(.writeFailed, file: path, "write failed") }
            }
            if TIFFFlush(tif) == 0 { throw IOError(.writeFailed, file: path, "write failed") }
        }
    }
}

/// A multipage TIFF opened for reading pages on demand: the page count and the first page's size
/// and sample format are read at once; every page read is checked against them.
final class TIFFVolume: VolumeSource {
    let reference: VolumeReference
    let shape: Shape3
    let bits: UInt16

    init(_ ref: VolumeReference) throws(IOError) {
        reference = ref
        let path = ref.path
        dc_tiff_quiet()
        guard FileManager.default.fileExists(atPath: path) else { throw IOError(.missingFile, file: path, "no such file") }
        guard let tif = TIFFOpen(path, "r") else {
            throw IOError(.corrupt, file: path, "not a TIFF file, or truncated or corrupt")
        }
        defer { TIFFClose(tif) }
        let page = try Self.describePage(tif, path: path, index: 0)
        let depth = Int(TIFFNumberOfDirectories(tif))
        guard depth > 0, page.width > 0, page.height > 0 else { throw IOError(.badShape, file: path, "empty TIFF (no pixels)") }
        shape = Shape3(depth, page.height, page.width)
        bits = page.bits
    }

    var typeName: String { bits == 8 ? "uint8" : "uint16" }
    var readBytesPerVoxel: Int { Int(bits) / 8 }
    var storage: String { "multipage TIFF" }
    var zGrain: Int { 1 }

    /// Size and bits of the current page; throws for what densecell cannot read.
    static func describePage(_ tif: OpaquePointer, path: String, index: Int) throws(IOError) -> (width: Int, height: Int, bits: UInt16) {
        var w: UInt32 = 0, h: UInt32 = 0
        var bits: UInt16 = 8, spp: UInt16 = 1, format: UInt16 = 1
        dc_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), &w)
        dc_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), &h)
        if dc_tiff_get_u16(tif, UInt32(TIFFTAG_BITSPERSAMPLE), &bits) == 0 { bits = 1 }
        if dc_tiff_get_u16(tif, UInt32(TIFFTAG_SAMPLESPERPIXEL), &spp) == 0 { spp = 1 }
        if dc_tiff_get_u16(tif, UInt32(TIFFTAG_SAMPLEFORMAT), &format) == 0 { format = 1 }
        guard spp == 1, bits == 8 || bits == 16, format == 1 else {
            throw IOError(.unsupportedType, file: path, "unsupported TIFF pixels (\(spp) samples of \(bits) bits); need 8- or 16-bit unsigned grayscale")
        }
        guard TIFFIsTiled(tif) == 0 else { throw IOError(.unsupportedType, file: path, "tiled TIFF pages are not supported") }
        return (Int(w), Int(h), bits)
    }

    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        precondition(bounds.contains(box), "box \(box) outside volume \(shape)")
        let path = reference.path
        dc_tiff_quiet()
        guard let tif = TIFFOpen(path, "r") else { throw IOError(.corrupt, file: path, "cannot reopen: truncated or corrupt") }
        defer { TIFFClose(tif) }
        var pages8: [UInt8] = [], pages16: [UInt16] = []
        if bits == 8 { pages8.reserveCapacity(box.shape.count) } else { pages16.reserveCapacity(box.shape.count) }
        guard TIFFSetDirectory(tif, UInt32(box.z.lowerBound)) == 1 else {
            throw IOError(.corrupt, file: path, "page \(box.z.lowerBound): \(String(cString: dc_tiff_last_error()))")
        }
        for z in box.z {
            if z > box.z.lowerBound && TIFFReadDirectory(tif) != 1 {
                throw IOError(.corrupt, file: path, "page \(z) is missing or unreadable")
            }
            let page = try Self.describePage(tif, path: path, index: z)
            guard page.width == shape.x, page.height == shape.y, page.bits == bits else {
                throw IOError(.badShape, file: path, "page \(z) is \(page.width)×\(page.height) of \(page.bits) bits, page 0 is \(shape.x)×\(shape.y) of \(bits) bits")
            }
            var row = [UInt8](repeating: 0, count: Int(TIFFScanlineSize(tif)))
            // Strips may be compressed, so rows are decoded in order from the first.
            for y in 0..<box.y.upperBound {
                let ok = row.withUnsafeMutableBytes { TIFFReadScanline(tif, $0.baseAddress, UInt32(y), 0) }
                guard ok >= 0 else {
                    throw IOError(.corrupt, file: path, "page \(z) row \(y): \(String(cString: dc_tiff_last_error()))")
                }
                guard box.y.contains(y) else { continue }
                if bits == 8 { pages8.append(contentsOf: row[box.x]) }
                else { row.withUnsafeBytes { pages16.append(contentsOf: $0.bindMemory(to: UInt16.self)[box.x]) } }
            }
        }
        return bits == 8 ? .uint8(Volume(shape: box.shape, data: pages8)) : .uint16(Volume(shape: box.shape, data: pages16))
    }
}
