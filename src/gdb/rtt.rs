//! `monitor rtt ...`: OpenOCD's RTT words, over the protocol-free [`crate::rtt`] service.

use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput};

use std::path::PathBuf;

use gdbstub::conn::Connection;

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
        "rtt server start PORT CHANNEL|defmt",
        "serve a channel (or the decoded defmt lines) on 127.0.0.1:PORT (0: a free port)",
    ),
    ("rtt server stop PORT", "stop the channel server on PORT"),
    (
        "rtt console on|off",
        "show RTT channel 0 on the server's console",
    ),
    (
        "rtt defmt ELF|off",
        "decode the defmt channel with ELF's table (lines on the console), or stop",
    ),
    (
        "rtt defmt gdb on|off",
        "also show the decoded defmt lines here, at each stop",
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
    /// `rtt server start PORT CHANNEL|defmt`.
    ServerStart {
        /// 0 picks a free port.
        port: u16,
        /// The channel number, or `None` for the decoded defmt lines.
        channel: Option<usize>,
    },
    /// `rtt server stop PORT`.
    ServerStop(u16),
    /// `rtt console on|off`.
    Console(bool),
    /// `rtt defmt ELF`.
    DefmtOn(PathBuf),
    /// `rtt defmt off`.
    DefmtOff,
    /// `rtt defmt gdb on|off`.
    DefmtGdb(bool),
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
            channel: match *channel {
                "defmt" => None,
                number => Some(
                    number
                        .parse()
                        .map_err(|_| format!("`{number}` is not a channel number (or `defmt`)"))?,
                ),
            },
        }),
        ["server", "start", ..] => {
            Err("rtt server start takes PORT and CHANNEL (a number, or `defmt`)".into())
        }
        ["defmt", "off"] => Ok(RttCommand::DefmtOff),
        ["defmt", "gdb", "on"] => Ok(RttCommand::DefmtGdb(true)),
        ["defmt", "gdb", "off"] => Ok(RttCommand::DefmtGdb(false)),
        ["defmt", "gdb", ..] => Err("rtt defmt gdb takes on or off".into()),
        ["defmt", _, ..] => Ok(RttCommand::DefmtOn(PathBuf::from(
            words[1..].join(" ").trim_matches('"'),
        ))),
        ["defmt"] => Err("rtt defmt takes the firmware's ELF file, or off".into()),
        ["server", "stop", port] => {
            Ok(RttCommand::ServerStop(port.parse().map_err(|_| {
                format!("`{port}` is not a TCP port (0..=65535)")
            })?))
        }
        ["server", "stop", ..] => Err("rtt server stop takes PORT".into()),
        ["console", "on"] => Ok(RttCommand::Console(true)),
        ["console", "off"] => Ok(RttCommand::Console(false)),
        ["console", ..] => Err("rtt console takes on or off".into()),
        [] => {
            Err("rtt needs a command: setup, start, stop, channels, server, console, defmt".into())
        }
        _ => Err(format!("unknown rtt command `{}`", words.join(" "))),
    }
}

fn status_lines(status: &Status) -> Vec<String> {
    let mut lines = Vec::new();
    match (&status.table, status.started) {
        (Some(table), _) => {
            let why = status.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            lines.push(format!(
                "control block at {:#010x}{why}: {} up, {} down channel(s)",
                table.address,
                table.up.len(),
                table.down.len()
            ));
            lines.extend(table.lines());
        }
        (None, true) => {
            lines.push(format!(
                "no control block attached yet; searching {}",
                status.area
            ));
            if let Some(why) = &status.waiting {
                lines.push(format!("last search: {why}"));
            }
        }
        (None, false) => lines
            .push("RTT is not started (`monitor rtt setup`, then `monitor rtt start`)".to_string()),
    }
    if let Some(symbol) = &status.symbol {
        let used = if status.area.is_whole_ram() {
            ""
        } else {
            " (not used: a search range was set up)"
        };
        lines.push(format!("{symbol}{used}"));
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
    if let Some(defmt) = &status.defmt {
        let channel = defmt
            .channel
            .map_or("the channel named \"defmt\" (else 0)".to_string(), |c| {
                format!("up channel {c}")
            });
        lines.push(format!(
            "defmt: {channel} decoded with {}; lines on the server's console{}",
            defmt.path,
            if defmt.gdb {
                " and in GDB at each stop"
            } else {
                ""
            }
        ));
        for s in &defmt.servers {
            let client = s
                .client
                .map_or("no client".to_string(), |c| format!("client {c}"));
            lines.push(format!("server {} for defmt lines: {client}", s.addr));
        }
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
                            "searching on every {} ms until one is found (`monitor rtt stop` ends it)",
                            SEARCH_PAUSE.as_millis()
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
            RttCommand::ServerStart {
                port,
                channel: None,
            } => {
                let addr = rtt
                    .serve_defmt(port)
                    .map_err(|e| format!("rtt server start: {e}"))?;
                outputln!(out, "decoded defmt lines served on {}", addr);
            }
            RttCommand::ServerStart {
                port,
                channel: Some(channel),
            } => {
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
            RttCommand::DefmtOn(path) => {
                let info = rtt.defmt_on(&path).map_err(|e| format!("rtt defmt: {e}"))?;
                outputln!(
                    out,
                    "defmt: decoding with {} ({} format strings, {} with file:line); lines on the server's console",
                    info.path,
                    info.entries,
                    info.locations
                );
                if let Some(address) = info.symbol {
                    outputln!(out, "its _SEGGER_RTT is at {:#010x}", address);
                }
            }
            RttCommand::DefmtOff => {
                if rtt.defmt_off() {
                    outputln!(out, "defmt decoding stopped (its text ports are closed)");
                } else {
                    outputln!(out, "defmt decoding was off");
                }
            }
            RttCommand::DefmtGdb(on) => {
                if !rtt.defmt_to_gdb(on) {
                    return Err(
                        "rtt defmt gdb: defmt decoding is off (`monitor rtt defmt ELF` first)"
                            .into(),
                    );
                }
                if on {
                    outputln!(out, "decoded defmt lines are shown here at each stop");
                } else {
                    outputln!(out, "decoded defmt lines are no longer shown here");
                }
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

impl ChipTarget<'_> {
    /// At a stop: the defmt lines decoded since the last one, when `rtt defmt gdb on`, as
    /// console output before the stop reply. The bytes still in the target's buffer are read
    /// first (one poll), then the chip is given back before anything is written to GDB.
    pub(crate) fn forward_defmt_at_stop<C: Connection>(
        &mut self,
        conn: &mut C,
    ) -> Result<(), C::Error> {
        if self.is_observer() {
            return Ok(());
        }
        let Some(rtt) = self.rtt().filter(|r| r.defmt_gdb_wanted()).cloned() else {
            return Ok(());
        };
        if let Ok(mut core) = self.core() {
            // Attach if not yet (the block is at the ELF's `_SEGGER_RTT`), then read what the
            // firmware wrote before it stopped.
            for _ in 0..3 {
                rtt.poll(&mut core);
            }
        }
        self.release();
        let lines = rtt.defmt_lines_for_gdb();
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
        for chunk in text.as_bytes().chunks(512) {
            conn.write_all(super::execution::console_packet(chunk).as_bytes())?;
        }
        conn.flush()
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
                channel: Some(0)
            })
        );
        assert_eq!(
            parse(&["server", "start", "0", "defmt"]),
            Ok(RttCommand::ServerStart {
                port: 0,
                channel: None
            })
        );
        assert_eq!(
            parse(&["defmt", "/tmp/My", "Firmware.elf"]),
            Ok(RttCommand::DefmtOn(PathBuf::from("/tmp/My Firmware.elf")))
        );
        assert_eq!(parse(&["defmt", "OFF"]), Ok(RttCommand::DefmtOff));
        assert_eq!(
            parse(&["defmt", "gdb", "on"]),
            Ok(RttCommand::DefmtGdb(true))
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
            &["defmt"],
            &["defmt", "gdb", "maybe"],
            &["server", "start", "0", "defmtx"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
