import PalsCore
import PalsModule

/// A protocol instance as the runtime runs it: the module codec (which holds
/// the concrete protocol), its catalogue name and its properties.
public struct RuntimeModel<C: ModuleCodec>: Sendable {
    /// Encodes the instance's messages into frames and holds the concrete protocol (`proto`).
    public let codec: C
    /// The protocol's name in the catalogue, as run traces record it.
    public let protocolName: String
    /// The protocol's variant in the catalogue, as run traces record it.
    public let variant: String
    /// The properties the oracle checks on every run, in the model's order.
    public let properties: [Property<C.P>]
    /// The inputs of a run when none are given.
    public let defaultInputs: [Int]
    /// Inputs for a campaign's run.
    public let randomInputs: @Sendable (inout SplitMix64) -> [Int]

    /// Builds the model of one instance of `codec`'s protocol.
    ///
    /// - Parameters:
    ///   - defaultInputs: nil: 10, 11, …, 9 + n.
    ///   - randomInputs: nil: n values drawn uniformly from 0…999.
    public init(
        codec: C, protocolName: String, variant: String, properties: [Property<C.P>], defaultInputs: [Int]? = nil,
        randomInputs: (@Sendable (inout SplitMix64) -> [Int])? = nil
    ) {
        let n = codec.proto.n
        self.codec = codec
        self.protocolName = protocolName
        self.variant = variant
        self.properties = properties
        self.defaultInputs = defaultInputs ?? Array(10..<(10 + n))
        self.randomInputs = randomInputs ?? { rng in (0..<n).map { _ in rng.below(1000) } }
    }

    /// The concrete protocol the modules run and the oracle replays.
    public var proto: C.P { codec.proto }
    /// The number of processes, p0…p(n-1).
    public var n: Int { codec.proto.n }
    /// The most processes the adversary may make faulty.
    public var t: Int { codec.proto.t }
    /// The number of rounds R of one run.
    public var rounds: Int { codec.proto.rounds }
    /// The layout of this instance's frames (every frame has the same size).
    public var format: FrameFormat { FrameFormat(maxMessageBytes: codec.maxMessageBytes) }
}
