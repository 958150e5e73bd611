import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct UnobservabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unobservability",
        abstract: "Check that faulty hosts cannot tell runs apart (seed §5, Definition 3, as noninterference).",
        discussion: """
            A host observes, per round, which frames its module sends and receives and \
            their sizes, and the round in which its module hands it a result. \
            Unobservability (Content and Control Flow Secrecy): two runs that differ only \
            in correct processes' inputs (smc) or in ρ (fair-exchange), under the same \
            failure pattern, give every faulty host the same observation. SMCPrivacy \
            (smc, explicit engine): the same, with the result value handed to the host \
            observed too, for runs in which the correct processes return the same results.

            --engine explicit explores the runs of the family together under every \
            pattern; --engine symbolic asks Z3 for two copies of a run under one shared \
            pattern (self-composition) with free correct inputs (or ρ). A violation is \
            shown as the two runs and the first observation that differs, and written as \
            a file under OUT/noninterference/. --replay FILE re-runs such a file.

            Exit status: 0 holds, 1 violated, 2 usage or input error, 3 unknown (solver \
            timeout; or the explicit search stopped by --max-memory, Ctrl-C or SIGTERM \
            before it decided every property), 4 internal error.
            """)
    @Argument(help: "Protocol: smc or fair-exchange.")
    var protocolName: String?
    @Option(parsing: .unconditional, help: "Number of processes.")
    var n: Int?
    @Option(parsing: .unconditional, help: "Largest number of faulty processes.")
    var t: Int?
    @OptionGroup var model: UnobservabilityModelOptions
    @Option(
        parsing: .unconditional,
        help: "smc, explicit engine: the values each correct process's input ranges over (default x_i and x_i + 256).")
    var values: String?
    @Option(help: "Folder for counterexample files (written under FOLDER/noninterference/).")
    var out = "counterexamples"
    @Option(help: "Re-run a noninterference counterexample file.")
    var replay: String?
    @Option(help: "Also write a self-contained HTML report to this file.")
    var html: String?

    func run() throws {
        try UnobservabilityRequest(
            protocolName: protocolName, n: n, t: t, model: model.parameters, values: values, out: out, replay: replay,
            html: html
        ).perform().show()
    }
}

/// The model options `unobservability` uses: the instance, the engine and
/// its limits (no --faults: the runs are under general omission; no
/// --symmetry: the product explorer has none).
struct UnobservabilityModelOptions: ParsableArguments {
    @Option(help: "Variant of the protocol (smc: the function, see --function; fair-exchange: the mode, see --mode).")
    var variant = "standard"
    @Option(
        help:
            "smc: the function F from the registry (sum, max, majority, auction, identity; also sum-unpadded, sum-mismatched), or a WebAssembly module PATH.wasm (specs/function-abi.md). Same as --variant for a built-in."
    )
    var function: String?
    @Option(
        parsing: .unconditional,
        help:
            "smc with --function PATH.wasm: fuel of one evaluation of F (default 10000000); running out is \"F failed\"."
    )
    var fuel: UInt64?
    @Option(help: "fair-exchange: deterministic, fake-rounds (default) or fake-rounds-leaky. Same as --variant.")
    var mode: String?
    @Option(
        name: .customLong("M"), parsing: .unconditional,
        help: "fair-exchange, fake rounds: ρ ranges over 1…M; the run has M + 1 rounds (default \(Catalog.defaultM)).")
    var M: Int?
    @Option(parsing: .unconditional, help: "Override the number of rounds (default: the protocol's).")
    var rounds: Int?
    @Option(
        help:
            "Engine: explicit (the runs of the family explored together), symbolic (Z3, self-composition) or auto (explicit while n ≤ \(EngineChoice.autoExplicitLimit), symbolic beyond)."
    )
    var engine: EngineChoice = .explicit
    @Option(
        parsing: .unconditional,
        help:
            "Wall-clock limit of each solver query in seconds (symbolic engine). A query that hits it is reported unknown (exit 3), never holds."
    )
    var timeout: Double?
    @Option(parsing: .unconditional, help: "Worker threads (explicit engine).")
    var threads = 2
    @Option(
        help:
            "Explicit engine: stop once resident memory exceeds this size (e.g. 512M, 8G; default 4G or three quarters of physical memory, whichever is less); a property not yet violated is then unknown (exit 3)."
    )
    var maxMemory: String?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        // Thrown as a one-line error (a ValidationError would add the usage).
        do { try checkThreads(threads) } catch { throw PalsError(error.kind, error.message(naming: flagName)) }
    }

    /// The library's parameters.
    var parameters: ModelParameters {
        ModelParameters(
            variant: variant, function: function, fuel: fuel, mode: mode, M: M, rounds: rounds, engine: engine,
            timeout: timeout, threads: threads, maxMemory: maxMemory, json: json)
    }
}
