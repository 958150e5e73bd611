import ArgumentParser
import Foundation
import PalsCard
import PalsCore
import PalsModule
import PalsRuntime

// MARK: - card

struct CardCommand: ParsableCommand, RuntimeCommandBody {
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

    @Option(help: "The virtual reader's TCP port (vpcd's first reader: 35963).")
    var readerPort = 35963

    @Option(help: "The virtual reader's IPv4 address.")
    var readerHost = "127.0.0.1"

    @Option(help: "How long to wait for the reader, milliseconds (at start and after pcscd closed the link).")
    var connectTimeout = 10000

    func run() throws { try withRuntimeModel(try instance.spec(protocolName), RuntimeDispatch(body: self)) }

    func execute<C: ModuleCodec>(_ model: RuntimeModel<C>) throws {
        ChildProcesses.watchParent()
        guard readerPort >= 1 && readerPort <= 65535 else {
            throw PalsError(.invalidArgument, "--reader-port must be 1…65535, got \(readerPort)")
        }
        let wait = try seconds(ms: connectTimeout, "--connect-timeout")
        let k = try ModuleKey.parse(try readText(key))
        let r = try Roster.parse(try readText(roster))
        let module = try SecurityModule(
            codec: model.codec, key: k, roster: r, sessions: try FileSessionRecord(path: FileSessionRecord.path(besideKey: key)))
        try VirtualCard(applet: CardApplet(module: module), host: readerHost, port: readerPort).run(connectTimeout: wait)
    }
}
