/// A rectangle of pixels, `x..<x+width`, `y..<y+height`.
public struct PixelRect: Hashable, Sendable, CustomStringConvertible {
    /// Left edge.
    public var x: Int
    /// Top edge.
    public var y: Int
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// A rectangle from its top-left corner and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    /// One past the right edge.
    public var maxX: Int { x + width }
    /// One past the bottom edge.
    public var maxY: Int { y + height }
    /// The middle pixel (rounded toward the top-left).
    public var center: (x: Int, y: Int) { (x + width / 2, y + height / 2) }
    /// Whether pixel (`px`, `py`) lies inside.
    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }
    /// `width×height@(x,y)`.
    public var description: String { "\(width)×\(height)@(\(x),\(y))" }
}

/// An 8-bit RGB raster (rows top to bottom, x fastest, channels interleaved) that figures are
/// drawn into before they are written as PNG.
public struct RGBCanvas: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width × height × 3` bytes: R, G, B per pixel, rows top to bottom.
    public var pixels: [UInt8]

    /// A canvas of the given size filled with one color (white unless told).
    public init(width: Int, height: Int, fill: RGB = RGB(255, 255, 255)) {
        precondition(width >= 0 && height >= 0)
        self.width = width; self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        p.withUnsafeMutableBufferPointer { b in
            for i in 0..<(width * height) { b[3 * i] = fill.r; b[3 * i + 1] = fill.g; b[3 * i + 2] = fill.b }
        }
        pixels = p
    }

    /// A canvas over existing pixels, which must hold `width × height × 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "canvas pixels do not match \(width)×\(height)")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// The pixel at (x, y), read or written in place.
    public subscript(x: Int, y: Int) -> RGB {
        get { let i = 3 * (y * width + x); return RGB(pixels[i], pixels[i + 1], pixels[i + 2]) }
        set { let i = 3 * (y * width + x); pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b }
    }

    /// Fills the part of `rect` that lies on the canvas.
    public mutating func fill(_ rect: PixelRect, with color: RGB) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX), y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { b in
            for y in y0..<y1 {
                for x in x0..<x1 { let i = 3 * (y * w + x); b[i] = color.r; b[i + 1] = color.g; b[i + 2] = color.b }
            }
        }
    }

    /// Draws a one-pixel frame just outside `rect`.
    public mutating func frame(around rect: PixelRect, color: RGB) {
        fill(PixelRect(x: rect.x - 1, y: rect.y - 1, width: rect.width + 2, height: 1), with: color)
        fill(PixelRect(x: rect.x - 1, y: rect.maxY, width: rect.width + 2, height: 1), with: color)
        fill(PixelRect(x: rect.x - 1, y: rect.y, width: 1, height: rect.height), with: color)
        fill(PixelRect(x: rect.maxX, y: rect.y, width: 1, height: rect.height), with: color)
    }

    /// Copies `other` with its top-left corner at (x, y), clipped to this canvas.
    public mutating func paste(_ other: RGBCanvas, x: Int, y: Int) {
        let x0 = max(0, x), x1 = min(width, x + other.width)
        guard x0 < x1 else { return }
        let w = width, ow = other.width, h = height
        pixels.withUnsafeMutableBufferPointer { dst in
            other.pixels.withUnsafeBufferPointer { src in
                for oy in 0..<other.height where y + oy >= 0 && y + oy < h {
                    let d = 3 * ((y + oy) * w + x0), s = 3 * (oy * ow + (x0 - x))
                    for i in 0..<(3 * (x1 - x0)) { dst[d + i] = src[s + i] }
                }
            }
        }
    }

    /// Resized copy: voxels stay sharp squares when enlarging (nearest neighbour); when
    /// shrinking, each output pixel is the mean of the source pixels it covers.
    public func resampled(width ow: Int, height oh: Int) -> RGBCanvas {
        precondition(ow > 0 && oh > 0)
        if ow == width && oh == height { return self }
        var out = [UInt8](repeating: 0, count: ow * oh * 3)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for oy in 0..<oh {
                    let sy0 = oy * h / oh, sy1 = max(sy0 + 1, (oy + 1) * h / oh)
                    for ox in 0..<ow {
                        let sx0 = ox * w / ow, sx1 = max(sx0 + 1, (ox + 1) * w / ow)
                        var r = 0, g = 0, b = 0
                        for sy in sy0..<sy1 {
                            for sx in sx0..<sx1 {
                                let i = 3 * (sy * w + sx); r += Int(src[i]); g += Int(src[i + 1]); b += Int(src[i + 2])
                            }
                        }
                        let n = (sy1 - sy0) * (sx1 - sx0), o = 3 * (oy * ow + ox)
                        dst[o] = UInt8((r + n / 2) / n); dst[o + 1] = UInt8((g + n / 2) / n); dst[o + 2] = UInt8((b + n / 2) / n)
                    }
                }
            }
        }
        return RGBCanvas(width: ow, height: oh, pixels: out)
    }
}
