/// A JSON text parsed into one flat list of nodes in document order, read in place: no
/// string, array or member list is made per value, so reading an event costs no
/// allocation beyond the strings a reader asks for (see `JSONValue` for the tree).
///
/// An object's node is followed by its members, each a key node (a string whose `bits`
/// are the key's `JSONMember.keyPrefix`) and the value's nodes; an array's by its
/// elements' nodes. Every node knows where the nodes of its value end (`next`), so a
/// reader steps over a value without reading it.
///
/// A tape made by `JSONParser.parse(_:into:)` points into the parsed text, which must
/// outlive its use; it is reused from one text to the next (one per thread), and is not
/// for sharing between threads.
public final class JSONTape {
    public enum Kind: UInt8 { case object, array, string, integer, bool, null }

    /// The longest text a tape takes: its offsets and counts are 32-bit (an event line is
    /// at most 1 MiB).
    public static let maxTextBytes = Int(Int32.max)

    public struct Node {
        public var kind: Kind
        /// The value's bytes in the source (`start`, `length`) are its canonical form: no
        /// whitespace, no escape, keys in JCS order.
        public var isCanonical: Bool
        /// A string whose text is in the tape's own buffer (it had escapes, or the tape
        /// was made from a tree), not in the source between its quotes.
        @usableFromInline var textIsOwn: Bool
        /// Members of an object, elements of an array.
        public var count: Int32
        public var start: Int32
        public var length: Int32
        /// The index of the node after this value's nodes.
        public var next: Int32
        @usableFromInline var textStart: Int32
        @usableFromInline var textCount: Int32
        /// An integer's value, a boolean's 0 or 1, a key's prefix.
        public var bits: UInt64
    }

    // Unchecked exclusivity: read for every field of every event, and never accessed
    // while being changed (one thread, no access held across a call that writes).
    @usableFromInline @exclusivity(unchecked) var nodes: UnsafeMutablePointer<Node>
    @exclusivity(unchecked) private var capacity: Int
    @usableFromInline @exclusivity(unchecked) var used = 0
    @usableFromInline @exclusivity(unchecked) var text: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var textCapacity: Int
    @exclusivity(unchecked) private var textUsed = 0
    /// The parsed text (empty for a tape made from a tree).
    @usableFromInline @exclusivity(unchecked) var sourceText = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    /// A copy of a text the tape was given to keep (see `JSONParser.parse(copying:into:)`).
    @exclusivity(unchecked) private var ownSource: UnsafeMutableBufferPointer<UInt8> = .init(start: nil, count: 0)

    public init() {
        capacity = 64
        nodes = .allocate(capacity: capacity)
        textCapacity = 256
        text = .allocate(capacity: textCapacity)
    }

    /// The nodes of a tree's value; strings held by the tape, nothing canonical in place.
    public convenience init(_ value: JSONValue) {
        self.init()
        append(value)
    }

    deinit {
        nodes.deallocate()
        text.deallocate()
        ownSource.deallocate()
    }

    /// `bytes` copied into memory the tape keeps until it is given another text to keep.
    func keep(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if ownSource.count < bytes.count {
            ownSource.deallocate()
            ownSource = .allocate(capacity: max(bytes.count, 2 * ownSource.count))
        }
        let copy = UnsafeMutableBufferPointer(rebasing: ownSource[0..<bytes.count])
        _ = copy.initialize(fromContentsOf: bytes)
        return UnsafeBufferPointer(copy)
    }

    /// The tape as read: valid until the tape is parsed into again (or freed).
    @inlinable public var view: View { View(nodes: nodes, count: used, text: text, source: sourceText) }

    // MARK: Writing (the parser's)

    func reset(source: UnsafeBufferPointer<UInt8>) {
        used = 0
        textUsed = 0
        sourceText = source
    }

    /// Appends a node and returns its index; its `next` is set when its value ends.
    @inline(__always)
    func add(_ kind: Kind, start: Int, length: Int = 0, bits: UInt64 = 0) -> Int {
        if used == capacity { grow() }
        nodes[used] = Node(
            kind: kind, isCanonical: true, textIsOwn: false, count: 0, start: Int32(truncatingIfNeeded: start), length: Int32(truncatingIfNeeded: length),
            next: Int32(truncatingIfNeeded: used + 1), textStart: 0, textCount: 0, bits: bits)
        used += 1
        return used - 1
    }

    @inline(never) private func grow() {
        let bigger = UnsafeMutablePointer<Node>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: nodes, count: used)
        nodes.deallocate()
        nodes = bigger
        capacity *= 2
    }

    /// Sets what is known of node `i` once its value is read.
    @inline(__always)
    func close(_ i: Int, length: Int, count members: Int = 0, isCanonical: Bool) {
        nodes[i].length = Int32(truncatingIfNeeded: length)
        nodes[i].count = Int32(truncatingIfNeeded: members)
        nodes[i].next = Int32(truncatingIfNeeded: used)
        nodes[i].isCanonical = isCanonical
    }

    @inline(__always) func setBits(_ i: Int, _ bits: UInt64) { nodes[i].bits = bits }

    /// Gives node `i` the text `bytes`, copied into the tape.
    func setOwnText(_ i: Int, _ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(textUsed + bytes.count <= JSONTape.maxTextBytes, "a tape's text is longer than its 32-bit offsets")
        if textUsed + bytes.count > textCapacity {
            let newCapacity = max(textCapacity * 2, textUsed + bytes.count)
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            bigger.update(from: text, count: textUsed)
            text.deallocate()
            text = bigger
            textCapacity = newCapacity
        }
        if let base = bytes.baseAddress { (text + textUsed).update(from: base, count: bytes.count) }
        nodes[i].textIsOwn = true
        nodes[i].isCanonical = false
        nodes[i].textStart = Int32(truncatingIfNeeded: textUsed)
        nodes[i].textCount = Int32(truncatingIfNeeded: bytes.count)
        textUsed += bytes.count
    }

    private func append(_ value: JSONValue) {
        switch value {
        case .object(let object):
            let i = add(.object, start: 0)
            for member in object.members {
                let key = add(.string, start: 0, bits: member.keyPrefix)
                member.key.withUTF8Bytes { setOwnText(key, $0) }
                append(member.value)
            }
            close(i, length: 0, count: object.members.count, isCanonical: false)
        case .array(let elements):
            let i = add(.array, start: 0)
            for element in elements { append(element) }
            close(i, length: 0, count: elements.count, isCanonical: false)
        case .string(let s):
            let i = add(.string, start: 0)
            s.withUTF8Bytes { setOwnText(i, $0) }
        case .integer(let v):
            let i = add(.integer, start: 0, bits: UInt64(bitPattern: v))
            nodes[i].isCanonical = false
        case .bool(let b):
            let i = add(.bool, start: 0, bits: b ? 1 : 0)
            nodes[i].isCanonical = false
        case .null:
            let i = add(.null, start: 0)
            nodes[i].isCanonical = false
        }
    }
}

extension JSONTape {
    /// A tape as read, without a reference count per read: plain pointers into the
    /// tape's memory and the parsed text, valid until the tape is parsed into again or
    /// freed (the tape's owner keeps it alive while views of it are in use).
    public struct View {
        @usableFromInline let nodes: UnsafePointer<Node>
        public let count: Int
        @usableFromInline let text: UnsafePointer<UInt8>
        /// The parsed text (empty for a tape made from a tree).
        public let source: UnsafeBufferPointer<UInt8>

        @inlinable init(nodes: UnsafeMutablePointer<Node>, count: Int, text: UnsafeMutablePointer<UInt8>, source: UnsafeBufferPointer<UInt8>) {
            self.nodes = UnsafePointer(nodes)
            self.count = count
            self.text = UnsafePointer(text)
            self.source = source
        }

        @inlinable
        public subscript(_ i: Int) -> Node {
            precondition(i >= 0 && i < count, "a node index past the tape")
            return nodes[i]
        }

        /// The bytes of a string or key node, unescaped.
        @inlinable
        public func text(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            let node = self[i]
            if node.textIsOwn { return UnsafeBufferPointer(start: text + Int(node.textStart), count: Int(node.textCount)) }
            return UnsafeBufferPointer(rebasing: source[Int(node.start) + 1..<Int(node.start + node.length) - 1])
        }

        /// A string node's text as a string.
        public func string(_ i: Int) -> String { String(decoding: text(i), as: UTF8.self) }

        /// The source bytes of a canonical node.
        func raw(_ i: Int) -> UnsafeBufferPointer<UInt8> {
            let node = self[i]
            return UnsafeBufferPointer(rebasing: source[Int(node.start)..<Int(node.start + node.length)])
        }

        /// The key node of the member after the one whose key node is `key` (a member is
        /// its key node, then its value's nodes).
        @inlinable public func nextMember(after key: Int) -> Int { Int(self[key + 1].next) }

        /// The JSON type of a node, for error messages.
        public func typeName(_ i: Int) -> String {
            switch self[i].kind {
            case .object: "object"
            case .array: "array"
            case .string: "string"
            case .integer: "integer"
            case .bool: "boolean"
            case .null: "null"
            }
        }

        /// The elements of the array at node `i`.
        @inlinable public func elements(of i: Int) -> Elements {
            precondition(self[i].kind == .array, "elements of a node that is not an array")
            return Elements(view: self, first: i + 1, count: Int(self[i].count))
        }

        /// The tree of the value at node `i`.
        public func value(at i: Int) -> JSONValue {
            let node = self[i]
            switch node.kind {
            case .object:
                var members: [JSONMember] = []
                members.reserveCapacity(Int(node.count))
                var k = i + 1
                for _ in 0..<node.count {
                    members.append(JSONMember(string(k), prefix: self[k].bits, value(at: k + 1)))
                    k = Int(self[k + 1].next)
                }
                return .object(JSONObject(members))
            case .array:
                var elements: [JSONValue] = []
                elements.reserveCapacity(Int(node.count))
                var e = i + 1
                for _ in 0..<node.count {
                    elements.append(value(at: e))
                    e = Int(self[e].next)
                }
                return .array(elements)
            case .string: return .string(string(i))
            case .integer: return .integer(Int64(bitPattern: node.bits))
            case .bool: return .bool(node.bits != 0)
            case .null: return .null
            }
        }
    }

    /// The node indices of an array's elements.
    public struct Elements: Sequence {
        @usableFromInline let view: View
        @usableFromInline let first: Int
        public let count: Int

        @inlinable init(view: View, first: Int, count: Int) {
            (self.view, self.first, self.count) = (view, first, count)
        }

        public struct Iterator: IteratorProtocol {
            @usableFromInline let view: View
            @usableFromInline var position: Int
            @usableFromInline var left: Int
            @inlinable init(view: View, position: Int, left: Int) {
                (self.view, self.position, self.left) = (view, position, left)
            }
            @inlinable public mutating func next() -> Int? {
                guard left > 0 else { return nil }
                left -= 1
                defer { position = Int(view[position].next) }
                return position
            }
        }

        @inlinable public func makeIterator() -> Iterator { Iterator(view: view, position: first, left: count) }
    }
}
