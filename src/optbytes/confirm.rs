//! The confirmations a change may need and the consents a user gives, the same on every
//! family: what RDP changes do that cannot be taken back. Each edge says in its own words how
//! to give them (CLI `--yes`, monitor `yes`).

use serde::Serialize;

/// A confirmation a change needs before it is written: what the change does that cannot be
/// taken back or that destroys data. The caller decides how its user gives it (see [`Consent`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    /// RDP level 1 → 0: mass-erases flash and backup SRAM. Given by [`Consent::Destructive`].
    MassErase,
    /// RDP level 0 → 1: the debugger loses flash access; undoing it erases. Given by
    /// [`Consent::Destructive`].
    ReadProtection,
    /// RDP level 2: permanent. Given by [`Consent::Destructive`] and [`Consent::PermanentRdp2`]
    /// together.
    PermanentRdp2,
}

/// A confirmation the user gave, as a value (each caller maps its own words to these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// "Yes, erase or read-protect the chip": confirms RDP 1 → 0 and RDP 0 → 1, and is half of
    /// the confirmation of RDP level 2.
    Destructive,
    /// "I understand that RDP level 2 is permanent": with [`Consent::Destructive`], confirms RDP
    /// level 2. Alone it confirms nothing.
    PermanentRdp2,
}

/// The set of confirmations a user gave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Consents {
    destructive: bool,
    permanent_rdp2: bool,
}

impl Consents {
    /// No confirmation given.
    pub const NONE: Consents = Consents {
        destructive: false,
        permanent_rdp2: false,
    };

    /// This set plus `consent`.
    pub fn with(mut self, consent: Consent) -> Self {
        match consent {
            Consent::Destructive => self.destructive = true,
            Consent::PermanentRdp2 => self.permanent_rdp2 = true,
        }
        self
    }

    /// Whether `consent` was given.
    pub fn contains(self, consent: Consent) -> bool {
        match consent {
            Consent::Destructive => self.destructive,
            Consent::PermanentRdp2 => self.permanent_rdp2,
        }
    }
}

impl FromIterator<Consent> for Consents {
    fn from_iter<I: IntoIterator<Item = Consent>>(iter: I) -> Self {
        iter.into_iter().fold(Consents::NONE, Consents::with)
    }
}

impl Confirmation {
    /// The confirmation to ask for among `missing`: PermanentRdp2 when it is there (its words
    /// include the others'), else the first; ReadProtection for an empty list.
    pub fn to_ask_for(missing: &[Confirmation]) -> Confirmation {
        missing
            .iter()
            .copied()
            .find(|&c| c == Confirmation::PermanentRdp2)
            .or(missing.first().copied())
            .unwrap_or(Confirmation::ReadProtection)
    }

    /// What the change does, for the refusal message.
    pub fn reason(self) -> &'static str {
        match self {
            Confirmation::MassErase => {
                "lowering RDP from level 1 to 0 mass-erases the whole flash and the backup SRAM"
            }
            Confirmation::ReadProtection => {
                "RDP level 1 blocks debugger access to flash, and going back to level 0 mass-erases it"
            }
            Confirmation::PermanentRdp2 => {
                "RDP level 2 is PERMANENT: debug access is disabled for good and the option bytes can never be changed again"
            }
        }
    }

    /// The consents that give this confirmation (all of them are needed).
    pub fn needs(self) -> &'static [Consent] {
        match self {
            Confirmation::MassErase | Confirmation::ReadProtection => &[Consent::Destructive],
            Confirmation::PermanentRdp2 => &[Consent::Destructive, Consent::PermanentRdp2],
        }
    }

    /// Whether `consents` give this confirmation.
    pub fn given(self, consents: Consents) -> bool {
        self.needs().iter().all(|&c| consents.contains(c))
    }
}
