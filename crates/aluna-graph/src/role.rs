//! The part a person plays in a case.

use aluna_core::{Error, Result};

/// The part a person plays in a case. Victims are never ranked as targets: measures meant to
/// point at people (key players, brokers, top centralities) leave them out by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Role {
    /// Convicted or charged offender.
    Offender,
    /// Suspect under investigation.
    Suspect,
    /// Victim (or a victim's relative sharing their phone or account).
    Victim,
    /// Witness.
    Witness,
    /// Not known.
    Unknown,
}

impl Role {
    /// All roles, in code order.
    pub const ALL: [Role; 5] = [
        Role::Offender,
        Role::Suspect,
        Role::Victim,
        Role::Witness,
        Role::Unknown,
    ];

    /// The role's name as users write it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Offender => "offender",
            Role::Suspect => "suspect",
            Role::Victim => "victim",
            Role::Witness => "witness",
            Role::Unknown => "unknown",
        }
    }

    /// Parse a role name (case and surrounding blanks ignored).
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.name() == t)
            .ok_or_else(|| {
                Error::argument(
                    "role",
                    format!(
                        "unknown role {text:?}; roles are offender, suspect, victim, witness, unknown"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(&r.name().to_uppercase()).unwrap(), r);
        }
        assert!(Role::parse("boss").is_err());
    }
}
