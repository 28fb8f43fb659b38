import CTGDomain
import CTGProjections
import EventLog
import LMDB
import StrictJSON

#if canImport(Glibc)
import Glibc
#endif

/// The CTG ledger store: the event log and its projections in one LMDB environment.
///
/// Open one per process. Writers (`ctg`) open it read-write; auditors (`ctg-audit`)
/// open it read-only, which LMDB enforces (`MDB_RDONLY`): no write path exists.
public final class Ledger {
    public let path: String
    public let environment: Environment
    let log: LogTables
    let projectionDatabases: ProjectionDatabases
    /// Set when opening found projections of an earlier layout and rebuilt them.
    public private(set) var rebuiltOutdatedProjections = false

    /// How to open the store.
    public enum Access: Sendable {
        case readWrite
        case readOnly
    }

    /// The store path from `--store`, else `$CTG_STORE`, else `./ctg-store`.
    public static func storePath(_ option: String?) -> String {
        if let option { return option }
        if let env = getenv("CTG_STORE"), let s = String(validatingCString: env), !s.isEmpty { return s }
        return "./ctg-store"
    }

    /// The initial map size: `$CTG_MAP_SIZE` bytes when set (tests use a tiny one), else
    /// 16 MiB. The map is reserved on disk, so it starts small; it grows when full, and
    /// an import sizes it for its file before it starts.
    public static var defaultMapSize: Int {
        if let env = getenv("CTG_MAP_SIZE"), let s = String(validatingCString: env), let n = Int(s), n > 0 { return n }
        return 16 << 20
    }

    /// Opens (read-write: creating, mode 0700/0600) the store at `path`.
    public init(path: String, access: Access, mapSize: Int = Ledger.defaultMapSize) throws {
        self.path = path
        var isDir = stat()
        let exists = stat(path, &isDir) == 0
        switch access {
        case .readWrite:
            if !exists { try Ledger.createStoreDirectory(path) }
            // Write-map mode: a batch's dirty pages live in the shared map, not in malloc'd
            // copies, so an import of any size runs in bounded memory (see `importFile`).
            // The map keeps at least the size it had, rather than being shrunk to the data.
            let existing = Ledger.fileSize(path + "/data.mdb") ?? 0
            environment = try Ledger.openEnvironment(path, Environment.Options(mapSize: max(mapSize, existing), writeMap: true))
            (log, projectionDatabases) = try environment.openDatabases { txn in
                (try LogTables(txn), try ProjectionDatabases(txn))
            }
            // Projections are derived: ones written by an earlier layout are rebuilt from the events.
            if try !read({ try $0.projections.formatIsCurrent() }) {
                _ = try rebuild()
                rebuiltOutdatedProjections = true
            }
        case .readOnly:
            let noStore = LedgerError(code: "no-store", message: "there is no store at \(path) (import events with `ctg import` first, or give --store)")
            // A directory without its data file is a store a first writer is creating.
            guard exists, Ledger.fileSize(path + "/data.mdb") != nil else { throw noStore }
            do {
                environment = try Environment(path: path, options: Environment.Options(readOnly: true))
            } catch where error == .noSuchFile {
                throw noStore  // the data file went away between the check and the open
            } catch where error == .accessDenied || error == .readOnlyFileSystem {
                // The lock file cannot be written (read-only media or no permission): read
                // without it. Safe only while no writer runs, which such a store rules out.
                environment = try Ledger.openEnvironment(path, Environment.Options(readOnly: true, noLock: true))
            } catch {
                throw LedgerError(code: "store-open", message: "cannot open the store at \(path): \(error)")
            }
            do {
                (log, projectionDatabases) = try environment.openDatabases { txn in
                    (try LogTables(txn), try ProjectionDatabases(txn))
                }
            } catch let error as LMDBError where error == .notFound {
                throw LedgerError(code: "empty-store", message: "the store at \(path) holds no events yet")
            }
            if try !read({ try $0.projections.formatIsCurrent() }) {
                throw LedgerError(code: "projections-outdated", message: "the projections of \(path) were written by an earlier version; run `ctg rebuild` once")
            }
        }
    }

    /// Creates the store's directory (mode 0700). Another process may create it first —
    /// two imports started at once on a new store both find it missing —: a directory
    /// there by then is the store, not a failure (LMDB lets both open it).
    static func createStoreDirectory(_ path: String) throws {
        guard mkdir(path, 0o700) != 0 else { return }
        let code = errno
        var st = stat()
        if code == EEXIST && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { return }
        throw LedgerError(code: "store-create", message: "cannot create the store directory \(path): \(String(cString: strerror(code)))")
    }

    private static func openEnvironment(_ path: String, _ options: Environment.Options) throws -> Environment {
        do {
            return try Environment(path: path, options: options)
        } catch {
            throw LedgerError(code: "store-open", message: "cannot open the store at \(path): \(error)")
        }
    }

    /// Files of the store that others than the owner may write: a ledger of public funds
    /// must not be changeable behind the hash chain's back by any local user.
    public func looselyProtectedFiles() -> [String] {
        [path, path + "/data.mdb", path + "/lock.mdb"].filter { file in
            var st = stat()
            return stat(file, &st) == 0 && (st.st_mode & 0o022) != 0
        }
    }

    /// Runs `body` with a snapshot of the log and projections.
    public func read<R>(_ body: (LedgerSnapshot) throws -> R) throws -> R {
        try environment.read { txn in
            try body(LedgerSnapshot(log: LogReader(txn: txn, tables: log), projections: ProjectionReader(LMDBTables(txn, projectionDatabases))))
        }
    }
}

/// A consistent view of the store inside one read transaction.
public struct LedgerSnapshot {
    public let log: LogReader
    public let projections: ProjectionReader<LMDBTables>
}
