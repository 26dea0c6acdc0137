//! The memory-mapped system registers as the core and the debugger see them (ARMv7-M ARM B3.2
//! SCB, B3.3 SysTick, B3.4 NVIC, B3.5 MPU, C1.8 DWT, C1.11 FPB; Cortex-M7 cache registers),
//! and the bit-band aliases (A3.7).

mod sys_support;

use sim_core::{Config, Core, Mem, Trap};
use sys_support::*;

fn m4() -> (Core, FlatBus) {
    boot(Config::cortex_m4f(), &[])
}

fn m7() -> (Core, FlatBus) {
    boot(Config::cortex_m7_dp(), &[])
}

#[test]
fn identification_registers_per_core() {
    let (mut core, mut bus) = m7();
    assert_eq!(rd(&mut core, &mut bus, reg::CPUID), 0x411F_C270);
    // 110 interrupts: INTLINESNUM = ceil(110 / 32) - 1 = 3.
    assert_eq!(rd(&mut core, &mut bus, reg::ICTR), 3);
    assert_eq!(rd(&mut core, &mut bus, reg::MVFR0), 0x1011_0221);
    assert_eq!(rd(&mut core, &mut bus, reg::MVFR1), 0x1200_0011);
    assert_eq!(rd(&mut core, &mut bus, reg::MVFR2), 0x0000_0040);
    // 8 MPU regions, unified.
    assert_eq!(rd(&mut core, &mut bus, reg::MPU_TYPE), 0x0000_0800);
    let (mut core, mut bus) = m4();
    assert_eq!(rd(&mut core, &mut bus, reg::CPUID), 0x410F_C241);
    assert_eq!(rd(&mut core, &mut bus, reg::ICTR), 3);
    assert_eq!(rd(&mut core, &mut bus, reg::MVFR2), 0);
    // SCS component ID: CoreSight class 0xE.
    let cid: Vec<u32> = (0..4)
        .map(|i| rd(&mut core, &mut bus, 0xE000_EFF0 + 4 * i))
        .collect();
    assert_eq!(cid, [0x0D, 0xE0, 0x05, 0xB1]);
}

#[test]
fn reset_values_of_ccr_fpccr_and_aircr() {
    let (mut core, mut bus) = m7();
    // Cortex-M7: BP (bit 18) and STKALIGN (bit 9) read as one.
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0x0004_0200);
    assert_eq!(rd(&mut core, &mut bus, reg::FPCCR), 0xC000_0000);
    assert_eq!(rd(&mut core, &mut bus, reg::AIRCR), 0xFA05_0000);
    let (mut core, mut bus) = m4();
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0x0000_0200);
    assert_eq!(rd(&mut core, &mut bus, reg::CPACR), 0);
}

#[test]
fn ccr_writable_bits_per_core() {
    let (mut core, mut bus) = m7();
    // IC, DC, DIV_0_TRP, UNALIGN_TRP written; BP and STKALIGN cannot be cleared.
    store(&mut core, &mut bus, reg::CCR, 0x0003_0018, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0x0007_0218);
    assert!(core.sys.divide_by_zero_trap() && core.sys.unaligned_trap());
    let (mut core, mut bus) = m4();
    // No caches on the M4: IC/DC are reserved; STKALIGN is writable.
    store(&mut core, &mut bus, reg::CCR, 0x0003_0000, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0);
}

#[test]
fn nvic_priority_bytes_use_little_endian_lanes_and_implemented_bits() {
    let (mut core, mut bus) = m4();
    // CMSIS NVIC_SetPriority(1, 0xA): IP[1] = 0xA0 as a byte store to 0xE000_E401.
    store(&mut core, &mut bus, reg::IPR0 + 1, 0xA0, 1);
    assert_eq!(rd(&mut core, &mut bus, reg::IPR0), 0x0000_A000);
    assert_eq!(load(&mut core, &mut bus, reg::IPR0 + 1, 1), 0xA0);
    // FreeRTOS's check: 0xFF to IPR0 reads back with the 4 implemented bits only.
    store(&mut core, &mut bus, reg::IPR0, 0xFF, 1);
    assert_eq!(load(&mut core, &mut bus, reg::IPR0, 1), 0xF0);
    // A halfword store to bytes 2–3.
    store(&mut core, &mut bus, reg::IPR0 + 2, 0x5060, 2);
    assert_eq!(rd(&mut core, &mut bus, reg::IPR0), 0x5060_A0F0);
    // Beyond the last interrupt (101 on the M4F): RAZ/WI.
    store(&mut core, &mut bus, reg::IPR0 + 102, 0xFF, 1);
    assert_eq!(load(&mut core, &mut bus, reg::IPR0 + 102, 1), 0);
}

#[test]
fn shpr_bytes_and_freertos_read_modify_write() {
    let (mut core, mut bus) = m7();
    // HAL: SysTick priority byte SHPR3[31:24] = 0xF0.
    store(&mut core, &mut bus, reg::SHPR3 + 3, 0xF0, 1);
    assert_eq!(rd(&mut core, &mut bus, reg::SHPR3), 0xF000_0000);
    // FreeRTOS: SHPR3 |= prio << 16 | prio << 24 as a word.
    let v = load(&mut core, &mut bus, reg::SHPR3, 4);
    store(
        &mut core,
        &mut bus,
        reg::SHPR3,
        v | 0x00F0_0000 | 0xF000_0000,
        4,
    );
    assert_eq!(rd(&mut core, &mut bus, reg::SHPR3), 0xF0F0_0000);
    // Reserved bytes (exceptions 7–10 and 13) read as zero.
    store(&mut core, &mut bus, reg::SHPR1, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::SHPR1), 0x00F0_F0F0);
    store(&mut core, &mut bus, reg::SHPR2, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::SHPR2), 0xF000_0000);
}

#[test]
fn nvic_set_clear_enable_pending_and_active() {
    let (mut core, mut bus) = m4();
    store(&mut core, &mut bus, reg::ISER0, 0x0000_0005, 4);
    store(&mut core, &mut bus, reg::ISER0, 0x0000_0010, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ISER0), 0x15);
    assert_eq!(rd(&mut core, &mut bus, reg::ICER0), 0x15);
    store(&mut core, &mut bus, reg::ICER0, 0x0000_0001, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ISER0), 0x14);
    // IRQs 96–101 exist in word 3; 102+ do not.
    store(&mut core, &mut bus, reg::ISER0 + 12, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ISER0 + 12), 0x3F);
    // Pend IRQ 33 (word 1 bit 1) with PRIMASK set, so it stays pending.
    core.regs.primask = true;
    store(&mut core, &mut bus, reg::ISPR0 + 4, 0x2, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ICPR0 + 4), 0x2);
    store(&mut core, &mut bus, reg::ICPR0 + 4, 0x2, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0 + 4), 0);
    // STIR pends by number.
    store(&mut core, &mut bus, reg::STIR, 33, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0 + 4), 0x2);
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0 + 4), 0);
}

#[test]
fn icsr_pends_and_clears_system_exceptions() {
    let (mut core, mut bus) = m4();
    core.regs.primask = true;
    store(&mut core, &mut bus, reg::ICSR, 1 << 28, 4);
    store(&mut core, &mut bus, reg::ICSR, 1 << 26, 4);
    let icsr = rd(&mut core, &mut bus, reg::ICSR);
    assert_eq!(icsr & (1 << 28), 1 << 28, "PENDSVSET reads pending");
    assert_eq!(icsr & (1 << 26), 1 << 26, "PENDSTSET reads pending");
    // VECTPENDING ignores PRIMASK: PendSV (14) and SysTick (15) at priority 0, the lower
    // number first.
    assert_eq!((icsr >> 12) & 0x1FF, 14);
    assert_eq!(icsr & (1 << 22), 0, "no external interrupt pending");
    assert_eq!(icsr & 0x1FF, 0, "Thread mode");
    store(&mut core, &mut bus, reg::ICSR, 1 << 27, 4);
    let icsr = rd(&mut core, &mut bus, reg::ICSR);
    assert_eq!(icsr & (1 << 28), 0);
    assert_eq!((icsr >> 12) & 0x1FF, 15);
    store(&mut core, &mut bus, reg::ICSR, 1 << 25, 4);
    assert_eq!((rd(&mut core, &mut bus, reg::ICSR) >> 12) & 0x1FF, 0);
    // BASEPRI masks VECTPENDING: SysTick at 0x80 under BASEPRI 0x40.
    store(&mut core, &mut bus, reg::SHPR3 + 3, 0x80, 1);
    core.regs.basepri = 0x40;
    store(&mut core, &mut bus, reg::ICSR, 1 << 26, 4);
    assert_eq!((rd(&mut core, &mut bus, reg::ICSR) >> 12) & 0x1FF, 0);
    // ISRPENDING for an external interrupt, pending even while disabled.
    store(&mut core, &mut bus, reg::ISPR0, 1, 4);
    assert_ne!(rd(&mut core, &mut bus, reg::ICSR) & (1 << 22), 0);
}

#[test]
fn vtor_aircr_key_and_prigroup() {
    let (mut core, mut bus) = m7();
    store(&mut core, &mut bus, reg::VTOR, 0x0800_00FF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::VTOR), 0x0800_0080);
    // Without VECTKEY nothing changes.
    store(&mut core, &mut bus, reg::AIRCR, 0x0000_0300, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::AIRCR), 0xFA05_0000);
    // HAL_NVIC_SetPriorityGrouping(NVIC_PRIORITYGROUP_4): PRIGROUP 3 with the key.
    store(&mut core, &mut bus, reg::AIRCR, 0x05FA_0300, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::AIRCR), 0xFA05_0300);
}

#[test]
fn sysresetreq_asks_the_chip_for_a_reset() {
    let (mut core, mut bus) = m7();
    // NVIC_SystemReset: key | PRIGROUP | SYSRESETREQ.
    store(&mut core, &mut bus, reg::AIRCR, 0x05FA_0304, 4);
    assert_eq!(core.run(&mut bus, 10), sim_core::Stop::ResetRequested);
    core.system_reset(&mut bus, 0);
    assert_eq!(core.pc(), CODE);
    assert_eq!(rd(&mut core, &mut bus, reg::AIRCR), 0xFA05_0000);
}

#[test]
fn systick_registers() {
    let mut config = Config::cortex_m4f();
    config.systick_calib = 0x4000_2327;
    let (mut core, mut bus) = boot(config, &[]);
    assert_eq!(rd(&mut core, &mut bus, reg::SYST_CALIB), 0x4000_2327);
    // RELOAD is 24 bits.
    store(&mut core, &mut bus, reg::SYST_RVR, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::SYST_RVR), 0x00FF_FFFF);
    store(&mut core, &mut bus, reg::SYST_RVR, 9, 4);
    store(&mut core, &mut bus, reg::SYST_CVR, 1234, 4);
    assert_eq!(
        rd(&mut core, &mut bus, reg::SYST_CVR),
        0,
        "any CVR write clears it"
    );
    // Enabled without TICKINT; 10 cycles: reload, then 9 down to 0 — a wrap.
    store(&mut core, &mut bus, reg::SYST_CSR, 0b101, 4);
    core.cycles += 4;
    // Reload tick, then 3 decrements: 9 - 3 = 6.
    assert_eq!(rd(&mut core, &mut bus, reg::SYST_CVR), 6);
    core.cycles += 6;
    assert_eq!(rd(&mut core, &mut bus, reg::SYST_CVR), 0);
    let csr = load(&mut core, &mut bus, reg::SYST_CSR, 4);
    assert_eq!(csr, 0x0001_0005, "COUNTFLAG set after the wrap");
    assert_eq!(
        load(&mut core, &mut bus, reg::SYST_CSR, 4),
        0x5,
        "and cleared by the read"
    );
    // No TICKINT: SysTick is not pending.
    assert_eq!(rd(&mut core, &mut bus, reg::ICSR) & (1 << 26), 0);
}

#[test]
fn fault_status_registers_are_write_one_to_clear() {
    let (mut core, mut bus) = m4();
    // Execute a UDF: UsageFault disabled, so HardFault (FORCED) with UNDEFINSTR.
    core.run(&mut bus, 1);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 1 << 16);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), 1 << 30);
    // UFSR as a halfword at CFSR + 2.
    assert_eq!(load(&mut core, &mut bus, reg::CFSR + 2, 2), 1);
    store(&mut core, &mut bus, reg::CFSR, 0, 4);
    assert_eq!(
        rd(&mut core, &mut bus, reg::CFSR),
        1 << 16,
        "writing 0 clears nothing"
    );
    store(&mut core, &mut bus, reg::CFSR + 2, 1, 2);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 0);
    store(&mut core, &mut bus, reg::HFSR, 1 << 30, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), 0);
    store(&mut core, &mut bus, reg::BFAR, 0x1234_5678, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::BFAR), 0x1234_5678);
}

#[test]
fn fp_registers() {
    let (mut core, mut bus) = m4();
    // SystemInit: CPACR |= 0xF << 20; other bits are reserved.
    store(&mut core, &mut bus, reg::CPACR, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::CPACR), 0x00F0_0000);
    assert_eq!(core.sys.cpacr, 0x00F0_0000);
    store(&mut core, &mut bus, reg::FPDSCR, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::FPDSCR), 0x07C0_0000);
    store(&mut core, &mut bus, reg::FPCAR, 0x2000_1004, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::FPCAR), 0x2000_1000);
    store(&mut core, &mut bus, reg::FPCCR, 0x4000_0000, 4);
    assert_eq!(core.sys.fpccr, 0x4000_0000);
}

#[test]
fn cortex_m7_cache_registers() {
    let (mut core, mut bus) = m7();
    assert_eq!(rd(&mut core, &mut bus, reg::CLIDR), 0x0900_0003);
    assert_eq!(rd(&mut core, &mut bus, reg::CTR), 0x8303_C003);
    // SCB_EnableDCache: CSSELR = 0 (L1 data), read CCSIDR, DCISW for each set and way.
    store(&mut core, &mut bus, reg::CSSELR, 0, 4);
    let ccsidr = load(&mut core, &mut bus, reg::CCSIDR, 4);
    assert_eq!(ccsidr, 0xF00F_E019);
    // NumSets = 127 + 1, Associativity = 3 + 1, 32-byte lines: 16 KB.
    assert_eq!(((ccsidr >> 13) & 0x7FFF) + 1, 128);
    assert_eq!(((ccsidr >> 3) & 0x3FF) + 1, 4);
    for set in 0..128u32 {
        for way in 0..4u32 {
            store(&mut core, &mut bus, reg::DCISW, (way << 30) | (set << 5), 4);
        }
    }
    store(&mut core, &mut bus, reg::ICIALLU, 0, 4);
    store(&mut core, &mut bus, reg::CSSELR, 1, 4);
    assert_eq!(load(&mut core, &mut bus, reg::CCSIDR, 4), 0xF01F_E009);
    // The M4 has none of these.
    let (mut core, mut bus) = m4();
    assert_eq!(rd(&mut core, &mut bus, reg::CLIDR), 0);
    assert_eq!(rd(&mut core, &mut bus, reg::CCSIDR), 0);
}

#[test]
fn unprivileged_scs_access_is_a_bus_error_except_stir_with_usersetmpend() {
    let (mut core, mut bus) = m4();
    core.regs.control = 1; // Thread mode, unprivileged
    assert_eq!(
        core.read(&mut bus, reg::ICSR, 4, Mem::Aligned),
        Err(Trap::DataBusError { address: reg::ICSR })
    );
    assert_eq!(
        core.write(&mut bus, reg::STIR, 3, 4, Mem::Aligned),
        Err(Trap::DataBusError { address: reg::STIR })
    );
    core.sys.ccr |= 1 << 1; // USERSETMPEND
    core.regs.primask = true;
    assert_eq!(core.write(&mut bus, reg::STIR, 3, 4, Mem::Aligned), Ok(()));
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 1 << 3);
}

#[test]
fn dwt_and_fpb_control_registers() {
    let (mut core, mut bus) = m4();
    let ctrl = rd(&mut core, &mut bus, reg::DWT_CTRL);
    assert_eq!(ctrl >> 28, 4, "NUMCOMP");
    // CYCCNT counts only with DEMCR.TRCENA and CYCCNTENA.
    wr(&mut core, &mut bus, reg::DWT_CTRL, ctrl | 1);
    core.cycles += 100;
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CYCCNT), 0);
    wr(&mut core, &mut bus, reg::DEMCR, 1 << 24);
    core.cycles += 100;
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CYCCNT), 100);
    // FPBv1 with 6 code and 2 literal comparators, disabled.
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL), 0x0000_0260);
    // A write without KEY is ignored.
    wr(&mut core, &mut bus, reg::FP_CTRL, 1);
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL) & 1, 0);
    wr(&mut core, &mut bus, reg::FP_CTRL, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL) & 1, 1);
    let (mut core, mut bus) = m7();
    // FPBv2 with 8 code comparators.
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL), 0x1000_0280);
}

#[test]
fn bit_band_aliases_on_the_cortex_m4() {
    let (mut core, mut bus) = m4();
    ram_write(&mut bus, 0x2000_0300, 0x0000_0004);
    // Bit 2 of 0x2000_0300 is alias word 0x2200_0000 + 0x300 * 32 + 2 * 4.
    let alias = 0x2200_6008;
    assert_eq!(load(&mut core, &mut bus, alias, 4), 1);
    assert_eq!(load(&mut core, &mut bus, alias + 4, 4), 0);
    // Setting bit 5 and clearing bit 2 read-modify-write the byte.
    store(&mut core, &mut bus, alias + 12, 0xFFFF_FFFF, 4);
    store(&mut core, &mut bus, alias, 0xFFFF_FFFE, 4);
    assert_eq!(ram(&mut bus, 0x2000_0300), 0x0000_0020);
    // Bit 12 of the word: bit 4 of byte 0x2000_0301.
    store(&mut core, &mut bus, 0x2200_6000 + 12 * 4, 1, 4);
    assert_eq!(ram(&mut bus, 0x2000_0300), 0x0000_1020);
    // The debugger goes through the same aliasing.
    assert_eq!(core.debug_read(&mut bus, 0x2200_6000 + 5 * 4, 4), Ok(1));
    core.debug_write(&mut bus, 0x2200_6000 + 31 * 4, 1, 4)
        .expect("alias write");
    assert_eq!(ram(&mut bus, 0x2000_0300), 0x8000_1020);
    // An alias of an unmapped peripheral is a bus error at the alias address.
    let periph_alias = 0x4200_0000;
    assert_eq!(
        core.read(&mut bus, periph_alias, 4, Mem::Aligned),
        Err(Trap::DataBusError {
            address: periph_alias
        })
    );
}

#[test]
fn no_bit_banding_on_the_cortex_m7() {
    let (mut core, mut bus) = m7();
    // 0x2200_0000 is plain memory on the bus (unmapped in the test memory).
    assert_eq!(
        core.read(&mut bus, 0x2200_6008, 4, Mem::Aligned),
        Err(Trap::DataBusError {
            address: 0x2200_6008
        })
    );
}

fn ram_write(bus: &mut FlatBus, address: u32, value: u32) {
    use sim_core::{Bus, Initiator};
    bus.write(address, value, 4, Initiator::Debug)
        .expect("RAM is mapped");
}

/// The test memory with one vendor register in the private peripheral bus (DBGMCU_IDCODE at
/// 0xE004_2000) and the ITM stimulus port 0 at 0xE000_0000.
struct PpbBus {
    mem: FlatBus,
    itm_written: Vec<u32>,
}

impl sim_core::Bus for PpbBus {
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: sim_core::Initiator,
    ) -> Result<u32, sim_core::BusError> {
        match address {
            0xE004_2000 => Ok(0x1000_6451),
            // ITM_STIM0 reads 1: the FIFO can take a character.
            0xE000_0000 => Ok(1),
            _ => self.mem.read(address, size, who),
        }
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: sim_core::Initiator,
    ) -> Result<(), sim_core::BusError> {
        if address == 0xE000_0000 {
            self.itm_written.push(value);
            return Ok(());
        }
        self.mem.write(address, value, size, who)
    }
}

#[test]
fn the_rest_of_the_ppb_is_the_chips_behind_the_privilege_check() {
    let (core, mem) = m7();
    let mut core = core;
    let mut bus = PpbBus {
        mem,
        itm_written: Vec::new(),
    };
    assert_eq!(load(&mut core, &mut bus, 0xE004_2000, 4), 0x1000_6451);
    assert_eq!(core.debug_read(&mut bus, 0xE004_2000, 4), Ok(0x1000_6451));
    core.regs.control = 1; // unprivileged Thread mode
    assert_eq!(
        core.read(&mut bus, 0xE004_2000, 4, Mem::Aligned),
        Err(Trap::DataBusError {
            address: 0xE004_2000
        })
    );
    // The ITM guards its stimulus ports itself (ITM_TPR): the access reaches the chip.
    assert_eq!(core.read(&mut bus, 0xE000_0000, 4, Mem::Aligned), Ok(1));
    assert_eq!(
        core.write(&mut bus, 0xE000_0000, 0x41, 1, Mem::Aligned),
        Ok(())
    );
    assert_eq!(bus.itm_written, [0x41]);
}
