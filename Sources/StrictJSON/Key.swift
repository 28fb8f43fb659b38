#if canImport(Glibc)
import Glibc
#endif

/// A string compared, hashed and ordered by its exact UTF-8 bytes.
///
/// Swift's `String ==` treats canonically equivalent strings as equal ("é" precomposed
/// equals "e" + combining accent); identities in the ledger (ids, partner keys,
/// beneficiary names) must not, so every identity goes through this type.
public struct Key: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (lhs: Key, rhs: Key) -> Bool {
        lhs.string.sameBytes(rhs.string)
    }

    public func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public static func < (lhs: Key, rhs: Key) -> Bool {
        lhs.string.bytesPrecede(rhs.string)
    }

    public var description: String { string }
}

extension String {
    /// Equality of the exact UTF-8 bytes (no canonical equivalence).
    @inlinable
    public func sameBytes(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        if let equal = utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in
                a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
            }
        }), let equal {
            return equal
        }
        return utf8.elementsEqual(other.utf8)
    }

    /// Ordering by UTF-8 bytes, the ledger's ordering of keys and ids.
    @inlinable
    public func bytesPrecede(_ other: String) -> Bool {
        if let order = utf8.withContiguousStorageIfAvailable({ a in
            other.utf8.withContiguousStorageIfAvailable { b in
                let common = min(a.count, b.count)
                let c = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
                return c != 0 ? c < 0 : a.count < b.count
            }
        }), let order {
            return order
        }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }
}
