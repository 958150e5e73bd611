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
            timeout), 4 internal error.
            """)
    @Argument(help: "Protocol: smc or fair-exchange.")
    var protocolName: String?
    @Option(help: "Number of processes.")
    var n: Int?
    @Option(help: "Largest number of faulty processes.")
    var t: Int?
    @OptionGroup var model: ModelOptions
    @Option(help: "smc, explicit engine: the values each correct process's input ranges over (default x_i and x_i + 256).")
    var values: String?
    @Option(help: "Folder for counterexample files (written under FOLDER/noninterference/).")
    var out = "counterexamples"
    @Option(help: "Re-run a noninterference counterexample file.")
    var replay: String?
    @Option(help: "Also write a self-contained HTML report to this file.")
    var html: String?

    func run() throws { try UnobservabilityRequest(protocolName: protocolName, n: n, t: t, model: model.parameters, values: values, out: out, replay: replay, html: html).run() }
}
