import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

/// Options shared by the commands that explore a model.
struct ModelOptions: ParsableArguments {
    @Option(
        help:
            "Variant of the protocol (uic: standard, no-intersection, no-trust-check, no-halting, merge-all-received, t-rounds; smc: the function, see --function; fair-exchange: the mode, see --mode)."
    )
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
        help: "fair-exchange, fake rounds: ρ is drawn from 1…M; the run has M + 1 rounds (default \(Catalog.defaultM))."
    )
    var M: Int?
    @Option(parsing: .unconditional, help: "Override the number of rounds (default: the protocol's, t+1 for uic).")
    var rounds: Int?
    @Option(help: "Failure model: omission (general omission, with crashes) or crash (crash-stop).")
    var faults: FaultModel = .generalOmission
    @Flag(
        inversion: .prefixedNo,
        help:
            "Full symmetry reduction (symmetric protocols, distinct inputs): faulty sets up to renaming, and one global state per orbit under the renamings of processes that preserve the faulty set. Explicit engine. Default: check reduces wherever it is sound (uic, floodset with distinct inputs), bounds searches in full; --no-symmetry: the full search. The symbolic engine always fixes the faulty set within {p0 … p(t-1)} when the inputs are distinct."
    )
    var symmetry: Bool?
    @Option(
        help:
            "Engine: explicit (exhaustive state search), symbolic (Z3 bounded model checking) or auto (check, bounds: explicit while a global state has at most 2^\(EngineChoice.autoBranchingLimit) successors per round; unobservability: explicit while n ≤ \(EngineChoice.autoExplicitLimit); symbolic beyond)."
    )
    var engine: EngineChoice = .explicit
    @Option(
        parsing: .unconditional,
        help:
            "Wall-clock limit of each solver query in seconds (symbolic engine). A query that hits it is reported unknown (exit 3), never holds."
    )
    var timeout: Double?
    @Option(
        parsing: .unconditional,
        help:
            "Worker threads: the explicit engine searches the faulty sets of one size in parallel, or the rounds of a lone faulty set (under symmetry) in stages; the symbolic engine replays shrinking candidates. The result is the same for any number."
    )
    var threads = 2
    @Option(
        help:
            "Stop with the partial result once resident memory exceeds this size (e.g. 512M, 8G; default 4G or three quarters of physical memory, whichever is less); the symbolic engine's running query is interrupted."
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
            variant: variant, function: function, fuel: fuel, mode: mode, M: M, rounds: rounds, faults: faults,
            symmetry: symmetry, engine: engine, timeout: timeout, threads: threads, maxMemory: maxMemory, json: json)
    }
}
