/// Parses `A,B` naming two label sources (for --pair).
func parsePair(_ text: String, option: String = "--pair") throws -> (String, String) {
    let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw UsageError("\(option) \(text): expected two source names as A,B")
    }
    guard parts[0] != parts[1] else { throw UsageError("\(option) \(text): the two sources must differ") }
    return (parts[0], parts[1])
}
