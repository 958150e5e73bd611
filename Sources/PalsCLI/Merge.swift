import ArgumentParser
import TrustedPals

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract:
            "Combine the --json outputs of the shards of one run (--shard I/K) into what the unsharded run prints.",
        discussion: """
            Each FILE is the output of `pals check`, `bounds`, `fairness` or `campaign` run \
            with --shard I/K --json; together they must be the K shards of one run (the same \
            command and options, each I once). Prints the unsharded run's JSON (verdicts, \
            the counterexample the unsharded run reports, summed counts; "seconds" is \
            the shards' sum) and writes its counterexample files. A campaign's merge sums \
            the counts and takes the medians and 99th percentiles over every shard's runs; \
            "saved" lists the files the shards saved for the campaign's first failing runs.

            Exit status: as the unsharded command (0 holds, 1 violated, 3 unknown, 4 \
            internal error); 2 when the files are not the complete shards of one run \
            (another protocol, n, t, option or K; a shard missing or given twice).
            """)

    @Argument(help: "The shards' JSON outputs.")
    var files: [String] = []

    func run() throws { try MergeRequest(files: files).perform().show() }
}
