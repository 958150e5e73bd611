import PalsCore

/// The tamper-proof security module (seed §7, DESIGN §5). It holds its key and
/// the roster, runs the protocol's concrete transition functions, and talks
/// to its host only through `transmit` (APDU bytes in, APDU bytes out). It
/// seals one frame of one fixed size to every module in every round, whatever
/// its state, and hands out the result only after the last round. It keeps
/// its own message of each round itself (self-messages are never lost, §1):
/// the self slot of ROUND IN is ignored. It never begins a session id twice
/// (`SessionRecord`).
///
/// Not thread-safe: a host drives its module from one thread.
public final class SecurityModule<C: ModuleCodec> {
    /// How the instance's messages are encoded; also fixes the protocol instance the module runs.
    public let codec: C
    /// The module's own key pair; its id is the module's process number.
    public let key: ModuleKey
    /// The public keys of every module, `p0 … p(n-1)`.
    public let roster: Roster
    /// The frame format of the instance: every frame has `format.frameSize` bytes.
    public let format: FrameFormat

    private enum Phase {
        case idle
        /// Waiting for ROUND OUT of `round + 1` (or RESULT when `round == R`).
        case ready(round: Int)
        /// Frames of `round` are out; waiting for ROUND IN of `round`.
        case sent(round: Int)
    }

    private let secrets: PairSecrets
    private var phase = Phase.idle
    private var keys: ChannelKeys?
    private var state: C.P.State?
    /// The input of the current session (as drawn by `codec.moduleInput`).
    private var input: Int?
    private var random: () -> UInt64
    /// The sessions begun so far.
    private let sessions: SessionRecord
    /// The message this module sent itself in the current round (kept at
    /// ROUND OUT, delivered at ROUND IN whatever the host hands in its slot).
    private var own: C.P.Message?
    /// Frames rejected so far in this session, by reason.
    public private(set) var rejected: [FrameVerdict: Int] = [:]

    /// - Parameters:
    ///   - random: the module's random generator (for inputs the module
    ///     draws itself); the system's by default.
    ///   - sessions: the record of sessions begun with this key; a fresh
    ///     record in memory by default (enough when the key lives no longer
    ///     than the module: a key used again by another module needs a
    ///     persisted record, `FileSessionRecord`).
    public init(
        codec: C, key: ModuleKey, roster: Roster, random: (() -> UInt64)? = nil,
        sessions: SessionRecord = MemorySessionRecord()
    ) throws(PalsError) {
        guard roster.n == codec.proto.n else {
            throw PalsError(
                .invalidArgument, "the roster has \(roster.n) peers but the protocol instance has n = \(codec.proto.n)")
        }
        guard key.id < roster.n, roster.peers[key.id].publicKey == key.publicKey else {
            throw PalsError(
                .invalidArgument, "the key of p\(key.id) does not match the roster's public key for p\(key.id)")
        }
        self.secrets = try PairSecrets(key: key, roster: roster)
        self.random =
            random ?? {
                var g = SystemRandomNumberGenerator()
                return g.next()
            }
        self.sessions = sessions
        self.codec = codec
        self.key = key
        self.roster = roster
        self.format = FrameFormat(maxMessageBytes: codec.maxMessageBytes)
    }

    private var me: Int { key.id }
    private var n: Int { roster.n }

    /// Processes one command APDU and returns the response APDU. Never traps
    /// on any input: malformed commands get an error status word.
    public func process(_ command: [UInt8]) -> [UInt8] {
        let response: ResponseAPDU
        switch CommandAPDU.parse(command) {
        case .failure(let sw): response = ResponseAPDU(status: sw)
        case .success(let apdu): response = handle(apdu)
        }
        return response.bytes
    }

    private func handle(_ apdu: CommandAPDU) -> ResponseAPDU {
        guard apdu.cla == ModuleInstruction.cla else { return ResponseAPDU(status: .claNotSupported) }
        guard apdu.p1 == 0, apdu.p2 == 0 else { return ResponseAPDU(status: .wrongData) }
        switch ModuleInstruction(rawValue: apdu.ins) {
        case .begin?: return begin(apdu.data)
        case .roundOut?: return roundOut(apdu.data)
        case .roundIn?: return roundIn(apdu.data)
        case .result?: return result(apdu.data)
        case .abort?:
            guard apdu.data.isEmpty else { return ResponseAPDU(status: .wrongLength) }
            // The session is over for this module: its input may be told.
            var out: [UInt8] = []
            if let input { ValueBytes.append(input, to: &out) }
            phase = .idle
            state = nil
            keys = nil
            input = nil
            own = nil
            return ResponseAPDU(data: out)
        case nil: return ResponseAPDU(status: .insNotSupported)
        }
    }

    private func begin(_ data: [UInt8]) -> ResponseAPDU {
        guard data.count >= 16 else { return ResponseAPDU(status: .wrongLength) }
        // BEGIN starts a new session in any phase, discarding the current one
        // (a host whose module was stopped mid-session starts afresh).
        guard String(decoding: data[16...], as: UTF8.self) == codec.instanceName,
            Array(data[16...]) == Array(codec.instanceName.utf8)
        else { return ResponseAPDU(status: .wrongData) }
        guard let session = try? SessionID(bytes: Array(data[0..<8])),
            let input64 = Bytes.read(Int64.self, from: data, at: 8)
        else { return ResponseAPDU(status: .wrongLength) }
        let hostInput = Int(input64)
        guard hostInput != Concrete.bottomValue else { return ResponseAPDU(status: .wrongData) }
        // A session is begun at most once, and recorded before it starts.
        do {
            guard try sessions.claim(session) else { return ResponseAPDU(status: .sessionUsed) }
        } catch {
            return ResponseAPDU(status: .recordFailed)
        }
        let input = codec.moduleInput(hostInput, process: me, random: random)
        self.input = input
        self.keys = ChannelKeys(secrets: secrets, session: session, instance: codec.instanceName)
        self.state = codec.proto.initial(ProcessID(me), input: input)
        self.own = nil
        self.rejected = [:]
        phase = .ready(round: 0)
        var out: [UInt8] = []
        Bytes.append(UInt16(format.frameSize), to: &out)
        Bytes.append(UInt16(codec.proto.rounds), to: &out)
        Bytes.append(UInt16(n), to: &out)
        return ResponseAPDU(data: out)
    }

    private func roundOut(_ data: [UInt8]) -> ResponseAPDU {
        guard data.count == 4, let round32 = Bytes.read(UInt32.self, from: data, at: 0) else {
            return ResponseAPDU(status: .wrongLength)
        }
        let round = Int(round32)
        guard case .ready(let done) = phase, round == done + 1, round <= codec.proto.rounds,
            let keys, let state
        else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        var out: [UInt8] = []
        out.reserveCapacity(n * format.frameSize)
        for j in 0..<n {
            let m = codec.proto.message(state, round: round, to: ProcessID(j))
            if j == me { own = m }
            let bytes = codec.encode(m)
            out.append(
                contentsOf: format.seal(
                    bytes, key: keys.key(with: j), session: keys.session, round: round, sender: me, receiver: j))
        }
        phase = .sent(round: round)
        return ResponseAPDU(data: out)
    }

    private func roundIn(_ data: [UInt8]) -> ResponseAPDU {
        guard data.count >= 4, let round32 = Bytes.read(UInt32.self, from: data, at: 0) else {
            return ResponseAPDU(status: .wrongLength)
        }
        let round = Int(round32)
        guard case .sent(let sentRound) = phase, round == sentRound, let keys, let state else {
            return ResponseAPDU(status: .conditionsNotSatisfied)
        }
        // Parse every slot before touching the state: a malformed command
        // changes nothing.
        var slots: [ArraySlice<UInt8>?] = []
        slots.reserveCapacity(n)
        var offset = 4
        for _ in 0..<n {
            guard offset < data.count else { return ResponseAPDU(status: .wrongLength) }
            let present = data[offset]
            offset += 1
            switch present {
            case 0:
                slots.append(nil)
            case 1:
                guard let length = Bytes.read(UInt16.self, from: data, at: offset) else {
                    return ResponseAPDU(status: .wrongLength)
                }
                offset += 2
                guard offset + Int(length) <= data.count else { return ResponseAPDU(status: .wrongLength) }
                slots.append(data[offset..<(offset + Int(length))])
                offset += Int(length)
            default:
                return ResponseAPDU(status: .wrongData)
            }
        }
        guard offset == data.count else { return ResponseAPDU(status: .wrongLength) }
        var verdicts: [UInt8] = []
        var inbox: [Delivery<C.P.Message, Concrete>] = []
        inbox.reserveCapacity(n)
        // A placeholder message for omitted deliveries (never read by the
        // protocol: `arrived` is false).
        guard let own else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        let filler = own
        for (i, slot) in slots.enumerated() {
            var verdict = FrameVerdict.absent
            var message: C.P.Message?
            if i == me {
                // The module's own message never leaves it: whatever the
                // host put in this slot (its copy of the frame, nothing, or
                // anything else) is ignored.
                message = own
                verdict = .accepted
            } else if let slot {
                switch format.open(
                    slot, key: keys.key(with: i), session: keys.session, round: round, sender: i, receiver: me)
                {
                case .failure(let v): verdict = v
                case .success(let bytes):
                    if let m = codec.decode(bytes) {
                        message = m
                        verdict = .accepted
                    } else {
                        verdict = .badMessage
                    }
                }
            }
            if verdict != .accepted { rejected[verdict, default: 0] += 1 }
            verdicts.append(verdict.rawValue)
            inbox.append(Delivery(arrived: message != nil, message: message ?? filler))
        }
        self.state = codec.proto.receive(state, round: round, inbox: inbox)
        self.own = nil
        phase = .ready(round: round)
        return ResponseAPDU(data: verdicts)
    }

    private func result(_ data: [UInt8]) -> ResponseAPDU {
        guard data.isEmpty else { return ResponseAPDU(status: .wrongLength) }
        guard case .ready(let done) = phase, done == codec.proto.rounds, let state else {
            return ResponseAPDU(status: .conditionsNotSatisfied)
        }
        let d = codec.proto.decision(state)
        var out: [UInt8] = [d.decided ? 1 : 0]
        ValueBytes.append(input ?? 0, to: &out)
        for v in d.value { ValueBytes.append(v, to: &out) }
        return ResponseAPDU(data: out)
    }
}
