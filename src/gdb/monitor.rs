//! `monitor` commands. Option-byte work goes through the chip family's one change path
//! ([`crate::optbytes::OptionFamily::run`], over [`crate::optbytes::change_with`]), exactly as
//! the CLI does: this file turns the monitor's words into an [`EdgeRequest`] and words the
//! [`Rendered`] answer and the refusals for a GDB console. The family's own commands (`bank`,
//! F7 `ndbank`) are the family's: the monitor asks it which it has.
//!
//! A mistyped command or a bad argument prints the usage and changes nothing: the handler never
//! returns `Err` for user input (that would end the GDB session). Commands that find the core
//! running halt it first and let it run again afterwards, unless they reset it themselves.

use std::time::Duration;

use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd};

use crate::erase;
use crate::fault::{self, vector_catch};
use crate::optbytes::family::{command_anywhere, command_value, FamilyCommand};
use crate::optbytes::words::DRY_RUN_LINE;
use crate::optbytes::{
    self, Asked, Confirmation, Consent, Consents, CoreAfter, EdgeEvent, EdgeRequest, Rendered,
    RunAfter,
};

use super::console_width::{fit, wrap_words, CONSOLE_WIDTH};
use super::guard::RawOptionWrites;
use super::target::{ChipTarget, TargetFault, HALT_TIMEOUT};

/// One line per command the monitor has on every family, for `monitor help` (the family's own
/// commands, `bank` and the like, are listed after `help`).
pub const HELP: &[(&str, &str)] = &[
    ("help", "this list"),
    ("optbytes", "show every option-byte field, decoded"),
    ("optbytes json", "the same as JSON"),
    (
        "optbytes set FIELD=VALUE... [dry-run] [yes] [permanent-rdp2] [no-reset]",
        "change option bytes (same rules as the CLI)",
    ),
    (
        "reset [halt|run]",
        "reset the chip; halt (default) or let it run",
    ),
    ("halt", "halt the core"),
    (
        "vector_catch [WORD...|all|none]",
        "halt on these exceptions (DEMCR VC_*), WORD among hard_err int_err bus_err state_err chk_err nocp_err mm_err reset (an ARMv6-M core such as the Cortex-M0+: hard_err and reset only); no argument: show",
    ),
    (
        "fault",
        "decode CFSR/HFSR/DFSR, MMFAR/BFAR and the stacked exception frame (an ARMv6-M core records no fault cause: HardFault and its frame only)",
    ),
    (
        "erase all|bank1|bank2|sector N|page N",
        "erase flash in the live layout, in the sectors or pages the chip's flash has; the core is halted and stays halted",
    ),
    super::rtt::HELP[0],
    super::rtt::HELP[1],
    super::rtt::HELP[2],
    super::rtt::HELP[3],
    super::rtt::HELP[4],
    super::rtt::HELP[5],
    super::rtt::HELP[6],
    super::rtt::HELP[7],
    (
        "arm semihosting [enable|disable]",
        "serve the program's BKPT 0xAB semihosting calls (off by default); no argument: show",
    ),
    (
        "arm semihosting_cmdline [ARGS...]",
        "the command line SYS_GET_CMDLINE returns (empty by default; `run ARGS` sets it too)",
    ),
    (
        "arm semihosting_basedir [DIR|off]",
        "let SYS_OPEN open host files inside DIR only (off by default); no argument: show",
    ),
    (
        "raw-option-writes [allow|deny]",
        "show, allow or deny (default) memory writes into the FLASH option registers for this session",
    ),
];

/// The monitor commands an observer may run, as listed in its refusals (each is
/// [`Command::is_read_only`]).
pub const READ_ONLY_COMMANDS: &[&str] = &[
    "help",
    "ndbank",
    "bank",
    "optbytes",
    "optbytes json",
    "vector_catch",
    "fault",
    "rtt channels",
];

/// A parsed monitor command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `help`.
    Help,
    /// A family's command (`bank`, F7 `ndbank`): its field shown, or set to `value`
    /// (`bank dual [dry-run] [no-reset]`). Which family has it is asked when it runs.
    FamilyCommand {
        /// The command word, lower case.
        name: String,
        /// The value as typed, if any.
        value: Option<String>,
        /// The flags (dry-run, no-reset).
        flags: SetRequest,
    },
    /// `optbytes`, or `optbytes json`.
    ShowOptbytes {
        /// JSON instead of the table.
        json: bool,
    },
    /// `optbytes set ...`.
    SetOptbytes(SetRequest),
    /// `reset`, `reset halt`, `reset run`.
    Reset {
        /// Halt at the reset vector (true) or run.
        halt: bool,
    },
    /// `halt`.
    Halt,
    /// `vector_catch`: show (`None`) or set exactly these DEMCR VC_* bits.
    VectorCatch(Option<u32>),
    /// `fault`.
    Fault,
    /// `erase ...`.
    Erase(erase::Request),
    /// `rtt ...`.
    Rtt(super::rtt::RttCommand),
    /// `arm semihosting`: show (`None`), enable or disable.
    Semihosting(Option<bool>),
    /// `arm semihosting_cmdline ARGS...`: the program's command line (as typed).
    SemihostingCmdline(String),
    /// `arm semihosting_basedir`: show (`None`), turn host files off, or confine them to a
    /// directory.
    SemihostingBasedir(Option<BasedirChoice>),
    /// `raw-option-writes`: show the policy; with a value, set it.
    RawOptionWrites(Option<RawOptionWrites>),
}

impl Command {
    /// Whether the command only reads: it neither changes the chip, the server or the session's
    /// settings, nor halts the core (an observer's core is never halted). Observers may run
    /// exactly these; a new command is refused to them until it is listed here.
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Command::Help
                | Command::FamilyCommand { value: None, .. }
                | Command::ShowOptbytes { .. }
                | Command::VectorCatch(None)
                | Command::Fault
                | Command::Rtt(super::rtt::RttCommand::Channels)
        )
    }
}

/// What `arm semihosting_basedir` was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BasedirChoice {
    /// `off`: no host files (the default).
    Off,
    /// The directory, as typed (relative to the server's working directory).
    Dir(String),
}

/// The words of `optbytes set`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetRequest {
    /// FIELD=VALUE arguments, as typed.
    pub assignments: Vec<String>,
    /// `dry-run`: show the plan only.
    pub dry_run: bool,
    /// `yes`: confirm changes that erase or lock the chip.
    pub yes: bool,
    /// `permanent-rdp2`: with `yes`, confirm RDP level 2.
    pub permanent_rdp2: bool,
    /// `no-reset`: leave the new values pending until the next reset.
    pub no_reset: bool,
}

/// Why a command line was not understood (the usage follows it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage(pub String);

/// Parses a command line. Words are separated by blanks; command names ignore case.
pub fn parse(line: &str) -> Result<Command, Usage> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        [] | ["help"] | ["?"] => Ok(Command::Help),
        [name, rest @ ..] if command_anywhere(name).is_some() => family_command(name, &words[1..], rest),
        ["optbytes"] => Ok(Command::ShowOptbytes { json: false }),
        ["optbytes", "json" | "--json"] => Ok(Command::ShowOptbytes { json: true }),
        ["optbytes", "set", rest @ ..] => {
            let mut req = SetRequest::default();
            for (i, w) in rest.iter().enumerate() {
                match *w {
                    "dry-run" | "--dry-run" | "dryrun" => req.dry_run = true,
                    "yes" | "--yes" => req.yes = true,
                    "permanent-rdp2" | "--i-understand-rdp2-is-permanent" => {
                        req.permanent_rdp2 = true
                    }
                    "no-reset" | "--no-reset" => req.no_reset = true,
                    _ if w.contains('=') => req.assignments.push(words[2 + i].to_string()),
                    _ => {
                        return Err(Usage(format!(
                            "`{}` is neither FIELD=VALUE nor one of dry-run, yes, permanent-rdp2, no-reset",
                            words[2 + i]
                        )))
                    }
                }
            }
            if req.assignments.is_empty() {
                return Err(Usage(
                    "optbytes set needs at least one FIELD=VALUE (e.g. nDBANK=0)".into(),
                ));
            }
            Ok(Command::SetOptbytes(req))
        }
        ["optbytes", ..] => Err(Usage(format!(
            "unknown optbytes form `{}`",
            words.join(" ")
        ))),
        ["reset"] | ["reset", "halt"] | ["reset", "init"] => Ok(Command::Reset { halt: true }),
        ["reset", "run"] => Ok(Command::Reset { halt: false }),
        ["reset", ..] => Err(Usage(format!(
            "reset takes halt or run, not `{}`",
            words[1..].join(" ")
        ))),
        ["halt"] => Ok(Command::Halt),
        ["halt", ..] => Err(Usage("halt takes no arguments".into())),
        ["vector_catch"] => Ok(Command::VectorCatch(None)),
        ["vector_catch", ..] => vector_catch::parse(&words[1..])
            .map(|mask| Command::VectorCatch(Some(mask)))
            .map_err(|e| Usage(e.to_string())),
        ["fault"] => Ok(Command::Fault),
        ["fault", ..] => Err(Usage("fault takes no arguments".into())),
        ["erase", ..] => erase::parse(&words[1..])
            .map(Command::Erase)
            .map_err(|e| Usage(format!("erase: {e}"))),
        ["rtt", ..] => super::rtt::parse(&words[1..])
            .map(Command::Rtt)
            .map_err(Usage),
        ["arm", "semihosting"] => Ok(Command::Semihosting(None)),
        ["arm", "semihosting", "enable" | "on"] => Ok(Command::Semihosting(Some(true))),
        ["arm", "semihosting", "disable" | "off"] => Ok(Command::Semihosting(Some(false))),
        ["arm", "semihosting", ..] => Err(Usage(format!(
            "arm semihosting takes enable or disable, not `{}`",
            words[2..].join(" ")
        ))),
        ["arm", "semihosting_cmdline", ..] => Ok(Command::SemihostingCmdline(words[2..].join(" "))),
        ["arm", "semihosting_basedir"] => Ok(Command::SemihostingBasedir(None)),
        ["arm", "semihosting_basedir", "off" | "none"] => {
            Ok(Command::SemihostingBasedir(Some(BasedirChoice::Off)))
        }
        ["arm", "semihosting_basedir", ..] => Ok(Command::SemihostingBasedir(Some(
            BasedirChoice::Dir(words[2..].join(" ")),
        ))),
        ["arm", ..] => Err(Usage(format!(
            "unknown arm command `{}`: arm semihosting, arm semihosting_cmdline, arm semihosting_basedir",
            words[1..].join(" ")
        ))),
        ["raw-option-writes"] => Ok(Command::RawOptionWrites(None)),
        ["raw-option-writes", "allow"] => {
            Ok(Command::RawOptionWrites(Some(RawOptionWrites::Allow)))
        }
        ["raw-option-writes", "deny"] => Ok(Command::RawOptionWrites(Some(RawOptionWrites::Deny))),
        ["raw-option-writes", ..] => Err(Usage(format!(
            "raw-option-writes takes allow or deny, not `{}`",
            words[1..].join(" ")
        ))),
        _ => Err(Usage(format!("unknown command `{}`", words[0]))),
    }
}

/// `NAME [VALUE [dry-run] [no-reset]]` of a family command; the value must be one that some
/// family's command of that name takes (the chip's family checks it again when it runs).
fn family_command(name: &str, typed: &[&str], lower: &[&str]) -> Result<Command, Usage> {
    let mut flags = SetRequest::default();
    let Some((value, rest)) = typed.split_first() else {
        return Ok(Command::FamilyCommand {
            name: name.to_string(),
            value: None,
            flags,
        });
    };
    if command_value(name, value).is_none() {
        let usage = command_anywhere(name).map_or("", |c| c.usage);
        return Err(Usage(format!("{name} takes {usage}, not `{value}`")));
    }
    for (i, w) in lower.iter().enumerate().skip(1) {
        match *w {
            "dry-run" | "--dry-run" => flags.dry_run = true,
            "no-reset" | "--no-reset" => flags.no_reset = true,
            _ => {
                return Err(Usage(format!(
                    "{name} {value}: `{}` is not dry-run or no-reset",
                    rest[i - 1]
                )))
            }
        }
    }
    Ok(Command::FamilyCommand {
        name: name.to_string(),
        value: Some(value.to_string()),
        flags,
    })
}

/// The help text: each command on a line of its own, what it does below it, indented and
/// wrapped to fit an 80-column console. `commands` are the chip family's own commands.
pub fn help_text(commands: &[FamilyCommand]) -> String {
    let mut text = String::new();
    let mut entry = |command: &str, what: &str| {
        text.push_str(&format!("monitor {command}\n"));
        for line in wrap_words(what, CONSOLE_WIDTH - HELP_INDENT.len()) {
            text.push_str(&format!("{HELP_INDENT}{line}\n"));
        }
    };
    let (help, others) = HELP
        .split_first()
        .map_or((None, HELP), |(h, o)| (Some(h), o));
    if let Some((command, what)) = help {
        entry(command, what);
    }
    for command in commands {
        entry(command.name, command.show_help);
        entry(
            &format!("{} {}", command.name, command.usage),
            command.set_help,
        );
    }
    for (command, what) in others {
        entry(command, what);
    }
    text
}

/// How far `monitor help` indents a command's description.
const HELP_INDENT: &str = "    ";

/// Prints a table (or a list) to GDB's console, each line fitted to [`CONSOLE_WIDTH`] (a
/// table's last column wraps inside itself).
pub(crate) fn print(out: &mut ConsoleOutput<'_>, text: &str) {
    for line in fit(text, CONSOLE_WIDTH) {
        outputln!(out, "{}", line);
    }
}

/// Prints sentences as they are: nothing lines up in them, the terminal folds them.
fn print_sentences(out: &mut ConsoleOutput<'_>, text: &str) {
    for line in text.lines() {
        outputln!(out, "{}", line);
    }
}

const MAP_NOTE: &str = "GDB still uses the memory map it read at connect: `run` (extended-remote) or a reconnect loads the new one.";
const REGS_NOTE: &str =
    "GDB may show cached registers: `maintenance flush register-cache` (or `run`) refreshes them.";

impl ChipTarget<'_> {
    /// Halts a running core; returns whether it was running.
    fn pause(&mut self) -> Result<bool, probe_rs::Error> {
        // An observer never changes the core's run state; what it may run reads a running core.
        if self.is_observer() {
            return Ok(false);
        }
        let mut core = self.core()?;
        if core.core_halted()? {
            return Ok(false);
        }
        core.halt(HALT_TIMEOUT)?;
        Ok(true)
    }

    /// Lets the core run again if `pause` stopped it.
    fn unpause(&mut self, was_running: bool) -> Result<(), probe_rs::Error> {
        if was_running {
            let mut core = self.core()?;
            if core.core_halted()? {
                core.run()?;
            }
        }
        Ok(())
    }

    fn pc_text(&mut self) -> String {
        match self
            .core()
            .and_then(|mut c| c.read_core_reg::<u32>(c.program_counter()))
        {
            Ok(pc) => format!("{pc:#010x}"),
            Err(_) => "unknown".into(),
        }
    }

    fn run_command(&mut self, cmd: Command, out: &mut ConsoleOutput<'_>) -> Result<(), String> {
        match cmd {
            Command::Help => print(out, &help_text(self.family().options.commands())),
            Command::Halt => {
                // While GDB waits for a stop (exec = Running), the event loop reports this halt.
                let was_running = self.pause().map_err(|e| format!("halt: {e}"))?;
                self.forget_registers();
                let pc = self.pc_text();
                if was_running {
                    outputln!(out, "halted at pc {}", pc);
                } else {
                    outputln!(out, "already halted at pc {}", pc);
                }
            }
            Command::Reset { halt } => {
                self.forget_registers();
                if halt {
                    self.reset_and_halt().map_err(|e| format!("reset: {e}"))?;
                    let pc = self.pc_text();
                    outputln!(out, "reset; core halted at pc {}", pc);
                } else {
                    let mut core = self.core().map_err(|e| format!("reset: {e}"))?;
                    core.reset().map_err(|e| format!("reset: {e}"))?;
                    outputln!(
                        out,
                        "reset; core running (GDB still believes it is stopped: use Ctrl-C or `monitor halt`)"
                    );
                }
            }
            Command::FamilyCommand { name, value, flags } => {
                self.family_command(&name, value.as_deref(), &flags, out)?
            }
            Command::ShowOptbytes { json } => {
                let (text, doc) = self.show_options(Asked::Everything)?;
                if json {
                    // JSON is printed whole: a wrapped string would no longer parse.
                    print_sentences(out, &serde_json::to_string_pretty(&doc).unwrap_or_default());
                } else {
                    print(out, &text);
                }
            }
            Command::SetOptbytes(req) => {
                self.change_options(Asked::Fields(&req.assignments), &req, out)?
            }
            Command::VectorCatch(mask) => {
                let mut core = self.core().map_err(|e| format!("vector_catch: {e}"))?;
                let lines =
                    vector_catch::run(&mut core, mask).map_err(|e| format!("vector_catch: {e}"))?;
                print(out, &lines.join("\n"));
            }
            Command::Fault => {
                let lockup = self.last_lockup.clone();
                let mut core = self.core().map_err(|e| format!("fault: {e}"))?;
                let mut snapshot = fault::read(&mut core).map_err(|e| format!("fault: {e}"))?;
                snapshot.lockup = lockup;
                print(out, &fault::report::render(&snapshot).join("\n"));
            }
            Command::Erase(request) => self.erase(request, out)?,
            Command::Rtt(command) => self.rtt_command(command, out)?,
            Command::Semihosting(on) => self.semihosting_state(on, out),
            Command::SemihostingCmdline(line) => {
                self.semihosting.set_cmdline(&line);
                outputln!(out, "semihosting command line: {:?}", line);
            }
            Command::SemihostingBasedir(choice) => self.semihosting_basedir(choice, out)?,
            Command::RawOptionWrites(choice) => self.raw_option_writes(choice, out)?,
        }
        Ok(())
    }

    /// A family's command: shows its field, or sets it. A command of another family is refused
    /// with what to use instead.
    fn family_command(
        &mut self,
        name: &str,
        value: Option<&str>,
        flags: &SetRequest,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        let options = self.family().options;
        if let Some(refusal) = options.not_here(name) {
            return Err(refusal.to_string());
        }
        let command = options
            .command(name)
            .ok_or_else(|| format!("unknown command `{name}`"))?;
        match value {
            None => {
                let (text, _) = self.show_options(Asked::Show(command))?;
                outputln!(out, "{}", text);
                Ok(())
            }
            Some(value) => self.change_options(Asked::Set(command, value), flags, out),
        }
    }

    /// Erases with a progress line per unit; the core is halted first and left halted.
    fn erase(
        &mut self,
        request: erase::Request,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        let family = self.family();
        self.pause().map_err(|e| format!("halt: {e}"))?;
        self.forget_registers();
        let target_name = self.target_name().to_string();
        let mut core = self.core().map_err(|e| format!("erase: {e}"))?;
        let erased = family
            .erase
            .erase(&mut core, &target_name, request, &mut |line| {
                outputln!(out, "{}", line);
                out.flush();
            });
        drop(core);
        let erased = erased.map_err(|e| format!("erase {request}: {e}"))?;
        let pc = self.pc_text();
        outputln!(
            out,
            "erase {}: {}; core halted at pc {}",
            request,
            erased,
            pc
        );
        Ok(())
    }

    /// Reads the option bytes through the family's change path, halting a running core for the
    /// read and letting it run again afterwards: the text and the JSON document.
    fn show_options(&mut self, asked: Asked<'_>) -> Result<(String, serde_json::Value), String> {
        let options = self.family().options;
        let was_running = self.pause().map_err(|e| format!("halt: {e}"))?;
        let session = self.session().map_err(|e| format!("the chip: {e}"))?;
        let shown = options.run(
            session,
            &EdgeRequest::show(asked),
            confirm_words,
            &mut |_| {},
        );
        self.unpause(was_running)
            .map_err(|e| format!("resume: {e}"))?;
        match shown.map_err(refusal_text)? {
            Rendered::Shown { text, json } => Ok((text, json)),
            other => Err(format!("unexpected report for a read: {other:?}")),
        }
    }

    /// `arm semihosting [enable|disable]`: the setting, and what the server's console lost.
    fn semihosting_state(&mut self, on: Option<bool>, out: &mut ConsoleOutput<'_>) {
        if let Some(on) = on {
            self.semihosting.set_enabled(on);
        }
        if self.semihosting.enabled() {
            outputln!(out, "semihosting is enabled: BKPT 0xAB calls are served,");
            outputln!(out, "output goes to the server's console and to GDB's");
        } else {
            outputln!(
                out,
                "semihosting is disabled: a BKPT 0xAB halt is reported to GDB as SIGTRAP"
            );
        }
        let dropped = crate::semihosting::HostConsole::default().dropped();
        if dropped > 0 {
            outputln!(
                out,
                "{} bytes of output were dropped from the server's console (its standard output was not read)",
                dropped
            );
        }
    }

    /// `arm semihosting_basedir [DIR|off]`: where SYS_OPEN may open host files.
    fn semihosting_basedir(
        &mut self,
        choice: Option<BasedirChoice>,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        match choice {
            None => {}
            Some(BasedirChoice::Off) => {
                self.semihosting.set_basedir(None);
                log::info!("semihosting: host files off");
            }
            Some(BasedirChoice::Dir(dir)) => {
                let base = crate::semihosting::BaseDir::new(std::path::Path::new(&dir))
                    .map_err(|e| format!("arm semihosting_basedir: {e}; host files unchanged"))?;
                log::warn!(
                    "semihosting: the program may open, create and overwrite files in {}",
                    base.root().display()
                );
                self.semihosting.set_basedir(Some(base));
            }
        }
        match self.semihosting.basedir() {
            Some(base) => {
                outputln!(
                    out,
                    "semihosting host files: inside {}",
                    base.root().display()
                );
                outputln!(
                    out,
                    "(absolute paths, `..` and symbolic links leading out are refused)"
                );
            }
            None => outputln!(
                out,
                "semihosting host files: off (only :tt and :semihosting-features open)"
            ),
        }
        Ok(())
    }

    /// `raw-option-writes [allow|deny]`: the write guard's policy for this session.
    fn raw_option_writes(
        &mut self,
        choice: Option<RawOptionWrites>,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        if let Some(policy) = choice {
            self.guard.policy = policy;
            log::warn!("raw writes into the FLASH option registers: {policy:?}");
        }
        let words = self.family().gdb.guard().words();
        match self.guard.policy {
            RawOptionWrites::Deny => {
                outputln!(
                    out,
                    "raw memory writes into {} are refused (the default); option bytes are changed with {}",
                    words.register_list,
                    words.change_hint
                );
                if self
                    .relock_left_open()
                    .map_err(|e| format!("relocking the option registers (OPTLOCK): {e}"))?
                {
                    outputln!(out, "OPTLOCK, left clear by raw writes, is set again");
                }
            }
            RawOptionWrites::Allow => {
                outputln!(
                    out,
                    "raw memory writes into {} are allowed for this session: nothing checks, verifies or relocks them for you",
                    words.register_list
                );
                outputln!(
                    out,
                    "still refused: {} holding RDP = 0xCC (level 2, permanent; `monitor optbytes set RDP=2 yes permanent-rdp2`), OTP, flash (`load`), the stored option bytes",
                    words.rdp_register
                );
                outputln!(out, "OPTLOCK left clear is reported and set again when this client disconnects or after `monitor raw-option-writes deny`");
            }
        }
        Ok(())
    }

    /// Refusals GDB could not show and an OPTLOCK left clear, printed before a command's output.
    fn print_guard_notices(&mut self, out: &mut ConsoleOutput<'_>) {
        for notice in self.guard.take_notices() {
            outputln!(out, "earlier refused: {}", notice);
        }
        if let Some(warning) = self.optlock_warning() {
            outputln!(out, "{}", warning);
        }
    }

    /// Hands option-byte changes to the family's change path and words its report for the
    /// console.
    fn change_options(
        &mut self,
        asked: Asked<'_>,
        req: &SetRequest,
        out: &mut ConsoleOutput<'_>,
    ) -> Result<(), String> {
        let options = self.family().options;
        let request = req.to_request(asked);
        if !request.dry_run {
            // An option load may reset the chip (and drop the link: the engine attaches again
            // in place through the session).
            self.forget_registers();
        }
        let session = self.session().map_err(|e| format!("the chip: {e}"))?;
        let rendered = options
            .run(session, &request, confirm_words, &mut |event| match event {
                EdgeEvent::Planned(text) => {
                    print(out, text);
                    out.flush();
                }
                EdgeEvent::Step(line) => {
                    outputln!(out, "{}", line);
                    out.flush();
                }
            })
            .map_err(refusal_text)?;
        match rendered {
            Rendered::DryRun { .. } => outputln!(out, "{}", DRY_RUN_LINE),
            Rendered::NothingToChange(_) | Rendered::Shown { .. } => {}
            Rendered::Applied(done) => {
                outputln!(out, "{}", done.outcome_line);
                if done.reset {
                    if done.layout_changed {
                        outputln!(out, "{}", MAP_NOTE);
                    }
                    if done.core == CoreAfter::Halted {
                        outputln!(out, "{}", REGS_NOTE);
                    }
                }
            }
        }
        Ok(())
    }
}

impl SetRequest {
    /// The request for `asked` with these words. A debugger keeps the core as it found it.
    fn to_request<'a>(&self, asked: Asked<'a>) -> EdgeRequest<'a> {
        let mut consents = Consents::NONE;
        if self.yes {
            consents = consents.with(Consent::Destructive);
        }
        if self.permanent_rdp2 {
            consents = consents.with(Consent::PermanentRdp2);
        }
        EdgeRequest {
            asked,
            dry_run: self.dry_run,
            reset: !self.no_reset,
            consents,
            run_after: RunAfter::AsFound,
        }
    }
}

/// The words of `optbytes set` that give a confirmation.
fn confirm_words(confirmation: Confirmation) -> &'static str {
    match confirmation {
        Confirmation::MassErase | Confirmation::ReadProtection => "`yes`",
        Confirmation::PermanentRdp2 => "`yes permanent-rdp2`",
    }
}

/// An engine error for the console; a missing confirmation says which words to add.
fn refusal_text(error: optbytes::Error) -> String {
    match &error {
        optbytes::Error::Unconfirmed { missing } => {
            let worst = Confirmation::to_ask_for(missing);
            format!(
                "refused: {}\nto confirm, add {} to the command",
                error.what().unwrap_or_default(),
                confirm_words(worst)
            )
        }
        _ => error.to_string(),
    }
}

impl MonitorCmd for ChipTarget<'_> {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), TargetFault> {
        let Ok(line) = std::str::from_utf8(cmd) else {
            outputln!(out, "monitor commands are plain text; see `monitor help`");
            return Ok(());
        };
        log::info!("monitor {}", line.trim());
        self.print_guard_notices(&mut out);
        match parse(line) {
            Ok(command) => {
                if let Some(refusal) = self.observer_monitor_refusal(&command) {
                    print_sentences(&mut out, &refusal);
                    return Ok(());
                }
                if let Err(e) = self.hold() {
                    print_sentences(&mut out, &format!("error: {e}"));
                    return Ok(());
                }
                if let Err(message) = self.run_command(command, &mut out) {
                    print_sentences(&mut out, &format!("error: {message}"));
                }
            }
            Err(Usage(why)) => {
                outputln!(out, "{}", why);
                outputln!(out, "usage:");
                print(&mut out, &help_text(self.family().options.commands()));
            }
        }
        // Let any wait above settle before the reply (keeps the core state observable).
        std::thread::sleep(Duration::from_millis(0));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(parse(""), Ok(Command::Help));
        assert_eq!(parse("help"), Ok(Command::Help));
        assert_eq!(
            parse("  NDBANK "),
            Ok(Command::FamilyCommand {
                name: "ndbank".into(),
                value: None,
                flags: SetRequest::default()
            })
        );
        assert_eq!(
            parse("ndbank false"),
            Ok(Command::FamilyCommand {
                name: "ndbank".into(),
                value: Some("false".into()),
                flags: SetRequest::default()
            })
        );
        assert_eq!(parse("optbytes"), Ok(Command::ShowOptbytes { json: false }));
        assert_eq!(
            parse("optbytes json"),
            Ok(Command::ShowOptbytes { json: true })
        );
        assert_eq!(parse("reset"), Ok(Command::Reset { halt: true }));
        assert_eq!(parse("reset halt"), Ok(Command::Reset { halt: true }));
        assert_eq!(parse("reset run"), Ok(Command::Reset { halt: false }));
        assert_eq!(parse("halt"), Ok(Command::Halt));
        assert_eq!(parse("vector_catch"), Ok(Command::VectorCatch(None)));
        assert_eq!(
            parse("vector_catch hard_err BUS_ERR"),
            Ok(Command::VectorCatch(Some((1 << 10) | (1 << 8))))
        );
        assert_eq!(
            parse("vector_catch none"),
            Ok(Command::VectorCatch(Some(0)))
        );
        assert_eq!(parse("fault"), Ok(Command::Fault));
        assert_eq!(parse("arm semihosting"), Ok(Command::Semihosting(None)));
        assert_eq!(
            parse("arm semihosting enable"),
            Ok(Command::Semihosting(Some(true)))
        );
        assert_eq!(
            parse("ARM semihosting DISABLE"),
            Ok(Command::Semihosting(Some(false)))
        );
        assert_eq!(
            parse("arm semihosting_cmdline prog --Verbose 3"),
            Ok(Command::SemihostingCmdline("prog --Verbose 3".into()))
        );
        assert_eq!(
            parse("arm semihosting_cmdline"),
            Ok(Command::SemihostingCmdline(String::new()))
        );
        assert_eq!(
            parse("arm semihosting_basedir"),
            Ok(Command::SemihostingBasedir(None))
        );
        assert_eq!(
            parse("arm semihosting_basedir off"),
            Ok(Command::SemihostingBasedir(Some(BasedirChoice::Off)))
        );
        assert_eq!(
            parse("arm semihosting_basedir /tmp/My Results"),
            Ok(Command::SemihostingBasedir(Some(BasedirChoice::Dir(
                "/tmp/My Results".into()
            ))))
        );
        assert_eq!(parse("erase all"), Ok(Command::Erase(erase::Request::All)));
        assert_eq!(
            parse("erase sector 13"),
            Ok(Command::Erase(erase::Request::Sector(13)))
        );
        assert_eq!(
            parse("raw-option-writes"),
            Ok(Command::RawOptionWrites(None))
        );
        assert_eq!(
            parse("Raw-Option-Writes ALLOW"),
            Ok(Command::RawOptionWrites(Some(RawOptionWrites::Allow)))
        );
        assert_eq!(
            parse("raw-option-writes deny"),
            Ok(Command::RawOptionWrites(Some(RawOptionWrites::Deny)))
        );
        assert_eq!(
            parse("optbytes set nDBANK=0 BOOT_ADD1=0x2040 dry-run yes"),
            Ok(Command::SetOptbytes(SetRequest {
                assignments: vec!["nDBANK=0".into(), "BOOT_ADD1=0x2040".into()],
                dry_run: true,
                yes: true,
                permanent_rdp2: false,
                no_reset: false,
            }))
        );
    }

    #[test]
    fn only_read_only_commands_are_read_only() {
        for ok in READ_ONLY_COMMANDS {
            assert!(parse(ok).unwrap().is_read_only(), "{ok}");
        }
        for changes in [
            "halt",
            "reset halt",
            "reset run",
            "ndbank false",
            "bank dual",
            "optbytes set nDBANK=0",
            "vector_catch all",
            "erase all",
            "rtt start",
            "rtt server start 0 0",
            "rtt setup",
            "rtt console on",
            "arm semihosting enable",
            "arm semihosting_basedir /tmp",
            "raw-option-writes allow",
        ] {
            assert!(!parse(changes).unwrap().is_read_only(), "{changes}");
        }
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for bad in [
            "frobnicate",
            "ndbank true false",
            "optbytes set",
            "optbytes set nDBANK",
            "optbytes frob",
            "reset sideways",
            "halt now",
            "vector_catch hard_err bogus",
            "fault now",
            "erase",
            "erase bank3",
            "erase sector x",
            "arm",
            "arm semihosting maybe",
            "arm semihosting enable now",
            "raw-option-writes yes",
            "raw-option-writes allow deny",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn help_names_every_command_on_its_own_line_within_80_columns() {
        let commands = crate::optbytes::family::FAMILIES[0].commands();
        let text = help_text(commands);
        for (cmd, _) in HELP {
            assert!(text.lines().any(|l| l == format!("monitor {cmd}")), "{cmd}");
        }
        for command in commands {
            let set = format!("monitor {} {}", command.name, command.usage);
            assert!(text.lines().any(|l| l == set), "{set}");
        }
        for line in text.lines() {
            assert!(line.chars().count() <= CONSOLE_WIDTH, "{line}");
        }
    }
}
