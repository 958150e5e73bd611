import ArgumentParser
import Foundation
import PalsCore
import PalsProtocols
import TrustedPals

/// The protocol instance a runtime command runs.
struct RuntimeInstanceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Number of processes.")
    var n: Int
    @Option(parsing: .unconditional, help: "Bound on faulty processes.")
    var t: Int
    @Option(help: "Variant of the protocol (uic: standard or a mutant; smc: the function; fair-exchange: the mode).")
    var variant = "standard"
    @Option(help: "smc: the function F (sum, max, majority, auction, identity) or a WebAssembly module PATH.wasm.")
    var function: String?
    @Option(
        parsing: .unconditional, help: "smc with --function PATH.wasm: fuel of one evaluation of F (default 10000000).")
    var fuel: UInt64?
    @Option(help: "fair-exchange: deterministic or fake-rounds.")
    var mode: String?
    @Option(
        name: .customLong("M"), parsing: .unconditional,
        help:
            "fair-exchange, fake rounds: p0's module draws ρ from 1…M (the run has M + 1 rounds; default \(Catalog.defaultM))."
    )
    var M: Int?

    /// The library's parameters.
    var parameters: RuntimeInstance {
        RuntimeInstance(n: n, t: t, variant: variant, function: function, fuel: fuel, mode: mode, M: M)
    }
}

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate X25519 module keys, P-256 host keys and the roster for n peers.",
        discussion:
            "Writes OUT/key-<i>.json (private, mode 600: install each in its module only), OUT/host-key-<i>.json (private, mode 600: the host's TLS key) and OUT/roster.json (both public keys and the address of every peer, shared by all)."
    )
    @Option(parsing: .unconditional, help: "Number of peers.")
    var n: Int
    @Option(help: "Folder to write into.")
    var out: String
    @Option(help: "Peer addresses, comma-separated host:port (default: 127.0.0.1 from --base-port on).")
    var addresses: String?
    @Option(parsing: .unconditional, help: "First port when --addresses is not given.")
    var basePort = 7400
    @Flag(help: "Overwrite existing key files.")
    var force = false

    func run() throws {
        try KeygenRequest(n: n, out: out, addresses: addresses, basePort: basePort, force: force).perform().show()
    }
}

struct ModuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module",
        abstract: "Run one security module as a process: APDUs on stdin, responses on stdout.",
        discussion:
            "Each APDU is a 4-byte big-endian length then its bytes. The module holds its key and the roster; the APDU interface is the only thing that crosses its boundary (INS BEGIN 0x20, ROUND OUT 0x30, ROUND IN 0x32, RESULT 0x40, ABORT 0x50; see Sources/PalsModule/APDU.swift)."
    )
    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String
    @OptionGroup var instance: RuntimeInstanceOptions
    @Option(help: "This module's key file.")
    var key: String
    @Option(help: "The roster file.")
    var roster: String

    func run() throws {
        try ModuleRequest(protocolName: protocolName, instance: instance.parameters, key: key, roster: roster).perform()
            .show()
    }
}

struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Run one TrustedPals peer (host + security module) for one protocol instance over TCP.",
        discussion: """
            Listens on --listen (default: the roster's address for --id), connects to the other peers \
            of the roster over mutual TLS 1.3 (host keys pinned in the roster), runs the instance on the \
            synchronous schedule and prints the module's result. Round 1 starts at --start-at (T0) and \
            round r closes at the latest at T0 + r × --round-timeout (Δ) on this host's clock. A peer not \
            connected at T0 is treated as omitting (the output says so). Every peer of an instance must \
            be given the same --session (fresh per instance) and the same --start-at; without \
            --start-at a peer picks the first multiple of 10 s at least --connect-timeout from now.
            Exit status: 0 when the module ran all rounds, 2 for bad input, 3 when the module failed.
            """)
    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String
    @OptionGroup var instance: RuntimeInstanceOptions
    @Option(parsing: .unconditional, help: "This peer's id (0…n-1).")
    var id: Int
    @Option(help: "The roster file (from `pals keygen`).")
    var roster: String
    @Option(help: "This peer's key file (default: key-<id>.json beside the roster).")
    var key: String?
    @Option(help: "Address to listen on, host:port.")
    var listen: String?
    @Option(parsing: .unconditional, help: "This module's input value.")
    var input: Int
    @Option(help: "Session id, 16 hex digits, the same for every peer of the instance.")
    var session: String
    @Option(parsing: .unconditional, help: "Round length Δ in milliseconds: round r closes at the latest at T0 + rΔ.")
    var roundTimeout = 1000
    @Option(
        parsing: .unconditional, help: "Without --start-at: how long the peers have to connect before T0, milliseconds."
    )
    var connectTimeout = 5000
    @Option(
        parsing: .unconditional,
        help: "T0: when round 1 starts, milliseconds since the Unix epoch (the same for every peer).")
    var startAt: Int64?
    @Option(help: "This host's TLS key file (default: host-key-<id>.json beside the roster).")
    var hostKey: String?
    @Option(
        parsing: .unconditional,
        help:
            "Make every round last at least this long, milliseconds (demonstrations, kill tests; below --round-timeout)."
    )
    var minRound = 0
    @Option(help: "Adversary file: a failure pattern or a counterexample file to inject.")
    var adversary: String?
    @Option(help: "Write this peer's log here after every round (for `pals oracle`).")
    var log: String?
    @Option(
        help:
            "Where the module runs: in-process, process (a `pals module` child over a pipe), or pcsc[:READER] (a smart card through PC/SC: `pals card` or a real card)."
    )
    var module: ModulePlacement = .inProcess
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try PeerRequest(
            protocolName: protocolName, instance: instance.parameters, id: id, roster: roster, key: key, listen: listen,
            input: input, session: session, roundTimeout: roundTimeout, connectTimeout: connectTimeout,
            startAt: startAt, hostKey: hostKey, minRound: minRound, adversary: adversary, log: log, module: module,
            json: json
        ).perform().show()
    }
}

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract:
            "Start n peer processes on loopback, run one instance over TCP, print the results and the oracle's verdict.",
        discussion: """
            Generates keys and a roster in OUT/keys, starts n `pals peer` processes, collects their \
            logs into OUT/trace.json and replays it through the oracle (`pals oracle OUT/trace.json` \
            does the same later). Exit status: 0 when the run conforms and every property holds, 1 for \
            a disagreement or a violated property (files written to OUT), 2 for bad input, 3 when a \
            peer failed or the run left the model.
            """)
    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String
    @OptionGroup var instance: RuntimeInstanceOptions
    @Option(parsing: .unconditional, help: "Inputs, comma-separated (default for uic: 10, 11, …).")
    var inputs: String?
    @Option(help: "Adversary: none, random (seeded by --seed), or a failure-pattern / counterexample file.")
    var adversary = "none"
    @Option(parsing: .unconditional, help: "Seed of the random adversary.")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Round timeout in milliseconds.")
    var roundTimeout = 1000
    @Option(parsing: .unconditional, help: "Make every round last at least this long, milliseconds.")
    var minRound = 0
    @Option(
        help:
            "Where modules run: in-process (in each peer), process (a `pals module` child per peer) or pcsc (a virtual smart card per peer, `pals card`, behind a pcscd of the cluster's own)."
    )
    var module: ModulePlacement = .inProcess
    @Option(help: "Folder for keys, logs and the trace (default: a new temporary folder).")
    var out: String?
    @Option(
        parsing: .unconditional,
        help: "Kill this peer's process with SIGKILL during the run (fault injection at the process level).")
    var kill: Int?
    @Option(
        parsing: .unconditional,
        help: "With --kill: milliseconds after the peers start (default 150); never later than the run's limit.")
    var killAfter: Int?
    @Flag(help: "With --kill and --module pcsc: kill the peer's card process instead of the peer.")
    var killCard = false
    @Flag(help: "With --kill-card: stop the card process (SIGSTOP) instead of killing it: a card that stops answering.")
    var stopCard = false
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        try ClusterRequest(
            protocolName: protocolName, instance: instance.parameters, inputs: inputs, adversary: adversary, seed: seed,
            roundTimeout: roundTimeout, minRound: minRound, module: module, out: out, kill: kill, killAfter: killAfter,
            killCard: killCard, stopCard: stopCard, json: json
        ).perform().show()
    }
}

struct CampaignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Fault-injection campaign: many runs against a random adversary, each checked by the oracle.",
        discussion: """
            Reports runs, property violations, oracle disagreements, runs outside the model, \
            throughput, and (TCP) round latencies. Failing runs are saved under --out. \
            Exit status: 0 when every run conforms and satisfies every property, 1 otherwise, 2 for bad input.
            """)
    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String
    @OptionGroup var instance: RuntimeInstanceOptions
    @Option(parsing: .unconditional, help: "Number of runs.")
    var runs = 1000
    @Option(parsing: .unconditional, help: "Seed of the random adversary and inputs.")
    var seed: UInt64 = 1
    @Option(
        help:
            "Transport: memory (deterministic, in-process), tcp (n hosts in this process over loopback) or process (n `pals peer` processes per run, up to t of them SIGKILLed at random moments)."
    )
    var transport: CampaignTransport = .memory
    @Option(
        parsing: .unconditional,
        help: "--transport process: kills fall uniformly within this many milliseconds of a run's start (default 300).")
    var killWindow: Int?
    @Option(
        parsing: .unconditional,
        help: "--transport process: every round lasts at least this long, milliseconds (default 0).")
    var minRound: Int?
    @Option(help: "Adversary: random, or a failure-pattern / counterexample file used in every run.")
    var adversary = "random"
    @Option(parsing: .unconditional, help: "Round timeout of the TCP transport, milliseconds.")
    var roundTimeout = 2000
    @Option(
        help:
            "Folder for failing runs and the keys that open them (default: a new temporary folder, made when a run fails)."
    )
    var out: String?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Option(
        help:
            "Also write a self-contained HTML report (runs, verdicts, round-latency histogram and percentiles, injected faults over the runs) to this file (memory and tcp transports)."
    )
    var html: String?
    @Option(
        help:
            "--transport process: where each peer's module runs: in-process (default), process, or pcsc (a virtual smart card per peer behind a pcscd of its own)."
    )
    var module: ModulePlacement?
    @Option(
        help:
            "With --json: make only shard I of K of the runs (every K-th run, each drawn as in the whole campaign); `pals merge` combines the K outputs."
    )
    var shard: String?

    func run() throws {
        try CampaignRequest(
            protocolName: protocolName, instance: instance.parameters, runs: runs, seed: seed, transport: transport,
            killWindow: killWindow, minRound: minRound, adversary: adversary, roundTimeout: roundTimeout, out: out,
            json: json, html: html, module: module, shard: shard
        ).perform().show()
    }
}

struct OracleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oracle",
        abstract:
            "Replay a run trace through the model: compare every module's frames and result, check the properties.",
        discussion:
            "Exit status: 0 when the run conforms and every property holds, 1 for a disagreement or a violated property, 2 for bad input, 3 when the realized run is outside the model."
    )
    @Argument(help: "A run trace (trustedpals/run/v1), e.g. OUT/trace.json of `pals cluster`.")
    var trace: String
    @Option(help: "Folder with roster.json and key-<i>.json (default: keys/ beside the trace).")
    var keys: String?
    @Option(help: "Folder for a counterexample file when a property is violated.")
    var out: String?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false
    @Option(
        help:
            "smc with a user's F: the .wasm module (default: the path the trace records); refused unless its SHA-256 is the trace's."
    )
    var function: String?

    func run() throws {
        try OracleRequest(trace: trace, keys: keys, out: out, json: json, function: function).perform().show()
    }
}
