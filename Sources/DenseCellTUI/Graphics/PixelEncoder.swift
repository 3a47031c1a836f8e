import CChafa
import CSixel
import DenseCellCore

/// Turns a pane raster into the escape sequence of an image protocol: sixel in the 256 colour
/// registers of `SixelPalette` through libsixel, kitty as zlib-compressed RGB, iTerm2 (and sixel panes
/// that need more colors) through libchafa.
enum PixelEncoder {
    /// The raster size the protocol shows over `cols`×`rows` cells without rescaling: the full
    /// pixel area, except that sixel images are whole bands of six rows.
    static func imageSize(_ mode: GraphicsMode, cols: Int, rows: Int, cell: CellSize) -> (width: Int, height: Int) {
        let width = cols * cell.width, height = rows * cell.height
        return (width, mode == .sixel ? height / 6 * 6 : height)
    }

    /// The escape sequence drawing `canvas` at the cursor over `cols`×`rows` cells, or nothing
    /// for half blocks or when it cannot be encoded. `canvas` should be `imageSize`; `levels`
    /// are the gray levels sixel keeps (`SixelPalette.levels(for:)`).
    static func encode(_ canvas: RGBCanvas, mode: GraphicsMode, cols: Int, rows: Int, cell: CellSize,
                       levels: Int) -> [UInt8] {
        guard mode.isPixels, canvas.width > 0, canvas.height > 0 else { return [] }
        var length = 0
        if mode == .sixel, let (palette, indices) = SixelPalette.quantize(canvas, levels: levels) {
            let encoded = indices.withUnsafeBufferPointer { i in
                palette.withUnsafeBufferPointer { p in
                    dc_sixel_encode(i.baseAddress, Int32(canvas.width), Int32(canvas.height), p.baseAddress, Int32(palette.count / 3), &length)
                }
            }
            guard let encoded else { return [] }
            defer { dc_sixel_free(encoded) }
            return [UInt8](UnsafeRawBufferPointer(start: encoded, count: length))
        }
        let encoded: UnsafeMutablePointer<CChar>?
        if mode == .kitty {
            encoded = canvas.pixels.withUnsafeBufferPointer { p in
                dc_kitty_encode(p.baseAddress, Int32(canvas.width), Int32(canvas.height), Int32(cols), Int32(rows), &length)
            }
        } else {
            let pixelMode = mode == .sixel ? dc_chafa_pixel_mode_sixels() : dc_chafa_pixel_mode_iterm2()
            encoded = canvas.pixels.withUnsafeBufferPointer { p in
                dc_chafa_encode(p.baseAddress, Int32(canvas.width), Int32(canvas.height), pixelMode, Int32(cols), Int32(rows),
                                Int32(cell.width), Int32(cell.height), &length)
            }
        }
        guard let encoded else { return [] }
        defer { dc_chafa_free(encoded) }
        return [UInt8](UnsafeRawBufferPointer(start: encoded, count: length))
    }
}
