import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import PalsCore
import PalsModule

#if canImport(Glibc)
    import Glibc
#endif

/// Nanoseconds since the Unix epoch.
public typealias WallClock = @Sendable () -> Int64

/// The system's wall clock (CLOCK_REALTIME), nanoseconds since the epoch.
public let systemWallClock: WallClock = {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Limits on what a host accepts from the network (specs/runtime.md,
/// "Bounded memory").
public struct ConnectionLimits: Sendable, Equatable {
    /// Inbound connections open at once (authenticated or not).
    public var inbound: Int
    /// Time an inbound connection has to complete its TLS handshake.
    public var handshakeTimeout: TimeAmount
    /// Bytes one connection may hold undecoded (one envelope at most is
    /// `Envelope.maxLength`).
    public var bufferedBytes: Int
    /// Pause between attempts to (re)connect to a peer.
    public var retry: TimeAmount

    /// Limits on accepted connections; the defaults give a 2 s handshake, room for two envelopes, a 50 ms retry.
    public init(
        inbound: Int, handshakeTimeout: TimeAmount = .seconds(2), bufferedBytes: Int = 2 * (Envelope.maxLength + 4),
        retry: TimeAmount = .milliseconds(50)
    ) {
        self.inbound = inbound
        self.handshakeTimeout = handshakeTimeout
        self.bufferedBytes = bufferedBytes
        self.retry = retry
    }

    /// 2n + 4 inbound connections.
    public static func standard(n: Int) -> ConnectionLimits { ConnectionLimits(inbound: 2 * n + 4) }
}

/// What one instance left at one host.
public struct SessionOutcome: Sendable {
    /// The host's log of the instance.
    public var log: PeerLog
    /// Per round, seconds from ROUND OUT to the end of ROUND IN.
    public var latencies: [Double]
    /// What the host counted (envelopes stored and dropped).
    public var counters: HostCounters
}

/// The parameters of one instance at one host.
public struct SessionParameters: Sendable {
    /// The instance's session id, bound into every frame.
    public var session: SessionID
    /// The instance name the module is BEGUN with.
    public var instance: String
    /// This host's input.
    public var input: Int
    /// The number of rounds R.
    public var rounds: Int
    /// The adversary this host carries out.
    public var plan: AdversaryPlan
    /// T0 and Δ: when each round starts and closes at the latest.
    public var schedule: RoundSchedule
    /// What the host keeps and drops in this instance.
    public var limits: HostLimits
    /// Rounds start at least this long after the previous one started,
    /// nanoseconds (demonstrations and kill tests; keep it below Δ).
    public var minRound: Int64

    /// The parameters of one instance; by default the standard limits and no minimum round time.
    public init(
        session: SessionID, instance: String, input: Int, rounds: Int, plan: AdversaryPlan, schedule: RoundSchedule,
        limits: HostLimits = .standard, minRound: Int64 = 0
    ) {
        self.minRound = minRound
        self.session = session
        self.instance = instance
        self.input = input
        self.rounds = rounds
        self.plan = plan
        self.schedule = schedule
        self.limits = limits
    }
}

/// The I/O side of a host, confined to one event loop: it feeds the
/// network's and the clock's events to the `HostController` of the running
/// instance and carries out its actions (module calls, envelopes, timers,
/// closing connections). It keeps one outbound connection per peer,
/// reconnecting from the event loop, and counts the authenticated inbound
/// ones. It holds no adversary semantics of its own.
public final class HostCore {
    /// This host's process id.
    public let id: Int
    /// The number of processes.
    public let n: Int
    let loop: EventLoop
    let clock: WallClock
    let limits: ConnectionLimits
    /// Opens a connection to a peer; nil: this host never connects out.
    var connector: ((Int, SocketAddress) -> EventLoopFuture<Channel>)?

    /// The peers' addresses, resolved before they reach the loop: a name
    /// lookup finishing after the loop has shut down would have nowhere to
    /// deliver its answer.
    private var addresses: [SocketAddress?]
    private var outbound: [Channel?]
    private var connecting = ProcessSet()
    private var retries: [Scheduled<Void>?]
    private var inbound: [(channel: Channel, peer: Int?)] = []
    private var authenticated: [Int]
    private var waiters: [(peers: ProcessSet, promise: EventLoopPromise<ProcessSet>, timeout: Scheduled<Void>)] = []
    private var closed = false
    private var notes: [String] = []
    /// Envelopes that arrived while no instance ran.
    public private(set) var droppedBetweenSessions = 0

    private var controller: HostController?
    private var client: ModuleClient?
    private var schedule: RoundSchedule?
    private var timers: [Scheduled<Void>] = []
    private var promise: EventLoopPromise<SessionOutcome>?
    private var latencies: [Double] = []
    private var roundStarted: Int64 = 0
    private var queue: [HostController.Event] = []
    private var draining = false
    private var minRound: Int64 = 0
    private var onRound: (@Sendable (PeerLog) -> Void)?

    /// - Parameter connector: opens a connection to a peer (TCP with TLS);
    ///   nil for a host that only accepts connections (tests).
    public init(
        id: Int, n: Int, loop: EventLoop, clock: @escaping WallClock = systemWallClock, limits: ConnectionLimits? = nil,
        connector: ((Int, SocketAddress) -> EventLoopFuture<Channel>)? = nil
    ) {
        self.id = id
        self.n = n
        self.loop = loop
        self.clock = clock
        self.limits = limits ?? .standard(n: n)
        self.connector = connector
        self.addresses = Array(repeating: nil, count: n)
        self.outbound = Array(repeating: nil, count: n)
        self.retries = Array(repeating: nil, count: n)
        self.authenticated = Array(repeating: 0, count: n)
    }

    /// This core, usable from its event loop (for the channel handlers).
    public var bound: NIOLoopBound<HostCore> { NIOLoopBound(self, eventLoop: loop) }

    /// Peers with an authenticated inbound connection.
    public var inboundPeers: ProcessSet { ProcessSet((0..<n).filter { authenticated[$0] > 0 }) }
    /// Peers with an authenticated outbound connection.
    public var outboundPeers: ProcessSet { ProcessSet((0..<n).filter { outbound[$0] != nil }) }

    /// Notes about connections (refused, unauthenticated, garbage), taken once.
    public func takeNotes() -> [String] {
        defer { notes = [] }
        return notes
    }

    func note(_ text: String) {
        if notes.count < 64 { notes.append(text) }
    }

    // MARK: - Outbound

    /// Starts connecting to every peer with an address; keeps retrying until `close`.
    public func connect(to peers: [SocketAddress?]) {
        loop.preconditionInEventLoop()
        addresses = peers
        for j in 0..<n where j != id { open(j) }
    }

    private func open(_ j: Int) {
        guard !closed, outbound[j] == nil, !connecting.contains(j), let a = addresses[j], let connector else { return }
        connecting.insert(j)
        let me = bound
        connector(j, a).hop(to: loop).whenComplete { result in
            let core = me.value
            core.connecting.remove(j)
            switch result {
            case .success(let ch):
                if core.closed {
                    ch.close(promise: nil)
                    return
                }
                ch.closeFuture.hop(to: core.loop).whenComplete { _ in
                    let core = me.value
                    if core.outbound[j] === ch { core.outbound[j] = nil }
                    core.retryLater(j)
                }
            case .failure:
                core.retryLater(j)
            }
        }
    }

    /// `ch` is an authenticated connection to `j` (its TLS handshake
    /// completed with `j`'s pinned key): envelopes to `j` go there.
    public func outboundReady(_ ch: Channel, peer j: Int) {
        guard !closed else {
            ch.close(promise: nil)
            return
        }
        if let old = outbound[j], old !== ch { old.close(promise: nil) }
        outbound[j] = ch
        checkWaiters()
    }

    private func retryLater(_ j: Int) {
        guard !closed, outbound[j] == nil, retries[j] == nil else { return }
        let me = bound
        retries[j] = loop.scheduleTask(in: limits.retry) {
            let core = me.value
            core.retries[j] = nil
            core.open(j)
        }
    }

    /// Sends one envelope to `j`; lost (an omission) when the connection is down.
    func send(_ e: Envelope, to j: Int) {
        guard let ch = outbound[j] else {
            open(j)
            return
        }
        var buffer = ch.allocator.buffer(capacity: Envelope.fixedSize + 4 + e.payload.count)
        e.write(to: &buffer)
        ch.writeAndFlush(buffer, promise: nil)
    }

    func write(_ bytes: [UInt8], to j: Int) {
        guard let ch = outbound[j] else { return }
        ch.writeAndFlush(ch.allocator.buffer(bytes: bytes), promise: nil)
    }

    /// Waits until every peer in `peers` is connected both ways, or `timeout`.
    public func waitForConnections(_ peers: ProcessSet, timeout: TimeAmount) -> EventLoopFuture<ProcessSet> {
        loop.preconditionInEventLoop()
        let p = loop.makePromise(of: ProcessSet.self)
        if peers.isSubset(of: bothWays) {
            p.succeed(bothWays)
            return p.futureResult
        }
        let me = bound
        let task = loop.scheduleTask(in: timeout) {
            let core = me.value
            core.waiters.removeAll { $0.promise.futureResult === p.futureResult }
            p.succeed(core.bothWays)
        }
        waiters.append((peers, p, task))
        return p.futureResult
    }

    var bothWays: ProcessSet { inboundPeers.intersection(outboundPeers) }

    private func checkWaiters() {
        let both = bothWays
        let ready = waiters.filter { $0.peers.isSubset(of: both) }
        waiters.removeAll { $0.peers.isSubset(of: both) }
        for w in ready {
            w.timeout.cancel()
            w.promise.succeed(both)
        }
    }

    // MARK: - Inbound

    /// A connection was accepted; false: refused (too many).
    func inboundOpened(_ ch: Channel) -> Bool {
        guard !closed, inbound.count < limits.inbound else {
            note("refused a connection: \(inbound.count) inbound connections open (limit \(limits.inbound))")
            return false
        }
        inbound.append((ch, nil))
        let me = bound
        loop.scheduleTask(in: limits.handshakeTimeout) {
            let core = me.value
            if let k = core.inbound.firstIndex(where: { $0.channel === ch }), core.inbound[k].peer == nil {
                core.note("a connection did not authenticate within the handshake timeout: closed")
                ch.close(promise: nil)
            }
        }
        return true
    }

    /// The connection presented the pinned key of `peer`.
    func inboundAuthenticated(_ ch: Channel, peer: Int) {
        guard let k = inbound.firstIndex(where: { $0.channel === ch }), inbound[k].peer == nil else { return }
        inbound[k].peer = peer
        authenticated[peer] += 1
        checkWaiters()
        feed(.peerConnected(peer))
    }

    func inboundClosed(_ ch: Channel) {
        guard let k = inbound.firstIndex(where: { $0.channel === ch }) else { return }
        let peer = inbound[k].peer
        inbound.remove(at: k)
        if let peer {
            authenticated[peer] -= 1
            feed(.peerClosed(peer))
        }
    }

    /// An envelope from the authenticated peer of its connection.
    func received(_ e: Envelope, from peer: Int) {
        guard controller != nil else {
            droppedBetweenSessions += 1
            return
        }
        feed(.envelope(e, from: peer))
    }

    // MARK: - Instances

    /// Runs one instance of `client`'s module: BEGIN now, round 1 at T0
    /// (with `armStart` false, at the T0 of a later `startAt`).
    public func run(
        _ p: SessionParameters, client: ModuleClient, onRound: (@Sendable (PeerLog) -> Void)? = nil,
        armStart: Bool = true
    ) -> EventLoopFuture<SessionOutcome> {
        loop.preconditionInEventLoop()
        self.onRound = onRound
        self.minRound = p.minRound
        precondition(controller == nil, "Invalid state: an instance is already running")
        let promise = loop.makePromise(of: SessionOutcome.self)
        self.promise = promise
        self.client = client
        self.schedule = p.schedule
        self.latencies = []
        controller = HostController(
            id: id, n: n, rounds: p.rounds, session: p.session, instance: p.instance, input: p.input, plan: p.plan,
            connected: inboundPeers, limits: p.limits)
        feed(.begin)
        if armStart { startAt(p.schedule) }
        return promise.futureResult
    }

    /// Fixes the running instance's schedule: round 1 at its T0.
    public func startAt(_ schedule: RoundSchedule) {
        loop.preconditionInEventLoop()
        guard controller != nil else { return }
        self.schedule = schedule
        at(schedule.start, .start)
    }

    private func at(_ time: Int64, _ event: HostController.Event) {
        let me = bound
        let delay = max(0, time &- clock())
        timers.append(loop.scheduleTask(in: .nanoseconds(delay)) { me.value.feed(event) })
    }

    func feed(_ event: HostController.Event) {
        guard controller != nil else { return }
        queue.append(event)
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !queue.isEmpty {
            let e = queue.removeFirst()
            guard var c = controller else {
                queue.removeAll()
                return
            }
            let actions = c.process(e)
            controller = c
            if case .moduleAnswered(.verdicts) = e { onRound?(c.log) }
            for a in actions { perform(a) }
        }
    }

    private func perform(_ action: HostController.Action) {
        switch action {
        case .callModule(let call):
            if case .roundOut(let r) = call, r >= 2, minRound > 0, clock() < roundStarted &+ minRound {
                let me = bound
                let delay = roundStarted &+ minRound &- clock()
                timers.append(loop.scheduleTask(in: .nanoseconds(delay)) { me.value.callModule(call) })
            } else {
                callModule(call)
            }
        case .send(let e, let j):
            send(e, to: j)
        case .armDeadline(let r):
            if let schedule { at(schedule.end(ofRound: r), .deadline(round: r)) }
        case .closeConnection(let peer, let reason):
            note("closed the connections of p\(peer): \(reason)")
            for entry in inbound where entry.peer == peer { entry.channel.close(promise: nil) }
        case .finish(let log):
            let counters = controller?.counters ?? HostCounters()
            for t in timers { t.cancel() }
            timers = []
            controller = nil
            client = nil
            onRound = nil
            queue.removeAll()
            let p = promise
            promise = nil
            p?.succeed(SessionOutcome(log: log, latencies: latencies, counters: counters))
        }
    }

    private func callModule(_ call: HostController.ModuleCall) {
        guard let client else { return }
        if case .roundOut = call { roundStarted = clock() }
        let answer = client.answer(call)
        if case .roundIn = call { latencies.append(Double(clock() &- roundStarted) / 1e9) }
        feed(.moduleAnswered(answer))
    }

    /// Closes every connection and stops reconnecting; a running instance
    /// gets no further events.
    public func close() {
        loop.preconditionInEventLoop()
        closed = true
        for k in retries.indices {
            retries[k]?.cancel()
            retries[k] = nil
        }
        for t in timers { t.cancel() }
        timers = []
        for w in waiters {
            w.timeout.cancel()
            w.promise.succeed(bothWays)
        }
        waiters = []
        for ch in outbound.compactMap({ $0 }) { ch.close(promise: nil) }
        outbound = Array(repeating: nil, count: n)
        for entry in inbound { entry.channel.close(promise: nil) }
        if let p = promise {
            promise = nil
            controller = nil
            p.fail(PalsError(.invalidArgument, "host p\(id) closed during an instance"))
        }
    }
}

/// Reads the envelopes of one inbound connection into the host, once its
/// peer has authenticated (TLS with a pinned key).
public final class InboundHandler: ChannelInboundHandler {
    /// Envelopes, as `EnvelopeDecoder` cuts them from the TLS stream.
    public typealias InboundIn = Envelope
    private let core: NIOLoopBound<HostCore>
    private let authenticate: (ChannelHandlerContext) -> Int?
    private var peer: Int?

    /// - Parameter authenticate: the roster peer the connection's TLS
    ///   handshake authenticated, or nil.
    public init(core: NIOLoopBound<HostCore>, authenticate: @escaping (ChannelHandlerContext) -> Int?) {
        self.core = core
        self.authenticate = authenticate
    }

    /// Registers the connection with the host; closes it when the host holds as many inbound connections as it allows.
    public func channelActive(context: ChannelHandlerContext) {
        if !core.value.inboundOpened(context.channel) { context.close(promise: nil) }
        context.fireChannelActive()
    }

    /// Once the TLS handshake is done: binds the connection to the peer whose pinned key it presented, or closes it.
    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            if let p = authenticate(context) {
                peer = p
                core.value.inboundAuthenticated(context.channel, peer: p)
            } else {
                core.value.note("a connection presented no pinned host key: closed")
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Hands the envelope to the host as sent by the authenticated peer; closes a connection that sends before it
    /// authenticated.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let e = unwrapInboundIn(data)
        guard let peer else {
            context.close(promise: nil)
            return
        }
        core.value.received(e, from: peer)
    }

    /// Notes the error and closes the connection.
    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        core.value.note("connection from \(peer.map { "p\($0)" } ?? "an unauthenticated peer") closed: \(error)")
        context.close(promise: nil)
    }

    /// Tells the host the connection is gone (for an authenticated one, `peerClosed`).
    public func channelInactive(context: ChannelHandlerContext) {
        core.value.inboundClosed(context.channel)
        context.fireChannelInactive()
    }
}

/// Tells the host when an outbound connection's TLS handshake is done, and
/// discards anything the other end writes.
final class OutboundHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let core: NIOLoopBound<HostCore>
    private let peer: Int

    init(core: NIOLoopBound<HostCore>, peer: Int) {
        self.core = core
        self.peer = peer
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            core.value.outboundReady(context.channel, peer: peer)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// A host's Communication Unit over TCP with mutual TLS 1.3 (DESIGN §5): it
/// listens for the other hosts, keeps one authenticated outbound connection
/// to each, and runs instances through its `HostCore` and `HostController`
/// on one event loop. The sender of every envelope is the peer its
/// connection authenticated.
public final class TCPHost: Sendable {
    /// This host's process id (the id of its TLS key).
    public let id: Int
    /// The number of processes.
    public let n: Int
    /// The event loop the host's core runs on.
    public let loop: EventLoop
    let core: NIOLoopBound<HostCore>
    let tls: HostTLS
    private let server: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)

    /// A host with the TLS identity `tls` among `n` processes, its core on one loop of `group`; it neither listens
    /// nor connects yet.
    ///
    /// - Throws: `invalidArgument` when the core cannot be set up on the loop.
    public init(tls: HostTLS, n: Int, group: EventLoopGroup, limits: ConnectionLimits? = nil) throws(PalsError) {
        let loop = group.next()
        let id = tls.me
        self.id = id
        self.n = n
        self.loop = loop
        self.tls = tls
        // The core is made on its loop and never leaves it.
        do {
            self.core = try loop.submit {
                let core = HostCore(id: id, n: n, loop: loop, limits: limits)
                let bound = NIOLoopBound(core, eventLoop: loop)
                core.connector = { j, a in
                    ClientBootstrap(group: loop)
                        .connectTimeout(.milliseconds(500))
                        .channelInitializer { ch in
                            ch.eventLoop.makeCompletedFuture {
                                try ch.pipeline.syncOperations.addHandler(tls.clientHandler(to: j))
                                try ch.pipeline.syncOperations.addHandler(OutboundHandler(core: bound, peer: j))
                            }
                        }
                        .connect(to: a)
                }
                return bound
            }.wait()
        } catch {
            throw PalsError(.invalidArgument, "cannot start host p\(id): \(error)")
        }
    }

    /// Binds the listening socket; returns the port (useful with port 0).
    @discardableResult
    public func listen(on address: HostPort) throws(PalsError) -> Int {
        let core = self.core
        let tls = self.tls
        let bufferedBytes = (try? loop.submit { core.value.limits.bufferedBytes }.wait()) ?? 2 * Envelope.maxLength
        let bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(tls.serverHandler())
                    try ch.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(EnvelopeDecoder(), maximumBufferSize: bufferedBytes))
                    try ch.pipeline.syncOperations.addHandler(
                        InboundHandler(core: core) { context in
                            let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
                            return tls.identify(handler?.peerCertificate)
                        })
                }
            }
        do {
            let channel = try bootstrap.bind(host: address.host, port: address.port).wait()
            server.withLockedValue { $0 = channel }
            return channel.localAddress?.port ?? address.port
        } catch {
            throw PalsError(.invalidArgument, "cannot listen on \(address): \(error)")
        }
    }

    /// Starts connecting to every peer with an address; the host keeps
    /// retrying in the background until `shutdown`.
    public func startConnecting(to peers: [HostPort?]) {
        let core = self.core
        let id = self.id
        var notes: [String] = []
        let resolved = peers.enumerated().map { j, a -> SocketAddress? in
            guard j != id, let a else { return nil }
            do {
                return try SocketAddress.makeAddressResolvingHost(a.host, port: a.port)
            } catch {
                notes.append("the address of p\(j), \(a), does not resolve: p\(j) is never reached")
                return nil
            }
        }
        let unresolved = notes
        try? loop.submit {
            for note in unresolved { core.value.note(note) }
            core.value.connect(to: resolved)
        }.wait()
    }

    /// Waits until every peer in `peers` is connected both ways, or
    /// `timeout`; returns the peers connected both ways.
    public func waitForConnections(_ peers: ProcessSet, timeout: TimeAmount) -> ProcessSet {
        let core = self.core
        let f = loop.flatSubmit { core.value.waitForConnections(peers, timeout: timeout) }
        return (try? f.wait()) ?? ProcessSet()
    }

    /// `startConnecting`, then waits for every peer with an address.
    public func connect(to peers: [HostPort?], timeout: TimeAmount) -> ProcessSet {
        startConnecting(to: peers)
        return waitForConnections(ProcessSet((0..<n).filter { $0 != id && peers[$0] != nil }), timeout: timeout)
    }

    /// Starts one instance at this host: BEGIN now, round 1 at T0. The
    /// module is used from the host's event loop only until the future completes.
    public func start(
        _ p: SessionParameters, client: ModuleClient, onRound: (@Sendable (PeerLog) -> Void)? = nil,
        armStart: Bool = true
    ) -> EventLoopFuture<SessionOutcome> {
        let core = self.core
        let c = Handoff(client)
        return loop.flatSubmit { core.value.run(p, client: c.value, onRound: onRound, armStart: armStart) }
    }

    /// Starts the instance set up with `start(…, armStart: false)` on `schedule`.
    public func startAt(_ schedule: RoundSchedule) {
        let core = self.core
        try? loop.submit { core.value.startAt(schedule) }.wait()
    }

    /// Runs one instance; blocks until it is over at this host.
    public func run(
        _ p: SessionParameters, client: ModuleClient, onRound: (@Sendable (PeerLog) -> Void)? = nil
    ) throws(PalsError) -> SessionOutcome {
        do {
            return try start(p, client: client, onRound: onRound).wait()
        } catch let e as PalsError {
            throw e
        } catch {
            throw PalsError(.invalidArgument, "host p\(id): \(error)")
        }
    }

    /// Sends `e` to `j` as this host, outside any instance: what a faulty
    /// host may do (the adversarial-network tests). Lost when the
    /// connection to `j` is down.
    public func inject(_ e: Envelope, to j: Int) {
        let core = self.core
        try? loop.submit { core.value.send(e, to: j) }.wait()
    }

    /// Writes raw `bytes` on the connection to `j` (a faulty host's
    /// partial or malformed envelopes, in tests).
    public func inject(bytes: [UInt8], to j: Int) {
        let core = self.core
        try? loop.submit { core.value.write(bytes, to: j) }.wait()
    }

    /// Waits until every event submitted to this host's loop so far has run.
    public func settle() {
        try? loop.submit {}.wait()
    }

    /// Notes about connections (refused, unauthenticated, unresolved, garbage); each is returned once.
    public func takeNotes() -> [String] {
        let core = self.core
        return (try? loop.submit { core.value.takeNotes() }.wait()) ?? []
    }

    /// Peers connected both ways.
    public var connectedPeers: ProcessSet {
        let core = self.core
        return (try? loop.submit { core.value.bothWays }.wait()) ?? ProcessSet()
    }

    /// Closes every connection and the listener; waits until they are closed.
    public func shutdown() {
        let core = self.core
        try? loop.submit { core.value.close() }.wait()
        let s = server.withLockedValue { s in
            defer { s = nil }
            return s
        }
        try? s?.close().wait()
    }
}
