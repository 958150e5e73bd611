import ArgumentParser
import Foundation
import PalsCore
import PalsFunction
import PalsProtocols
import TrustedPals

struct FunctionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "function",
        abstract: "Inspect and check a function F shipped as WebAssembly (ABI trustedpals-f/1, specs/function-abi.md).",
        subcommands: [FunctionInspectCommand.self, FunctionCheckCommand.self, FunctionBenchCommand.self])

}

struct FunctionInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a module's SHA-256, exports, memory limit, instruction count and every rule's verdict.",
        discussion: "Exit status: 0 when every rule passes, 2 when one fails (or the file cannot be read).")
    @Argument(help: "A .wasm file.")
    var file: String
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws { try FunctionInspectRequest(file: file, json: json).perform().show() }
}

struct FunctionCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check that F is total on vectors of n entries: every presence mask with extreme and seeded random values.",
        discussion: """
            SMC-Termination needs a total F. Tries every presence mask for n ≤ 10 (for larger n: every mask \
            with at most two entries present or absent, and random masks), each with all entries 0, 1, \
            2^63 − 1 and --samples random vectors. Exit status: 0 total on every vector tried, 1 F failed \
            on some (each listed), 2 bad input.
            """)
    @Argument(help: "A .wasm file.")
    var file: String
    @Option(parsing: .unconditional, help: "Entries of D.")
    var n: Int
    @Option(parsing: .unconditional, help: "Random vectors per presence mask.")
    var samples = 4
    @Option(parsing: .unconditional, help: "Seed of the random vectors.")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Fuel of one evaluation (default \(FunctionABI.defaultFuel)).")
    var fuel: UInt64?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try FunctionCheckRequest(file: file, n: n, samples: samples, seed: seed, fuel: fuel, json: json).perform()
            .show()
    }
}

struct FunctionBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Time loading a module and one evaluation, with and without fuel metering, next to a built-in (Benchmarks/functions)."
    )
    @Argument(help: "A .wasm file computing the same function as --builtin.")
    var file: String
    @Option(help: "The built-in it re-implements.")
    var builtin = "sum"
    @Option(parsing: .unconditional, help: "Entries of D.")
    var n = 4
    @Option(parsing: .unconditional, help: "Evaluations per round.")
    var iterations = 2000
    @Option(parsing: .unconditional, help: "Rounds (the median is reported).")
    var rounds = 5

    func run() throws {
        try FunctionBenchRequest(file: file, builtin: builtin, n: n, iterations: iterations, rounds: rounds).perform()
            .show()
    }
}
