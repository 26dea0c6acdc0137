//! What every family's reports share: how an edge words a confirmation, the line that closes
//! a dry run, and the layout of a plan in words (a changed field, the closing lines).

use std::fmt::Write as _;

use super::confirm::Confirmation;

/// How a caller tells its user to give a confirmation: the CLI's flags, the monitor's words.
/// The report layer says what needs confirming; the caller says how.
pub type ConfirmWords = fn(Confirmation) -> &'static str;

/// The line that closes a dry run, for every caller.
pub const DRY_RUN_LINE: &str = "Dry run: nothing was written.";

/// The line of a plan that writes nothing (every family's).
pub fn write_no_change(out: &mut String, already_set: &[&str]) {
    let _ = writeln!(
        out,
        "No change: {} already set as requested; nothing to write.",
        already_set.join(", ")
    );
}

/// One changed field of a plan, as [`write_field_change`] prints it.
pub struct PlanFieldChange<'a> {
    /// The width the family pads its field names to (its longest name).
    pub name_width: usize,
    pub name: &'a str,
    pub old: &'a str,
    pub new: &'a str,
    pub old_meaning: &'a str,
    pub new_meaning: &'a str,
}

/// A changed field: its name, old → new value, and what each means.
pub fn write_field_change(out: &mut String, c: PlanFieldChange<'_>) {
    let _ = writeln!(
        out,
        "  {:<width$} {} → {}",
        c.name,
        c.old,
        c.new,
        width = c.name_width
    );
    let _ = writeln!(out, "      was: {}", c.old_meaning);
    let _ = writeln!(out, "      new: {}", c.new_meaning);
}

/// The lines that close every family's plan: the fields already set, the warnings and the
/// confirmations needed, each worded by `confirm`.
pub fn write_plan_end(
    out: &mut String,
    already_set: &[&str],
    warnings: &[String],
    confirmations: &[Confirmation],
    confirm: ConfirmWords,
) {
    if !already_set.is_empty() {
        let _ = writeln!(
            out,
            "Already set (no write needed): {}",
            already_set.join(", ")
        );
    }
    for w in warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    for c in confirmations {
        let _ = writeln!(out, "Needs {}: {}", confirm(*c), c.reason());
    }
}
