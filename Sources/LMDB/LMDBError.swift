import CLMDB

/// An error reported by LMDB: an `MDB_*` code or an `errno` value.
///
/// Callers act on the named codes (`.mapFull`, `.notFound`, …); the description is
/// LMDB's own text from `mdb_strerror`.
public struct LMDBError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let keyExists = LMDBError(rawValue: MDB_KEYEXIST)
    public static let notFound = LMDBError(rawValue: MDB_NOTFOUND)
    public static let mapFull = LMDBError(rawValue: MDB_MAP_FULL)
    public static let mapResized = LMDBError(rawValue: MDB_MAP_RESIZED)
    public static let readersFull = LMDBError(rawValue: MDB_READERS_FULL)
    public static let transactionFull = LMDBError(rawValue: MDB_TXN_FULL)
    public static let databasesFull = LMDBError(rawValue: MDB_DBS_FULL)
    public static let badTransaction = LMDBError(rawValue: MDB_BAD_TXN)
    public static let invalid = LMDBError(rawValue: MDB_INVALID)
    public static let versionMismatch = LMDBError(rawValue: MDB_VERSION_MISMATCH)
    /// `EACCES`: the store's files cannot be opened with the requested access.
    public static let accessDenied = LMDBError(rawValue: 13)
    /// `ENOENT`: the store does not exist.
    public static let noSuchFile = LMDBError(rawValue: 2)
    /// `ENOSPC`: the disk is full.
    public static let noSpace = LMDBError(rawValue: 28)
    /// `EROFS`: the store lives on a read-only file system.
    public static let readOnlyFileSystem = LMDBError(rawValue: 30)

    /// The corresponding C function is `mdb_strerror`.
    public var description: String {
        String(cString: mdb_strerror(rawValue))
    }
}

/// Turns an LMDB return code into a thrown error; the single place C results are checked.
@inline(__always)
func check(_ rc: Int32) throws(LMDBError) {
    if rc != MDB_SUCCESS { throw LMDBError(rawValue: rc) }
}
