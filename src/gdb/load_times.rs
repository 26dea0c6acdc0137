//! Where the time of one GDB `load` goes, for the log: the flash packets GDB sends, then each
//! phase of the programming (erase, program, verify, as probe-rs's loader or the host-driven
//! programmer reports them) and what is left around them. Protocol-free.

use std::fmt;
use std::time::{Duration, Instant};

use probe_rs::flashing::{ProgressEvent, ProgressOperation};

/// The clock of one load: started at its first flash packet.
#[derive(Debug, Clone)]
pub struct LoadClock {
    first_packet: Instant,
    packets: u32,
    /// Set at `vFlashDone`: the packets are all in.
    packets_done: Option<Instant>,
    /// Phases measured after `vFlashDone`, in order.
    phases: Vec<(&'static str, Duration)>,
    /// The phase running now and when it started.
    current: Option<(&'static str, Instant)>,
}

impl Default for LoadClock {
    fn default() -> Self {
        LoadClock::start()
    }
}

impl LoadClock {
    /// A load whose first packet arrives now.
    pub fn start() -> LoadClock {
        LoadClock {
            first_packet: Instant::now(),
            packets: 0,
            packets_done: None,
            phases: Vec::new(),
            current: None,
        }
    }

    /// One more flash packet (vFlashErase or vFlashWrite).
    pub fn packet(&mut self) {
        self.packets += 1;
    }

    /// `vFlashDone` arrived: programming starts.
    pub fn packets_done(&mut self) {
        self.packets_done = Some(Instant::now());
    }

    /// A named phase starts now (ending the one before, if any).
    pub fn begin(&mut self, phase: &'static str) {
        self.end();
        self.current = Some((phase, Instant::now()));
    }

    /// The current phase, if any, ends now.
    pub fn end(&mut self) {
        if let Some((name, since)) = self.current.take() {
            self.phases.push((name, since.elapsed()));
        }
    }

    /// Follows the progress events of probe-rs's flash loader.
    pub fn on_progress(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Started(op) => self.begin(operation_name(*op)),
            ProgressEvent::Finished(_) | ProgressEvent::Failed(_) => self.end(),
            _ => {}
        }
    }

    /// The figures so far (call once the load is over).
    pub fn summary(&self) -> LoadTimes {
        let now = Instant::now();
        let done = self.packets_done.unwrap_or(now);
        let measured: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        let after_packets = now.saturating_duration_since(done);
        LoadTimes {
            packets: self.packets,
            receiving: done.saturating_duration_since(self.first_packet),
            phases: self.phases.clone(),
            other: after_packets.saturating_sub(measured),
            total: now.saturating_duration_since(self.first_packet),
        }
    }
}

fn operation_name(op: ProgressOperation) -> &'static str {
    match op {
        ProgressOperation::Fill => "fill",
        ProgressOperation::Erase => "erase",
        ProgressOperation::Program => "program",
        ProgressOperation::Verify => "verify",
    }
}

/// The time of one load, by phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadTimes {
    /// Flash packets received.
    pub packets: u32,
    /// From the first flash packet to `vFlashDone`.
    pub receiving: Duration,
    /// Measured phases after `vFlashDone`.
    pub phases: Vec<(&'static str, Duration)>,
    /// The rest after `vFlashDone`: algorithm set-up, register save and restore, RAM rewrite.
    pub other: Duration,
    /// From the first flash packet to the end.
    pub total: Duration,
}

impl fmt::Display for LoadTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.3} s in all: GDB's {} flash packets {:.3} s",
            self.total.as_secs_f64(),
            self.packets,
            self.receiving.as_secs_f64()
        )?;
        for (name, d) in &self.phases {
            write!(f, ", {name} {:.3} s", d.as_secs_f64())?;
        }
        write!(f, ", other {:.3} s", self.other.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_loader_events() {
        let mut clock = LoadClock::start();
        clock.packet();
        clock.packet();
        clock.packets_done();
        clock.on_progress(&ProgressEvent::Started(ProgressOperation::Erase));
        clock.on_progress(&ProgressEvent::Finished(ProgressOperation::Erase));
        clock.on_progress(&ProgressEvent::Started(ProgressOperation::Program));
        clock.on_progress(&ProgressEvent::Failed(ProgressOperation::Program));
        let times = clock.summary();
        let names: Vec<&str> = times.phases.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["erase", "program"]);
        assert_eq!(times.packets, 2);
        let text = times.to_string();
        assert!(text.contains("GDB's 2 flash packets"), "{text}");
        assert!(
            text.contains(", erase ") && text.contains(", program "),
            "{text}"
        );
    }

    #[test]
    fn a_new_phase_ends_the_one_before() {
        let mut clock = LoadClock::start();
        clock.begin("erase");
        clock.begin("program");
        clock.end();
        clock.end();
        assert_eq!(clock.summary().phases.len(), 2);
    }
}
