/// A string compared, hashed and ordered by its exact UTF-8 bytes.
///
/// Swift's `String ==` treats canonically equivalent strings as equal ("é" precomposed
/// equals "e" + combining accent); identities in the ledger (ids, partner keys,
/// beneficiary names) must not, so every identity goes through this type.
public struct Key: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        for byte in string.utf8 { hasher.combine(byte) }
    }

    public static func < (lhs: Key, rhs: Key) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    public var description: String { string }
}

extension String {
    /// Equality of the exact UTF-8 bytes (no canonical equivalence).
    @inlinable
    public func sameBytes(_ other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }

    /// Ordering by UTF-8 bytes, the ledger's ordering of keys and ids.
    @inlinable
    public func bytesPrecede(_ other: String) -> Bool {
        utf8.lexicographicallyPrecedes(other.utf8)
    }
}
