// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "TrustedPals",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pals", targets: ["pals"]),
        .library(name: "PalsCore", targets: ["PalsCore"]),
        .library(name: "PalsProtocols", targets: ["PalsProtocols"]),
        .library(name: "PalsExplorer", targets: ["PalsExplorer"]),
        .library(name: "PalsZ3", targets: ["PalsZ3"]),
        .library(name: "PalsSymbolic", targets: ["PalsSymbolic"]),
        .library(name: "PalsModule", targets: ["PalsModule"]),
        .library(name: "PalsFunction", targets: ["PalsFunction"]),
        .library(name: "PalsRuntime", targets: ["PalsRuntime"]),
        .library(name: "PalsCard", targets: ["PalsCard"]),
        .library(name: "TrustedPals", targets: ["TrustedPals"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
    ],
    targets: [
        // The formal model: processes, Logic, round protocols, failure patterns,
        // the reference semantics `simulate`, properties, counterexample files.
        // Depends on nothing.
        .target(name: "PalsCore"),
        // Protocol state machines written once over `Logic`.
        .target(name: "PalsProtocols", dependencies: ["PalsCore"]),
        // Explicit-state exhaustive checker; generic over any `RoundProtocol`.
        .target(name: "PalsExplorer", dependencies: ["PalsCore", "CPalsPrefetch"]),
        // A cache prefetch hint for the explorer's memo probes (C shim).
        .target(name: "CPalsPrefetch"),
        // The Z3 C API as a system library (Debian: libz3-dev).
        .systemLibrary(name: "CZ3", pkgConfig: "z3", providers: [.apt(["libz3-dev"])]),
        // A small Swift wrapper over Z3: errors become Swift errors.
        .target(name: "PalsZ3", dependencies: ["CZ3"]),
        // Symbolic interpretation of `Logic` (Z3 terms) and the bounded model
        // checker; generic over any `RoundProtocol`.
        .target(name: "PalsSymbolic", dependencies: ["PalsCore", "PalsZ3"]),
        // The backend protocol (DESIGN §6): drives other implementations over
        // JSON lines, serves ours; generic over any `RoundProtocol`.
        .target(name: "PalsBackend", dependencies: ["PalsCore"]),
        // The security module (DESIGN §5): runs a protocol's concrete transition
        // functions behind an APDU interface; keys, AEAD frames padded to one size.
        .target(
            name: "PalsModule",
            dependencies: ["PalsCore", .product(name: "Crypto", package: "swift-crypto")]),
        // User functions F shipped as WebAssembly (DESIGN §7, specs/function-abi.md):
        // loading with determinism rules, evaluation with fuel, SHA-256 digests.
        .target(
            name: "PalsFunction",
            dependencies: [
                "PalsCore", "PalsProtocols",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmParser", package: "WasmKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The host (DESIGN §5): clock, controller, communication unit (TCP over
        // SwiftNIO or an in-memory transport), adversary; run traces and the
        // oracle that replays them through `simulate`.
        .target(
            name: "PalsRuntime",
            dependencies: [
                "PalsCore", "PalsModule",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The PC/SC lite client library (Debian: libpcsclite-dev).
        .systemLibrary(name: "CPCSCLite", pkgConfig: "libpcsclite", providers: [.apt(["libpcsclite-dev"])]),
        // The security module as a smart card (specs/apdu.md): the ISO 7816-4
        // applet layer, a virtual card attached to pcscd through vpcd, the
        // host's PC/SC link, a private pcscd, and timing measurements.
        .target(name: "PalsCard", dependencies: ["PalsCore", "PalsModule", "PalsRuntime", "CPCSCLite"]),
        // The web explorer (`pals explore`): stateless views of any catalogued
        // protocol's runs, served by Hummingbird on loopback.
        .target(
            name: "PalsWeb",
            dependencies: [
                "PalsCore", "PalsProtocols", "PalsRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The framework's public API: every analysis the `pals` commands
        // offer (check, the resilience sweep, replay, simulate, fairness,
        // unobservability, backend testing, campaigns, clusters and peers,
        // HTML reports), wiring catalogued protocols to the engines.
        .target(
            name: "TrustedPals",
            dependencies: [
                "PalsCore", "PalsProtocols", "PalsExplorer", "PalsZ3", "PalsSymbolic", "PalsBackend",
                "PalsModule", "PalsRuntime", "PalsFunction", "PalsCard",
            ]
        ),
        // The `pals` commands: options, one call into TrustedPals, printing.
        .target(
            name: "PalsCLI",
            dependencies: [
                "TrustedPals", "PalsCore", "PalsProtocols", "PalsExplorer", "PalsZ3", "PalsSymbolic", "PalsBackend",
                "PalsModule", "PalsRuntime", "PalsWeb", "PalsFunction", "PalsCard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "pals", dependencies: ["PalsCLI"]),
        // Toy protocols with hand-known behaviour, shared by the test targets.
        .target(name: "PalsTestSupport", dependencies: ["PalsCore"], path: "Tests/Support"),
        .testTarget(name: "PalsCoreTests", dependencies: ["PalsCore", "PalsTestSupport"]),
        .testTarget(name: "PalsProtocolsTests", dependencies: ["PalsCore", "PalsProtocols"]),
        .testTarget(
            name: "PalsExplorerTests", dependencies: ["PalsCore", "PalsProtocols", "PalsExplorer", "PalsTestSupport"]),
        .testTarget(
            name: "PalsSymbolicTests",
            dependencies: ["PalsCore", "PalsProtocols", "PalsExplorer", "PalsZ3", "PalsSymbolic", "TrustedPals"]),
        .testTarget(
            name: "PalsBackendTests", dependencies: ["PalsCore", "PalsProtocols", "PalsBackend", "TrustedPals"]),
        .testTarget(
            name: "PalsRuntimeTests",
            dependencies: [
                "PalsCore", "PalsProtocols", "PalsModule", "PalsRuntime", "TrustedPals",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]),
        .testTarget(name: "PalsFunctionTests", dependencies: ["PalsCore", "PalsProtocols", "PalsFunction"]),
        .testTarget(name: "PalsCLITests", dependencies: ["PalsCore", "PalsProtocols", "PalsTestSupport", "pals"]),
        .testTarget(
            name: "PalsCardTests",
            dependencies: [
                "PalsCore", "PalsProtocols", "PalsModule", "PalsRuntime", "PalsCard", "TrustedPals", "PalsTestSupport",
                "pals",
            ]),
        .testTarget(name: "PalsWebTests", dependencies: ["PalsCore", "PalsProtocols", "PalsWeb"]),
    ],
    swiftLanguageModes: [.v6]
)
