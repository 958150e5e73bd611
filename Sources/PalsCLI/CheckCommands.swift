import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Exhaustively check a protocol at one (n, t) over every admissible failure pattern.",
        discussion: """
            --engine explicit (the default) searches every reachable global state; \
            --engine symbolic asks Z3 once per property for a run that violates it \
            (UNSAT: verified for every failure pattern and input at (n, t); SAT: the \
            run is replayed by the reference semantics and written as a counterexample \
            file); --engine auto is explicit while a global state has at most 2^\(EngineChoice.autoBranchingLimit) successors per round (droppable links with t faulty), symbolic beyond, and says which and why. \
            With the symbolic engine, --first stops at the first violated property \
            (later ones are reported unchecked); --threads and --symmetry concern \
            the explicit engine only, which reduces by symmetry wherever that is \
            sound (uic, floodset; distinct inputs) unless given --no-symmetry. With \
            --json, the symbolic engine reports "states": null and adds "solver" \
            (Z3 version and statistics).

            Exit status: 0 every property holds, 1 a property is violated, 2 usage or \
            input error, 3 unknown (a solver query hit --timeout or gave up; never \
            read as holds; a violation found by another query takes precedence), \
            4 internal error (internal-disagreement between the solver and the \
            reference semantics, or a Z3 error).
            """)
    @Argument(help: "Protocol: uic, floodset, smc or fair-exchange.")
    var protocolName: String
    @Option(parsing: .unconditional, help: "Number of processes.")
    var n: Int
    @Option(parsing: .unconditional, help: "Largest number of faulty processes.")
    var t: Int
    @OptionGroup var model: ModelOptions
    @Option(parsing: .unconditional, help: "Comma-separated inputs, one per process (default 0,1,…,n-1).")
    var inputs: String?
    @Flag(
        help:
            "Stop after the first faulty-set size at which some property fails (symbolic engine: after the first violated property)."
    )
    var first = false
    @Option(help: "Folder for counterexample files.")
    var out = "counterexamples"
    @Option(
        help:
            "Also write a self-contained HTML report (verdicts, space-time diagram of each counterexample) to this file."
    )
    var html: String?

    @Option(
        help:
            "Explicit engine, with --json: search only shard I of K (every K-th faulty set); `pals merge` combines the K outputs."
    )
    var shard: String?

    func run() throws {
        try CheckRequest(
            protocolName: protocolName, n: n, t: t, model: model.parameters, inputs: inputs, first: first, out: out,
            html: html, shard: shard
        ).perform().show()
    }
}
