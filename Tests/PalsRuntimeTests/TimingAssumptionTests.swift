import Foundation
import NIOCore
import PalsCore
import PalsModule
import PalsRuntime
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on 127.0.0.1 that forwards to `upstream` and holds every
/// chunk travelling from the client to the upstream for `delay` before
/// passing it on, in order (the other direction passes at once). It stands
/// for a network link between two hosts that can become slow.
final class DelayingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let upstream: Int
    private let lock = NSLock()
    private var currentDelay: TimeInterval
    private var sockets: [Int32] = []
    private var closed = false

    init(upstream: Int, delay: TimeInterval) throws {
        self.upstream = upstream
        self.currentDelay = delay
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else {
            Glibc.close(fd)
            throw PalsError(.invalidArgument, "the proxy could not listen")
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// The delay of chunks read from now on.
    var delay: TimeInterval {
        get { lock.withLock { currentDelay } }
        set { lock.withLock { currentDelay = newValue } }
    }

    /// Stops accepting and closes every connection it holds.
    func close() {
        lock.lock()
        closed = true
        let all = sockets
        sockets = []
        lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for fd in all {
            shutdown(fd, Int32(SHUT_RDWR))
            Glibc.close(fd)
        }
    }

    private func keep(_ fd: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if closed { return false }
        sockets.append(fd)
        return true
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            guard keep(client) else {
                Glibc.close(client)
                return
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(upstream).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            guard connected, keep(server) else {
                Glibc.close(server)
                shutdown(client, Int32(SHUT_RDWR))
                continue
            }
            let queue = DelayQueue()
            Thread.detachNewThread { [self] in read(from: client, into: queue) }
            Thread.detachNewThread { Self.drain(queue, to: server) }
            Thread.detachNewThread { Self.pass(from: server, to: client) }
        }
    }

    /// Chunks waiting to be passed on, each with the moment it is due.
    final class DelayQueue: @unchecked Sendable {
        let condition = NSCondition()
        var items: [(due: Date, bytes: [UInt8])] = []
        var ended = false
    }

    private func read(from fd: Int32, into q: DelayQueue) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            q.condition.lock()
            if got <= 0 {
                q.ended = true
            } else {
                q.items.append((Date().addingTimeInterval(delay), Array(buffer[0..<got])))
            }
            q.condition.signal()
            q.condition.unlock()
            if got <= 0 { return }
        }
    }

    private static func drain(_ q: DelayQueue, to fd: Int32) {
        while true {
            q.condition.lock()
            while q.items.isEmpty && !q.ended { q.condition.wait() }
            if q.items.isEmpty {
                q.condition.unlock()
                shutdown(fd, Int32(SHUT_WR))
                return
            }
            let (due, bytes) = q.items.removeFirst()
            q.condition.unlock()
            let wait = due.timeIntervalSinceNow
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            guard writeAll(bytes, to: fd) else { return }
        }
    }

    private static func pass(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(from, $0.baseAddress, $0.count) }
            guard got > 0, writeAll(Array(buffer[0..<got]), to: to) else {
                shutdown(to, Int32(SHUT_WR))
                return
            }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let w = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if w <= 0 { return false }
            sent += w
        }
        return true
    }
}

/// The synchronous-round assumption of specs/runtime.md (Δ ≥ latency + ε),
/// tested on a real link: p0's connection to p1 runs through a proxy that
/// delays everything p0 sends to p1. Below the bound the run is a run of the
/// model; above it the oracle reports the run outside the timing assumption,
/// never a protocol violation and never a silent wrong result.
@Suite("Timing assumption", .serialized, .timeLimit(.minutes(10)))
struct TimingAssumptionTests {
    /// Three hosts; p0 reaches p1 only through a proxy that, once every
    /// host is connected (a TLS handshake has its own time limit), delays
    /// everything p0 sends to p1 by `delay`.
    static func run(delay: TimeInterval, roundLength: Int64, session: UInt64) throws -> (RunTrace, OracleReport) {
        let d = try Deployment(n: 3, t: 1)
        let c = try LoopbackHosts(d, live: [0, 1, 2])
        let proxy = try DelayingProxy(upstream: c.addresses[1]!.port, delay: 0)
        defer {
            c.shutdown()
            proxy.close()
        }
        var viaProxy = c.addresses
        viaProxy[1] = HostPort(host: "127.0.0.1", port: proxy.port)
        for h in c.live { h.startConnecting(to: h.id == 0 ? viaProxy : c.addresses) }
        for h in c.live {
            let others = ProcessSet.all(3).subtracting(ProcessSet([h.id]))
            #expect(h.waitForConnections(others, timeout: .seconds(20)) == others, "p\(h.id) connected")
        }
        proxy.delay = delay
        let trace = try c.run(session: session, inputs: [3, 4, 5], lead: 100_000_000, roundLength: roundLength)
        return (trace, try d.oracle().check(trace))
    }

    @Test(
        "a delay well below Δ on a link between correct hosts: every peer decides the model's vector, the oracle conforms"
    )
    func belowTheBound() throws {
        // Δ = 1500 ms, one link 150 ms slower: L + ε stays far below Δ.
        let (trace, report) = try Self.run(delay: 0.15, roundLength: 1_500_000_000, session: 31)
        #expect(report.verdict == .conforms, "\(report.notes)")
        #expect(report.violations.isEmpty)
        #expect(report.realized == FailurePattern())
        for i in 0..<3 {
            #expect(trace.logs[i]?.decision?.value == [3, 4, 5], "p\(i)")
            #expect(trace.logs[i]?.lateFrames.isEmpty == true, "p\(i)")
        }
    }

    @Test("a delay above Δ on a link between correct hosts: reported outside the timing assumption, never a violation")
    func aboveTheBound() throws {
        // Δ = 1000 ms, p0's frames reach p1 1500 ms late: p0's round-1 frame
        // arrives in the middle of p1's round 2 (T0 + 1500 ms), after round
        // 1 closed at T0 + Δ.
        let (trace, report) = try Self.run(delay: 1.5, roundLength: 1_000_000_000, session: 32)
        #expect(
            trace.logs[1]?.lateFrames.contains(PeerLog.LateFrame(round: 1, from: 0)) == true,
            "\(String(describing: trace.logs[1]?.lateFrames))")
        #expect(report.verdict == .outsideModel, "\(report.notes)")
        #expect(report.disagreement == nil)
        #expect(report.violations.isEmpty)
        #expect(report.notes.contains { $0.contains("outside the timing assumption") }, "\(report.notes)")
        #expect(report.lostFrames.contains { $0.round == 1 && $0.from == 0 && $0.to == 1 })
        // Every module ran the protocol on what it received: the results are
        // the model's on the realized (out-of-model) pattern, and the hosts
        // p0 and p2, whose links were on time, decided.
        for i in [0, 2] { #expect(trace.logs[i]?.decision != nil, "p\(i)") }
    }
}
