// swift-tools-version:6.0
import PackageDescription

/// Links jemalloc on Linux (Debian's libjemalloc-dev), where glibc malloc contends; and,
/// in release builds, the Swift runtime and Foundation statically (`-static-stdlib`, as
/// `swift build --static-swift-stdlib` does): runtime calls (retain and release above
/// all, millions per import) are direct rather than through the PLT, and the process
/// starts without loading a dozen shared libraries — import −1.8 % instructions, a query
/// 11.7 -> 7.2 ms. jemalloc stays a shared library, so it still replaces malloc
/// everywhere. Linked by the toolchain's lld (`-use-ld=lld`): gold printed a warning for
/// each glibc function marked dangerous that the static Foundation refers to (`mktemp`).
let executableLinking: [LinkerSetting] = [
    .linkedLibrary("jemalloc", .when(platforms: [.linux])),
    .unsafeFlags(["-static-stdlib", "-use-ld=lld"], .when(platforms: [.linux], configuration: .release)),
]

/// Release builds optimise across the package's modules: without it, generic code called
/// from another module runs unspecialised — an import's rules and projection writer
/// (`ProjectionWriter<LMDBTables>`, `Rules.apply(to: some LedgerState)`) went through
/// witness tables at every call. Measured: −1.3 % instructions per import, same output.
let crossModule: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
    // See `executableLinking`: modules are compiled for the static runtime they link with.
    .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "ctg-ledger",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ctg", targets: ["ctg"]),
        .executable(name: "ctg-audit", targets: ["ctg-audit"]),
        .library(name: "CTGLedger", targets: ["CTGLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // MARK: Storage
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: crossModule),

        // MARK: Event log
        .target(name: "StrictJSON", swiftSettings: crossModule),
        .target(
            name: "EventLog",
            dependencies: [
                "LMDB", "StrictJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: crossModule
        ),

        // MARK: Domain and projections
        .target(name: "CTGDomain", dependencies: ["EventLog", "StrictJSON"], swiftSettings: crossModule),
        .target(name: "CTGProjections", dependencies: ["CTGDomain", "EventLog", "LMDB", "StrictJSON"], swiftSettings: crossModule),
        .target(name: "CTGLedger", dependencies: ["CTGProjections", "CTGDomain", "EventLog", "LMDB", "StrictJSON"], swiftSettings: crossModule),

        // MARK: Executables
        // The executables allocate with jemalloc: their second thread allocates what the
        // first frees, and glibc's per-thread arenas then contend on every such free (see
        // the README's Performance section). Linking it replaces malloc process-wide.
        .target(
            name: "CTGCommandSupport",
            dependencies: ["CTGLedger", "CTGProjections", "EventLog", "LMDB", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: crossModule
        ),
        .executableTarget(
            name: "ctg",
            dependencies: [
                "CTGCommandSupport", "CTGLedger", "CTGDomain", "CTGProjections", "EventLog", "StrictJSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: crossModule,
            linkerSettings: executableLinking
        ),
        .executableTarget(
            name: "ctg-audit",
            dependencies: [
                "CTGCommandSupport", "CTGLedger", "CTGDomain", "CTGProjections", "EventLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: crossModule,
            linkerSettings: executableLinking
        ),

        .executableTarget(
            name: "ctg-bench",
            dependencies: ["CTGLedger", "EventLog", "StrictJSON"],
            swiftSettings: crossModule,
            linkerSettings: executableLinking
        ),

        .executableTarget(
            name: "ctg-fuzz",
            dependencies: ["CTGLedger", "CTGDomain", "EventLog", "StrictJSON"],
            // Its dependencies are compiled for the static runtime in release builds.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-use-ld=lld"], .when(platforms: [.linux], configuration: .release))]
        ),

        // MARK: Tests
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "StrictJSONTests", dependencies: ["StrictJSON"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "LMDB", "StrictJSON"]),
        .testTarget(name: "CTGDomainTests", dependencies: ["CTGDomain", "StrictJSON"]),
        .testTarget(
            name: "CTGLedgerTests",
            dependencies: ["CTGLedger", "CTGProjections", "CTGDomain", "EventLog", "LMDB", "StrictJSON"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
