import ArgumentParser

/// A parsed command turned back into the words that parse into it, so that a job script runs
/// the command the user typed, with every option, including ones added later (SLURM tasks, see
/// docs/ARCHITECTURE.md, Cluster).
///
/// The words come from the command's properties (found by reflection), so nothing has to list
/// the options a second time: positional arguments first, then `--name=value` for every option
/// (one word per array element, so values starting with `-` stay values) and `--name` for every
/// set flag, option groups in place. Names are ArgumentParser's default long names; the commands
/// rendered here use no custom names (their tests parse the words back).
struct CommandLineArguments {
    /// One option or flag as words, with its long name.
    struct Entry {
        var name: String
        var words: [String]
    }

    /// Positional arguments, in declaration order.
    private(set) var positionals: [String] = []
    /// Options and set flags, in declaration order.
    private(set) var entries: [Entry] = []

    /// The words of `command`'s parsed values.
    init(_ command: some ParsableArguments) { add(command) }

    private mutating func add(_ arguments: Any) {
        for child in Mirror(reflecting: arguments).children {
            guard let label = child.label else { continue }
            let property = label.hasPrefix("_") ? String(label.dropFirst()) : label
            switch child.value {
            case let group as RenderedGroup: add(group.parsedArguments)
            case let positional as RenderedPositional: positionals += positional.values
            case let option as RenderedOption:
                let name = "--" + Self.longName(property)
                entries.append(Entry(name: name, words: option.values.map { name + "=" + $0 }))
            case let flag as RenderedFlag:
                let name = "--" + Self.longName(property)
                entries.append(Entry(name: name, words: flag.isSet ? [name] : []))
            default:
                // Any other ArgumentParser wrapper (an enum or counted flag) would be lost silently.
                precondition(!String(describing: type(of: child.value)).hasPrefix("Flag<"),
                             "\(property): only Boolean flags can be turned back into arguments")
            }
        }
    }

    /// The words without the options named in `omitting`, with `replacing`'s values instead of
    /// the parsed ones (added at the end for options that were not given).
    /// - Parameters:
    ///   - omitting: long names (`--slurm`) left out.
    ///   - replacing: long names and the values to give them instead.
    func words(omitting: Set<String> = [], replacing: KeyValuePairs<String, String> = [:]) -> [String] {
        let replaced = Dictionary(uniqueKeysWithValues: replacing.map { ($0.key, $0.value) })
        var out = positionals
        for entry in entries where !omitting.contains(entry.name) {
            out += replaced[entry.name].map { [entry.name + "=" + $0] } ?? entry.words
        }
        for (name, value) in replacing where !entries.contains(where: { $0.name == name }) {
            out.append(name + "=" + value)
        }
        return out
    }

    /// ArgumentParser's default long name of a property: words split before capitals, joined by
    /// `-` and lowercased (`evalInterval` → `eval-interval`, `noConv333` → `no-conv333`), capitals in
    /// a run kept together (`useURLCache` → `use-url-cache`).
    static func longName(_ property: String) -> String {
        let characters = Array(property)
        var result = ""
        var separateOnUppercase = true
        for (i, character) in characters.enumerated() {
            if character.isUppercase {
                if separateOnUppercase && !result.isEmpty { result += "-" }
                separateOnUppercase = i + 2 < characters.count && characters[i + 1].isUppercase && characters[i + 2].isLowercase
            } else {
                separateOnUppercase = character != "-"
            }
            result += character.lowercased()
        }
        return result
    }

    /// A value as typed on the command line: raw values for enums, plain text otherwise, nothing for nil.
    static func texts(_ value: Any) -> [String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional: return mirror.children.first.map { texts($0.value) } ?? []
        case .collection: return mirror.children.flatMap { texts($0.value) }
        default:
            if let raw = value as? any RawRepresentable { return ["\(raw.rawValue)"] }
            return ["\(value)"]
        }
    }
}

// The ArgumentParser wrappers, seen through what rendering needs of each.

private protocol RenderedGroup { var parsedArguments: Any { get } }
private protocol RenderedPositional { var values: [String] { get } }
private protocol RenderedOption { var values: [String] { get } }
private protocol RenderedFlag { var isSet: Bool { get } }

extension OptionGroup: RenderedGroup { fileprivate var parsedArguments: Any { wrappedValue } }
extension Argument: RenderedPositional { fileprivate var values: [String] { CommandLineArguments.texts(wrappedValue) } }
extension Option: RenderedOption { fileprivate var values: [String] { CommandLineArguments.texts(wrappedValue) } }
extension Flag: RenderedFlag where Value == Bool { fileprivate var isSet: Bool { wrappedValue } }
