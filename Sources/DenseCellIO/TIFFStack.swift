import CTIFF
import DenseCellCore
import Foundation

/// Multipage TIFF stacks, one page per z (uint8 or uint16 grayscale, as the public platelet data).
public enum TIFFStack {
    public static func read(path: String) throws(IOError) -> AnyVolume {
        dc_tiff_quiet()
        guard FileManager.default.fileExists(atPath: path) else { throw IOError(.missingFile, file: path, "no such file") }
        guard let tif = TIFFOpen(path, "r") else {
            throw IOError(.corrupt, file: path, "not a TIFF file, or truncated or corrupt")
        }
        defer { TIFFClose(tif) }
        var width: UInt32 = 0, height: UInt32 = 0
        var bits: UInt16 = 8, spp: UInt16 = 1, format: UInt16 = 1
        var pages8: [UInt8] = [], pages16: [UInt16] = []
        var depth = 0
        repeat {
            var w: UInt32 = 0, h: UInt32 = 0
            dc_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGEWIDTH), &w)
            dc_tiff_get_u32(tif, UInt32(TIFFTAG_IMAGELENGTH), &h)
            if dc_tiff_get_u16(tif, UInt32(TIFFTAG_BITSPERSAMPLE), &bits) == 0 { bits = 1 }
            if dc_tiff_get_u16(tif, UInt32(TIFFTAG_SAMPLESPERPIXEL), &spp) == 0 { spp = 1 }
            if dc_tiff_get_u16(tif, UInt32(TIFFTAG_SAMPLEFORMAT), &format) == 0 { format = 1 }
            if depth == 0 { width = w; height = h }
            guard w == width, h == height else {
                throw IOError(.badShape, file: path, "page \(depth) is \(w)×\(h), page 0 is \(width)×\(height)")
            }
            guard spp == 1, bits == 8 || bits == 16, format == 1 else {
                throw IOError(.unsupportedType, file: path, "unsupported TIFF pixels (\(spp) samples of \(bits) bits); need 8- or 16-bit unsigned grayscale")
            }
            guard TIFFIsTiled(tif) == 0 else { throw IOError(.unsupportedType, file: path, "tiled TIFF pages are not supported") }
            let rowBytes = Int(TIFFScanlineSize(tif))
            var row = [UInt8](repeating: 0, count: rowBytes)
            for y in 0..<Int(h) {
                let ok = row.withUnsafeMutableBytes { TIFFReadScanline(tif, $0.baseAddress, UInt32(y), 0) }
                guard ok >= 0 else {
                    throw IOError(.corrupt, file: path, "page \(depth) row \(y): \(String(cString: dc_tiff_last_error()))")
                }
                if bits == 8 { pages8.append(contentsOf: row.prefix(Int(w))) }
                else { row.withUnsafeBytes { pages16.append(contentsOf: $0.bindMemory(to: UInt16.self).prefix(Int(w))) } }
            }
            depth += 1
        } while TIFFReadDirectory(tif) == 1
        let shape = Shape3(depth, Int(height), Int(width))
        return bits == 8 ? .uint8(Volume(shape: shape, data: pages8)) : .uint16(Volume(shape: shape, data: pages16))
    }

    /// Writes a uint8 or uint16 stack, one page per z, under a temporary name renamed into place.
    ///
    /// - Parameters:
    ///   - v: The volume; only `.uint8` and `.uint16` can be written.
    ///   - path: The file to create; an existing file is replaced only when the write succeeds.
    /// - Throws: `IOError(.unsupportedType)` for other element types, `.writeFailed` when libtiff fails.
    public static func write(_ v: AnyVolume, path: String) throws(IOError) {
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
