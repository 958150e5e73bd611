import PalsRuntime

/// T0 for the peers `pals cluster` starts, milliseconds since the Unix
/// epoch: far enough ahead that every peer process is up and connected
/// before round 1 (process start-up, key loading and the TLS handshakes take
/// tens of milliseconds each on a loaded machine).
func clusterStartTime(n: Int) -> Int64 {
    systemWallClock() / 1_000_000 + 1000 + 100 * Int64(n)
}
