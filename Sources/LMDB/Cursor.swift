import CLMDB

/// A position in a database, handed to the body of `Transaction.withCursor(_:_:)`.
///
/// Entries point into the memory map: valid until the next cursor move or write.
public struct Cursor {
    let handle: OpaquePointer

    /// One key and value, borrowed from the map.
    public struct Entry {
        public let key: UnsafeRawBufferPointer
        public let value: UnsafeRawBufferPointer
        public var keyBytes: [UInt8] { [UInt8](key) }
        public var valueBytes: [UInt8] { [UInt8](value) }
    }

    private func move(_ op: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        var k = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var v = MDB_val()
        let rc = mdb_cursor_get(handle, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return Entry(
            key: UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
            value: UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The first entry. The corresponding C function is `mdb_cursor_get` with `MDB_FIRST`.
    public func first() throws(LMDBError) -> Entry? { try move(MDB_FIRST) }
    /// The last entry (`MDB_LAST`).
    public func last() throws(LMDBError) -> Entry? { try move(MDB_LAST) }
    /// The next entry (`MDB_NEXT`).
    public func next() throws(LMDBError) -> Entry? { try move(MDB_NEXT) }
    /// The previous entry (`MDB_PREV`).
    public func previous() throws(LMDBError) -> Entry? { try move(MDB_PREV) }

    /// The first entry whose key is at least `key` (`MDB_SET_RANGE`).
    public func seek(atLeast key: [UInt8]) throws -> Entry? {
        if key.isEmpty { return try first() }
        return try key.withUnsafeBytes { k in try move(MDB_SET_RANGE, key: k) }
    }
}
