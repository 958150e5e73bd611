import PalsCore
import PalsModule

extension ModuleClient {
    /// Carries out one of the controller's module calls and returns the
    /// module's answer as the controller's event.
    public func answer(_ call: HostController.ModuleCall) -> HostController.ModuleAnswer {
        do {
            switch call {
            case .begin(let session, let input, let instance):
                return .begun(frameSize: try begin(session: session, input: input, instance: instance))
            case .roundOut(let r):
                return .frames(try roundOut(r))
            case .roundIn(let r, let frames):
                return .verdicts(try roundIn(r, frames: frames))
            case .result:
                let (d, input) = try result()
                return .result(d, input: input)
            case .abort:
                return .aborted(input: try abort())
            }
        } catch {
            return .failed("\(error)")
        }
    }
}
