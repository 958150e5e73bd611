import ArgumentParser
import TrustedPals

// MARK: - card

struct CardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card",
        abstract: "Run one security module as a virtual smart card in vsmartcard's reader (vpcd) of pcscd.",
        discussion: """
            Connects to the virtual reader's port and answers pcscd: the ATR, SELECT of the \
            TrustedPals applet (AID F0 54 50 41 4C 53 01) and the module's commands as ISO 7816-4 \
            APDUs (specs/apdu.md). Any PC/SC client then reaches the module: `pals peer --module pcsc`, \
            scriptor, a real card's tools. Serves until no reader accepts it for --connect-timeout.
            """)

    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String

    @OptionGroup var instance: RuntimeInstanceOptions

    @Option(help: "This module's key file.")
    var key: String

    @Option(help: "The roster file.")
    var roster: String

    @Option(parsing: .unconditional, help: "The virtual reader's TCP port (vpcd's first reader: 35963).")
    var readerPort = 35963

    @Option(help: "The virtual reader's IPv4 address.")
    var readerHost = "127.0.0.1"

    @Option(
        parsing: .unconditional,
        help: "How long to wait for the reader, milliseconds (at start and after pcscd closed the link).")
    var connectTimeout = 10000

    @Option(
        parsing: .unconditional,
        help: "Answer every module command this many microseconds after it arrived (timing unobservability).")
    var fixedTimeUs: Int?

    func run() throws {
        var request = CardRequest(protocolName: protocolName, instance: instance.parameters, key: key, roster: roster)
        request.readerPort = readerPort
        request.readerHost = readerHost
        request.connectTimeoutMs = connectTimeout
        request.fixedTimeUs = fixedTimeUs
        try request.perform().show()
    }
}

// MARK: - timing

struct TimingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timing",
        abstract: "Does the module's response time depend on its secrets? Welch's t per command kind (dudect).",
        discussion: """
            Runs sessions of two input classes in random order (fair exchange with fake rounds: \
            p0's module draws ρ = 1 or ρ = M; otherwise all inputs 0 or random inputs), times every \
            command of p0's module at its host through the card layer, and prints Welch's t per \
            command kind; |t| > 4.5 is a leak. --fixed-time-us makes the module answer every command \
            that long after it arrived. Exit status: 0 without a leak, 1 with one, 2 for bad input.
            """)

    @Argument(help: "Protocol: uic, smc or fair-exchange.")
    var protocolName: String

    @OptionGroup var instance: RuntimeInstanceOptions

    @Option(parsing: .unconditional, help: "Sessions per class (each times one command of every kind).")
    var sessions = 100_000

    @Option(parsing: .unconditional, help: "Answer every command this many microseconds after it arrived.")
    var fixedTimeUs: Int?

    @Option(parsing: .unconditional, help: "Seed of the class order and of the random inputs.")
    var seed: UInt64 = 1

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        var request = TimingRequest(protocolName: protocolName, instance: instance.parameters)
        request.sessions = sessions
        request.fixedTimeUs = fixedTimeUs
        request.seed = seed
        request.json = json
        try request.perform().show()
    }
}
