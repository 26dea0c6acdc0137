//! One table of option-byte requests, each run through both edges on the same starting chip:
//! the CLI (the real binary, a `--sim-state` file per case) and the GDB monitor (the server on a
//! simulated chip, a raw protocol client sending `qRcmd`). For every request both edges must come
//! to the same result — refused or not, which refusal, dry run, nothing to change, written — and
//! leave the same option store, read from the simulator afterwards.

use crate::cli_support;
use crate::gdb_support;

use std::path::Path;
use std::time::Duration;

use cli_support::bin;
use gdb_support::{monitor, packet, RawClient};
use stm32_opts::gdb::Server;
use stm32_opts::sim::Simulator;

/// The simulator's option store of any family, as text (compared, never parsed): the fields
/// its model keeps in a state file.
fn store_of(sim: &Simulator) -> String {
    sim.with(|chip| chip.bus.model.saved().fields).unwrap()
}

/// Upper bound for one CLI run.
const CLI_TIMEOUT: Duration = Duration::from_secs(120);
/// The closing line of a dry run (the report layer's; both edges print it).
const DRY_RUN_LINE: &str = "Dry run: nothing was written.";

/// Which confirmation a refusal asks for, in either edge's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// CLI `--yes`, monitor `yes`.
    Yes,
    /// CLI `--yes and --i-understand-rdp2-is-permanent`, monitor `yes permanent-rdp2`.
    YesAndPermanent,
}

/// What an edge made of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// A read: the option bytes were shown.
    Shown,
    /// The plan was shown and nothing written; `needs` when the plan says a real run needs a
    /// confirmation.
    DryRun { needs: Option<Needs> },
    /// Every value already set.
    NothingToChange,
    /// Programmed and verified.
    Written,
    /// The words were not understood (unknown field, bad value).
    BadInput,
    /// Refused for a missing confirmation.
    Unconfirmed(Needs),
    /// Refused: the field does not exist on this part.
    FieldNotOnPart,
    /// Refused: the command belongs to the other family (`ndbank` on a G4).
    OtherFamily,
    /// Refused: a bank bit left pending (`no-reset`) would make the option register name a
    /// flash layout the chip does not run.
    LayoutLeftPending,
    /// Anything else, with the text, so a failure shows it.
    Other(String),
}

struct Case {
    what: &'static str,
    chip: &'static str,
    cli: &'static [&'static str],
    monitor: &'static str,
    expect: Seen,
}

const F767: &str = "STM32F767ZI";
const F746: &str = "STM32F746ZG";
const G474: &str = "STM32G474RE";
const H743: &str = "STM32H743ZI";
const G0B1: &str = "STM32G0B1RE";
const G0B0: &str = "STM32G0B0RE";

fn cases() -> Vec<Case> {
    use Seen::*;
    vec![
        Case {
            what: "valid change",
            chip: F767,
            cli: &["ndbank", "false"],
            monitor: "ndbank false",
            expect: Written,
        },
        Case {
            what: "no-op",
            chip: F767,
            cli: &["ndbank", "true"],
            monitor: "ndbank true",
            expect: NothingToChange,
        },
        Case {
            what: "dry run",
            chip: F767,
            cli: &["optbytes", "set", "nDBANK=0", "--dry-run"],
            monitor: "optbytes set nDBANK=0 dry-run",
            expect: DryRun { needs: None },
        },
        Case {
            what: "bad field",
            chip: F767,
            cli: &["optbytes", "set", "BOGUS=1"],
            monitor: "optbytes set BOGUS=1",
            expect: BadInput,
        },
        Case {
            what: "bad value",
            chip: F767,
            cli: &["optbytes", "set", "nWRP=0x1000"],
            monitor: "optbytes set nWRP=0x1000",
            expect: BadInput,
        },
        Case {
            what: "RDP 1 without confirmation",
            chip: F767,
            cli: &["optbytes", "set", "RDP=1"],
            monitor: "optbytes set RDP=1",
            expect: Unconfirmed(Needs::Yes),
        },
        Case {
            what: "RDP 1 confirmed",
            chip: F767,
            cli: &["optbytes", "set", "RDP=1", "--yes"],
            monitor: "optbytes set RDP=1 yes",
            expect: Written,
        },
        Case {
            what: "RDP 2 without confirmation",
            chip: F767,
            cli: &["optbytes", "set", "RDP=2"],
            monitor: "optbytes set RDP=2",
            expect: Unconfirmed(Needs::YesAndPermanent),
        },
        Case {
            what: "RDP 2 with yes only",
            chip: F767,
            cli: &["optbytes", "set", "RDP=2", "--yes"],
            monitor: "optbytes set RDP=2 yes",
            expect: Unconfirmed(Needs::YesAndPermanent),
        },
        Case {
            what: "RDP 2 with permanent only",
            chip: F767,
            cli: &[
                "optbytes",
                "set",
                "RDP=0xCC",
                "--i-understand-rdp2-is-permanent",
            ],
            monitor: "optbytes set RDP=0xCC permanent-rdp2",
            expect: Unconfirmed(Needs::YesAndPermanent),
        },
        Case {
            what: "dry run of RDP 2",
            chip: F767,
            cli: &["optbytes", "set", "RDP=2", "--dry-run"],
            monitor: "optbytes set RDP=2 dry-run",
            expect: DryRun {
                needs: Some(Needs::YesAndPermanent),
            },
        },
        Case {
            what: "several fields",
            chip: F767,
            cli: &[
                "optbytes",
                "set",
                "nDBANK=0",
                "nDBOOT=0",
                "BOOT_ADD1=0x2040",
            ],
            monitor: "optbytes set nDBANK=0 nDBOOT=0 BOOT_ADD1=0x2040",
            expect: Written,
        },
        Case {
            what: "no reset",
            chip: F767,
            cli: &[
                "optbytes",
                "set",
                "nDBOOT=0",
                "BOOT_ADD1=0x2040",
                "--no-reset",
            ],
            monitor: "optbytes set nDBOOT=0 BOOT_ADD1=0x2040 no-reset",
            expect: Written,
        },
        Case {
            what: "nDBANK left pending",
            chip: F767,
            cli: &["optbytes", "set", "nDBANK=0", "--no-reset"],
            monitor: "optbytes set nDBANK=0 no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "bank left pending",
            chip: F767,
            cli: &["bank", "dual", "--no-reset"],
            monitor: "bank dual no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "nDBANK left pending is refused before its confirmation",
            chip: F767,
            cli: &["optbytes", "set", "nDBANK=0", "RDP=1", "--no-reset"],
            monitor: "optbytes set nDBANK=0 RDP=1 no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "dry run of nDBANK left pending",
            chip: F767,
            cli: &["ndbank", "false", "--dry-run", "--no-reset"],
            monitor: "ndbank false dry-run no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "nDBANK already set, no reset",
            chip: F767,
            cli: &["ndbank", "true", "--no-reset"],
            monitor: "ndbank true no-reset",
            expect: NothingToChange,
        },
        Case {
            what: "show nDBANK on a part without it",
            chip: F746,
            cli: &["ndbank"],
            monitor: "ndbank",
            expect: FieldNotOnPart,
        },
        Case {
            what: "set nDBANK on a part without it",
            chip: F746,
            cli: &["ndbank", "false"],
            monitor: "ndbank false",
            expect: FieldNotOnPart,
        },
        Case {
            what: "show every field on a part without nDBANK",
            chip: F746,
            cli: &["optbytes"],
            monitor: "optbytes",
            expect: Shown,
        },
        Case {
            what: "bank mode through bank",
            chip: F767,
            cli: &["bank", "dual"],
            monitor: "bank dual",
            expect: Written,
        },
    ]
}

/// The same kinds of request on an STM32G474RE: a loading change (OBL_LAUNCH, the link drops,
/// each edge attaches again) and pending ones.
fn g4_cases() -> Vec<Case> {
    use Seen::*;
    vec![
        Case {
            what: "g4 show",
            chip: G474,
            cli: &["optbytes"],
            monitor: "optbytes",
            expect: Shown,
        },
        Case {
            what: "g4 bank single loaded",
            chip: G474,
            cli: &["bank", "single"],
            monitor: "bank single",
            expect: Written,
        },
        Case {
            what: "g4 bank single left pending",
            chip: G474,
            cli: &["bank", "single", "--no-reset"],
            monitor: "bank single no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g4 DBANK left pending is refused before its confirmation",
            chip: G474,
            cli: &["optbytes", "set", "DBANK=0", "RDP=1", "--no-reset"],
            monitor: "optbytes set DBANK=0 RDP=1 no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g4 dry run of DBANK left pending",
            chip: G474,
            cli: &["optbytes", "set", "DBANK=0", "--dry-run", "--no-reset"],
            monitor: "optbytes set DBANK=0 dry-run no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g4 no-op",
            chip: G474,
            cli: &["bank", "dual", "--no-reset"],
            monitor: "bank dual no-reset",
            expect: NothingToChange,
        },
        Case {
            what: "g4 dry run",
            chip: G474,
            cli: &["optbytes", "set", "DBANK=0", "--dry-run"],
            monitor: "optbytes set DBANK=0 dry-run",
            expect: DryRun { needs: None },
        },
        Case {
            what: "g4 bad field",
            chip: G474,
            cli: &["optbytes", "set", "nDBANK=0"],
            monitor: "optbytes set nDBANK=0",
            expect: BadInput,
        },
        Case {
            what: "g4 bad value",
            chip: G474,
            cli: &["optbytes", "set", "BOR_LEV=9"],
            monitor: "optbytes set BOR_LEV=9",
            expect: BadInput,
        },
        Case {
            what: "g4 RDP 1 without confirmation",
            chip: G474,
            cli: &["optbytes", "set", "RDP=1", "--no-reset"],
            monitor: "optbytes set RDP=1 no-reset",
            expect: Unconfirmed(Needs::Yes),
        },
        Case {
            what: "g4 RDP 2 with yes only",
            chip: G474,
            cli: &["optbytes", "set", "RDP=2", "--yes", "--no-reset"],
            monitor: "optbytes set RDP=2 yes no-reset",
            expect: Unconfirmed(Needs::YesAndPermanent),
        },
        Case {
            what: "g4 dry run of RDP 2",
            chip: G474,
            cli: &["optbytes", "set", "RDP=2", "--dry-run"],
            monitor: "optbytes set RDP=2 dry-run",
            expect: DryRun {
                needs: Some(Needs::YesAndPermanent),
            },
        },
        Case {
            what: "g4 several fields pending",
            chip: G474,
            cli: &["optbytes", "set", "nSWBOOT0=0", "BOR_LEV=2", "--no-reset"],
            monitor: "optbytes set nSWBOOT0=0 BOR_LEV=2 no-reset",
            expect: Written,
        },
        Case {
            what: "g4 ndbank",
            chip: G474,
            cli: &["ndbank", "false"],
            monitor: "ndbank false",
            expect: OtherFamily,
        },
    ]
}

/// The same kinds of request on an STM32H743ZI: the swap loaded by the reset, pending without
/// it, and the fields the single-core part does not have.
fn h7_cases() -> Vec<Case> {
    use Seen::*;
    let case = |what, cli, monitor, expect| Case {
        what,
        chip: H743,
        cli,
        monitor,
        expect,
    };
    vec![
        case("h7 show", &["optbytes"], "optbytes", Shown),
        case(
            "h7 swap on with the reset",
            &["swap", "on"],
            "swap on",
            Written,
        ),
        case(
            "h7 swap on pending",
            &["swap", "on", "--no-reset"],
            "swap on no-reset",
            Written,
        ),
        case(
            "h7 no-op",
            &["swap", "off", "--no-reset"],
            "swap off no-reset",
            NothingToChange,
        ),
        case(
            "h7 dry run",
            &["optbytes", "set", "SWAP_BANK_OPT=1", "--dry-run"],
            "optbytes set SWAP_BANK_OPT=1 dry-run",
            DryRun { needs: None },
        ),
        case(
            "h7 bad field",
            &["optbytes", "set", "nSWAP_BANK=0"],
            "optbytes set nSWAP_BANK=0",
            BadInput,
        ),
        case(
            "h7 bad value",
            &["optbytes", "set", "BOR_LEV=9"],
            "optbytes set BOR_LEV=9",
            BadInput,
        ),
        case(
            "h7 dual-core field",
            &["optbytes", "set", "BCM4=1"],
            "optbytes set BCM4=1",
            FieldNotOnPart,
        ),
        case(
            "h7 RDP 1 without confirmation",
            &["optbytes", "set", "RDP=1", "--no-reset"],
            "optbytes set RDP=1 no-reset",
            Unconfirmed(Needs::Yes),
        ),
        case(
            "h7 SECURITY with yes only",
            &["optbytes", "set", "SECURITY=1", "--yes", "--no-reset"],
            "optbytes set SECURITY=1 yes no-reset",
            Unconfirmed(Needs::YesAndPermanent),
        ),
        case(
            "h7 several fields pending",
            &["optbytes", "set", "IWDG1_SW=0", "BOR_LEV=2", "--no-reset"],
            "optbytes set IWDG1_SW=0 BOR_LEV=2 no-reset",
            Written,
        ),
        case(
            "h7 ndbank",
            &["ndbank", "false"],
            "ndbank false",
            OtherFamily,
        ),
    ]
}

/// The same kinds of request on an STM32G0B1RE (and the G0B0's missing fields): `swap` and
/// `bank`, loaded (OBL_LAUNCH, the link drops, each edge attaches again) and pending.
fn g0_cases() -> Vec<Case> {
    use Seen::*;
    vec![
        Case {
            what: "g0 show",
            chip: G0B1,
            cli: &["optbytes"],
            monitor: "optbytes",
            expect: Shown,
        },
        Case {
            what: "g0 swap on loaded",
            chip: G0B1,
            cli: &["swap", "on"],
            monitor: "swap on",
            expect: Written,
        },
        Case {
            what: "g0 pending change",
            chip: G0B1,
            cli: &["optbytes", "set", "IWDG_STOP=0", "--no-reset"],
            monitor: "optbytes set IWDG_STOP=0 no-reset",
            expect: Written,
        },
        Case {
            what: "g0 swap left pending",
            chip: G0B1,
            cli: &["swap", "on", "--no-reset"],
            monitor: "swap on no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g0 bank single left pending",
            chip: G0B1,
            cli: &["bank", "single", "--no-reset"],
            monitor: "bank single no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g0 dry run of a swap left pending",
            chip: G0B1,
            cli: &["swap", "on", "--no-reset", "--dry-run"],
            monitor: "swap on no-reset dry-run",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g0 swap left pending is refused before its confirmation",
            chip: G0B1,
            cli: &["optbytes", "set", "nSWAP_BANK=0", "RDP=1", "--no-reset"],
            monitor: "optbytes set nSWAP_BANK=0 RDP=1 no-reset",
            expect: LayoutLeftPending,
        },
        Case {
            what: "g0 no-op",
            chip: G0B1,
            cli: &["swap", "off", "--no-reset"],
            monitor: "swap off no-reset",
            expect: NothingToChange,
        },
        Case {
            what: "g0 dry run",
            chip: G0B1,
            cli: &["optbytes", "set", "nSWAP_BANK=0", "--dry-run"],
            monitor: "optbytes set nSWAP_BANK=0 dry-run",
            expect: DryRun { needs: None },
        },
        Case {
            what: "g0 bad field",
            chip: G0B1,
            cli: &["optbytes", "set", "DBANK=0"],
            monitor: "optbytes set DBANK=0",
            expect: BadInput,
        },
        Case {
            what: "g0 RDP 2 with yes only",
            chip: G0B1,
            cli: &["optbytes", "set", "RDP=2", "--yes", "--no-reset"],
            monitor: "optbytes set RDP=2 yes no-reset",
            expect: Unconfirmed(Needs::YesAndPermanent),
        },
        Case {
            what: "g0b0 NRST_MODE",
            chip: G0B0,
            cli: &["optbytes", "set", "NRST_MODE=2", "--no-reset"],
            monitor: "optbytes set NRST_MODE=2 no-reset",
            expect: FieldNotOnPart,
        },
        Case {
            what: "g0 ndbank",
            chip: G0B1,
            cli: &["ndbank", "false"],
            monitor: "ndbank false",
            expect: OtherFamily,
        },
    ]
}

/// The confirmation a text asks for, in the CLI's or the monitor's words.
fn needs_in(text: &str) -> Option<Needs> {
    if text.contains("--yes and --i-understand-rdp2-is-permanent")
        || text.contains("`yes permanent-rdp2`")
    {
        Some(Needs::YesAndPermanent)
    } else if text.contains("--yes") || text.contains("`yes`") {
        Some(Needs::Yes)
    } else {
        None
    }
}

/// A refusal or an error, from its text.
fn refusal(text: &str) -> Seen {
    if text.contains("without `no-reset`") && text.contains("does not run") {
        Seen::LayoutLeftPending
    } else if text.contains("to confirm") {
        match needs_in(text) {
            Some(needs) => Seen::Unconfirmed(needs),
            None => Seen::Other(text.to_string()),
        }
    } else if text.contains("does not exist on") {
        Seen::FieldNotOnPart
    } else if text.contains("has no nDBANK") {
        Seen::OtherFamily
    } else {
        Seen::Other(text.to_string())
    }
}

/// A successful run, from its output.
fn success(text: &str) -> Seen {
    if text.contains(DRY_RUN_LINE) {
        Seen::DryRun {
            needs: text
                .lines()
                .find(|l| l.starts_with("Needs "))
                .and_then(needs_in),
        }
    } else if text.contains("No change:") {
        Seen::NothingToChange
    } else if text.lines().any(|l| l.starts_with("written")) {
        // The closing line of a change: "written, the chip was reset …", "written and verified;
        // pending until reset …".
        Seen::Written
    } else if text.contains("FLASH_OPTCR  =") || text.contains("FLASH_OPTR   =") {
        Seen::Shown
    } else {
        Seen::Other(text.to_string())
    }
}

/// The CLI in its own process on a fresh state file; the option store afterwards, read from
/// that file by a new simulator.
fn through_cli(case: &Case, dir: &Path) -> (Seen, String) {
    let state = dir.join(format!("{}.json", case.what.replace(' ', "-")));
    let out = bin()
        .args(["--chip", case.chip, "--sim-state"])
        .arg(&state)
        .args(case.cli)
        .timeout(CLI_TIMEOUT)
        .output()
        .expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let seen = match out.status.code() {
        Some(0) => success(&stdout),
        Some(2) if stderr.contains("accepted") => Seen::BadInput,
        Some(3) => refusal(&stderr),
        code => Seen::Other(format!("exit {code:?}: {stdout}{stderr}")),
    };
    let store = store_of(&Simulator::with_state_file(case.chip, &state).expect("state file opens"));
    (seen, store)
}

/// The GDB server on a fresh simulated chip, the request as one `monitor` command; the option
/// store afterwards, from the simulator.
fn through_monitor(case: &Case) -> (Seen, String) {
    let sim = Simulator::new(case.chip).expect("simulated chip");
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let mut client = RawClient::connect(server.local_addr());
    let hello = client
        .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
        .expect("qSupported");
    assert!(hello.contains("PacketSize"), "{hello}");
    let (text, reply) = monitor(&mut client, case.monitor);
    assert_eq!(reply, "OK", "{}: a monitor command ends with OK", case.what);
    let seen = match text.find("error: ") {
        Some(at) => {
            let error = &text[at..];
            if error.contains("accepted") {
                Seen::BadInput
            } else {
                refusal(error)
            }
        }
        None => success(&text),
    };
    client.send(&packet("D"));
    drop(client);
    server.shutdown().unwrap();
    (seen, store_of(&sim))
}

#[test]
fn cli_and_monitor_agree_on_every_request() {
    agree(cases());
}

#[test]
fn cli_and_monitor_agree_on_every_g4_request() {
    agree(g4_cases());
}

#[test]
fn cli_and_monitor_agree_on_every_h7_request() {
    agree(h7_cases());
}

#[test]
fn cli_and_monitor_agree_on_every_g0_request() {
    agree(g0_cases());
}

fn agree(cases: Vec<Case>) {
    let dir = tempfile::tempdir().unwrap();
    let mut disagreements = Vec::new();
    for case in cases {
        let factory = store_of(&Simulator::new(case.chip).unwrap());
        let (cli, cli_store) = through_cli(&case, dir.path());
        let (gdb, gdb_store) = through_monitor(&case);
        let written = |store: &String| store != &factory;
        let mut wrong = Vec::new();
        if cli != case.expect {
            wrong.push(format!("CLI: {cli:?}"));
        }
        if gdb != case.expect {
            wrong.push(format!("monitor: {gdb:?}"));
        }
        if cli_store != gdb_store {
            wrong.push(format!(
                "option stores differ: CLI {cli_store:?}, monitor {gdb_store:?}"
            ));
        }
        let should_write = case.expect == Seen::Written;
        if written(&cli_store) != should_write || written(&gdb_store) != should_write {
            wrong.push(format!(
                "written: CLI {}, monitor {}, expected {should_write}",
                written(&cli_store),
                written(&gdb_store)
            ));
        }
        if !wrong.is_empty() {
            disagreements.push(format!(
                "{} ({}; expected {:?}): {}",
                case.what,
                case.chip,
                case.expect,
                wrong.join("; ")
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "the edges disagree:\n{}",
        disagreements.join("\n")
    );
}
