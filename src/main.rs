//! The command-line edge: parse, dispatch, print, exit code. The work is done by the library
//! (`stm32_opts::optbytes`, `stm32_opts::probe`).

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::json;

use cli::{
    BankArgs, BankModeArg, Cli, Command, EraseArgs, FaultArgs, GlobalArgs, NdbankArgs,
    OptbytesAction, OptbytesArgs, SetArgs,
};
use probe_rs::CoreStatus;
use stm32_opts::chip::f7::Field;
use stm32_opts::chip::g4::OptrField;
use stm32_opts::erase;
use stm32_opts::fault;
use stm32_opts::optbytes::g4::{self as g4, G4Change, G4Report, G4Request};
use stm32_opts::optbytes::{
    self, report, AttachError, Change, Confirmation, Consent, Consents, ErrorCategory, Event,
    Family, Report, Request, RunAfter,
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
    let cli = Cli::parse();
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
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<optbytes::Error>() {
            return match e.category() {
                ErrorCategory::Usage => exit::USAGE,
                ErrorCategory::Refused => exit::REFUSED,
                ErrorCategory::Chip => exit::CHIP,
                ErrorCategory::Verify => exit::VERIFY,
            };
        }
        if cause.downcast_ref::<optbytes::ParseError>().is_some() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<ProbeError>().is_some() {
            return exit::CHIP;
        }
        if cause.downcast_ref::<erase::ParseError>().is_some() {
            return exit::USAGE;
        }
        if cause.downcast_ref::<Refused>().is_some()
            || cause.downcast_ref::<erase::Refusal>().is_some()
        {
            return exit::REFUSED;
        }
        if let Some(erase::EraseError::Refused(_)) = cause.downcast_ref::<erase::EraseError>() {
            return exit::REFUSED;
        }
        if let Some(e) = cause.downcast_ref::<erase::FamilyEraseError>() {
            if e.refusal().is_some() {
                return exit::REFUSED;
            }
        }
    }
    exit::CHIP
}

fn run(cli: Cli) -> Result<()> {
    let family = family_of(&cli.global);
    match cli.command {
        Command::Ndbank(_) if family == Family::G4 => Err(Refused(
            "STM32G4 has no nDBANK: its bank bit is FLASH_OPTR.DBANK (1 = dual bank, 2 KB pages; 0 = single bank, 4 KB pages); use `bank single|dual` or `optbytes set DBANK=0|1`; nothing was changed".into(),
        )
        .into()),
        Command::Ndbank(args) => ndbank(&cli.global, args),
        Command::Bank(args) => bank(&cli.global, family, args),
        Command::Optbytes(OptbytesArgs { json, action: None }) if family == Family::G4 => {
            g4_show(&cli.global, json)
        }
        Command::Optbytes(OptbytesArgs { json, action: None }) => show(&cli.global, json),
        Command::Optbytes(OptbytesArgs {
            json,
            action: Some(OptbytesAction::Set(args)),
        }) if family == Family::G4 => g4_set(&cli.global, args, json),
        Command::Optbytes(OptbytesArgs {
            json,
            action: Some(OptbytesAction::Set(args)),
        }) => set(&cli.global, args, json),
        Command::List => list(),
        Command::Erase(args) => erase_flash(&cli.global, family, args),
        Command::Fault(args) => fault_report(&cli.global, args),
        Command::Gdb(args) => stm32_opts::gdb::run(
            &cli.global.probe_options(),
            args.listen,
            stm32_opts::gdb::RttOptions {
                start: args.rtt || args.defmt.is_some(),
                console: args.rtt_console,
                elf: args.elf,
                defmt: args.defmt,
            },
        ),
        Command::SimProbe(args) => {
            let mut opts = cli.global.probe_options();
            opts.sim = true;
            stm32_opts::sim::glasgow::serve(&opts, args.listen)
        }
    }
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

/// The family the `--chip` name belongs to (F7 for names of no known family: the F7 checks
/// then refuse them with their own message).
fn family_of(global: &GlobalArgs) -> Family {
    global
        .probe_options()
        .chip_name()
        .ok()
        .and_then(|name| Family::for_target(&name))
        .unwrap_or(Family::F7)
}

/// The CLI's link to the chip: the session is opened when the engine first asks for it, so a
/// request refused before any probe access never opens the probe. A simulated chip is kept
/// here, so that attaching again (after G4's OBL_LAUNCH dropped the link) reaches the same chip.
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
        if self.sim.is_none() {
            self.sim = Some(opts.simulator().context("could not open a debug session")?);
        }
        let chip = opts.chip_name().context("could not open a debug session")?;
        let sim = self.sim.as_ref().expect("started above");
        Ok(sim
            .probe()
            .attach(chip.as_str(), probe_rs::Permissions::default())
            .with_context(|| format!("could not open a debug session: cannot attach to {chip}"))?)
    }
}

/// How long attaching again after an option load may keep failing (the chip is resetting).
const REATTACH_BOUND: std::time::Duration = std::time::Duration::from_secs(5);

impl optbytes::Link for CliLink<'_> {
    fn session(&mut self) -> Result<&mut probe_rs::Session, AttachError> {
        if self.session.is_none() {
            self.session = Some(self.open()?);
        }
        Ok(self.session.as_mut().expect("opened above"))
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

/// Runs `request` through the engine: progress lines to stderr, the plan to stdout (unless
/// JSON), refusals in the CLI's words.
fn run_request(global: &GlobalArgs, request: &Request, json: bool) -> Result<Report> {
    let mut link = CliLink::new(global);
    optbytes::change(&mut link, request, &mut |event| match event {
        Event::Planned(plan) if !json => print!("{}", report::plan_text(plan, confirm_flags)),
        Event::Planned(_) => {}
        Event::Step(line) => progress(line),
    })
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

fn shown(report: Report) -> Result<(optbytes::OptionBytes, stm32_opts::chip::f7::Part, String)> {
    match report {
        Report::Shown {
            snapshot,
            part,
            chip_name,
        } => Ok((snapshot, part, chip_name)),
        other => anyhow::bail!("unexpected report for a read: {other:?}"),
    }
}

fn show(global: &GlobalArgs, json: bool) -> Result<()> {
    let (snapshot, part, name) = shown(run_request(global, &Request::show(), json)?)?;
    if json {
        println!("{:#}", report::json(&snapshot, &part, &name));
    } else {
        print!("{}", report::table(&snapshot, &part, &name));
    }
    Ok(())
}

fn ndbank(global: &GlobalArgs, args: NdbankArgs) -> Result<()> {
    let Some(value) = args.value else {
        let request = Request::show_field(Field::NDBank);
        let (snapshot, part, _) = shown(run_request(global, &request, args.json)?)?;
        if args.json {
            let pending = snapshot.pending().map(|p| p.ndbank());
            let layout = part.layout_for_ndbank(snapshot.words.ndbank());
            println!(
                "{:#}",
                json!({
                    "nDBANK": snapshot.words.ndbank(),
                    "bank_mode": layout.bank_mode.name(),
                    "meaning": layout.summary(),
                    "pending_nDBANK": pending.filter(|&p| p != snapshot.words.ndbank()),
                })
            );
        } else {
            println!("{}", report::ndbank_line(&snapshot, &part));
        }
        return Ok(());
    };
    let request = Request {
        dry_run: args.dry_run,
        reset: !args.no_reset,
        ..Request::change(vec![Change {
            field: Field::NDBank,
            value: u32::from(value),
        }])
    };
    change(global, &request, args.json)
}

fn set(global: &GlobalArgs, args: SetArgs, json: bool) -> Result<()> {
    // Bad input fails before any probe access; what the chip makes impossible is refused before
    // any missing confirmation is asked for (the engine checks the chip first).
    let changes = optbytes::parse_changes(&args.changes).map_err(optbytes::Error::from)?;
    let mut consents = Consents::NONE;
    if args.yes {
        consents = consents.with(Consent::Destructive);
    }
    if args.permanent_rdp2 {
        consents = consents.with(Consent::PermanentRdp2);
    }
    let request = Request {
        dry_run: args.dry_run,
        reset: !args.no_reset,
        consents,
        run_after: RunAfter::Run,
        ..Request::change(changes)
    };
    change(global, &request, json)
}

fn change(global: &GlobalArgs, request: &Request, json: bool) -> Result<()> {
    match run_request(global, request, json)? {
        Report::DryRun { plan, .. } => {
            if json {
                println!("{:#}", report::plan_json(&plan));
            } else {
                println!("{}", report::DRY_RUN_LINE);
            }
        }
        Report::NothingToChange { plan } => {
            if json {
                let outcome = optbytes::Outcome::nothing_written(&plan);
                println!("{:#}", report::outcome_json(&plan, &outcome));
            } else {
                ndbank_result(&plan);
            }
        }
        Report::Applied { plan, outcome } => {
            if json {
                println!("{:#}", report::outcome_json(&plan, &outcome));
            } else {
                ndbank_result(&plan);
                println!("{}", report::outcome_line(&outcome));
            }
        }
        Report::Shown { .. } => anyhow::bail!("unexpected report for a change"),
    }
    Ok(())
}

/// When the request named nDBANK, the mode it ends in (the original tool's line).
fn ndbank_result(plan: &optbytes::Plan) {
    if plan.diffs.iter().any(|d| d.field == Field::NDBank)
        || plan.already_set.contains(&Field::NDBank)
    {
        let layout = plan.part.layout_for_ndbank(plan.new.ndbank());
        println!("nDBANK = {} ({})", plan.new.ndbank(), layout.summary());
    }
}

fn bank(global: &GlobalArgs, family: Family, args: BankArgs) -> Result<()> {
    match (family, args.mode) {
        (Family::F7, None) => ndbank(
            global,
            NdbankArgs {
                value: None,
                dry_run: args.dry_run,
                no_reset: args.no_reset,
                json: args.json,
            },
        ),
        (Family::F7, Some(mode)) => ndbank(
            global,
            NdbankArgs {
                value: Some(mode == BankModeArg::Single),
                dry_run: args.dry_run,
                no_reset: args.no_reset,
                json: args.json,
            },
        ),
        (Family::G4, None) => {
            let request = G4Request::show_field(OptrField::Dbank);
            let (snapshot, part, _) = g4_shown(g4_run(global, &request, args.json)?)?;
            if args.json {
                let mode = snapshot.registers.bank_mode();
                let pending = snapshot
                    .pending()
                    .map(|p| p.bank_mode())
                    .filter(|&m| m != mode);
                println!(
                    "{:#}",
                    json!({
                        "DBANK": OptrField::Dbank.get(snapshot.registers.optr) != 0,
                        "bank_mode": mode.name(),
                        "meaning": g4::report::layout_text(&part, mode),
                        "pending_bank_mode": pending.map(|m| m.name()),
                    })
                );
            } else {
                println!("{}", g4::report::bank_line(&snapshot, &part));
            }
            Ok(())
        }
        (Family::G4, Some(mode)) => {
            let request = G4Request {
                dry_run: args.dry_run,
                reset: !args.no_reset,
                ..G4Request::change(vec![G4Change {
                    field: OptrField::Dbank,
                    value: u32::from(mode == BankModeArg::Dual),
                }])
            };
            g4_change(global, &request, args.json)
        }
    }
}

fn g4_run(global: &GlobalArgs, request: &G4Request, json: bool) -> Result<G4Report> {
    let mut link = CliLink::new(global);
    g4::change(&mut link, request, &mut |event| match event {
        Event::Planned(plan) if !json => {
            print!("{}", g4::report::plan_text(plan, confirm_flags))
        }
        Event::Planned(_) => {}
        Event::Step(line) => progress(line),
    })
    .map_err(in_cli_words)
}

type G4Shown = (g4::G4Snapshot, stm32_opts::chip::g4::G4Part, String);

fn g4_shown(report: G4Report) -> Result<G4Shown> {
    match report {
        G4Report::Shown {
            snapshot,
            part,
            chip_name,
        } => Ok((snapshot, part, chip_name)),
        other => anyhow::bail!("unexpected report for a read: {other:?}"),
    }
}

fn g4_show(global: &GlobalArgs, json: bool) -> Result<()> {
    let (snapshot, part, name) = g4_shown(g4_run(global, &G4Request::show(), json)?)?;
    if json {
        println!("{:#}", g4::report::json(&snapshot, &part, &name));
    } else {
        print!("{}", g4::report::table(&snapshot, &part, &name));
    }
    Ok(())
}

fn g4_set(global: &GlobalArgs, args: SetArgs, json: bool) -> Result<()> {
    let changes = g4::parse_g4_changes(&args.changes).map_err(optbytes::Error::from)?;
    let mut consents = Consents::NONE;
    if args.yes {
        consents = consents.with(Consent::Destructive);
    }
    if args.permanent_rdp2 {
        consents = consents.with(Consent::PermanentRdp2);
    }
    let request = G4Request {
        dry_run: args.dry_run,
        reset: !args.no_reset,
        consents,
        run_after: RunAfter::Run,
        ..G4Request::change(changes)
    };
    g4_change(global, &request, json)
}

fn g4_change(global: &GlobalArgs, request: &G4Request, json: bool) -> Result<()> {
    let bank_line = |plan: &g4::G4Plan| {
        if plan.diffs.iter().any(|d| d.field == OptrField::Dbank)
            || plan.already_set.contains(&OptrField::Dbank)
        {
            let mode = plan.new.bank_mode();
            println!(
                "bank mode: {} ({})",
                mode.name(),
                g4::report::layout_text(&plan.part, mode)
            );
        }
    };
    match g4_run(global, request, json)? {
        G4Report::DryRun { plan, .. } => {
            if json {
                println!("{:#}", g4::report::plan_json(&plan));
            } else {
                println!("{}", report::DRY_RUN_LINE);
            }
        }
        G4Report::NothingToChange { plan } => {
            if json {
                let outcome = g4::G4Outcome::nothing_written(&plan);
                println!("{:#}", g4::report::outcome_json(&plan, &outcome));
            } else {
                bank_line(&plan);
            }
        }
        G4Report::Applied { plan, outcome } => {
            if json {
                println!("{:#}", g4::report::outcome_json(&plan, &outcome));
            } else {
                bank_line(&plan);
                println!("{}", g4::report::outcome_line(&outcome));
            }
        }
        G4Report::Shown { .. } => anyhow::bail!("unexpected report for a change"),
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
    erase::family::check_live(&mut core, family, &name, request)?;
    if erase::family::is_multi_unit(request) && !args.yes {
        return Err(Refused(format!(
            "erase {request} erases more than one {}: add --yes to confirm (nothing was erased)",
            erase::family::unit_word(family)
        ))
        .into());
    }
    core.halt(std::time::Duration::from_millis(500))
        .context("halting the core for the erase")?;
    let erased = erase::erase_live(&mut core, family, &name, request, progress)?;
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
