//! The simulated STM32H743 attached through the real probe-rs stack, as a user attaches: probe-rs
//! runs its STM32H7 debug sequence (DBGMCU_CR through access port 2), and the chip answers with
//! its identity where an H7 keeps it.

use probe_rs::MemoryInterface;
use stm32_opts::sim::h7::{H7Model, H7Sim};
use stm32_opts::sim::Simulator;

/// DBGMCU_IDCODE as the Cortex-M7 sees it (reference §0).
const DBGMCU_IDCODE: u64 = 0x5C00_1000;
/// The flash size register (u16, KB).
const FLASH_SIZE: u64 = 0x1FF1_E880;
/// DBGMCU_CR.DBG_CKD1EN | DBG_CKD3EN: set by probe-rs's STM32H7 sequence when it attaches.
const CR_DEBUG_CLOCKS: u32 = (1 << 21) | (1 << 22);

#[test]
fn probe_rs_attaches_and_reads_the_h7_identity() {
    for (chip, kb) in [("STM32H743ZITx", 2048u32), ("STM32H743ZG", 1024)] {
        let sim = Simulator::new(chip).unwrap();
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        let idcode = core.read_word_32(DBGMCU_IDCODE).unwrap();
        assert_eq!(idcode & 0xFFF, 0x450, "{chip}: {idcode:#x}");
        let size = core.read_word_32(FLASH_SIZE).unwrap() & 0xFFFF;
        assert_eq!(size, kb, "{chip}");
        drop(core);
        // probe-rs reached DBGMCU_CR through access port 2 at attach.
        let cr = sim.with_model(|m: &mut H7Model| m.dbgmcu.read(4)).unwrap();
        assert_eq!(
            cr & CR_DEBUG_CLOCKS,
            CR_DEBUG_CLOCKS,
            "{chip}: DBGMCU_CR {cr:#x}"
        );
        assert!(!sim.h7_swap_in_force().unwrap());
    }
}

#[test]
fn the_simulator_refuses_parts_it_does_not_model() {
    for other in ["STM32H750VB", "STM32H745ZI"] {
        let e = Simulator::new(other).unwrap_err().to_string();
        assert!(e.contains("STM32H743ZI"), "{other}: {e}");
    }
}
