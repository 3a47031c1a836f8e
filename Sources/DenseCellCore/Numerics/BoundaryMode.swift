/// How an index outside `0..<count` is folded back inside, for filters and resampling at the
/// edges of an image or volume. The names are scipy.ndimage's.
public enum BoundaryMode: Sendable, Equatable {
    /// Reflection that repeats the edge sample: `d c b a | a b c d | d c b a`
    /// (scipy.ndimage "reflect", numpy.pad "symmetric").
    case symmetric
    /// Reflection about the edge sample, which is not repeated: `d c b | a b c d | c b a`
    /// (scipy.ndimage "mirror", numpy.pad "reflect").
    case mirror
    /// The nearest edge sample: `a a a | a b c d | d d d` (scipy.ndimage "nearest").
    case clamp

    /// The index inside `0..<count` that stands for `index`.
    /// - Parameters:
    ///   - index: any index, possibly negative or past the end.
    ///   - count: the length of the axis, at least 1.
    /// - Returns: an index in `0..<count`.
    @inlinable public func index(_ index: Int, count: Int) -> Int {
        guard count > 1 else { return 0 }
        switch self {
        case .symmetric:
            let period = 2 * count
            let m = ((index % period) + period) % period
            return m < count ? m : period - 1 - m
        case .mirror:
            let period = 2 * (count - 1)
            var m = index % period
            if m < 0 { m += period }
            return m < count ? m : period - m
        case .clamp:
            return min(max(index, 0), count - 1)
        }
    }
}
