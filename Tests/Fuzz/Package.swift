// swift-tools-version: 6.1
// libFuzzer targets for the security module's input parsers. Built only by
// Tests/Fuzz/run.sh (it needs `-sanitize=fuzzer`, which supplies `main`).
import PackageDescription

let package = Package(
    name: "PalsFuzz",
    dependencies: [.package(name: "TrustedPals", path: "../..")],
    targets: [
        .executableTarget(
            name: "PalsFuzz",
            dependencies: [
                .product(name: "PalsModule", package: "TrustedPals"),
                .product(name: "PalsRuntime", package: "TrustedPals"),
                .product(name: "TrustedPals", package: "TrustedPals"),
                .product(name: "PalsCore", package: "TrustedPals"),
                .product(name: "PalsProtocols", package: "TrustedPals"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ],
    swiftLanguageModes: [.v6]
)
