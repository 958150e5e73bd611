import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract:
            "Re-run a counterexample file through the reference semantics and say whether it still violates its property."
    )
    @Argument(help: "A counterexample file.")
    var file: String
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Option(
        help:
            "Re-run the file against this backend command (specs/backend-protocol.md) instead of the reference semantics; exit 1 when it still fails, 3 when the backend misbehaves."
    )
    var backend: String?
    @Option(parsing: .unconditional, help: "With --backend: seconds to wait for each reply.")
    var timeout: Double = 5
    @Option(
        help: "Also write a self-contained HTML report (the run's space-time diagram, every property) to this file.")
    var html: String?
    @Option(
        help:
            "smc with a user's F: the .wasm module (default: the path recorded in the file); refused unless its SHA-256 is the recorded one."
    )
    var function: String?

    func run() throws {
        try ReplayRequest(file: file, json: json, backend: backend, timeout: timeout, html: html, function: function)
            .perform().show()
    }
}

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run one execution of a protocol under a given failure pattern and show its trace.")
    @Argument(help: "Protocol: uic, floodset, smc or fair-exchange.")
    var protocolName: String
    @Option(parsing: .unconditional, help: "Number of processes.")
    var n: Int
    @Option(parsing: .unconditional, help: "Largest number of faulty processes.")
    var t: Int
    @Option(help: "Variant of the protocol (smc: the function, see --function; fair-exchange: the mode).")
    var variant = "standard"
    @Option(help: "smc: the function F, a built-in or a WebAssembly module PATH.wasm.")
    var function: String?
    @Option(parsing: .unconditional, help: "smc with --function PATH.wasm: fuel of one evaluation of F.")
    var fuel: UInt64?
    @Option(parsing: .unconditional, help: "Override the number of rounds.")
    var rounds: Int?
    @Option(help: "Failure model: omission or crash.")
    var faults: FaultModel = .generalOmission
    @Option(parsing: .unconditional, help: "Comma-separated inputs (default 0,1,…,n-1).")
    var inputs: String?
    @Option(help: "A JSON file with \"faulty\", \"crashes\" and \"drops\" (a counterexample file will do).")
    var pattern: String?
    @Option(help: "Faulty processes, e.g. 0,2.")
    var faulty: String?
    @Option(help: "Dropped links ROUND:FROM>TO, comma-separated, e.g. 1:0>1,2:0>2.")
    var drops: String?
    @Option(help: "Crashes PROCESS@ROUND, comma-separated, e.g. 0@2.")
    var crashes: String?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try SimulateRequest(
            protocolName: protocolName, n: n, t: t, variant: variant, function: function, fuel: fuel, rounds: rounds,
            faults: faults, inputs: inputs, pattern: pattern, faulty: faulty, drops: drops, crashes: crashes, json: json
        ).perform().show()
    }
}
