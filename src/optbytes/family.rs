//! The option bytes of one family as the edges (the CLI, the GDB monitor) hold them: the
//! family's commands besides `optbytes` (`bank`, F7 `ndbank`), its `FIELD=VALUE` words, and its
//! reports in words — behind the one change path ([`change_with`]). The edges turn their
//! user's words into an [`EdgeRequest`], hand it to the family value they were given, and print
//! the [`Rendered`] answer or word the refusal; they never name a family.
//!
//! A family implements [`FamilySteps`] (the engine's steps) and [`FamilyWords`] (its words) in
//! its own folder (`optbytes/<family>/`); [`OptionFamily`] follows for it, and it is registered
//! once, in [`FAMILIES`] (the `families!` line of `optbytes/mod.rs`).

use std::fmt;

use serde_json::Value;

use crate::chip::family::ChipFamily;

use super::apply::CoreAfter;
use super::change::{change_with, Action, Event, FamilySteps, Link, Report, Request, RunAfter};
use super::confirm::Consents;
use super::error::Error;
use super::words::ConfirmWords;

/// A command a family has besides `optbytes`: a word that shows or sets one field, e.g. `bank`
/// (both families) or `ndbank` (F7).
#[derive(Debug)]
pub struct FamilyCommand {
    /// The command word.
    pub name: &'static str,
    /// The field it shows and sets, as the reference manual names it.
    pub field: &'static str,
    /// Its values in words, for usage lines: e.g. `single|dual`.
    pub usage: &'static str,
    /// The field value a word sets, if the word is one of the command's values.
    pub value: fn(&str) -> Option<u32>,
    /// What the command shows, for `monitor help`.
    pub show_help: &'static str,
    /// What setting it does, for `monitor help`.
    pub set_help: &'static str,
}

/// What an edge asks of the family.
#[derive(Clone, Copy, Debug)]
pub enum Asked<'a> {
    /// Every field, decoded (`optbytes`).
    Everything,
    /// One command's field, shown (`bank`).
    Show(&'a FamilyCommand),
    /// One command's field set to a value in words (`bank dual`).
    Set(&'a FamilyCommand, &'a str),
    /// `FIELD=VALUE` words (`optbytes set`).
    Fields(&'a [String]),
}

/// One request from an edge: what is asked, and the options every change has.
#[derive(Clone, Copy, Debug)]
pub struct EdgeRequest<'a> {
    /// What is asked.
    pub asked: Asked<'a>,
    /// Plan and report only.
    pub dry_run: bool,
    /// Load the new values now and verify them.
    pub reset: bool,
    /// The confirmations the user gave.
    pub consents: Consents,
    /// The core's state afterwards.
    pub run_after: RunAfter,
}

impl<'a> EdgeRequest<'a> {
    /// A read: nothing to confirm, nothing loaded.
    pub fn show(asked: Asked<'a>) -> Self {
        EdgeRequest {
            asked,
            dry_run: false,
            reset: true,
            consents: Consents::NONE,
            run_after: RunAfter::AsFound,
        }
    }
}

/// What the family tells an edge while the engine works.
#[derive(Clone, Copy, Debug)]
pub enum EdgeEvent<'a> {
    /// The plan in words, with the confirmations in the edge's words; shown before anything
    /// is written.
    Planned(&'a str),
    /// A step of the sequence, as it happens.
    Step(&'a str),
}

/// The end of a change, rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct Finished {
    /// The plan and outcome as JSON.
    pub json: Value,
    /// The line saying the bank mode the change ends in, when the request named the bank field.
    pub result_line: Option<String>,
    /// The closing line ("written, the chip was reset and the loaded values verified; …").
    pub outcome_line: String,
    /// Whether the flash layout changes (GDB's memory map is then stale).
    pub layout_changed: bool,
    /// Whether the values were loaded (the chip was reset or re-attached).
    pub reset: bool,
    /// The core at the end.
    pub core: CoreAfter,
}

/// What a request came to, in words and JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Rendered {
    /// A read: the table or the command's line, and the JSON document.
    Shown {
        /// The text to print.
        text: String,
        /// The JSON document.
        json: Value,
    },
    /// A dry run: the plan was shown, nothing written.
    DryRun {
        /// The plan as JSON.
        json: Value,
    },
    /// Every value already set: nothing written.
    NothingToChange(Finished),
    /// Programmed and verified.
    Applied(Finished),
}

/// The option bytes of one family, as the edges use them. Follows from [`FamilySteps`] and
/// [`FamilyWords`]; the edges hold it as `&'static dyn OptionFamily`.
pub trait OptionFamily: Sync {
    /// The family's facts.
    fn chip(&self) -> &'static dyn ChipFamily;
    /// The commands it has besides `optbytes`.
    fn commands(&self) -> &'static [FamilyCommand];
    /// What to use instead of another family's command, e.g. "its bank bit is
    /// FLASH_OPTR.DBANK (…); use `bank single|dual` or `optbytes set DBANK=0|1`".
    fn instead(&self) -> &'static str;
    /// Runs `request` through the one change path ([`change_with`]) on the chip behind `link`
    /// and renders the report; `confirm` words the confirmations in the edge's terms.
    fn run(
        &self,
        link: &mut dyn Link,
        request: &EdgeRequest<'_>,
        confirm: ConfirmWords,
        events: &mut dyn FnMut(EdgeEvent<'_>),
    ) -> Result<Rendered, Error>;
}

impl fmt::Debug for dyn OptionFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} option bytes", self.chip().name())
    }
}

impl dyn OptionFamily {
    /// The family's command named `name` (any case).
    pub fn command(&self, name: &str) -> Option<&'static FamilyCommand> {
        self.commands()
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Why `name`, a command of another family, is not run on this one; `None` when this
    /// family has it or no family does.
    pub fn not_here(&self, name: &str) -> Option<NotOnFamily> {
        if self.command(name).is_some() {
            return None;
        }
        let theirs = command_anywhere(name)?;
        Some(NotOnFamily {
            family: self.chip().name(),
            field: theirs.field,
            instead: self.instead(),
        })
    }
}

/// A command of another family, refused on this one before the chip is touched.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{family} has no {field}: {instead}; nothing was changed")]
pub struct NotOnFamily {
    /// This family.
    pub family: &'static str,
    /// The field the command is about.
    pub field: &'static str,
    /// What to use here instead.
    pub instead: &'static str,
}

/// A family's words: how its edges' requests become its typed changes, and how its snapshot,
/// plan and outcome read. With [`FamilySteps`], this is all a family writes for the edges.
pub trait FamilyWords: FamilySteps + Sync {
    /// The family's facts.
    fn chip(&self) -> &'static dyn ChipFamily;
    /// Its commands besides `optbytes`.
    fn commands(&self) -> &'static [FamilyCommand];
    /// What to use instead of another family's command.
    fn instead(&self) -> &'static str;
    /// `FIELD=VALUE` words as changes.
    fn parse_changes(&self, words: &[String]) -> Result<Vec<Self::Change>, Error>;
    /// The field a command shows and sets.
    fn command_field(&self, command: &FamilyCommand) -> Self::Field;
    /// The table of every field and its JSON document.
    fn everything(
        &self,
        snapshot: &Self::Snapshot,
        part: &Self::Part,
        chip_name: &str,
    ) -> (String, Value);
    /// One command's line and JSON document.
    fn command_shown(
        &self,
        command: &FamilyCommand,
        snapshot: &Self::Snapshot,
        part: &Self::Part,
    ) -> (String, Value);
    /// The plan in words.
    fn plan_text(&self, plan: &Self::Plan, confirm: ConfirmWords) -> String;
    /// The plan of a dry run as JSON.
    fn plan_json(&self, plan: &Self::Plan) -> Value;
    /// The end of a change: `outcome` is `None` when nothing was to be written.
    fn finished(&self, plan: &Self::Plan, outcome: Option<&Self::Outcome>) -> Finished;
}

impl<T: FamilyWords> OptionFamily for T {
    fn chip(&self) -> &'static dyn ChipFamily {
        FamilyWords::chip(self)
    }

    fn commands(&self) -> &'static [FamilyCommand] {
        FamilyWords::commands(self)
    }

    fn instead(&self) -> &'static str {
        FamilyWords::instead(self)
    }

    fn run(
        &self,
        link: &mut dyn Link,
        request: &EdgeRequest<'_>,
        confirm: ConfirmWords,
        events: &mut dyn FnMut(EdgeEvent<'_>),
    ) -> Result<Rendered, Error> {
        let action = match request.asked {
            Asked::Everything => Action::Show { field: None },
            Asked::Show(command) => Action::Show {
                field: Some(self.command_field(command)),
            },
            Asked::Set(command, word) => {
                let words = [command_assignment(command, word)];
                Action::Change(self.parse_changes(&words)?)
            }
            Asked::Fields(words) => Action::Change(self.parse_changes(words)?),
        };
        let typed = Request {
            action,
            dry_run: request.dry_run,
            reset: request.reset,
            consents: request.consents,
            run_after: request.run_after,
        };
        let report = change_with(self, link, &typed, &mut |event| match event {
            Event::Planned(plan) => events(EdgeEvent::Planned(&self.plan_text(plan, confirm))),
            Event::Step(line) => events(EdgeEvent::Step(line)),
        })?;
        Ok(match report {
            Report::Shown {
                snapshot,
                part,
                chip_name,
            } => {
                let (text, json) = match request.asked {
                    Asked::Show(command) => self.command_shown(command, &snapshot, &part),
                    _ => self.everything(&snapshot, &part, &chip_name),
                };
                Rendered::Shown { text, json }
            }
            Report::DryRun { plan, .. } => Rendered::DryRun {
                json: self.plan_json(&plan),
            },
            Report::NothingToChange { plan } => {
                Rendered::NothingToChange(self.finished(&plan, None))
            }
            Report::Applied { plan, outcome } => {
                Rendered::Applied(self.finished(&plan, Some(&outcome)))
            }
        })
    }
}

/// `FIELD=VALUE` for a command's value word: the word's value when the command knows it, else
/// the word itself, so that the family's parser words the refusal.
fn command_assignment(command: &FamilyCommand, word: &str) -> String {
    match (command.value)(word) {
        Some(value) => format!("{}={value}", command.field),
        None => format!("{}={word}", command.field),
    }
}

pub use super::FAMILIES;

/// The family whose facts are `chip`.
pub fn for_chip(chip: &'static dyn ChipFamily) -> Option<&'static dyn OptionFamily> {
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.chip().name() == chip.name())
}

/// A command named `name` of any family (the first that has it).
pub fn command_anywhere(name: &str) -> Option<&'static FamilyCommand> {
    FAMILIES.iter().find_map(|f| f.command(name))
}

/// The value a word gives command `name` in any family that has it: for an edge's parser that
/// checks a value before it knows the chip.
pub fn command_value(name: &str, word: &str) -> Option<u32> {
    FAMILIES
        .iter()
        .filter_map(|f| f.command(name))
        .find_map(|c| (c.value)(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_the_families_own() {
        let f7 = FAMILIES[0];
        let g4 = FAMILIES[1];
        assert_eq!((f7.chip().name(), g4.chip().name()), ("STM32F7", "STM32G4"));
        assert!(f7.command("NDBANK").is_some() && f7.command("bank").is_some());
        assert!(g4.command("bank").is_some() && g4.command("ndbank").is_none());
        let refusal = g4.not_here("ndbank").unwrap().to_string();
        assert!(refusal.starts_with("STM32G4 has no nDBANK: "), "{refusal}");
        assert!(refusal.contains("use `bank single|dual`"), "{refusal}");
        assert!(refusal.ends_with("nothing was changed"), "{refusal}");
        assert_eq!(f7.not_here("ndbank"), None);
        assert_eq!(g4.not_here("frobnicate"), None);
        assert_eq!(command_value("ndbank", "dual"), Some(0));
        assert_eq!(command_value("ndbank", "maybe"), None);
        assert_eq!(command_value("bank", "single"), Some(1));
    }
}
