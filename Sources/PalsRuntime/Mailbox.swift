import Foundation
import PalsCore

/// What a host has received for the rounds it has not closed yet, and which
/// peers are connected. Filled by the network threads, read by the host's
/// controller, which waits until a round is complete or its deadline passes.
final class Mailbox: @unchecked Sendable {
    enum Item: Equatable {
        case frame([UInt8])
        case omitted
    }

    private struct Key: Hashable {
        var session: UInt64
        var round: Int
    }

    private let condition = NSCondition()
    private let me: Int
    private let n: Int
    private var items: [Key: [Int: Item]] = [:]
    private var crashedFrom: [UInt64: [Int: Int]] = [:]
    private var closedSessions: Set<UInt64> = []
    /// Peers with an open inbound connection that said hello.
    private(set) var connected = ProcessSet()
    private var connections: [Int: Int] = [:]
    private var noticeList: [String] = []

    init(me: Int, n: Int) {
        self.me = me
        self.n = n
    }

    func hello(from peer: Int) {
        condition.lock()
        connections[peer, default: 0] += 1
        connected.insert(peer)
        condition.broadcast()
        condition.unlock()
    }

    func disconnected(_ peer: Int) {
        condition.lock()
        connections[peer, default: 1] -= 1
        if connections[peer] == 0 { connected.remove(peer) }
        condition.broadcast()
        condition.unlock()
    }

    func note(_ text: String) {
        condition.lock()
        if noticeList.count < 100 { noticeList.append(text) }
        condition.unlock()
    }

    func takeNotes() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        let out = noticeList
        noticeList = []
        return out
    }

    func put(_ e: Envelope, from peer: Int) {
        condition.lock()
        defer { condition.unlock() }
        guard !closedSessions.contains(e.session) else { return }
        switch e.kind {
        case .hello:
            return
        case .frame:
            let key = Key(session: e.session, round: e.round)
            if items[key, default: [:]][peer] == nil { items[key, default: [:]][peer] = .frame(e.payload) }
        case .omitted:
            let key = Key(session: e.session, round: e.round)
            if items[key, default: [:]][peer] == nil { items[key, default: [:]][peer] = .omitted }
        case .crashed:
            let old = crashedFrom[e.session, default: [:]][peer] ?? Int.max
            crashedFrom[e.session, default: [:]][peer] = min(old, e.round)
        }
        condition.broadcast()
    }

    /// Waits until every connected, not crashed peer's item of the round is
    /// in, or `deadline`; returns what arrived from each sender (not `me`).
    func collect(session: UInt64, round: Int, deadline: Date) -> [Item?] {
        let key = Key(session: session, round: round)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let have = items[key] ?? [:]
            let crashed = crashedFrom[session] ?? [:]
            var complete = true
            for i in 0..<n where i != me && have[i] == nil {
                if connected.contains(i) && (crashed[i] ?? Int.max) > round {
                    complete = false
                    break
                }
            }
            if complete || !condition.wait(until: deadline) {
                let result = (0..<n).map { have[$0] }
                items[key] = nil
                return result
            }
        }
    }

    /// Forgets a finished session; late envelopes of it are ignored.
    func close(session: UInt64) {
        condition.lock()
        closedSessions.insert(session)
        items = items.filter { $0.key.session != session }
        crashedFrom[session] = nil
        condition.unlock()
    }

    func waitForConnections(_ peers: ProcessSet, deadline: Date) -> ProcessSet {
        condition.lock()
        defer { condition.unlock() }
        while !peers.isSubset(of: connected) {
            if !condition.wait(until: deadline) { break }
        }
        return connected
    }
}
