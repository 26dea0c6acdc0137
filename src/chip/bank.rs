//! The bank organisation of a dual-bank flash, the same two modes on every family that has
//! them; each family's facts say which option bit selects which (F7 nDBANK active low, G4 DBANK
//! active high).

use serde::Serialize;

/// One bank or two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BankMode {
    /// One bank, large sectors or pages (the F7 factory default).
    Single,
    /// Two banks of half the size, sectors or pages half as large.
    Dual,
}

impl BankMode {
    /// "single" or "dual", as used in JSON and messages.
    pub fn name(self) -> &'static str {
        match self {
            BankMode::Single => "single",
            BankMode::Dual => "dual",
        }
    }
}

impl std::fmt::Display for BankMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bank", self.name())
    }
}
