import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

struct FairnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fairness",
        abstract: "The exact worst-case probability that a fair exchange is unfair, over every failure pattern.",
        discussion: """
            Explores the M runs ρ = 1 … M of the fake-rounds fair exchange together under \
            every admissible failure pattern with at most t faulty processes (general \
            omission), and reports max over patterns of the fraction of the ρ for which \
            the run is unfair (some host obtains the items, some correct host does not), \
            as an exact reduced fraction. The pattern that attains it is written as a \
            counterexample file (for the first unfair ρ; `pals replay` re-runs it). \
            --mode deterministic has no ρ: the answer is 0 or 1, and with --engine symbolic \
            (the default when n > 4) Z3 decides whether any pattern violates Fairness. Items \
            match every description (p_i offers i + 1).

            --max-memory, Ctrl-C and SIGTERM stop the explicit search with its partial \
            result: the probability printed is then a lower bound, `--json` has \
            "complete": false and "stopReason", and the exit status is 3.

            Exit status: 0 when computed (whatever the probability), 2 usage or input error, \
            3 stopped early (a lower bound).
            """)
    @Option(parsing: .unconditional, help: "Number of processes (2…5).")
    var n: Int
    @Option(parsing: .unconditional, help: "Largest number of faulty processes.")
    var t: Int
    @Option(
        name: .customLong("M"), parsing: .unconditional,
        help:
            "ρ is drawn uniformly from 1…M (fake rounds; 1 ≤ M ≤ 63: the run has M + 1 ≤ 64 rounds; default \(Catalog.defaultM))."
    )
    var M: Int?
    @Option(help: "fake-rounds (default) or deterministic.")
    var mode = "fake-rounds"
    @Option(parsing: .unconditional, help: "Worker threads.")
    var threads = 2
    @Option(
        help:
            "explicit (the product of the M runs), symbolic (deterministic mode only: Z3 checks Fairness, the answer is 0 or 1) or auto (symbolic for the deterministic mode when n > 4)."
    )
    var engine: EngineChoice = .auto
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Option(help: "Folder for the counterexample file.")
    var out = "counterexamples"
    @Option(help: "Also write a self-contained HTML report to this file.")
    var html: String?

    @Option(
        help:
            "Explicit engine, with --json: explore only shard I of K (every K-th faulty set); `pals merge` combines the K outputs."
    )
    var shard: String?
    @Option(
        help:
            "Explicit engine: stop once resident memory exceeds this size (e.g. 512M, 8G; default 4G or three quarters of physical memory, whichever is less); the probability is then a lower bound (exit 3)."
    )
    var maxMemory: String?

    func run() throws {
        try FairnessRequest(
            n: n, t: t, M: M, mode: mode, threads: threads, engine: engine, json: json, out: out, html: html,
            shard: shard, maxMemory: maxMemory
        ).perform().show()
    }
}
