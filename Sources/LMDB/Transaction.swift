import CLMDB

/// A named database (a B+tree) inside an environment.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
}

/// Flags of a single `put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Fail with `.keyExists` instead of replacing a value.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every key already there: LMDB appends without a search.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}

/// A transaction, handed to the body of `Environment.read(_:)` or `write(_:)`.
///
/// It must not escape that body nor be used from another thread. Byte buffers that
/// reads return point into the map and are valid only until the transaction ends or
/// writes; the `[UInt8]` variants copy.
public final class Transaction {
    let handle: OpaquePointer
    public let isReadOnly: Bool
    /// Whether this is a write transaction of a write-mapped environment: its pages are
    /// changed in place in the map, so a value it appends (`put(reserving:flags: .append)`)
    /// stays at the address it was written to until the transaction ends — a page this
    /// transaction made is never copied, and an append never moves the values before it.
    public let isWriteMap: Bool
    private var finished = false
    /// One cursor per database (by `dbi`) for the single-key operations. A cursor that
    /// stays on its leaf page finds a key near the previous one without descending from
    /// the root (`mdb_cursor_set` checks the current page first), where `mdb_put`/`mdb_get`
    /// start from the root with a new cursor each time: an import touches its indexes at
    /// neighbouring keys, event after event, and verify looks up each event's index
    /// entries in the same order. Closed before the transaction ends (a read
    /// transaction's cursors must be; a write transaction's are freed by LMDB then).
    /// A fixed table, not an array: a `var` of a class is checked for exclusive access at
    /// every use, and this one is used at every put and get.
    private let cursors: UnsafeMutableBufferPointer<OpaquePointer?>
    private static let cursorSlots = 64

    init(handle: OpaquePointer, readOnly: Bool, writeMap: Bool = false) {
        self.handle = handle
        self.isReadOnly = readOnly
        self.isWriteMap = writeMap && !readOnly
        cursors = .allocate(capacity: Transaction.cursorSlots)
        cursors.initialize(repeating: nil)
    }

    deinit {
        if !finished {
            closeCursors()
            mdb_txn_abort(handle)
        }
        cursors.deallocate()
    }

    func commit() throws(LMDBError) {
        precondition(!finished)
        finished = true
        closeCursors()
        try check(mdb_txn_commit(handle))
    }

    func abort() {
        if !finished {
            finished = true
            closeCursors()
            mdb_txn_abort(handle)
        }
    }

    private func closeCursors() {
        for i in cursors.indices {
            if let cursor = cursors[i] { mdb_cursor_close(cursor) }
            cursors[i] = nil
        }
    }

    /// The cursor that single-key operations on `db` go through; nil for a database
    /// beyond the table.
    private func cursor(_ db: Database) throws(LMDBError) -> OpaquePointer? {
        let i = Int(db.dbi)
        guard i < cursors.count else { return nil }
        if let cursor = cursors[i] { return cursor }
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &cursor))
        cursors[i] = cursor
        return cursor
    }

    /// `mdb_put` through the database's cursor when there is one.
    private func put(_ db: Database, _ k: inout MDB_val, _ v: inout MDB_val, _ flags: UInt32) throws(LMDBError) -> Int32 {
        if let cursor = try cursor(db) { return mdb_cursor_put(cursor, &k, &v, flags) }
        return mdb_put(handle, db.dbi, &k, &v, flags)
    }

    /// Opens (and in a write transaction, creates) the named database.
    /// The corresponding C function is `mdb_dbi_open`.
    public func openDatabase(_ name: String, create: Bool = false) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        let flags: UInt32 = create && !isReadOnly ? UInt32(MDB_CREATE) : 0
        try check(mdb_dbi_open(handle, name, flags, &dbi))
        return Database(dbi: dbi)
    }

    /// Calls `body` with the value stored under `key`, or returns nil when there is none.
    /// The corresponding C function is `mdb_get`.
    public func withValue<R>(
        _ db: Database, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = if let cursor = try cursor(db) { mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY) } else { mdb_get(handle, db.dbi, &k, &v) }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// The value stored under `key`, copied, or nil.
    public func get(_ db: Database, key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { k in try withValue(db, key: k) { [UInt8]($0) } }
    }

    /// Stores `value` under `key`.
    /// The corresponding C function is `mdb_put`.
    public func put(
        _ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: PutFlags = []
    ) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(put(db, &k, &v, flags.rawValue))
    }

    /// Stores under `key` a value of `count` bytes that `body` writes in place, in the
    /// database's page, so a large value is copied once rather than twice. Not for
    /// databases with sorted duplicates.
    /// The corresponding C function is `mdb_put` with `MDB_RESERVE`.
    public func put(
        _ db: Database, key: UnsafeRawBufferPointer, reserving count: Int, flags: PutFlags = [],
        _ body: (UnsafeMutableRawBufferPointer) -> Void
    ) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try check(put(db, &k, &v, flags.rawValue | UInt32(MDB_RESERVE)))
        body(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
        // With `.append`, the next value of this database goes below this one in the
        // same page: its cache lines are asked for now, to be there when it is written.
        if flags.contains(.append), let start = v.mv_data { ctg_prefetch_below_for_write(start, UInt(min(count + 64, 1024))) }
    }

    /// Stores `value` under `key` unless the key is there already, in one search: returns
    /// nil when stored, else `existing` applied to the value found (nothing is changed).
    /// The corresponding C function is `mdb_put` with `MDB_NOOVERWRITE`.
    public func insert<R>(
        _ db: Database, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
        existing: (UnsafeRawBufferPointer) -> R
    ) throws(LMDBError) -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        let rc = try put(db, &k, &v, UInt32(MDB_NOOVERWRITE))
        if rc == MDB_KEYEXIST { return existing(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)) }
        try check(rc)
        return nil
    }

    /// Stores `value` under `key`.
    public func put(_ db: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                try put(db, key: k, value: v, flags: flags)
            }
        }
    }

    /// Removes `key`; returns false when it was not there.
    /// The corresponding C function is `mdb_del`.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kb -> Bool in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            guard let cursor = try cursor(db) else {
                let rc = mdb_del(handle, db.dbi, &k, nil)
                if rc == MDB_NOTFOUND { return false }
                try check(rc)
                return true
            }
            var v = MDB_val()
            let rc = mdb_cursor_get(cursor, &k, &v, MDB_SET)
            if rc == MDB_NOTFOUND { return false }
            try check(rc)
            try check(mdb_cursor_del(cursor, 0))
            return true
        }
    }

    /// Removes every entry of `db`, keeping the database.
    /// The corresponding C function is `mdb_drop`.
    public func empty(_ db: Database) throws(LMDBError) {
        try check(mdb_drop(handle, db.dbi, 0))
    }

    /// The number of entries in `db`.
    /// The corresponding C function is `mdb_stat`.
    public func count(_ db: Database) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.dbi, &stat))
        return stat.ms_entries
    }

    /// Runs `body` with a cursor over `db`, closed when `body` ends.
    /// The corresponding C function is `mdb_cursor_open`.
    public func withCursor<R>(_ db: Database, _ body: (Cursor) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &cursor))
        guard let cursor else { throw LMDBError.invalid }
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(handle: cursor))
    }

    /// Calls `body` for each entry whose key starts with `prefix`, in key order,
    /// until `body` returns false.
    public func forEach(
        _ db: Database, prefix: [UInt8] = [], from start: [UInt8]? = nil,
        _ body: (Cursor.Entry) throws -> Bool
    ) throws {
        try withCursor(db) { cursor in
            var entry = try cursor.seek(atLeast: start ?? prefix)
            while let current = entry {
                guard current.key.starts(with: prefix) else { return }
                guard try body(current) else { return }
                entry = try cursor.next()
            }
        }
    }
}
