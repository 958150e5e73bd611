import Foundation
import NIOCore
import NIOPosix
import PalsCore
import PalsModule

/// Reads envelopes of one inbound connection into the mailbox.
final class InboundHandler: ChannelInboundHandler {
    typealias InboundIn = Envelope
    private let mailbox: Mailbox
    private let n: Int
    private let me: Int
    private var peer: Int?

    init(mailbox: Mailbox, n: Int, me: Int) {
        self.mailbox = mailbox
        self.n = n
        self.me = me
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let e = unwrapInboundIn(data)
        if let peer {
            mailbox.put(e, from: peer)
        } else if e.kind == .hello, e.sender >= 0, e.sender < n, e.sender != me {
            peer = e.sender
            mailbox.hello(from: e.sender)
        } else {
            mailbox.note("a connection from \(remote(context)) sent \(e.kind) before a valid hello: closed")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        mailbox.note("garbage from \(peer.map { "p\($0)" } ?? remote(context)): \(error); connection closed")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let peer { mailbox.disconnected(peer) }
        context.fireChannelInactive()
    }

    private func remote(_ context: ChannelHandlerContext) -> String {
        context.remoteAddress.map { "\($0)" } ?? "an unknown address"
    }
}

/// Discards anything a peer writes back on an outbound connection.
final class DiscardHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// A host's Communication Unit and Controller over TCP (DESIGN §5): it
/// listens for the other hosts, keeps one outbound connection to each
/// (reconnecting when one drops), and drives its module round by round. A
/// round closes as soon as every connected peer's frame (or its adversary's
/// "omitted" notice) is in, or at the round timeout.
public final class TCPHost: @unchecked Sendable {
    public let id: Int
    public let n: Int
    let mailbox: Mailbox
    private let group: EventLoopGroup
    private var server: Channel?
    private let lock = NSLock()
    private var outbound: [Channel?]
    private var addresses: [HostPort?]
    private var reconnecting = ProcessSet()

    public init(id: Int, n: Int, group: EventLoopGroup) {
        self.id = id
        self.n = n
        self.group = group
        self.mailbox = Mailbox(me: id, n: n)
        self.outbound = Array(repeating: nil, count: n)
        self.addresses = Array(repeating: nil, count: n)
    }

    /// Binds the listening socket; returns the port (useful with port 0).
    @discardableResult
    public func listen(on address: HostPort) throws(PalsError) -> Int {
        let mailbox = self.mailbox
        let n = self.n
        let me = self.id
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(EnvelopeDecoder()))
                    try channel.pipeline.syncOperations.addHandler(InboundHandler(mailbox: mailbox, n: n, me: me))
                }
            }
        do {
            let channel = try bootstrap.bind(host: address.host, port: address.port).wait()
            server = channel
            return channel.localAddress?.port ?? address.port
        } catch {
            throw PalsError(.invalidArgument, "cannot listen on \(address): \(error)")
        }
    }

    /// Connects to every peer with an address, retrying until `deadline`;
    /// returns the peers connected.
    public func connect(to peers: [HostPort?], deadline: Date) -> ProcessSet {
        lock.lock()
        addresses = peers
        lock.unlock()
        var done = ProcessSet()
        while true {
            for j in 0..<n where j != id && !done.contains(j) {
                guard let a = peers[j] else { continue }
                if let ch = try? openChannel(a) {
                    install(ch, for: j)
                    done.insert(j)
                }
            }
            let wanted = (0..<n).filter { $0 != id && peers[$0] != nil }
            if wanted.allSatisfy({ done.contains($0) }) || Date() >= deadline { return done }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Waits until every peer in `peers` has connected to us (or `deadline`).
    public func waitForInbound(_ peers: ProcessSet, deadline: Date) -> ProcessSet {
        mailbox.waitForConnections(peers, deadline: deadline)
    }

    private func openChannel(_ a: HostPort) throws -> Channel {
        let me = id
        let ch = try ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(250))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DiscardHandler())
                }
            }
            .connect(host: a.host, port: a.port).wait()
        var hello = ch.allocator.buffer(capacity: 19)
        Envelope(kind: .hello, session: 0, round: 0, sender: me).write(to: &hello)
        try ch.writeAndFlush(hello).wait()
        return ch
    }

    private func install(_ ch: Channel, for j: Int) {
        lock.lock()
        outbound[j] = ch
        lock.unlock()
        ch.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            self.lock.lock()
            if self.outbound[j] === ch { self.outbound[j] = nil }
            self.lock.unlock()
        }
    }

    /// Sends `e` to `j`; when the connection is down, starts reconnecting in
    /// the background and the envelope is lost (an omission).
    func send(_ e: Envelope, to j: Int) {
        lock.lock()
        let ch = outbound[j]
        let address = addresses[j]
        let start = ch == nil && address != nil && !reconnecting.contains(j)
        if start { reconnecting.insert(j) }
        lock.unlock()
        if let ch {
            var buffer = ch.allocator.buffer(capacity: Envelope.fixedSize + 4 + e.payload.count)
            e.write(to: &buffer)
            ch.writeAndFlush(buffer, promise: nil)
        } else if start, let address {
            Thread.detachNewThread { [self] in
                if let ch = try? openChannel(address) { install(ch, for: j) }
                lock.lock()
                reconnecting.remove(j)
                lock.unlock()
            }
        }
    }

    /// Peers with an inbound connection.
    public var connectedPeers: ProcessSet { mailbox.connected }

    public func takeNotes() -> [String] { mailbox.takeNotes() }

    /// Runs one session of the module: BEGIN, every round, RESULT.
    /// `plan` is the adversary: this host applies the crashes of its module,
    /// drops of frames it sends when it is faulty, and drops of frames it
    /// receives from correct senders. `onRound` sees the log after each
    /// round (to write it as it grows); `latencies` gets each round's time
    /// from ROUND OUT to the end of ROUND IN, in seconds.
    public func runSession(
        client: ModuleClient, instance: String, session: SessionID, input: Int, rounds: Int, plan: AdversaryPlan,
        roundTimeout: Double, minRound: Double = 0, latencies: inout [Double], onRound: ((PeerLog) -> Void)? = nil
    ) -> PeerLog {
        var log = PeerLog(id: id, input: input)
        let sid = session.value
        defer { mailbox.close(session: sid) }
        do {
            try client.begin(session: session, input: input, instance: instance)
        } catch {
            log.notes.append("module refused BEGIN: \(error)")
            log.crashedBeforeRound = 1
            return log
        }
        for r in stride(from: 1, through: rounds, by: 1) {
            let roundStart = Date()
            if plan.crashed(id, before: r) {
                log.crashedBeforeRound = r
                log.moduleInput = try? client.abort()
                for j in 0..<n where j != id { send(Envelope(kind: .crashed, session: sid, round: r, sender: id), to: j) }
                onRound?(log)
                return log
            }
            let frames: [[UInt8]]
            do {
                frames = try client.roundOut(r)
            } catch {
                log.notes.append("module failed in ROUND OUT \(r): \(error)")
                log.crashedBeforeRound = r
                for j in 0..<n where j != id { send(Envelope(kind: .crashed, session: sid, round: r, sender: id), to: j) }
                return log
            }
            for j in 0..<n where j != id {
                let dropHere = plan.faulty.contains(id) && plan.drops.contains(Link(round: r, from: id, to: j))
                send(
                    Envelope(kind: dropHere ? .omitted : .frame, session: sid, round: r, sender: id, payload: dropHere ? [] : frames[j]),
                    to: j)
            }
            let items = mailbox.collect(session: sid, round: r, deadline: roundStart.addingTimeInterval(roundTimeout))
            var received = [[UInt8]?](repeating: nil, count: n)
            received[id] = frames[id]
            for i in 0..<n where i != id {
                guard case .frame(let f)? = items[i] else { continue }
                let dropByReceiver = !plan.faulty.contains(i) && plan.drops.contains(Link(round: r, from: i, to: id))
                if !dropByReceiver { received[i] = f }
            }
            let verdicts: [FrameVerdict]
            do {
                verdicts = try client.roundIn(r, frames: received)
            } catch {
                log.notes.append("module failed in ROUND IN \(r): \(error)")
                log.crashedBeforeRound = r + 1
                return log
            }
            log.rounds.append(PeerLog.Round(round: r, sent: frames, received: received, verdicts: verdicts))
            latencies.append(Date().timeIntervalSince(roundStart))
            onRound?(log)
            let spent = Date().timeIntervalSince(roundStart)
            if spent < minRound { Thread.sleep(forTimeInterval: minRound - spent) }
        }
        if plan.crashed(id, before: rounds + 1) {
            log.crashedBeforeRound = rounds + 1
            log.moduleInput = try? client.abort()
        } else {
            do {
                (log.decision, log.moduleInput) = try client.result()
            } catch {
                log.notes.append("module failed in RESULT: \(error)")
                log.crashedBeforeRound = rounds + 1
            }
        }
        onRound?(log)
        return log
    }

    public func shutdown() {
        lock.lock()
        let chans = outbound.compactMap { $0 }
        outbound = Array(repeating: nil, count: n)
        addresses = Array(repeating: nil, count: n)
        lock.unlock()
        for c in chans { try? c.close().wait() }
        try? server?.close().wait()
        server = nil
    }
}
