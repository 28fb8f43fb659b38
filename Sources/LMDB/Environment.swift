import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// An LMDB environment: one memory-mapped store directory (`data.mdb`, `lock.mdb`).
///
/// Open one per process and per store. The environment owns the C handle and closes
/// it in `deinit`. Transactions are scoped through `read(_:)` and `write(_:)`, so none
/// can outlive its body nor be forgotten open.
public final class Environment: @unchecked Sendable {
    // @unchecked: the handle is only touched through LMDB, which is thread-safe for
    // environments opened with MDB_NOTLS; transactions never cross threads.
    let handle: OpaquePointer
    /// Whether the environment was opened with `MDB_RDONLY`.
    public let isReadOnly: Bool
    /// Whether the environment was opened without LMDB's lock file (read-only media).
    public let isLockless: Bool
    /// Whether dirty pages are written into the map (`MDB_WRITEMAP`).
    public let isWriteMap: Bool
    /// How many stale reader slots were cleared when the environment was opened.
    public let staleReadersCleared: Int32

    /// How an environment is opened.
    public struct Options: Sendable {
        /// The initial map size in bytes; grown on demand by `write(_:)`.
        public var mapSize: Int
        public var maxDatabases: UInt32
        public var maxReaders: UInt32
        public var readOnly: Bool
        /// Open without the lock file. Only safe when no process writes the store.
        public var noLock: Bool
        /// Skip the fsync at commit. Never the default: commits are durable.
        public var noSync: Bool
        /// Write dirty pages straight into the memory map (`MDB_WRITEMAP`) instead of into
        /// malloc'd copies written out at commit. Commits stay durable (msync). The data
        /// file is sized to the map, and the whole map is reserved on disk
        /// (`posix_fallocate`) whenever it is set: a full disk is then an `ENOSPC` from
        /// `init` or `setMapSize`, never a `SIGBUS` on a page written later.
        public var writeMap: Bool
        /// File mode of `data.mdb` and `lock.mdb` when they are created.
        public var fileMode: mode_t

        public init(
            mapSize: Int = 1 << 30, maxDatabases: UInt32 = 32, maxReaders: UInt32 = 126,
            readOnly: Bool = false, noLock: Bool = false, noSync: Bool = false, writeMap: Bool = false, fileMode: mode_t = 0o600
        ) {
            self.writeMap = writeMap
            self.mapSize = mapSize
            self.maxDatabases = maxDatabases
            self.maxReaders = maxReaders
            self.readOnly = readOnly
            self.noLock = noLock
            self.noSync = noSync
            self.fileMode = fileMode
        }
    }

    /// Opens the environment in the directory `path`, which must exist.
    ///
    /// Clears stale reader slots left by crashed processes (`mdb_reader_check`).
    /// The corresponding C function is `mdb_env_open`.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try check(mdb_env_create(&env))
        guard let env else { throw LMDBError.invalid }
        do {
            try check(mdb_env_set_maxdbs(env, options.maxDatabases))
            try check(mdb_env_set_maxreaders(env, options.maxReaders))
            if !options.readOnly {
                try check(mdb_env_set_mapsize(env, options.mapSize))
            }
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.noLock { flags |= UInt32(MDB_NOLOCK) }
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            if options.writeMap && !options.readOnly { flags |= UInt32(MDB_WRITEMAP) }
            try check(mdb_env_open(env, path, flags, options.fileMode))
            if options.writeMap && !options.readOnly { try Environment.reserveInitialMap(env) }
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.isReadOnly = options.readOnly
        self.isWriteMap = options.writeMap && !options.readOnly
        self.isLockless = options.noLock
        var dead: Int32 = 0
        if !options.noLock { mdb_reader_check(env, &dead) }
        self.staleReadersCleared = dead
    }

    deinit {
        mdb_env_close(handle)
    }

    /// The current size of the memory map in bytes.
    /// The corresponding C function is `mdb_env_info`.
    public var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// The bytes the committed data occupies (up to the last used page).
    public var usedSize: Int { Environment.usedSize(handle) }

    private static func usedSize(_ env: OpaquePointer) -> Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Asks the kernel to bring the data file's pages in `range` (byte offsets) into the
    /// page cache ahead of use: a page of the reserved file that LMDB has not written
    /// yet costs zero-filling the first time it is touched, and this lets another
    /// thread pay that cost. Nothing is written, so it is safe while a transaction
    /// writes. Returns false when the kernel refuses.
    /// The corresponding C calls are `mdb_env_get_fd` and `posix_fadvise(WILLNEED)`.
    public func readAhead(_ range: Range<Int>) -> Bool {
        var fd: Int32 = -1
        guard mdb_env_get_fd(handle, &fd) == 0, fd >= 0, !range.isEmpty else { return false }
        return posix_fadvise(fd, off_t(range.lowerBound), off_t(range.count), POSIX_FADV_WILLNEED) == 0
    }

    /// Sets the map size; no transaction of this process may be open. With `writeMap`,
    /// the new size is reserved on disk first; when it cannot be, the map keeps its size
    /// and `.noSpace` is thrown.
    /// The corresponding C function is `mdb_env_set_mapsize`.
    public func setMapSize(_ size: Int) throws(LMDBError) {
        let previous = mapSize
        try check(mdb_env_set_mapsize(handle, size))
        guard isWriteMap else { return }
        do {
            try Environment.reserveMap(handle)
        } catch {
            // Pages past the reserved part could fault with SIGBUS when written on a full disk.
            _ = mdb_env_set_mapsize(handle, previous)
            throw error
        }
    }

    /// Reserves the map asked for at open, or — on a disk too small for it — the largest
    /// halving of it that fits (at least the data already committed): opening a store on
    /// a nearly full disk still works, and a write that needs more fails with `ENOSPC`.
    private static func reserveInitialMap(_ env: OpaquePointer) throws(LMDBError) {
        while true {
            do {
                return try reserveMap(env)
            } catch where error == .noSpace {
                var info = MDB_envinfo()
                mdb_env_info(env, &info)
                let smaller = max(info.me_mapsize / 2, usedSize(env))
                guard smaller < info.me_mapsize else { throw error }
                try check(mdb_env_set_mapsize(env, smaller))
            }
        }
    }

    /// Allocates disk blocks for the whole map, so writes into it cannot fail later.
    private static func reserveMap(_ env: OpaquePointer) throws(LMDBError) {
        var fd: Int32 = -1
        try check(mdb_env_get_fd(env, &fd))
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        var rc: Int32
        repeat { rc = posix_fallocate(fd, 0, off_t(info.me_mapsize)) } while rc == EINTR
        // File systems without fallocate (EOPNOTSUPP) keep LMDB's sparse file: nothing better exists there.
        if rc != 0 && rc != EOPNOTSUPP { throw LMDBError(rawValue: rc) }
    }

    /// Clears reader slots of dead processes and returns how many were cleared.
    /// The corresponding C function is `mdb_reader_check`.
    @discardableResult
    public func checkStaleReaders() -> Int32 {
        var dead: Int32 = 0
        if !isLockless { mdb_reader_check(handle, &dead) }
        return dead
    }

    /// Flushes buffers to disk.
    /// The corresponding C function is `mdb_env_sync`.
    public func sync() throws(LMDBError) {
        try check(mdb_env_sync(handle, 1))
    }

    /// Begins a transaction, adopting a map grown by another process (`MDB_MAP_RESIZED`)
    /// and clearing stale readers once when the reader table is full.
    func begin(readOnly: Bool) throws(LMDBError) -> OpaquePointer {
        var attempts = 0
        while true {
            var txn: OpaquePointer?
            let rc = mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            if rc == MDB_SUCCESS, let txn { return txn }
            attempts += 1
            if rc == MDB_MAP_RESIZED && attempts < 4 {
                // Another process grew the map: adopt its size (0 = the size now in the file).
                try check(mdb_env_set_mapsize(handle, 0))
                continue
            }
            if rc == MDB_READERS_FULL && attempts < 2 && checkStaleReaders() > 0 { continue }
            throw LMDBError(rawValue: rc)
        }
    }

    /// Runs `body` in a read-only transaction, which ends when `body` returns or throws.
    /// Keep the body short: a long reader stops LMDB from reusing freed pages.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = Transaction(handle: try begin(readOnly: true), readOnly: true)
        defer { txn.abort() }
        return try body(txn)
    }

    /// Opens named databases in `body`, in a transaction that is committed even when
    /// read-only: LMDB closes handles opened in an aborted transaction, so handles must
    /// come from a committed one to be usable by later transactions.
    /// The corresponding C function is `mdb_dbi_open`.
    public func openDatabases<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = Transaction(handle: try begin(readOnly: isReadOnly), readOnly: isReadOnly)
        do {
            let result = try body(txn)
            try txn.commit()
            return result
        } catch {
            txn.abort()
            throw error
        }
    }

    /// Runs `body` in a write transaction that commits when `body` returns and aborts
    /// when it throws. Writers are serialised across processes by LMDB's lock.
    ///
    /// When the map is full (in the body or at commit), the transaction is aborted, the
    /// map doubled, and `body` run again from the start: it must be repeatable, reading
    /// its input anew. `maxMapSize` bounds the growth.
    public func write<R>(maxMapSize: Int = 1 << 44, _ body: (Transaction) throws -> R) throws -> R {
        precondition(!isReadOnly, "write transaction on a read-only environment")
        while true {
            let txn = Transaction(handle: try begin(readOnly: false), readOnly: false, writeMap: isWriteMap)
            do {
                let result = try body(txn)
                try txn.commit()
                return result
            } catch let error as LMDBError where error == .mapFull {
                txn.abort()
                let current = mapSize
                guard current < maxMapSize else { throw error }
                // Doubling, by at most 1 GiB a step: the map is reserved on disk with writeMap.
                try setMapSize(min(current + min(current, 1 << 30), maxMapSize))
            } catch {
                txn.abort()
                throw error
            }
        }
    }
}
