//! The command-line edge: parse, dispatch, print, exit code. The work is done by the library
//! (`stm32_opts::optbytes`, `stm32_opts::probe`).

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};

use cli::{
    BankModeArg, Cli, Command, EraseArgs, FamilyCommandArgs, FaultArgs, GlobalArgs, OptbytesAction,
    OptbytesArgs, SetArgs,
};
use probe_rs::CoreStatus;
use stm32_opts::erase;
use stm32_opts::family::Family;
use stm32_opts::fault;
use stm32_opts::optbytes::family::command_anywhere;
use stm32_opts::optbytes::words::DRY_RUN_LINE;
use stm32_opts::optbytes::{
    self, Asked, AttachError, Confirmation, Consent, Consents, EdgeEvent, EdgeRequest,
    ErrorCategory, Rendered, RunAfter,
};
use stm32_opts::probe::{self, ProbeError};

/// Exit codes (documented in `--help` and docs/option-bytes.md).
mod exit {
    pub const CHIP: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const REFUSED: u8 = 3;
    pub const VERIFY: u8 = 4;
}

fn main() -> ExitCode {
    let cli = cli::parse_command_line();
    if cli.global.sim_uart.is_some()
        && !cli.global.simulated()
        && !matches!(cli.command, Command::SimProbe(_))
    {
        <Cli as clap::CommandFactory>::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--sim-uart serves the simulated chip's serial port: it needs --sim or --sim-state (or `sim-probe`)",
            )
            .exit();
    }
    // The GDB server reports one line per connection at info; the one-shot commands stay quiet.
    let default_level = if matches!(cli.command, Command::Gdb(_) | Command::SimProbe(_)) {
        "warn,stm32_opts::gdb=info,stm32_opts::sim::glasgow=info"
    } else {
        "warn"
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_level))
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(&err))
        }
    }
}

fn exit_code(err: &anyhow::Error) -> u8 {
    // A chip of another family than --chip names is refused, whichever layer met it.
    let wrong_family = |cause: &(dyn std::error::Error + 'static)| {
        matches!(
            cause.downcast_ref::<ProbeError>(),
            Some(ProbeError::WrongFamily { .. })
        )
    };
    if err.chain().any(wrong_family) {
        return exit::REFUSED;
    }
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<optbytes::Error>() {
            return match e.category() {
                ErrorCategory::Usage => exit::USAGE,
                ErrorCategory::Refused => exit::REFUSED,
                ErrorCategory::Chip => exit::CHIP,
                ErrorCategory::Verify => exit::VERIFY,
            };
        }
        if cause.downcast_ref::<ProbeError>().is_some() {
            return exit::CHIP;
        }
        if cause.downcast_ref::<erase::ParseError>().is_some() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<Refused>().is_some() {
            return exit::REFUSED;
        }
        if let Some(erase::Error::Refused(_)) = cause.downcast_ref::<erase::Error>() {
            return exit::REFUSED;
        }
    }
    exit::CHIP
}

fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::List => list(),
        Command::Fault(args) => fault_report(&named(global)?, args),
        Command::Gdb(args) => stm32_opts::gdb::run(
            &global.probe_options(),
            args.listen,
            stm32_opts::gdb::RttOptions {
                start: args.rtt || args.defmt.is_some(),
                console: args.rtt_console,
                elf: args.elf,
                defmt: args.defmt,
            },
        ),
        Command::SimProbe(args) => {
            let mut opts = global.probe_options();
            opts.sim = true;
            stm32_opts::sim::glasgow::serve(&opts, args.listen)
        }
        Command::Ndbank(args) => {
            let global = &named(global)?;
            let value = args
                .value
                .map(|single| if single { "true" } else { "false" });
            let flags = ChangeFlags {
                dry_run: args.dry_run,
                no_reset: args.no_reset,
                json: args.json,
            };
            family_command(global, family_of(global)?, "ndbank", value, flags)
        }
        Command::Bank(args) => {
            let global = &named(global)?;
            let flags = ChangeFlags {
                dry_run: args.dry_run,
                no_reset: args.no_reset,
                json: args.json,
            };
            let value = args.mode.map(BankModeArg::word);
            family_command(global, family_of(global)?, "bank", value, flags)
        }
        Command::Optbytes(OptbytesArgs { json, action: None }) => {
            let global = &named(global)?;
            show(global, family_of(global)?, Asked::Everything, json)
        }
        Command::Optbytes(OptbytesArgs {
            json,
            action: Some(OptbytesAction::Set(args)),
        }) => {
            let global = &named(global)?;
            set(global, family_of(global)?, args, json)
        }
        Command::Erase(args) => {
            let global = &named(global)?;
            erase_flash(global, family_of(global)?, args)
        }
        Command::Family(words) => {
            let args = match FamilyCommandArgs::parse(&words) {
                Ok(args) if command_anywhere(&args.name).is_some() => args,
                Ok(args) => usage_error(&format!("unrecognized command `{}`", args.name)),
                Err(why) => usage_error(&why),
            };
            let global = &named(global)?;
            let flags = ChangeFlags {
                dry_run: args.dry_run,
                no_reset: args.no_reset,
                json: args.json,
            };
            let family = family_of(global)?;
            family_command(global, family, &args.name, args.value.as_deref(), flags)
        }
    }
}

/// A usage error in clap's form and exit code (2).
fn usage_error(message: &str) -> ! {
    <Cli as clap::CommandFactory>::command()
        .error(clap::error::ErrorKind::InvalidSubcommand, message)
        .exit()
}

fn open(global: &GlobalArgs) -> Result<probe_rs::Session> {
    let opts = global.probe_options();
    log::info!("opening a session: {opts:?}");
    probe::open_session(&opts).context("could not open a debug session")
}

/// Progress lines go to stderr as they happen, so stdout stays the result (and valid JSON).
fn progress(line: &str) {
    eprintln!("  {line}");
}

/// The options with the chip named, once: `--chip` as given, or (without it, on a probe) the
/// part the chip says it is.
fn named(global: &GlobalArgs) -> Result<GlobalArgs> {
    let (opts, _) = global.probe_options().named()?;
    Ok(GlobalArgs {
        chip: opts.chip,
        ..global.clone()
    })
}

/// The family of the chip `--chip` names: decided once, here, and handed to everything below.
fn family_of(global: &GlobalArgs) -> Result<Family> {
    let name = global.probe_options().chip_name()?;
    Family::for_target(&name).ok_or_else(|| {
        Refused(format!(
            "`{name}` is not a part of a supported family ({}): pass --chip with a part name such as STM32F767ZI or STM32G474RE; nothing was changed",
            stm32_opts::chip::family::names()
        ))
        .into()
    })
}

/// The CLI's link to the chip: the session is opened when the engine first asks for it, so a
/// request refused before any probe access never opens the probe. A simulated chip is kept
/// here, so that attaching again (after an option load that dropped the link) reaches the same
/// chip.
struct CliLink<'a> {
    global: &'a GlobalArgs,
    sim: Option<stm32_opts::sim::Simulator>,
    session: Option<probe_rs::Session>,
}

impl<'a> CliLink<'a> {
    fn new(global: &'a GlobalArgs) -> Self {
        CliLink {
            global,
            sim: None,
            session: None,
        }
    }

    fn open(&mut self) -> Result<probe_rs::Session, AttachError> {
        let opts = self.global.probe_options();
        if !opts.simulated() || opts.probe.is_some() {
            return Ok(open(self.global)?);
        }
        let sim = match self.sim.take() {
            Some(sim) => sim,
            None => opts.simulator().context("could not open a debug session")?,
        };
        let chip = opts.chip_name().context("could not open a debug session")?;
        let attached = sim
            .probe()
            .attach(chip.as_str(), probe_rs::Permissions::default())
            .with_context(|| format!("could not open a debug session: cannot attach to {chip}"));
        self.sim = Some(sim);
        Ok(attached?)
    }
}

/// How long attaching again after an option load may keep failing (the chip is resetting).
const REATTACH_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

impl optbytes::Link for CliLink<'_> {
    fn session(&mut self) -> Result<&mut probe_rs::Session, AttachError> {
        match self.session {
            Some(ref mut session) => Ok(session),
            None => {
                let session = self.open()?;
                Ok(self.session.insert(session))
            }
        }
    }

    fn reattach(&mut self) -> Result<&mut probe_rs::Session, AttachError> {
        self.session = None;
        let start = std::time::Instant::now();
        loop {
            match self.open() {
                Ok(session) => return Ok(self.session.insert(session)),
                Err(e) if start.elapsed() < REATTACH_BOUND => {
                    log::info!("attaching again failed ({e}); retrying");
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Runs `request` through the family's change path: progress lines to stderr, the plan to
/// stdout (unless JSON), refusals in the CLI's words.
fn run_request(
    global: &GlobalArgs,
    family: Family,
    request: &EdgeRequest<'_>,
    json: bool,
) -> Result<Rendered> {
    let mut link = CliLink::new(global);
    family
        .options
        .run(
            &mut link,
            request,
            confirm_flags,
            &mut |event| match event {
                EdgeEvent::Planned(text) if !json => print!("{text}"),
                EdgeEvent::Planned(_) => {}
                EdgeEvent::Step(line) => progress(line),
            },
        )
        .map_err(in_cli_words)
}

/// The flags that give a confirmation.
fn confirm_flags(confirmation: Confirmation) -> &'static str {
    match confirmation {
        Confirmation::MassErase | Confirmation::ReadProtection => "--yes",
        Confirmation::PermanentRdp2 => "--yes and --i-understand-rdp2-is-permanent",
    }
}

/// An engine error as the CLI reports it: a missing confirmation names the flags to add.
fn in_cli_words(error: optbytes::Error) -> anyhow::Error {
    match &error {
        optbytes::Error::Unconfirmed { missing } => {
            let worst = Confirmation::to_ask_for(missing);
            Refused(format!(
                "refused: {}. Run again with {} to confirm; option bytes unchanged",
                error.what().unwrap_or_default(),
                confirm_flags(worst)
            ))
            .into()
        }
        _ => error.into(),
    }
}

/// Shows every field (`optbytes`) or one command's field (`bank`, `ndbank`).
fn show(global: &GlobalArgs, family: Family, asked: Asked<'_>, json: bool) -> Result<()> {
    let request = EdgeRequest {
        run_after: RunAfter::Run,
        ..EdgeRequest::show(asked)
    };
    match run_request(global, family, &request, json)? {
        Rendered::Shown { json: doc, .. } if json => println!("{doc:#}"),
        Rendered::Shown { text, .. } if text.ends_with('\n') => print!("{text}"),
        Rendered::Shown { text, .. } => println!("{text}"),
        other => anyhow::bail!("unexpected report for a read: {other:?}"),
    }
    Ok(())
}

/// The flags every change command has.
#[derive(Clone, Copy)]
struct ChangeFlags {
    dry_run: bool,
    no_reset: bool,
    json: bool,
}

/// A family command (`bank`, `ndbank`): shows its field, or sets it to `value`. A command of
/// another family is refused before the probe is opened.
fn family_command(
    global: &GlobalArgs,
    family: Family,
    name: &str,
    value: Option<&str>,
    flags: ChangeFlags,
) -> Result<()> {
    if let Some(refusal) = family.options.not_here(name) {
        return Err(Refused(refusal.to_string()).into());
    }
    let command = family
        .options
        .command(name)
        .with_context(|| format!("{} has no `{name}` command", family.name()))?;
    let Some(value) = value else {
        return show(global, family, Asked::Show(command), flags.json);
    };
    let request = EdgeRequest {
        asked: Asked::Set(command, value),
        dry_run: flags.dry_run,
        reset: !flags.no_reset,
        consents: Consents::NONE,
        run_after: RunAfter::Run,
    };
    change(global, family, &request, flags.json)
}

fn set(global: &GlobalArgs, family: Family, args: SetArgs, json: bool) -> Result<()> {
    // What the chip makes impossible is refused before any missing confirmation is asked for
    // (the engine checks the chip first).
    let mut consents = Consents::NONE;
    if args.yes {
        consents = consents.with(Consent::Destructive);
    }
    if args.permanent_rdp2 {
        consents = consents.with(Consent::PermanentRdp2);
    }
    let request = EdgeRequest {
        asked: Asked::Fields(&args.changes),
        dry_run: args.dry_run,
        reset: !args.no_reset,
        consents,
        run_after: RunAfter::Run,
    };
    change(global, family, &request, json)
}

fn change(
    global: &GlobalArgs,
    family: Family,
    request: &EdgeRequest<'_>,
    json: bool,
) -> Result<()> {
    match run_request(global, family, request, json)? {
        Rendered::DryRun { json: plan } if json => println!("{plan:#}"),
        Rendered::DryRun { .. } => println!("{}", DRY_RUN_LINE),
        Rendered::NothingToChange(done) | Rendered::Applied(done) if json => {
            println!("{:#}", done.json)
        }
        Rendered::NothingToChange(done) => {
            if let Some(line) = done.result_line {
                println!("{line}");
            }
        }
        Rendered::Applied(done) => {
            if let Some(line) = done.result_line {
                println!("{line}");
            }
            println!("{}", done.outcome_line);
        }
        Rendered::Shown { .. } => anyhow::bail!("unexpected report for a change"),
    }
    Ok(())
}

/// A command refused before touching the chip, with what to do instead.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refused(String);

fn erase_flash(global: &GlobalArgs, family: Family, args: EraseArgs) -> Result<()> {
    let words: Vec<&str> = args.target.iter().map(String::as_str).collect();
    let request = erase::parse(&words)?;
    let mut session = open(global)?;
    let name = session.target().name.clone();
    let mut core = session.core(0).context("opening core 0")?;
    // Validity before confirmation: a request the live layout refuses (a bank in single-bank
    // mode, a sector or page it does not have, write protection) says so, not "add --yes".
    family.erase.check(&mut core, &name, request)?;
    if erase::is_multi_unit(request) && !args.yes {
        return Err(Refused(format!(
            "erase {request} erases more than one {}: add --yes to confirm (nothing was erased)",
            family.erase.unit_word()
        ))
        .into());
    }
    core.halt(std::time::Duration::from_millis(500))
        .context("halting the core for the erase")?;
    let erased = family
        .erase
        .erase(&mut core, &name, request, &mut progress)?;
    println!("erase {request}: {erased}; the core is halted");
    Ok(())
}

fn fault_report(global: &GlobalArgs, args: FaultArgs) -> Result<()> {
    let mut session = open(global)?;
    let mut core = session.core(0).context("opening core 0")?;
    let status = core.status().context("reading the core status")?;
    let mut lockup = None;
    match status {
        CoreStatus::Halted(_) => {}
        // A locked-up core executes nothing: halting it ends the lockup and makes its registers
        // readable; where it was is kept for the report.
        CoreStatus::LockedUp => {
            lockup = Some(fault::lockup::capture(&mut core).context("halting the locked-up core")?);
        }
        _ if args.halt => {
            core.halt(std::time::Duration::from_millis(500))
                .context("halting the core")?;
        }
        _ => {
            return Err(Refused(
                "the core is running: `fault` reads a stopped core and does not stop a running one; pass --halt to halt it first (it stays halted)".into(),
            )
            .into())
        }
    }
    let mut snapshot = fault::read(&mut core).context("reading the fault registers")?;
    snapshot.lockup = lockup;
    for line in fault::report::render(&snapshot) {
        println!("{line}");
    }
    Ok(())
}

fn list() -> Result<()> {
    let probes = probe::list_probes();
    if probes.is_empty() {
        println!("No debug probes found.");
        println!("Without a board, use the simulated chip: stm32-opts --sim optbytes");
        println!("(or --sim-state FILE to keep its option bytes and flash between runs).");
        return Ok(());
    }
    for (i, p) in probes.iter().enumerate() {
        println!("[{i}] {p}");
    }
    Ok(())
}
