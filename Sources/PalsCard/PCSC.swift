import CPCSCLite
import Foundation
import PalsModule

#if canImport(Glibc)
    import Glibc
#endif

/// A card in a PC/SC reader, reached through libpcsclite
/// (SCardEstablishContext, SCardConnect, SCardTransmit). The reader may be
/// vpcd's virtual reader or a real one: only its name differs.
///
/// libpcsclite finds pcscd through the socket named by the environment
/// variable PCSCLITE_CSOCK_NAME (default /run/pcscd/pcscd.comm), read once
/// per process.
///
/// Every APDU has a deadline: SCardTransmit blocks until pcscd answers, and
/// pcscd waits for the card as long as the card keeps its connection open
/// (a card process that is stopped rather than killed never answers). The
/// call runs on a thread of its own; when the deadline passes, the channel
/// is broken (this and every later APDU fail with a `ModuleError`, so the
/// host counts its module as crashed) and the context's connection to
/// pcscd is shut down, which ends the blocked call and its thread.
public final class PCSCChannel: CardChannel {
    /// The full name of the reader the card is in.
    public let reader: String
    /// Seconds an APDU may take before the card counts as gone.
    public let transmitTimeout: Double
    /// The default deadline per APDU: far above what any command of the
    /// applet takes (milliseconds), short enough for a host to notice a
    /// card that stopped answering within a few rounds.
    public static let defaultTransmitTimeout = 3.0
    private var context: SCARDCONTEXT = 0
    private var card: SCARDHANDLE = 0
    private var proto: DWORD = 0
    private var connected = false
    /// The context's socket to pcscd (nil if it could not be told apart).
    private let socket: Int32?
    /// Why the channel is broken (an APDU missed its deadline).
    private var broken: String?
    /// The call that missed its deadline, until its thread has ended.
    private var pending: TransmitCall?

    /// Connects to the card in `reader`: a reader's full name, or a prefix
    /// of exactly one reader's name; nil: the only reader there is.
    /// Waits up to `cardTimeout` seconds for a card in the reader; each
    /// APDU may then take up to `transmitTimeout` seconds.
    public init(reader: String?, cardTimeout: Double = 5, transmitTimeout: Double = PCSCChannel.defaultTransmitTimeout)
        throws(ModuleError)
    {
        self.transmitTimeout = transmitTimeout
        var ctx: SCARDCONTEXT = 0
        let (established, sockets) = Self.establish(&ctx)
        try Self.check(established, "SCardEstablishContext")
        socket = sockets.count == 1 ? sockets.first : nil
        context = ctx
        let names: [String]
        do {
            names = try Self.readers(context: ctx)
        } catch {
            SCardReleaseContext(ctx)
            throw error
        }
        let chosen: String
        let matches = reader.map { r in names.contains(r) ? [r] : names.filter { $0.hasPrefix(r) } } ?? names
        guard matches.count == 1 else {
            SCardReleaseContext(ctx)
            let list = names.isEmpty ? "none" : names.map { "\"\($0)\"" }.joined(separator: ", ")
            if let reader {
                throw ModuleError(
                    matches.isEmpty
                        ? "no PC/SC reader named \"\(reader)\" (readers: \(list))"
                        : "\"\(reader)\" names \(matches.count) PC/SC readers (readers: \(list))")
            }
            throw ModuleError(
                names.isEmpty
                    ? "no PC/SC reader" : "\(names.count) PC/SC readers: name one with pcsc:READER (readers: \(list))")
        }
        chosen = matches[0]
        self.reader = chosen
        do {
            try Self.waitForCard(context: ctx, reader: chosen, timeout: cardTimeout)
        } catch {
            SCardReleaseContext(ctx)
            throw error
        }
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        let rc = SCardConnect(ctx, chosen, DWORD(SCARD_SHARE_EXCLUSIVE), pals_scard_protocol_any(), &handle, &active)
        guard rc == pals_scard_success() else {
            SCardReleaseContext(ctx)
            throw ModuleError("SCardConnect to \"\(chosen)\": \(Self.describe(rc))")
        }
        card = handle
        proto = active
        connected = true
    }

    private static func waitForCard(context: SCARDCONTEXT, reader: String, timeout: Double) throws(ModuleError) {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeout * 1000)))
        var current = DWORD(SCARD_STATE_UNAWARE)
        while true {
            let left = deadline - ContinuousClock.now
            let ms = max(
                0, Int(left.components.seconds) * 1000 + Int(left.components.attoseconds / 1_000_000_000_000_000))
            var event: DWORD = 0
            let rc: LONG = reader.withCString { name in
                var state = SCARD_READERSTATE()
                state.szReader = name
                state.dwCurrentState = current
                let rc = SCardGetStatusChange(context, current == DWORD(SCARD_STATE_UNAWARE) ? 0 : DWORD(ms), &state, 1)
                event = state.dwEventState
                return rc
            }
            if rc == pals_scard_success() {
                if event & DWORD(SCARD_STATE_PRESENT) != 0 && event & DWORD(SCARD_STATE_MUTE) == 0 { return }
                current = event & ~DWORD(SCARD_STATE_CHANGED)
            } else if rc != pals_scard_timeout() {
                throw ModuleError("SCardGetStatusChange on \"\(reader)\": \(describe(rc))")
            }
            if ContinuousClock.now >= deadline {
                throw ModuleError("no card in \"\(reader)\" within \(timeout) s")
            }
        }
    }

    /// Whether the APDU that missed its deadline has returned, its thread
    /// ended, within `seconds` (true when no APDU missed its deadline).
    public func abandonedCallEnded(within seconds: Double) -> Bool {
        guard let pending else { return true }
        guard pending.done.wait(timeout: .now() + seconds) == .success else { return false }
        pending.done.signal()
        return true
    }

    deinit {
        if let pending, pending.done.wait(timeout: .now() + 2) == .timedOut {
            // The call still holds the context (its connection could not be
            // shut down): releasing it would block on the same lock.
            return
        }
        if connected { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        SCardReleaseContext(context)
    }

    /// Serializes establishing contexts in this process, so that the socket
    /// a new context opened to pcscd can be told apart.
    private static let establishing = NSLock()

    /// SCardEstablishContext, and the sockets (to pcscd) it opened.
    private static func establish(_ ctx: inout SCARDCONTEXT) -> (LONG, Set<Int32>) {
        establishing.lock()
        defer { establishing.unlock() }
        let before = pcscdSockets()
        let rc = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &ctx)
        return (rc, pcscdSockets().subtracting(before))
    }

    /// The file descriptors of this process that are sockets connected to
    /// a named Unix socket. (The name pcscd reports need not be the one
    /// libpcsclite connected to: pcscd may have been given its socket under
    /// another name; a context's socket is the one that appears while the
    /// context is established.)
    static func pcscdSockets() -> Set<Int32> {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var found: Set<Int32> = []
        for entry in entries {
            guard let fd = Int32(entry) else { continue }
            var address = sockaddr_un()
            var length = socklen_t(MemoryLayout<sockaddr_un>.size)
            let rc = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
            }
            let named = length > socklen_t(MemoryLayout<sa_family_t>.size)
            if rc == 0 && address.sun_family == sa_family_t(AF_UNIX) && named { found.insert(fd) }
        }
        return found
    }

    /// The names of the readers pcscd offers.
    public static func readerNames() throws(ModuleError) -> [String] {
        var ctx: SCARDCONTEXT = 0
        try check(establish(&ctx).0, "SCardEstablishContext")
        defer { SCardReleaseContext(ctx) }
        return try readers(context: ctx)
    }

    private static func readers(context: SCARDCONTEXT) throws(ModuleError) -> [String] {
        var length: DWORD = 0
        let rc = SCardListReaders(context, nil, nil, &length)
        if rc == pals_scard_no_readers() { return [] }
        try check(rc, "SCardListReaders")
        var buffer = [CChar](repeating: 0, count: Int(length) + 1)
        let rc2 = SCardListReaders(context, nil, &buffer, &length)
        if rc2 == pals_scard_no_readers() { return [] }
        try check(rc2, "SCardListReaders")
        // A multi-string: names separated by NUL, ended by an empty one.
        var names: [String] = []
        var current: [UInt8] = []
        for c in buffer.prefix(Int(length)) {
            if c == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(UInt8(bitPattern: c))
            }
        }
        return names
    }

    /// Sends `command` by SCardTransmit and returns the card's response APDU.
    /// - Throws: a `ModuleError` saying the card is gone when SCardTransmit
    ///   fails, the answer is shorter than a status word, or no answer comes
    ///   within `transmitTimeout`; a missed deadline breaks the channel, and
    ///   every later APDU fails too.
    public func transmitAPDU(_ command: [UInt8]) throws(ModuleError) -> [UInt8] {
        if let broken { throw ModuleError(broken) }
        let call = TransmitCall(card: card, protocol: proto, command: command)
        let thread = Thread { call.run() }
        thread.start()
        guard call.done.wait(timeout: .now() + transmitTimeout) == .success else {
            let why = "the card in \"\(reader)\" is gone: no answer within \(transmitTimeout) s"
            broken = why
            pending = call
            // The blocked SCardTransmit reads from this socket: shut down,
            // the read ends and SCardTransmit returns an error.
            if let socket { shutdown(socket, Int32(SHUT_RDWR)) }
            throw ModuleError(why)
        }
        let (rc, out, length) = (call.rc, call.out, call.length)
        guard rc == pals_scard_success() else {
            throw ModuleError("the card in \"\(reader)\" is gone: SCardTransmit: \(Self.describe(rc))")
        }
        guard length >= 2 else {
            throw ModuleError("the card in \"\(reader)\" is gone: it answered \(length) bytes, not a response APDU")
        }
        return Array(out.prefix(Int(length)))
    }

    private static func check(_ rc: LONG, _ what: String) throws(ModuleError) {
        guard rc == pals_scard_success() else { throw ModuleError("\(what): \(describe(rc))") }
    }

    static func describe(_ rc: LONG) -> String {
        let text = String(cString: pcsc_stringify_error(rc))
        return "\(text) (0x\(String(UInt32(bitPattern: Int32(truncatingIfNeeded: rc)), radix: 16, uppercase: true)))"
    }
}

/// One SCardTransmit, run on a thread of its own; `done` is signalled when
/// it returns.
private final class TransmitCall: @unchecked Sendable {
    let card: SCARDHANDLE
    let proto: DWORD
    let command: [UInt8]
    var out = [UInt8](repeating: 0, count: Int(pals_scard_max_buffer()))
    var length: DWORD = 0
    var rc: LONG = 0
    let done = DispatchSemaphore(value: 0)

    init(card: SCARDHANDLE, protocol proto: DWORD, command: [UInt8]) {
        self.card = card
        self.proto = proto
        self.command = command
    }

    func run() {
        length = DWORD(out.count)
        rc = command.withUnsafeBufferPointer { cmd in
            out.withUnsafeMutableBufferPointer { buf in
                SCardTransmit(
                    card, pals_scard_pci(proto), cmd.baseAddress, DWORD(cmd.count), nil, buf.baseAddress, &length)
            }
        }
        done.signal()
    }
}
