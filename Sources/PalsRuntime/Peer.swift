import Foundation
import NIOCore
import NIOPosix
import PalsCore
import PalsModule

/// One TrustedPals peer (host + security module) of a deployment over TCP
/// with mutual TLS: what `pals peer` runs.
public struct PeerRun {
    /// This peer's process id.
    public var id: Int
    /// Every peer's module key, host key and address.
    public var roster: Roster
    /// This host's TLS key; its id must be `id`.
    public var hostKey: HostKey
    /// Where this host listens for the other hosts.
    public var listen: HostPort
    /// The instance to run: session, input, rounds, adversary and schedule (T0, Δ).
    public var parameters: SessionParameters
    /// Sees the log after every round (to keep it on disk as it grows).
    public var onRound: (@Sendable (PeerLog) -> Void)?

    /// A peer of `roster` as process `id`, listening on `listen`.
    public init(
        id: Int, roster: Roster, hostKey: HostKey, listen: HostPort, parameters: SessionParameters,
        onRound: (@Sendable (PeerLog) -> Void)? = nil
    ) {
        self.id = id
        self.roster = roster
        self.hostKey = hostKey
        self.listen = listen
        self.parameters = parameters
        self.onRound = onRound
    }

    /// The start time a peer picks when none is given: the first multiple
    /// of `grid` nanoseconds at least `lead` after `now` (peers started by
    /// hand within the same grid interval agree on it).
    public static func defaultStart(now: Int64, lead: Int64, grid: Int64 = 10_000_000_000) -> Int64 {
        let earliest = now + lead
        return (earliest + grid - 1) / grid * grid
    }

    /// Listens, connects to every peer of the roster until T0, runs the
    /// instance with `client` and returns what it left. Peers not connected
    /// at T0 are noted; the instance never waits for them beyond a deadline.
    public func run(client: ModuleClient) throws(PalsError) -> (outcome: SessionOutcome, notes: [String]) {
        let n = roster.n
        guard id >= 0, id < n, hostKey.id == id else {
            throw PalsError(.invalidArgument, "the host key is of p\(hostKey.id), not p\(id)")
        }
        var pins: [[UInt8]?] = []
        for p in roster.peers {
            guard let h = p.hostKey else {
                throw PalsError(
                    .invalidArgument, "the roster has no host key for p\(p.id): make one with `pals keygen`")
            }
            pins.append(h)
        }
        var addresses: [HostPort?] = []
        for p in roster.peers { addresses.append(try p.address.map { a throws(PalsError) in try HostPort.parse(a) }) }
        let tls = try HostTLS(key: hostKey, pinned: pins)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let host = try TCPHost(tls: tls, n: n, group: group)
        defer { host.shutdown() }
        try host.listen(on: listen)
        // BEGIN first: from now on this host takes the instance's envelopes
        // (a peer whose T0 comes a little earlier may send them before ours).
        let running = host.start(parameters, client: client, onRound: onRound, armStart: false)
        let untilStart = max(0, parameters.schedule.start - systemWallClock())
        let both = host.connect(to: addresses, timeout: .nanoseconds(untilStart))
        var notes: [String] = []
        for j in 0..<n where j != id && !both.contains(j) {
            notes.append(
                "p\(j) was not connected both ways at the start time: its frames count as omissions until it is")
        }
        host.startAt(parameters.schedule)
        do {
            let outcome = try running.wait()
            return (outcome, notes + host.takeNotes())
        } catch {
            throw PalsError(.invalidArgument, "host p\(id): \(error)")
        }
    }
}
