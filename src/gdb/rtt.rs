//! `monitor rtt ...`: OpenOCD's RTT words, over the protocol-free [`crate::rtt`] service.

use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput};

use crate::rtt::service::{Status, SEARCH_PAUSE};
use crate::rtt::{AccessError, ChipAccess, ScanArea, StartReport};

use super::monitor::print;
use super::shared::{ChipError, SharedChip};
use super::target::ChipTarget;

/// The RTT poller takes the server's shared chip for one poll at a time.
impl ChipAccess for SharedChip {
    fn with_core(&self, op: &mut dyn FnMut(&mut probe_rs::Core<'_>)) -> Result<(), AccessError> {
        SharedChip::with_core(self, |core| {
            op(core);
            Ok(())
        })
        .map_err(|e| match e {
            ChipError::Lost(why) => AccessError::Unavailable(why),
            ChipError::Probe(e) => AccessError::Probe(e),
        })
    }
}

/// The `monitor help` lines of the RTT commands.
pub const HELP: &[(&str, &str)] = &[
    (
        "rtt setup [ADDRESS SIZE [ID]]",
        "where to search for the RTT control block (default: all RAM; ID \"SEGGER RTT\")",
    ),
    (
        "rtt start|stop",
        "start RTT (search now, then keep searching) or stop it",
    ),
    (
        "rtt channels",
        "the control block's up and down channels: names and sizes",
    ),
    (
        "rtt server start PORT CHANNEL",
        "serve a channel on 127.0.0.1:PORT (0: a free port)",
    ),
    ("rtt server stop PORT", "stop the channel server on PORT"),
    (
        "rtt console on|off",
        "show RTT channel 0 on the server's console",
    ),
];

/// A parsed `rtt` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RttCommand {
    /// `rtt setup` (`None`: all RAM) or `rtt setup ADDRESS SIZE [ID]`.
    Setup(Option<SetupArgs>),
    /// `rtt start`.
    Start,
    /// `rtt stop`.
    Stop,
    /// `rtt channels`.
    Channels,
    /// `rtt server start PORT CHANNEL`.
    ServerStart {
        /// 0 picks a free port.
        port: u16,
        /// The channel number.
        channel: usize,
    },
    /// `rtt server stop PORT`.
    ServerStop(u16),
    /// `rtt console on|off`.
    Console(bool),
}

/// The words of `rtt setup ADDRESS SIZE [ID]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupArgs {
    /// Start of the range to search.
    pub address: u64,
    /// Its size in bytes.
    pub size: u64,
    /// The control block ID, if given (quotes removed).
    pub id: Option<String>,
}

fn number(word: &str, what: &str) -> Result<u64, String> {
    let parsed = match word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => word.parse(),
    };
    parsed.map_err(|_| format!("`{word}` is not a {what} (a number, decimal or 0x hex)"))
}

/// Parses the words after `rtt`.
pub fn parse(words: &[&str]) -> Result<RttCommand, String> {
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        ["setup"] => Ok(RttCommand::Setup(None)),
        ["setup", _, _, ..] => {
            let address = number(words[1], "address")?;
            let size = number(words[2], "size")?;
            let id = (words.len() > 3).then(|| words[3..].join(" ").trim_matches('"').to_string());
            Ok(RttCommand::Setup(Some(SetupArgs { address, size, id })))
        }
        ["setup", _] => Err("rtt setup takes ADDRESS and SIZE (and an ID), or nothing".into()),
        ["start"] => Ok(RttCommand::Start),
        ["stop"] => Ok(RttCommand::Stop),
        ["channels"] => Ok(RttCommand::Channels),
        ["server", "start", port, channel] => Ok(RttCommand::ServerStart {
            port: port
                .parse()
                .map_err(|_| format!("`{port}` is not a TCP port (0..=65535)"))?,
            channel: channel
                .parse()
                .map_err(|_| format!("`{channel}` is not a channel number"))?,
        }),
        ["server", "start", ..] => Err("rtt server start takes PORT and CHANNEL".into()),
        ["server", "stop", port] => {
            Ok(RttCommand::ServerStop(port.parse().map_err(|_| {
                format!("`{port}` is not a TCP port (0..=65535)")
            })?))
        }
        ["server", "stop", ..] => Err("rtt server stop takes PORT".into()),
        ["console", "on"] => Ok(RttCommand::Console(true)),
        ["console", "off"] => Ok(RttCommand::Console(false)),
        ["console", ..] => Err("rtt console takes on or off".into()),
        [] => Err("rtt needs a command: setup, start, stop, channels, server, console".into()),
        _ => Err(format!("unknown rtt command `{}`", words.join(" "))),
    }
}

fn status_lines(status: &Status) -> Vec<String> {
    let mut lines = Vec::new();
    match (&status.table, status.started) {
        (Some(table), _) => {
            lines.push(format!(
                "control block at {:#010x}: {} up, {} down channel(s)",
                table.address,
                table.up.len(),
                table.down.len()
            ));
            lines.extend(table.lines());
        }
        (None, true) => {
            lines.push(format!(
                "no control block found yet; searching {}",
                status.area
            ));
            if !status.several.is_empty() {
                let list: Vec<String> = status
                    .several
                    .iter()
                    .map(|a| format!("{a:#010x}"))
                    .collect();
                lines.push(format!(
                    "several control blocks found ({}): choose one with `monitor rtt setup ADDRESS SIZE`",
                    list.join(", ")
                ));
            }
        }
        (None, false) => lines
            .push("RTT is not started (`monitor rtt setup`, then `monitor rtt start`)".to_string()),
    }
    for s in &status.servers {
        let client = s
            .client
            .map_or("no client".to_string(), |c| format!("client {c}"));
        lines.push(format!(
            "server {} for channel {}: {client}",
            s.addr, s.channel
        ));
    }
    if status.console {
        lines.push("channel 0 is shown on the server's console".into());
    }
    lines
}

impl ChipTarget<'_> {
    /// Runs `monitor rtt ...`. User mistakes come back as `Err` text (printed, the session goes
    /// on).
    pub(crate) fn rtt_command(
        &mut self,
        cmd: RttCommand,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        let rtt = self
            .rtt()
            .ok_or("RTT is not available in this server")?
            .clone();
        match cmd {
            RttCommand::Setup(args) => {
                let area = match args {
                    None => None,
                    Some(a) => Some(
                        ScanArea::range(a.address, a.size, a.id.as_deref(), rtt.ram())
                            .map_err(|e| format!("rtt setup: {e}"))?,
                    ),
                };
                let area = rtt.setup(area);
                outputln!(
                    out,
                    "RTT: control block \"SEGGER RTT\" searched in {}",
                    area
                );
            }
            RttCommand::Start => {
                let mut core = self.core().map_err(|e| format!("rtt start: {e}"))?;
                match rtt.start(&mut core) {
                    StartReport::Attached(table) => {
                        outputln!(out, "RTT started: control block at {:#010x}", table.address);
                        print(out, &table.lines().join("\n"));
                    }
                    StartReport::Searching { area, why } => {
                        outputln!(out, "RTT started, but {} in {}", why, area);
                        outputln!(
                            out,
                            "searching again every {} s until one appears (`monitor rtt stop` ends it)",
                            SEARCH_PAUSE.as_secs()
                        );
                    }
                }
            }
            RttCommand::Stop => {
                if rtt.stop() {
                    outputln!(out, "RTT stopped (channel servers stay open)");
                } else {
                    outputln!(out, "RTT was not started");
                }
            }
            RttCommand::Channels => print(out, &status_lines(&rtt.status()).join("\n")),
            RttCommand::ServerStart { port, channel } => {
                let addr = rtt
                    .serve(port, channel)
                    .map_err(|e| format!("rtt server start: {e}"))?;
                outputln!(out, "RTT channel {} served on {}", channel, addr);
                if rtt.status().table.is_none() {
                    outputln!(
                        out,
                        "(no control block yet: bytes flow once `monitor rtt start` finds it)"
                    );
                }
            }
            RttCommand::ServerStop(port) => {
                let channel = rtt
                    .unserve(port)
                    .map_err(|e| format!("rtt server stop: {e}"))?;
                outputln!(
                    out,
                    "RTT server on port {} (channel {}) stopped",
                    port,
                    channel
                );
            }
            RttCommand::Console(on) => {
                rtt.set_console(on);
                if on {
                    outputln!(out, "RTT channel 0 is shown on the server's console");
                } else {
                    outputln!(
                        out,
                        "RTT channel 0 is no longer shown on the server's console"
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_parse() {
        assert_eq!(parse(&["setup"]), Ok(RttCommand::Setup(None)));
        assert_eq!(
            parse(&["setup", "0x20020000", "1024", "\"SEGGER", "RTT\""]),
            Ok(RttCommand::Setup(Some(SetupArgs {
                address: 0x2002_0000,
                size: 1024,
                id: Some("SEGGER RTT".into())
            })))
        );
        assert_eq!(parse(&["START"]), Ok(RttCommand::Start));
        assert_eq!(parse(&["stop"]), Ok(RttCommand::Stop));
        assert_eq!(parse(&["channels"]), Ok(RttCommand::Channels));
        assert_eq!(
            parse(&["server", "start", "19021", "0"]),
            Ok(RttCommand::ServerStart {
                port: 19021,
                channel: 0
            })
        );
        assert_eq!(
            parse(&["server", "stop", "19021"]),
            Ok(RttCommand::ServerStop(19021))
        );
        assert_eq!(parse(&["console", "on"]), Ok(RttCommand::Console(true)));
    }

    #[test]
    fn mistakes_are_refused() {
        for bad in [
            &[][..],
            &["frob"],
            &["setup", "0x20000000"],
            &["setup", "x", "10"],
            &["server", "start", "70000", "0"],
            &["server", "start", "1000"],
            &["server", "start", "1000", "-1"],
            &["server", "stop"],
            &["console", "maybe"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
