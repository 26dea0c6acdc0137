//! Command-line definitions (clap) and the mapping of the common options to [`ProbeOptions`].

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use probe_rs::probe::WireProtocol;

use stm32_opts::optbytes::family::command_value;
use stm32_opts::probe::ProbeOptions;

/// Exit codes, shown in `--help` and documented in docs/option-bytes.md.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success, including \"nothing to change\"
  1  error talking to the probe or the chip: no probe, attach failed, transfer fault,
     BSY timeout, flash error flags, unlock failed
  2  usage error: bad arguments, unknown field, bad value
  3  refused: confirmation missing (--yes, --i-understand-rdp2-is-permanent),
     wrong or unsupported chip, field not present on this part, an erase the live
     layout does not allow, `fault` on a running core without --halt
  4  verify failed: the values read back differ from the values written";

const LONG_ABOUT: &str = "\
Read and set the option bytes of STM32F76x/F77x, STM32G47x/G48x, STM32G0B0/G0B1/G0C1 and
STM32H74x/H75x microcontrollers through a debug probe (probe-rs): the flash bank mode and the bank
swap (F7 nDBANK, G4 DBANK, G0 DUAL_BANK and nSWAP_BANK, H7 SWAP_BANK_OPT), boot options, watchdog
and reset bits, write protection and read protection. Without --chip the tool attaches
generically, reads DEV_ID and the flash size and names the family and part.

Without a board, add --sim (a fresh simulated STM32F767ZI) or --sim-state FILE (a simulated chip
whose option bytes and flash persist in FILE between runs); --sim-uart PORT serves its Nucleo
serial port (virtual COM port) on 127.0.0.1:PORT.

Examples:
  stm32-opts --chip STM32F767ZI ndbank                 show nDBANK
  stm32-opts --chip STM32F767ZI ndbank false           switch to dual bank
  stm32-opts --chip STM32F767ZI optbytes               every field, decoded
  stm32-opts --chip STM32F767ZI optbytes --json
  stm32-opts --chip STM32F767ZI optbytes set nDBANK=0 nDBOOT=0 BOOT_ADD1=0x2040 --dry-run
  stm32-opts --chip STM32F767ZI erase bank2 --yes      erase bank 2 (dual-bank mode)
  stm32-opts --chip STM32F767ZI fault                  why did the stopped core fault
  stm32-opts --chip STM32G474RE bank                   show the G4 bank mode (DBANK)
  stm32-opts --chip STM32G474RE erase page 130         erase one 2 KB page (dual bank: bank 2, PNB 2)
  stm32-opts --chip STM32G474RE bank single            one bank of 4 KB pages (OBL_LAUNCH, re-attach)
  stm32-opts --chip STM32G474RE optbytes set nSWBOOT0=0 nBOOT0=1 --dry-run
  stm32-opts --chip STM32G0B1RE swap on                map physical bank 2 at 0x0800_0000
  stm32-opts --chip STM32H743ZI swap on --no-reset     program SWAP_BANK_OPT, in force at the next reset
  stm32-opts optbytes                                  detect the chip (no --chip) and show its fields";

/// Parses the command line. `--help` lists each registered family's own commands (`bank`,
/// `swap`, …), which clap sees only as "another word".
pub fn parse_command_line() -> Cli {
    let help = format!("{}\n{EXIT_CODES}", family_commands_help());
    let matches = Cli::command().after_long_help(help).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The commands each registered family adds, from the families' own words.
fn family_commands_help() -> String {
    let mut text =
        String::from("Commands of each family (NAME [VALUE] [--dry-run] [--no-reset] [--json]):\n");
    for family in stm32_opts::optbytes::FAMILIES {
        text.push_str(&format!("  {}:\n", family.chip().name()));
        for command in family.commands() {
            text.push_str(&format!(
                "    {} [{}]\n        shows: {}\n        sets: {}\n",
                command.name, command.usage, command.show_help, command.set_help
            ));
        }
    }
    text
}

/// stm32-opts: option bytes of STM32 microcontrollers through a debug probe.
#[derive(Debug, Parser)]
#[command(
    name = "stm32-opts",
    version,
    about = "Read and set the option bytes (bank mode, swap and the rest) of STM32F7, STM32G4, STM32G0B/G0C and STM32H74x/H75x through a debug probe",
    long_about = LONG_ABOUT,
    after_long_help = EXIT_CODES,
)]
pub struct Cli {
    /// Probe and chip selection.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Wire protocol names on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// Serial Wire Debug.
    Swd,
    /// JTAG.
    Jtag,
}

impl From<Protocol> for WireProtocol {
    fn from(p: Protocol) -> Self {
        match p {
            Protocol::Swd => WireProtocol::Swd,
            Protocol::Jtag => WireProtocol::Jtag,
        }
    }
}

/// Options shared by every command, as probe-rs users know them.
#[derive(Clone, Debug, Default, Args)]
pub struct GlobalArgs {
    /// Target chip as probe-rs names it, e.g. STM32F767ZI (also read from PROBE_RS_CHIP).
    /// Without it the chip on the probe is asked what it is (its family's DEV_ID and flash size)
    /// and attached as the probe-rs target of that part; with --sim it is STM32F767ZI. A chip
    /// that disagrees with --chip is refused.
    #[arg(
        short,
        long,
        global = true,
        env = "STM32_OPTS_CHIP",
        value_name = "CHIP"
    )]
    pub chip: Option<String>,
    /// Debug probe to use, as VID:PID[:SERIAL] (see `stm32-opts list`).
    #[arg(
        long,
        global = true,
        env = "PROBE_RS_PROBE",
        value_name = "VID:PID[:SERIAL]"
    )]
    pub probe: Option<String>,
    /// SWD/JTAG clock in kHz.
    #[arg(long, global = true, env = "PROBE_RS_SPEED", value_name = "KHZ")]
    pub speed: Option<u32>,
    /// Wire protocol.
    #[arg(long, global = true, env = "PROBE_RS_PROTOCOL", value_enum)]
    pub protocol: Option<Protocol>,
    /// Attach while holding the chip in reset (needs NRST wired to the probe).
    #[arg(long, global = true)]
    pub connect_under_reset: bool,
    /// Use a simulated chip instead of a probe (a fresh factory chip on every run).
    #[arg(long, global = true)]
    pub sim: bool,
    /// Use a simulated chip whose state persists in FILE between runs (implies --sim).
    #[arg(long, global = true, value_name = "FILE")]
    pub sim_state: Option<PathBuf>,
    /// Serve the simulated chip's virtual COM port UART (F7 USART3, G4 LPUART1, G0 USART2; the
    /// simulated H7 has none) on PORT or ADDR:PORT (loopback when only a port is given), one TCP
    /// client at a time; what the firmware transmits is also copied to stdout. Only with --sim,
    /// --sim-state or sim-probe.
    #[arg(long, global = true, value_name = "[ADDR:]PORT", value_parser = uart_address)]
    pub sim_uart: Option<SocketAddr>,
}

/// `--sim-uart PORT` (on loopback) or `--sim-uart ADDR:PORT`.
fn uart_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    text.parse().map_err(|_| {
        format!("`{text}` is not an address: use PORT or ADDR:PORT, e.g. 4445 or 127.0.0.1:4445")
    })
}

impl GlobalArgs {
    /// The probe layer's options. `--chip` falls back to PROBE_RS_CHIP (clap reads only one
    /// variable per option: STM32_OPTS_CHIP).
    pub fn probe_options(&self) -> ProbeOptions {
        self.probe_options_with(std::env::var("PROBE_RS_CHIP").ok())
    }

    /// As [`probe_options`](Self::probe_options), with the PROBE_RS_CHIP value given.
    pub fn probe_options_with(&self, probe_rs_chip: Option<String>) -> ProbeOptions {
        let chip = self
            .chip
            .clone()
            .or(probe_rs_chip)
            .filter(|c| !c.trim().is_empty());
        ProbeOptions {
            chip,
            probe: self.probe.clone(),
            speed_khz: self.speed,
            protocol: self.protocol.map(Into::into),
            connect_under_reset: self.connect_under_reset,
            sim: self.sim || self.sim_state.is_some(),
            sim_state: self.sim_state.clone(),
            sim_uart: self.sim_uart,
        }
    }

    /// Whether a simulated chip is asked for (`--sim`, `--sim-state`).
    pub fn simulated(&self) -> bool {
        self.sim || self.sim_state.is_some()
    }
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show nDBANK, or set it: true = single bank (factory), false = dual bank (F76x/F77x; on
    /// STM32G4 use `bank`).
    #[command(after_long_help = EXIT_CODES)]
    Ndbank(NdbankArgs),
    /// Show every option-byte field decoded, or change fields with `set`.
    ///
    /// Fields are named as the reference manual names them: F76x/F77x FLASH_OPTCR/OPTCR1
    /// (nDBANK, nDBOOT, BOOT_ADD0, …), STM32G4 FLASH_OPTR (DBANK, BFB2, nSWBOOT0, NRST_MODE, …).
    #[command(after_long_help = EXIT_CODES)]
    Optbytes(OptbytesArgs),
    /// Show the flash bank mode of any supported part, or set it: single or dual.
    ///
    /// F76x/F77x: FLASH_OPTCR.nDBANK (1 = single). STM32G47x/G48x: FLASH_OPTR.DBANK (1 = dual,
    /// 2 KB pages in two banks; 0 = single, 4 KB pages). STM32G0B0/G0B1/G0C1: FLASH_OPTR.DUAL_BANK
    /// (1 = dual). The G4 and G0 load the new mode with OBL_LAUNCH, which resets the chip, and the
    /// tool attaches again to verify. Either way the flash content is invalid afterwards: erase it
    /// and flash it again. The H7 is always dual bank (see `swap`).
    #[command(after_long_help = EXIT_CODES)]
    Bank(BankArgs),
    /// List the attached debug probes.
    List,
    /// Serve GDB's remote protocol: `target extended-remote 127.0.0.1:3333` in GDB.
    ///
    /// All standard debugging is forwarded to the chip (registers incl. FPU, memory,
    /// breakpoints, watchpoints, step, continue, Ctrl-C, `load`), plus `monitor bank`,
    /// `monitor ndbank` (F7), `monitor optbytes`, `monitor reset`, `monitor halt`, `monitor vector_catch`,
    /// `monitor fault`, `monitor erase` and `monitor help`.
    Gdb(GdbArgs),
    /// Erase flash in the live layout: all, bank1, bank2 (dual-bank mode), sector N (STM32F7,
    /// STM32H7) or page N (STM32G4, STM32G0; numbered across both banks). With a bank swap in
    /// force (G0, H7) bank N and the numbers are logical (the address window); the tool erases the
    /// physical bank mapped there and says both.
    ///
    /// The core is halted for the erase and left halted. `all` and the banks erase more than
    /// one sector or page and need --yes; `sector N` and `page N` do not.
    Erase(EraseArgs),
    /// Decode the fault state of a stopped core: CFSR, HFSR, DFSR, MMFAR/BFAR and the stacked
    /// exception frame.
    ///
    /// A running core is not touched: the command refuses unless --halt is given (the core then
    /// stays halted). A locked-up core is halted to read its registers.
    Fault(FaultArgs),
    /// Serve the simulated chip as a probe-rs Glasgow socket probe, for any probe-rs tool.
    ///
    /// Attach with `--probe 20b7:9db1:tcp:ADDR:PORT --chip STM32F767ZI` (stm32-opts itself, or
    /// `probe-rs info`, `probe-rs download`, …). Uses `--chip` and `--sim-state` like `--sim`.
    SimProbe(SimProbeArgs),
    /// Another word: a command of the chip's family (`NAME [VALUE] [--dry-run] [--no-reset]
    /// [--json]`, as each family's `monitor help` lists them), checked when the family is known.
    #[command(external_subcommand)]
    Family(Vec<String>),
}

/// The words of a family command given on the command line.
#[derive(Debug, PartialEq, Eq)]
pub struct FamilyCommandArgs {
    /// The command word.
    pub name: String,
    /// Its value, if any.
    pub value: Option<String>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--no-reset`.
    pub no_reset: bool,
    /// `--json`.
    pub json: bool,
}

impl FamilyCommandArgs {
    /// `NAME [VALUE] [--dry-run] [--no-reset] [--json]`; `Err` names what is not understood.
    pub fn parse(words: &[String]) -> Result<FamilyCommandArgs, String> {
        let (name, rest) = words.split_first().ok_or("no command given")?;
        let mut args = FamilyCommandArgs {
            name: name.to_ascii_lowercase(),
            value: None,
            dry_run: false,
            no_reset: false,
            json: false,
        };
        for word in rest {
            match word.as_str() {
                "--dry-run" => args.dry_run = true,
                "--no-reset" => args.no_reset = true,
                "--json" => args.json = true,
                flag if flag.starts_with("--") => {
                    return Err(format!("`{flag}` is not an option of `{name}`"))
                }
                value if args.value.is_none() => args.value = Some(value.to_string()),
                extra => return Err(format!("`{name}` takes one value, not also `{extra}`")),
            }
        }
        Ok(args)
    }
}

/// `erase all|bank1|bank2|sector N|page N [--yes]`.
#[derive(Debug, Args)]
pub struct EraseArgs {
    /// What to erase: all, bank1, bank2, sector N (STM32F7, STM32H7) or page N (STM32G4, STM32G0).
    #[arg(required = true, num_args = 1..=2, value_name = "TARGET")]
    pub target: Vec<String>,
    /// Confirm an erase of more than one sector or page (all, bank1, bank2).
    #[arg(long)]
    pub yes: bool,
}

/// `fault [--halt]`.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// Halt a running core first (it stays halted). Without it a running core is left alone.
    #[arg(long)]
    pub halt: bool,
}

/// `sim-probe --listen ADDR`.
#[derive(Debug, Args)]
pub struct SimProbeArgs {
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:4444")]
    pub listen: std::net::SocketAddr,
}

/// `gdb [--listen ADDR]`.
#[derive(Debug, Args)]
pub struct GdbArgs {
    /// Address to listen on. Loopback by default; anything else exposes the chip to the network.
    #[arg(long, value_name = "ADDR:PORT", default_value = stm32_opts::gdb::DEFAULT_LISTEN, env = "STM32_OPTS_GDB_LISTEN")]
    pub listen: std::net::SocketAddr,
    /// Start RTT at once: search the chip's RAM for the "SEGGER RTT" control block until it
    /// appears (as `monitor rtt setup` + `monitor rtt start`).
    #[arg(long)]
    pub rtt: bool,
    /// Show RTT channel 0 on this console (stdout), as `monitor rtt console on`.
    #[arg(long)]
    pub rtt_console: bool,
    /// The firmware's ELF: RTT attaches at its `_SEGGER_RTT` control block (read again when the
    /// file changes, e.g. before a `load`). Without it the server asks GDB for the symbol, or
    /// searches the RAM.
    #[arg(long, value_name = "ELF")]
    pub elf: Option<std::path::PathBuf>,
    /// Decode defmt logs from RTT with this ELF's table (the firmware's): decoded lines on this
    /// console, as `monitor rtt defmt ELF`. Implies --rtt.
    #[arg(long, value_name = "ELF")]
    pub defmt: Option<std::path::PathBuf>,
}

/// `ndbank [VALUE]`.
#[derive(Debug, Args)]
pub struct NdbankArgs {
    /// New value: true/1/single (single bank) or false/0/dual (dual bank). Omit to show.
    #[arg(value_parser = ndbank_value, value_name = "VALUE")]
    pub value: Option<bool>,
    /// Show what would change, without touching the chip.
    #[arg(long)]
    pub dry_run: bool,
    /// Refused for a change of the bank mode: nDBANK is loaded at once (until the reset,
    /// FLASH_OPTCR would name a bank mode the chip does not run, and erase and load would use
    /// the wrong sectors).
    #[arg(long)]
    pub no_reset: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// A value of the `ndbank` command: true (single bank) or false (dual), in the words the
/// family that has the command accepts.
fn ndbank_value(text: &str) -> Result<bool, String> {
    command_value("ndbank", text).map(|ndbank| ndbank != 0).ok_or_else(|| {
        format!("`{text}` is not a bank mode; use true/1/single (single bank) or false/0/dual (dual bank)")
    })
}

/// `bank [single|dual] [--dry-run] [--no-reset] [--json]`.
#[derive(Debug, Args)]
pub struct BankArgs {
    /// New bank mode. Omit to show.
    #[arg(value_enum, value_name = "MODE")]
    pub mode: Option<BankModeArg>,
    /// Show what would change, without touching the chip.
    #[arg(long)]
    pub dry_run: bool,
    /// Refused for a change of the bank mode: it is loaded at once (F7: reset; G4, G0:
    /// OBL_LAUNCH), since until then the option register would name a layout the chip does not
    /// run and erase and load would use the wrong sectors or pages.
    #[arg(long)]
    pub no_reset: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Bank modes on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BankModeArg {
    /// One bank (F7: nDBANK = 1; G4: DBANK = 0, 4 KB pages).
    Single,
    /// Two banks (F7: nDBANK = 0; G4: DBANK = 1, 2 KB pages).
    Dual,
}

impl BankModeArg {
    /// The value word of the `bank` command.
    pub fn word(self) -> &'static str {
        match self {
            BankModeArg::Single => "single",
            BankModeArg::Dual => "dual",
        }
    }
}

/// `optbytes [--json] [set ...]`.
#[derive(Debug, Args)]
pub struct OptbytesArgs {
    /// Machine-readable output (JSON; shape documented in docs/option-bytes.md).
    #[arg(long, global = true)]
    pub json: bool,
    /// Change fields.
    #[command(subcommand)]
    pub action: Option<OptbytesAction>,
}

/// `optbytes` subcommands.
#[derive(Debug, Subcommand)]
pub enum OptbytesAction {
    /// Change one or more fields under a single OPTSTRT: FIELD=VALUE ...
    ///
    /// Fields (any case): BOR_LEV (off, 1, 2, 3), WWDG_SW, IWDG_SW, nRST_STOP, nRST_STDBY,
    /// nDBOOT, nDBANK, IWDG_STDBY, IWDG_STOP (true/false, 1/0), RDP (level 0/1/2 or a hex byte),
    /// nWRP (12-bit mask, 0 bit = protected), BOOT_ADD0/BOOT_ADD1 (address >> 14, or a 16 KB
    /// aligned address, or itcm-ram/system/flash-itcm/flash/dtcm).
    #[command(after_long_help = EXIT_CODES)]
    Set(SetArgs),
}

/// `optbytes set FIELD=VALUE ...`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// FIELD=VALUE pairs, e.g. nDBANK=0 nDBOOT=0 BOOT_ADD1=0x2040.
    #[arg(required = true, value_name = "FIELD=VALUE")]
    pub changes: Vec<String>,
    /// Show old and new words and fields, without touching the chip.
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm changes that erase or read-protect the chip (RDP level 0 ↔ 1).
    #[arg(short, long)]
    pub yes: bool,
    /// With --yes: confirm RDP level 2, which disables debug access FOREVER.
    #[arg(long = "i-understand-rdp2-is-permanent")]
    pub permanent_rdp2: bool,
    /// Program without resetting: the new values load at the next reset (F7) or option load
    /// (G4, G0). Refused for a bank bit (nDBANK, DBANK, DUAL_BANK, nSWAP_BANK), which is loaded
    /// at once.
    #[arg(long)]
    pub no_reset: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("stm32-opts").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn original_tool_command_lines() {
        let cli = parse(&["--chip", "STM32F767ZI", "ndbank"]).unwrap();
        assert_eq!(cli.global.chip.as_deref(), Some("STM32F767ZI"));
        assert!(matches!(
            cli.command,
            Command::Ndbank(NdbankArgs { value: None, .. })
        ));
        let cli = parse(&["--chip", "STM32F767ZI", "ndbank", "false"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ndbank(NdbankArgs {
                value: Some(false),
                ..
            })
        ));
        let cli = parse(&["-c", "STM32F767ZI", "ndbank", "true"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Ndbank(NdbankArgs {
                value: Some(true),
                ..
            })
        ));
    }

    #[test]
    fn ndbank_values() {
        for (v, expected) in [("1", true), ("single", true), ("0", false), ("dual", false)] {
            let cli = parse(&["ndbank", v]).unwrap();
            match cli.command {
                Command::Ndbank(a) => assert_eq!(a.value, Some(expected)),
                _ => unreachable!(),
            }
        }
        let err = parse(&["ndbank", "maybe"]).unwrap_err().to_string();
        assert!(err.contains("not a bank mode"), "{err}");
    }

    #[test]
    fn global_options_anywhere() {
        let cli = parse(&[
            "optbytes",
            "--json",
            "--sim-state",
            "/tmp/x",
            "--speed",
            "4000",
        ])
        .unwrap();
        let opts = cli.global.probe_options_with(None);
        assert!(opts.sim);
        assert_eq!(opts.sim_state, Some(PathBuf::from("/tmp/x")));
        assert_eq!(opts.speed_khz, Some(4000));
        assert_eq!(opts.chip, None);
        match cli.command {
            Command::Optbytes(a) => {
                assert!(a.json);
                assert!(a.action.is_none());
            }
            _ => unreachable!(),
        }
        let cli = parse(&["--protocol", "jtag", "--connect-under-reset", "list"]).unwrap();
        let opts = cli.global.probe_options_with(Some("STM32F767ZG".into()));
        assert_eq!(opts.protocol, Some(WireProtocol::Jtag));
        assert!(opts.connect_under_reset);
        assert!(!opts.sim);
        assert_eq!(
            opts.chip.as_deref(),
            Some("STM32F767ZG"),
            "PROBE_RS_CHIP fallback"
        );
        let cli = parse(&["--chip", "STM32F767ZI", "list"]).unwrap();
        let opts = cli.global.probe_options_with(Some("STM32F767ZG".into()));
        assert_eq!(opts.chip.as_deref(), Some("STM32F767ZI"), "--chip wins");
    }

    #[test]
    fn optbytes_set() {
        let cli = parse(&[
            "--chip",
            "STM32F767ZI",
            "optbytes",
            "set",
            "nDBANK=0",
            "nDBOOT=0",
            "BOOT_ADD1=0x2040",
            "--dry-run",
            "--yes",
            "--no-reset",
            "--i-understand-rdp2-is-permanent",
            "--json",
        ])
        .unwrap();
        match cli.command {
            Command::Optbytes(OptbytesArgs {
                json,
                action: Some(OptbytesAction::Set(s)),
            }) => {
                assert!(json);
                assert_eq!(s.changes, vec!["nDBANK=0", "nDBOOT=0", "BOOT_ADD1=0x2040"]);
                assert!(s.dry_run && s.yes && s.no_reset && s.permanent_rdp2);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse(&["optbytes", "set"]).is_err(), "needs FIELD=VALUE");
    }

    #[test]
    fn sim_uart_takes_a_port_or_an_address() {
        let cli = parse(&["--sim", "--sim-uart", "4445", "optbytes"]).unwrap();
        let opts = cli.global.probe_options_with(None);
        assert_eq!(opts.sim_uart, Some("127.0.0.1:4445".parse().unwrap()));
        let cli = parse(&["sim-probe", "--sim-uart", "0.0.0.0:4446"]).unwrap();
        assert_eq!(cli.global.sim_uart, Some("0.0.0.0:4446".parse().unwrap()));
        let err = parse(&["--sim", "--sim-uart", "uart0", "optbytes"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("use PORT or ADDR:PORT"), "{err}");
    }

    #[test]
    fn other_words_are_family_commands() {
        let cli = parse(&["--chip", "STM32G0B1RE", "swap", "on", "--dry-run"]).unwrap();
        let Command::Family(words) = cli.command else {
            panic!("{:?}", cli.command)
        };
        let args = FamilyCommandArgs::parse(&words).unwrap();
        assert_eq!(
            args,
            FamilyCommandArgs {
                name: "swap".into(),
                value: Some("on".into()),
                dry_run: true,
                no_reset: false,
                json: false,
            }
        );
        let err = FamilyCommandArgs::parse(&["swap".into(), "on".into(), "off".into()]);
        assert!(err.unwrap_err().contains("one value"));
        let err = FamilyCommandArgs::parse(&["swap".into(), "--yes".into()]);
        assert!(err.unwrap_err().contains("`--yes` is not an option"));
    }

    #[test]
    fn help_documents_exit_codes() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("Exit codes:"), "{help}");
        assert!(help.contains("4  verify failed"));
        assert!(help.contains("--sim-state"));
    }
}
