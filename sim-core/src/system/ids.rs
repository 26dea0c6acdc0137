//! CoreSight identification registers (Peripheral ID and Component ID at offsets 0xFD0–0xFFC of
//! each 4 KB block; ARM CoreSight architecture, ARMv7-M ARM Appendix B / C1.2) of the blocks the
//! core models: SCS, DWT, FPB.
//!
//! The part numbers are those of the Cortex-M core named by CPUID.PARTNO (Cortex-M0+, M3, M4,
//! M7). The revision fields are reported as 0: the per-core revisions were not confirmed from a
//! source. A core the table does not know reads zeros.

/// The blocks that have ID registers here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Scs,
    Dwt,
    Fpb,
}

/// JEP106 identity of ARM: continuation code 4, identity code 0x3B.
const JEP106_ID: u32 = 0x3B;
const JEP106_CONTINUATION: u32 = 4;
/// Component class 0xE: generic IP component (SCS, DWT, FPB).
const CLASS_GENERIC_IP: u32 = 0xE;

fn part_number(cpuid: u32, block: Block) -> Option<u32> {
    let core = (cpuid >> 4) & 0xFFF;
    Some(match (core, block) {
        // Cortex-M0+.
        (0xC60, Block::Scs) => 0x008,
        (0xC60, Block::Dwt) => 0x00A,
        (0xC60, Block::Fpb) => 0x00B,
        // Cortex-M3.
        (0xC23, Block::Scs) => 0x000,
        (0xC23, Block::Dwt) => 0x002,
        (0xC23, Block::Fpb) => 0x003,
        // Cortex-M4.
        (0xC24, Block::Scs) => 0x00C,
        (0xC24, Block::Dwt) => 0x002,
        (0xC24, Block::Fpb) => 0x003,
        // Cortex-M7 (FPBv2).
        (0xC27, Block::Scs) => 0x00C,
        (0xC27, Block::Dwt) => 0x002,
        (0xC27, Block::Fpb) => 0x00E,
        _ => return None,
    })
}

/// The ID register at `offset` (0xFD0–0xFFC, word aligned) of `block`, or `None` when `offset`
/// is not an ID register.
pub fn read(cpuid: u32, block: Block, offset: u32) -> Option<u32> {
    if !(0xFD0..=0xFFC).contains(&offset) {
        return None;
    }
    let Some(part) = part_number(cpuid, block) else {
        return Some(0);
    };
    Some(match offset {
        // PIDR4: 4 KB block, JEP106 continuation code.
        0xFD0 => JEP106_CONTINUATION,
        0xFE0 => part & 0xFF,
        0xFE4 => ((JEP106_ID & 0xF) << 4) | (part >> 8),
        // PIDR2: revision 0, JEDEC-assigned, JEP106 identity [6:4].
        0xFE8 => 0x08 | (JEP106_ID >> 4),
        0xFF0 => 0x0D,
        0xFF4 => CLASS_GENERIC_IP << 4,
        0xFF8 => 0x05,
        0xFFC => 0xB1,
        _ => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_and_peripheral_ids_of_the_m4_dwt() {
        let cpuid = 0x410F_C241;
        let cid: Vec<u32> = (0..4)
            .map(|i| read(cpuid, Block::Dwt, 0xFF0 + 4 * i).unwrap_or(0))
            .collect();
        assert_eq!(cid, [0x0D, 0xE0, 0x05, 0xB1]);
        assert_eq!(read(cpuid, Block::Dwt, 0xFE0), Some(0x02));
        assert_eq!(read(cpuid, Block::Dwt, 0xFE4), Some(0xB0));
        assert_eq!(read(cpuid, Block::Dwt, 0xFE8), Some(0x0B));
        assert_eq!(read(cpuid, Block::Scs, 0x000), None);
    }
}
