/// What a host can see of its security module (seed §5, Definition 3):
/// frames — whether the module sends one to a given module in a round, and
/// its size — and the round in which the module hands the host a result.
/// Frame contents are encrypted and never observed.
///
/// A protocol conforms to say how its modules put messages on the wire. The
/// real modules send one frame of a fixed size to every module in every round
/// and hand over the result at a fixed round; a leaky variant (frames sized by
/// their content, a module that falls silent once it has decided) shows in
/// the observation. Written over `Logic` so that both engines check the same
/// definition.
public protocol Observable: RoundProtocol {
    /// Whether a module in state `s` puts a frame for `q` on the wire in
    /// `round` (the message itself exists either way: the model's
    /// communication pattern is constant).
    func sends(_ s: State, round: Int, to q: ProcessID) -> L.Bit
    /// The size of the frame carrying `m`, in bytes.
    func frameSize(_ m: Message) -> L.Value
    /// Whether the module, in state `s` after `round`, has handed its result
    /// to its host (in `round` or before).
    func handsResult(_ s: State, round: Int) -> L.Bit
}

/// The observation of one host in one round.
public struct HostObservation<L: Logic> {
    /// `outgoing[q]`: the host's module sends a frame to `p_q`.
    public var outgoing: [L.Bit]
    /// The frame sizes (meaningful where `outgoing`).
    public var outgoingSize: [L.Value]
    /// `incoming[j]`: `p_j`'s module sends a frame addressed to this host's
    /// module. Every frame addressed to the host is counted, also one that the
    /// network then loses: the host may see more than it does in reality,
    /// never less, so a pass is not weakened by it.
    public var incoming: [L.Bit]
    /// `incomingSize[j]`: the size of that frame, ⊥ where `p_j` sends none.
    public var incomingSize: [L.Value]
    /// The module has handed its result to the host by the end of the round.
    public var handedResult: L.Bit

    /// The observation of host `h` in `round`, from every module's state
    /// before the round and `h`'s module's state after it. A module that has
    /// crashed (`alive[j]` false) sends nothing.
    @inlinable
    public static func of<P: Observable>(
        _ proto: P, host h: Int, round: Int, before: [P.State], after: P.State, alive: [L.Bit]
    ) -> HostObservation<L> where P.L == L {
        let l = proto.logic
        let n = proto.n
        var outgoing: [L.Bit] = []
        var outgoingSize: [L.Value] = []
        var incoming: [L.Bit] = []
        var incomingSize: [L.Value] = []
        for q in 0..<n {
            let sent = l.and(alive[h], proto.sends(before[h], round: round, to: ProcessID(q)))
            outgoing.append(sent)
            outgoingSize.append(
                l.select(sent, proto.frameSize(proto.message(before[h], round: round, to: ProcessID(q))), l.bottom))
        }
        for j in 0..<n {
            let sent = l.and(alive[j], proto.sends(before[j], round: round, to: ProcessID(h)))
            incoming.append(sent)
            incomingSize.append(
                l.select(sent, proto.frameSize(proto.message(before[j], round: round, to: ProcessID(h))), l.bottom))
        }
        return HostObservation(
            outgoing: outgoing, outgoingSize: outgoingSize, incoming: incoming, incomingSize: incomingSize,
            handedResult: l.and(alive[h], proto.handsResult(after, round: round)))
    }

    /// An observation with the given fields, each array indexed by process.
    @inlinable
    public init(
        outgoing: [L.Bit], outgoingSize: [L.Value], incoming: [L.Bit], incomingSize: [L.Value], handedResult: L.Bit
    ) {
        self.outgoing = outgoing
        self.outgoingSize = outgoingSize
        self.incoming = incoming
        self.incomingSize = incomingSize
        self.handedResult = handedResult
    }

    /// The two observations are the same (sizes compared where a frame is sent).
    @inlinable
    public func same(as other: HostObservation<L>, logic l: L) -> L.Bit {
        var parts: [L.Bit] = [l.iff(handedResult, other.handedResult)]
        for k in outgoing.indices {
            parts.append(l.iff(outgoing[k], other.outgoing[k]))
            parts.append(l.equal(outgoingSize[k], other.outgoingSize[k]))
            parts.append(l.iff(incoming[k], other.incoming[k]))
            parts.append(l.equal(incomingSize[k], other.incomingSize[k]))
        }
        return l.all(parts)
    }
}

extension HostObservation where L == Concrete {
    /// A flat, hashable form: per process (out sent, out size, in sent, in
    /// size), then the result flag; ⊥ sizes where no frame is sent.
    @inlinable
    public var flat: [Int] {
        var out: [Int] = []
        out.reserveCapacity(outgoing.count * 4 + 1)
        for k in outgoing.indices {
            out.append(outgoing[k] ? 1 : 0)
            out.append(outgoingSize[k])
            out.append(incoming[k] ? 1 : 0)
            out.append(incomingSize[k])
        }
        out.append(handedResult ? 1 : 0)
        return out
    }

    /// Human-readable: `out 5×32B in 5×32B result` style, listing sizes.
    public var text: String {
        func side(_ sent: [Bool], _ sizes: [Int]) -> String {
            sent.indices.map { sent[$0] ? "\(sizes[$0])" : "-" }.joined(separator: ",")
        }
        return "out [\(side(outgoing, outgoingSize))] in [\(side(incoming, incomingSize))]"
            + (handedResult ? " result" : "")
    }
}
