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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The formal model: processes, Logic, round protocols, failure patterns,
        // the reference semantics `simulate`, properties, counterexample files.
        // Depends on nothing.
        .target(name: "PalsCore"),
        // Protocol state machines written once over `Logic`.
        .target(name: "PalsProtocols", dependencies: ["PalsCore"]),
        // Explicit-state exhaustive checker; generic over any `RoundProtocol`.
        .target(name: "PalsExplorer", dependencies: ["PalsCore"]),
        // The `pals` commands: the only place (besides tests) that wires
        // protocols and engines together.
        .target(
            name: "PalsCLI",
            dependencies: [
                "PalsCore", "PalsProtocols", "PalsExplorer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "pals", dependencies: ["PalsCLI"]),
        .testTarget(name: "PalsCoreTests", dependencies: ["PalsCore"]),
        .testTarget(name: "PalsProtocolsTests", dependencies: ["PalsCore", "PalsProtocols"]),
        .testTarget(name: "PalsExplorerTests", dependencies: ["PalsCore", "PalsProtocols", "PalsExplorer"]),
        .testTarget(name: "PalsCLITests", dependencies: ["PalsCore", "PalsProtocols", "PalsExplorer", "PalsCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
