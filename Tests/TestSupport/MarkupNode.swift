import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element, for reading the report's XHTML and SVG back in tests.
public final class MarkupNode {
    public let name: String
    public let attributes: [String: String]
    public var children: [MarkupNode] = []
    public var text = ""
    init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }

    /// This element and every element below it, in document order.
    public var all: [MarkupNode] { [self] + children.flatMap(\.all) }

    /// Text of this element and its descendants.
    public var fullText: String { text + children.map(\.fullText).joined() }

    public func classes() -> Set<String> { Set((attributes["class"] ?? "").split(separator: " ").map(String.init)) }

    /// Parses well-formed XML; throws with the parser's message otherwise.
    public static func parse(_ data: Data) throws -> MarkupNode {
        final class Builder: NSObject, XMLParserDelegate {
            var stack: [MarkupNode] = []
            var root: MarkupNode?
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                let node = MarkupNode(name: name, attributes: attributes)
                stack.last?.children.append(node)
                if root == nil { root = node }
                stack.append(node)
            }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                stack.removeLast()
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
        }
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw NSError(domain: "XML", code: 1, userInfo: [NSLocalizedDescriptionKey:
                "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)"])
        }
        return root
    }
}
