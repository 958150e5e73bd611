import PalsCore
import PalsModule
import PalsProtocols
import PalsRuntime
import TrustedPals

/// One fixed deployment (n = 4) whose module p1 the fuzzer drives.
struct Fixture {
    let codec: UICModuleCodec
    let module: SecurityModule<UICModuleCodec>
    let keys: ChannelKeys
    let format: FrameFormat
    let begin: [UInt8]
    let session = SessionID(42)

    init() {
        codec = UICModuleCodec(UIC(logic: Concrete(), n: 4, t: 1))
        // Fixed keys: the fuzzer's inputs must mean the same thing on every run.
        let keys = (0..<4).map { i in
            try! ModuleKey.parse(
                #"{"schema":"trustedpals/module-key/v1","id":\#(i),"privateKey":"\#(String(repeating: "0\(i + 1)", count: 32))"}"#
            )
        }
        let roster = try! Roster(peers: keys.map { Roster.Peer(id: $0.id, publicKey: $0.publicKey, address: nil) })
        module = try! SecurityModule(codec: codec, key: keys[1], roster: roster)
        self.keys = ChannelKeys(
            secrets: try! PairSecrets(key: keys[1], roster: roster), session: session, instance: codec.instanceName)
        format = FrameFormat(maxMessageBytes: codec.maxMessageBytes)
        var b = session.bytes
        Bytes.append(Int64(7), to: &b)
        b += Array(codec.instanceName.utf8)
        begin = CommandAPDU(.begin, data: b).bytes
    }
}

nonisolated(unsafe) let fixture = Fixture()

/// The first byte picks the target: 0 a sequence of APDUs into a started
/// module (1-byte lengths), 1 a frame into the frame decoder, 2 bytes into
/// the UIC message decoder, 3 text into the run-trace parser. Any trap or
/// sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    let f = fixture
    switch mode % 4 {
    case 0:
        _ = f.module.process(f.begin)
        var k = 0
        while k < rest.count {
            let length = Int(rest[k])
            let apdu = Array(rest[(k + 1)..<min(rest.count, k + 1 + length)])
            let response = f.module.process(apdu)
            precondition(response.count >= 2, "a response without a status word")
            k += 1 + length
        }
    case 1:
        for sender in 0..<4 {
            if case .success(let m) = f.format.open(
                rest[...], key: f.keys.key(with: sender), session: f.session, round: 1, sender: sender, receiver: 1)
            {
                _ = f.codec.decode(m)
            }
        }
    case 2:
        if let m = f.codec.decode(rest[...]) {
            precondition(f.codec.decode(f.codec.encode(m)[...]) == m, "decode ∘ encode is not the identity")
            precondition(f.codec.encode(m) == rest, "two encodings of one message")
        }
    default:
        _ = try? RunTrace.parse(String(decoding: rest, as: UTF8.self))
        _ = try? CommandAPDU.parse(rest).get()
    }
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable target's entry point as `<target>_main`;
/// hand control to libFuzzer's driver from there.
@_cdecl("PalsFuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var c = argc
    var v = argv
    return runDriver(&c, &v) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
