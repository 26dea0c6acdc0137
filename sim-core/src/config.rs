//! What kind of Cortex-M core this is: architecture, FPU, identity and the sizes of its
//! configurable units. A chip family builds one `Config` and the core consults nothing else.

/// The architecture profile (ARMv7-M ARM A1.2, ARMv6-M ARM A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    /// ARMv6-M (Cortex-M0/M0+): the Thumb subset, BL/MRS/MSR/DMB/DSB/ISB as the only 32-bit
    /// instructions, no IT, no BASEPRI/FAULTMASK, HardFault only.
    V6M,
    /// ARMv7-M (Cortex-M3).
    V7M,
    /// ARMv7E-M (Cortex-M4/M7): ARMv7-M plus the DSP extension.
    V7EM,
}

/// The floating-point extension (ARMv7-M ARM A2.5, MVFR0–2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fpu {
    None,
    /// FPv4-SP-D16 (Cortex-M4F): single precision only; D registers exist for transfers.
    Fpv4Sp,
    /// FPv5-D16 with double precision (Cortex-M7 as on STM32F76x/F77x): F64 arithmetic and the
    /// FPv5 additions (VSEL, VMAXNM/VMINNM, VRINT*, VCVTA/N/P/M, F64<->F16).
    Fpv5Dp,
}

/// Flash patch and breakpoint unit as FP_CTRL describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FpbConfig {
    /// FP_CTRL.REV: 0 = FPBv1 (COMP[28:2] + REPLACE, code region only), 1 = FPBv2 (BPADDR[31:1]).
    pub revision: u8,
    /// FP_CTRL.NUM_CODE.
    pub code_comparators: u8,
    /// FP_CTRL.NUM_LIT.
    pub literal_comparators: u8,
}

/// Cortex-M7 L1 cache geometry as CCSIDR reports it (CLIDR/CTR/CCSIDR/CSSELR are modelled only
/// when this is present).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// CCSIDR for CSSELR = 0 (data cache) and CSSELR = 1 (instruction cache).
    pub ccsidr_data: u32,
    pub ccsidr_instruction: u32,
    pub clidr: u32,
    pub ctr: u32,
}

/// Everything that differs between the Cortex-M cores the simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub arch: Arch,
    pub fpu: Fpu,
    /// SCB_CPUID.
    pub cpuid: u32,
    /// MVFR0, MVFR1, MVFR2 (read as zero where the core has none).
    pub mvfr: [u32; 3],
    /// Number of external interrupts (IRQ 0 ..).
    pub irq_count: u16,
    /// Implemented priority bits (`__NVIC_PRIO_BITS`): the top bits of each 8-bit priority field.
    pub priority_bits: u8,
    pub fpb: FpbConfig,
    /// DWT_CTRL.NUMCOMP.
    pub dwt_comparators: u8,
    pub cache: Option<CacheConfig>,
    /// Bit-band regions (Cortex-M3/M4): SRAM 0x2000_0000 aliased at 0x2200_0000, peripherals
    /// 0x4000_0000 at 0x4200_0000, one word per bit.
    pub bitband: bool,
    /// SYST_CALIB as read.
    pub systick_calib: u32,
}

impl Config {
    /// The DSP extension (ARMv7E-M).
    pub fn has_dsp(&self) -> bool {
        self.arch == Arch::V7EM
    }

    /// The 32-bit Thumb-2 instruction set beyond ARMv6-M's handful.
    pub fn has_thumb2(&self) -> bool {
        self.arch >= Arch::V7M
    }

    pub fn has_fpu(&self) -> bool {
        self.fpu != Fpu::None
    }

    pub fn has_double_precision(&self) -> bool {
        self.fpu == Fpu::Fpv5Dp
    }

    /// Cortex-M7 r1p0 with FPv5-D16 (double precision), as on STM32F76x/F77x: 110 interrupts,
    /// 4 priority bits, FPBv2 with 8 code comparators, 4 DWT comparators, 16 KB I- and D-cache.
    pub fn cortex_m7_dp() -> Config {
        Config {
            arch: Arch::V7EM,
            fpu: Fpu::Fpv5Dp,
            cpuid: 0x411F_C270,
            mvfr: [0x1011_0221, 0x1200_0011, 0x0000_0040],
            irq_count: 110,
            priority_bits: 4,
            fpb: FpbConfig {
                revision: 1,
                code_comparators: 8,
                literal_comparators: 2,
            },
            dwt_comparators: 4,
            cache: Some(CacheConfig {
                // 16 KB, 4-way, 32-byte lines, WT/WB/RA/WA (real-firmware-on-the-sim.md §2).
                ccsidr_data: 0xF00F_E019,
                // 16 KB, 2-way, 32-byte lines.
                ccsidr_instruction: 0xF01F_E009,
                clidr: 0x0900_0003,
                ctr: 0x8303_C003,
            }),
            bitband: false,
            systick_calib: 0,
        }
    }

    /// Cortex-M0+ r0p1 (ARMv6-M), as on STM32G0B1: CPUID 0x410CC601 (implementer 0x41, variant 0,
    /// architecture 0xC = ARMv6-M, part 0xC60, revision 1), no FPU, 32 interrupts (IRQ 0–31),
    /// 2 priority bits (`__NVIC_PRIO_BITS` 2), the breakpoint unit (BPU: FP_CTRL revision 0
    /// layout, 4 instruction comparators, no literal comparators, code region only), a DWT with
    /// 2 comparators (PC and data address watchpoints, no cycle counter), no bit-band, no
    /// caches. SysTick and VTOR (a Cortex-M0+ option) are implemented, as the G0 does; the
    /// MPU is the same 8-region register set the other cores model (not enforced).
    pub fn cortex_m0plus() -> Config {
        Config {
            arch: Arch::V6M,
            fpu: Fpu::None,
            cpuid: 0x410C_C601,
            mvfr: [0; 3],
            irq_count: 32,
            priority_bits: 2,
            fpb: FpbConfig {
                revision: 0,
                code_comparators: 4,
                literal_comparators: 0,
            },
            dwt_comparators: 2,
            cache: None,
            bitband: false,
            systick_calib: 0,
        }
    }

    /// Cortex-M4 r0p1 with FPv4-SP-D16, as on STM32G4: 102 interrupts, 4 priority bits, FPBv1
    /// with 6 code comparators, 4 DWT comparators, bit-banding.
    pub fn cortex_m4f() -> Config {
        Config {
            arch: Arch::V7EM,
            fpu: Fpu::Fpv4Sp,
            cpuid: 0x410F_C241,
            mvfr: [0x1011_0021, 0x1100_0011, 0],
            irq_count: 102,
            priority_bits: 4,
            fpb: FpbConfig {
                revision: 0,
                code_comparators: 6,
                literal_comparators: 2,
            },
            dwt_comparators: 4,
            cache: None,
            bitband: true,
            systick_calib: 0,
        }
    }
}
