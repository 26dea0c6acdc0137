//! The command-line edge: parse, dispatch, print, exit code. The work is done by the library
//! (`stm32_opts::optbytes`, `stm32_opts::probe`).

mod cli;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use serde_json::json;

use cli::{Cli, Command, GlobalArgs, NdbankArgs, OptbytesAction, OptbytesArgs, SetArgs};
use stm32_opts::chip::Field;
use stm32_opts::optbytes::{self, report, ApplyOptions, Change, ErrorCategory, PlanError};
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
    }
    exit::CHIP
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Ndbank(args) => ndbank(&cli.global, args),
        Command::Optbytes(OptbytesArgs { json, action: None }) => show(&cli.global, json),
        Command::Optbytes(OptbytesArgs {
            json,
            action: Some(OptbytesAction::Set(args)),
        }) => set(&cli.global, args, json),
        Command::List => list(),
        Command::Gdb(args) => stm32_opts::gdb::run(&cli.global.probe_options(), args.listen),
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

fn show(global: &GlobalArgs, json: bool) -> Result<()> {
    let mut session = open(global)?;
    let name = session.target().name.clone();
    let (snapshot, part) = optbytes::inspect(&mut session)?;
    if json {
        println!("{:#}", report::json(&snapshot, &part, &name));
    } else {
        print!("{}", report::table(&snapshot, &part, &name));
    }
    Ok(())
}

fn ndbank(global: &GlobalArgs, args: NdbankArgs) -> Result<()> {
    let Some(value) = args.value else {
        let mut session = open(global)?;
        let (snapshot, part) = optbytes::inspect(&mut session)?;
        if !part.family.has_ndbank() {
            return Err(optbytes::Error::from(PlanError::FieldNotOnPart {
                field: Field::NDBank,
                part,
            })
            .into());
        }
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
    let changes = [Change {
        field: Field::NDBank,
        value: u32::from(value),
    }];
    let opts = ApplyOptions {
        reset: !args.no_reset,
        ..ApplyOptions::default()
    };
    change(global, &changes, opts, args.dry_run, args.json)
}

fn set(global: &GlobalArgs, args: SetArgs, json: bool) -> Result<()> {
    // Bad input and a missing RDP-2 confirmation fail before any probe access.
    let changes = optbytes::parse_changes(&args.changes).map_err(optbytes::Error::from)?;
    let opts = ApplyOptions {
        yes: args.yes,
        permanent_rdp2: args.permanent_rdp2,
        reset: !args.no_reset,
        ..ApplyOptions::default()
    };
    if !args.dry_run {
        optbytes::precheck(&changes, opts.yes, opts.permanent_rdp2)?;
    }
    change(global, &changes, opts, args.dry_run, json)
}

fn change(
    global: &GlobalArgs,
    changes: &[Change],
    opts: ApplyOptions,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let mut session = open(global)?;
    let prepared = optbytes::prepare(&mut session, changes)?;
    let plan = &prepared.plan;
    if dry_run {
        if json {
            println!("{:#}", report::plan_json(plan));
        } else {
            print!("{}", report::plan_text(plan));
            println!("Dry run: nothing was written.");
        }
        return Ok(());
    }
    if !json {
        print!("{}", report::plan_text(plan));
    }
    let outcome = optbytes::apply(&mut session, plan, &opts, &mut progress)?;
    if json {
        println!("{:#}", report::outcome_json(plan, &outcome));
    } else {
        if plan.diffs.iter().any(|d| d.field == Field::NDBank)
            || plan.already_set.contains(&Field::NDBank)
        {
            let layout = prepared.part.layout_for_ndbank(plan.new.ndbank());
            println!("nDBANK = {} ({})", plan.new.ndbank(), layout.summary());
        }
        if outcome.written {
            println!("{}", report::outcome_line(&outcome));
        }
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
