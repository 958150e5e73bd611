import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct TestBackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-backend",
        abstract:
            "Property-test another implementation (a backend speaking specs/backend-protocol.md) against the model.",
        discussion: """
            The backend command is started once (/bin/sh -c COMMAND) and driven over JSON lines. \
            Every run checks Termination, Validity, UniformAgreement and Agreement on the backend's \
            decisions and compares them with `simulate` on the same inputs and failure pattern \
            (--strict: the messages too). The first failing run is shrunk against the backend and \
            written as a counterexample file that `pals replay FILE --backend COMMAND` reproduces.

            Exit status: 0 every run passed, 1 a property violation or a disagreement with the \
            model, 2 usage error, 3 the backend misbehaved (garbage, error reply, wrong number of \
            messages, timeout, exit).
            """)
    @Argument(help: "Protocol: uic.")
    var protocolName: String
    @Option(help: "The backend command, run with /bin/sh -c.")
    var cmd: String
    @Option(parsing: .unconditional, help: "Number of processes (not with --replay: taken from each file).")
    var n: Int?
    @Option(parsing: .unconditional, help: "Largest number of faulty processes (not with --replay).")
    var t: Int?
    @Option(parsing: .unconditional, help: "Random runs (default 100 when no other mode is given).")
    var runs: Int?
    @Option(parsing: .unconditional, help: "Seed of the random runs.")
    var seed: UInt64 = 1
    @Flag(help: "Every admissible failure pattern (inputs 0,1,…,n-1); refused above --max-patterns.")
    var exhaustive = false
    @Option(parsing: .unconditional, help: "The most patterns --exhaustive will run.")
    var maxPatterns = 200_000
    @Option(help: "Re-run counterexample files (a file, or every *.json in a folder) against the backend.")
    var replay: String?
    @Flag(help: "Also compare every message with the reference encoding.")
    var strict = false
    @Option(parsing: .unconditional, help: "Seconds to wait for each reply.")
    var timeout: Double = 5
    @Flag(help: "Keep running after a failing run: every failing run is counted; the first is shrunk and written.")
    var keepGoing = false
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Option(
        help:
            "Also write a self-contained HTML report (runs, patterns, the failure and its shrunk run's diagram) to this file."
    )
    var html: String?
    @Option(help: "Folder for shrunk counterexamples (default: a new temporary folder, made when a run fails).")
    var out: String?

    func run() throws {
        try TestBackendRequest(
            protocolName: protocolName, cmd: cmd, n: n, t: t, runs: runs, seed: seed, exhaustive: exhaustive,
            maxPatterns: maxPatterns, replay: replay, strict: strict, timeout: timeout, keepGoing: keepGoing,
            json: json, html: html, out: out
        ).perform().show()
    }
}

struct BackendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backend",
        abstract: "Serve the backend protocol (specs/backend-protocol.md) on stdin/stdout with our own implementation.",
        discussion: """
            A reference backend for other oracles, and, with --variant, one of our mutants as a \
            deliberately broken backend.
            """)
    @Argument(help: "Protocol to serve: uic (the default).")
    var protocolName: String?
    @Option(name: .customLong("protocol-name"), help: "The same as the protocol argument (an older spelling).")
    var protocolOption: String?
    @Option(help: "Variant (uic: standard, no-intersection, no-trust-check, no-halting, merge-all-received, t-rounds).")
    var variant = "standard"

    func validate() throws {
        if let protocolName, let protocolOption, protocolName != protocolOption {
            throw PalsError(
                .invalidArgument, "give the protocol once: \(protocolName) or --protocol-name \(protocolOption)")
        }
    }

    func run() throws {
        try BackendRequest(protocolName: protocolName ?? protocolOption ?? UICEntry.name, variant: variant).run()
    }
}
