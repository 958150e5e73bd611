// swift-tools-version: 6.1
// A user's own protocol, checked and run with TrustedPals from outside the
// package: Uniform Consensus built on UIC (see README, "Check your own protocol").
import PackageDescription

let package = Package(
    name: "CustomProtocol",
    platforms: [.macOS(.v14)],
    dependencies: [
        // The framework, by path (named so that the products below resolve
        // whatever the checkout's folder is called).
        .package(name: "TrustedPals", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "CustomProtocol",
            dependencies: [
                .product(name: "PalsCore", package: "TrustedPals"),
                .product(name: "PalsProtocols", package: "TrustedPals"),
                .product(name: "PalsExplorer", package: "TrustedPals"),
                .product(name: "PalsZ3", package: "TrustedPals"),
                .product(name: "PalsSymbolic", package: "TrustedPals"),
                .product(name: "PalsModule", package: "TrustedPals"),
                .product(name: "PalsRuntime", package: "TrustedPals"),
            ])
    ],
    swiftLanguageModes: [.v6]
)
