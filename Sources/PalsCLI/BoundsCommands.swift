import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct BoundsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bounds",
        abstract: "The resilience table: for each n in a range and each t < n, does the protocol hold?",
        discussion: """
            Each cell is an exhaustive check that stops at the first faulty-set size \
            at which a property fails. With no arguments this is the main job: \
            `pals bounds uic --n 2...5`.

            --engine symbolic checks each cell with Z3, one query per property, \
            stopping at the first violated property (whose counterexample file is \
            written; the later properties are reported unchecked) unless \
            --all-properties is given, which decides every property of every cell \
            (with the explicit engine: every faulty-set size is searched); \
            --engine auto uses, per cell, the explicit engine while a global state has at most 2^\(EngineChoice.autoBranchingLimit) successors per round and Z3 beyond. \
            --timeout bounds each solver query. With --json, symbolic cells report \
            "states": null, and the output adds "solver" (Z3 version, summed statistics).

            Exit status: 0 every cell holds, 1 some cell is violated, 2 usage or input \
            error, 3 some cell is unknown (a solver query hit --timeout or gave up; \
            never read as holds) and none is violated, 4 internal error \
            (internal-disagreement between the solver and the reference semantics, or \
            a Z3 error).
            """)
    @Argument(help: "Protocol: uic, floodset, smc or fair-exchange.")
    var protocolName = UICEntry.name
    @Option(parsing: .unconditional, help: "Range of n, e.g. 2...6.")
    var n = "2...5"
    @OptionGroup var model: ModelOptions
    @Option(help: "Folder for counterexample files.")
    var out = "counterexamples"
    @Option(help: "Also write a self-contained HTML report to this file.")
    var html: String?

    @Option(
        help:
            "With --json: check only shard I of K (every K-th cell of the table); `pals merge` combines the K outputs.")
    var shard: String?
    @Flag(help: "Decide every property of every cell, not only up to the first violated one.")
    var allProperties = false

    func run() throws {
        try BoundsRequest(
            protocolName: protocolName, n: n, model: model.parameters, out: out, html: html, shard: shard,
            allProperties: allProperties
        ).perform().show()
    }
}
