//! Opening a probe-rs `Session` from the common options, for a real probe or the simulator.
