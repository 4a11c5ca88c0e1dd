// swift-tools-version:6.0
import PackageDescription

// Layering (each target depends only on those above it):
//   CSQLite, CReadline   system libraries (module maps over the Debian -dev packages)
//   LimitlessSupport     JSON, files, time: the small things every layer needs (no Foundation)
//   SQLSyntax            pure SQL front end: lexer, parser, AST, printer (no C, no disk)
//   LimitlessEngine      storage, catalog, placement, planner, executor, transactions
//   LimitlessCLI         command table, argument parser, aws control plane, `sql` front door
//   limitless            the executable: a thin main around LimitlessCLI
// Release builds drop the run-time exclusivity checks (each access to a class's stored property
// or a global paid ~100 instructions of bookkeeping: about 5% of a two-shard transfer). The
// compiler still enforces exclusivity statically everywhere, and debug builds — the ones
// `make test` runs — keep the dynamic checks.
let releaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "limitless",
    products: [
        .executable(name: "limitless", targets: ["limitless"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CReadline",
            providers: [.apt(["libreadline-dev"])]
        ),
        .target(name: "LimitlessSupport", swiftSettings: releaseSettings),
        .target(name: "SQLSyntax", swiftSettings: releaseSettings),
        .target(
            name: "LimitlessEngine",
            dependencies: ["CSQLite", "SQLSyntax", "LimitlessSupport"],
            swiftSettings: releaseSettings
        ),
        .target(
            name: "LimitlessCLI",
            dependencies: ["LimitlessEngine", "LimitlessSupport", "SQLSyntax", "CReadline"],
            swiftSettings: releaseSettings
        ),
        // The Swift runtime linked in: process start (`limitless sql -c 'SELECT 1'`) skips
        // loading and relocating libswiftCore and friends (benchmark W7).
        .executableTarget(name: "limitless", dependencies: ["LimitlessCLI"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .testTarget(name: "SupportTests", dependencies: ["LimitlessSupport"]),
        // Test data shared by several targets lives in Tests/Corpus and Tests/Fixtures and is
        // found through #filePath, so a fresh clone needs nothing outside the repository.
        .testTarget(name: "SQLSyntaxTests", dependencies: ["SQLSyntax", "CSQLite"]),
        .testTarget(name: "EngineTests", dependencies: ["LimitlessEngine", "CSQLite"], exclude: ["Golden"]),
        .testTarget(name: "CLITests", dependencies: ["LimitlessCLI", "LimitlessSupport"],
                    exclude: ["Golden"]),
        .testTarget(name: "EndToEndTests", dependencies: ["LimitlessSupport"]),
    ]
)
