//! The fault report in words, shared by the CLI (`stm32-opts fault`) and GDB (`monitor fault`).

use super::decode::{diagnose, exc_return_words, exception_name, ipsr, Diagnosis};
use super::profile::Profile;
use super::read::{FaultSnapshot, FrameMissing};
use super::registers::StatusBit;

/// One line naming the fault, e.g.
/// "UsageFault: undefined instruction (UFSR.UNDEFINSTR) at pc 0x0800006a".
pub fn headline(snapshot: &FaultSnapshot) -> String {
    if snapshot.regs.profile == Profile::V6M {
        return v6m_headline(snapshot);
    }
    let d = diagnose(&snapshot.regs);
    let Some(exception) = d.exception else {
        return "no fault recorded (CFSR and HFSR are 0)".into();
    };
    let mut line = exception.to_string();
    if let Some(from) = d.escalated_from {
        line.push_str(&format!(" (escalated from {from}, HFSR.FORCED)"));
    }
    match &d.cause {
        Some(cause) => line.push_str(&format!(
            ": {} ({})",
            cause.meaning(),
            cause.qualified_name()
        )),
        None => line.push_str(": forced, with no configurable fault status left (CFSR is 0)"),
    }
    match snapshot.faulting_pc() {
        Some(pc) => line.push_str(&format!(" at pc {pc:#010x}")),
        None => line.push_str(" (faulting pc unknown: no exception frame)"),
    }
    if let Some(address) = d.bfar {
        line.push_str(&format!(", address {address:#010x} (BFAR)"));
    }
    if let Some(address) = d.mmfar {
        line.push_str(&format!(", address {address:#010x} (MMFAR)"));
    }
    line
}

/// HardFault exception number (every ARMv6-M fault).
const HARD_FAULT: u32 = 3;

/// Whether the core is in the HardFault handler of an ARMv6-M core, whose cause nothing records
/// (a fault without a diagnosis, which a vector-catch stop still names).
pub fn uncaused_hard_fault(snapshot: &FaultSnapshot) -> bool {
    snapshot.regs.profile == Profile::V6M
        && snapshot
            .core
            .as_ref()
            .is_some_and(|c| ipsr(c.xpsr) == HARD_FAULT)
}

/// ARMv6-M: nothing records a fault, so one shows only while the HardFault handler is active
/// (or as the lockup the core was halted out of).
fn v6m_headline(snapshot: &FaultSnapshot) -> String {
    if !uncaused_hard_fault(snapshot) && snapshot.lockup.is_none() {
        return match snapshot.core {
            Some(_) => "no fault active: the HardFault handler is not running (an ARMv6-M core records no fault status to read afterwards)".into(),
            None => "the core is running: halt it to see whether the HardFault handler is active (an ARMv6-M core records no fault status)".into(),
        };
    }
    let mut line = "HardFault: cause not recorded (ARMv6-M has no CFSR/HFSR)".to_string();
    match snapshot.faulting_pc() {
        Some(pc) => line.push_str(&format!(" at pc {pc:#010x}")),
        None => line.push_str(" (faulting pc unknown: no exception frame)"),
    }
    line
}

fn names(bits: &[StatusBit]) -> String {
    if bits.is_empty() {
        return "-".into();
    }
    bits.iter().map(|b| b.name).collect::<Vec<_>>().join(" ")
}

fn cfsr_names(d: &Diagnosis) -> String {
    if d.cfsr.is_empty() {
        return "-".into();
    }
    d.cfsr
        .iter()
        .map(|(part, bit)| format!("{}.{}", part.name(), bit.name))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The full report: headline, every register with its bits named, the stacked frame.
pub fn render(snapshot: &FaultSnapshot) -> Vec<String> {
    let d = diagnose(&snapshot.regs);
    let r = &snapshot.regs;
    let mut lines = Vec::new();
    if let Some(lockup) = &snapshot.lockup {
        lines.push(lockup.line(r));
    }
    lines.push(headline(snapshot));
    if let Some(limits) = r.profile.limits() {
        lines.push(format!("  {limits}"));
        lines.push(format!("  DFSR  {:#010x}  {}", r.dfsr, names(&d.dfsr)));
        core_and_frame(snapshot, &mut lines);
        return lines;
    }
    lines.push(format!("  CFSR  {:#010x}  {}", r.cfsr, cfsr_names(&d)));
    for (part, bit) in &d.cfsr {
        lines.push(format!(
            "          {}.{}: {}",
            part.name(),
            bit.name,
            bit.meaning
        ));
    }
    lines.push(format!("  HFSR  {:#010x}  {}", r.hfsr, names(&d.hfsr)));
    for bit in &d.hfsr {
        lines.push(format!("          HFSR.{}: {}", bit.name, bit.meaning));
    }
    lines.push(format!("  DFSR  {:#010x}  {}", r.dfsr, names(&d.dfsr)));
    match d.mmfar {
        Some(a) => lines.push(format!("  MMFAR {a:#010x}  the faulting address")),
        None => lines.push("  MMFAR not valid (MMFSR.MMARVALID clear)".into()),
    }
    match d.bfar {
        Some(a) => lines.push(format!("  BFAR  {a:#010x}  the faulting address")),
        None => lines.push("  BFAR  not valid (BFSR.BFARVALID clear)".into()),
    }
    core_and_frame(snapshot, &mut lines);
    lines
}

/// Where the core is halted, and the stacked frame.
fn core_and_frame(snapshot: &FaultSnapshot, lines: &mut Vec<String>) {
    if let Some(core) = &snapshot.core {
        let active = ipsr(core.xpsr);
        let mut line = format!(
            "  core halted at pc {:#010x} in {}",
            core.pc,
            if active == 0 {
                "Thread mode".to_string()
            } else {
                format!("the {} handler (IPSR {active})", exception_name(active))
            }
        );
        if active != 0 && super::decode::is_exc_return(core.lr) {
            line.push_str(&format!(
                "; LR {:#010x} = EXC_RETURN: {}",
                core.lr,
                exc_return_words(core.lr)
            ));
        }
        lines.push(line);
    }
    match &snapshot.frame {
        Ok(f) => {
            lines.push(format!(
                "  stacked frame on {} at {:#010x}:",
                f.stack.name(),
                f.address
            ));
            lines.push(format!(
                "    r0  {:#010x}  r1  {:#010x}  r2  {:#010x}  r3 {:#010x}",
                f.r0, f.r1, f.r2, f.r3
            ));
            lines.push(format!(
                "    r12 {:#010x}  lr  {:#010x}  pc  {:#010x}  xpsr {:#010x}",
                f.r12, f.lr, f.pc, f.xpsr
            ));
        }
        Err(missing) => lines.push(format!("  stacked frame: {}", missing_words(*missing))),
    }
}

fn missing_words(missing: FrameMissing) -> String {
    match missing {
        FrameMissing::Running => "not read: the core is running (halt it to see the frame)".into(),
        FrameMissing::ThreadMode => "none: no exception is active (Thread mode)".into(),
        FrameMissing::LrNotExcReturn => {
            "not found: LR no longer holds EXC_RETURN (the handler has moved on)".into()
        }
        FrameMissing::Unreadable { address } => {
            format!("unreadable at {address:#010x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::{CoreContext, FaultRegisters, Stack, StackedFrame};
    use super::*;

    fn in_handler(regs: FaultRegisters) -> FaultSnapshot {
        FaultSnapshot {
            lockup: None,
            regs,
            core: Some(CoreContext {
                pc: 0x0800_0098,
                lr: 0xFFFF_FFF9,
                xpsr: 0x0100_0006,
                msp: 0x2007_FFE0,
                psp: 0,
            }),
            frame: Ok(StackedFrame::from_words(
                Stack::Main,
                0x2007_FFE0,
                [1, 2, 3, 4, 12, 0x0800_0051, 0x0800_006A, 0x0100_0000],
            )),
        }
    }

    #[test]
    fn the_headline_names_the_fault_its_bit_and_the_pc() {
        let s = in_handler(FaultRegisters {
            cfsr: 1 << 16,
            ..Default::default()
        });
        assert_eq!(
            headline(&s),
            "UsageFault: undefined instruction (UFSR.UNDEFINSTR) at pc 0x0800006a"
        );
        let text = render(&s).join("\n");
        assert!(text.contains("the UsageFault handler (IPSR 6)"), "{text}");
        assert!(
            text.contains("stacked frame on MSP at 0x2007ffe0"),
            "{text}"
        );
        assert!(text.contains("pc  0x0800006a"), "{text}");
    }

    #[test]
    fn an_escalated_bus_fault_shows_forced_and_bfar() {
        let s = in_handler(FaultRegisters {
            cfsr: (1 << 9) | (1 << 15),
            hfsr: 1 << 30,
            bfar: 0x3000_0000,
            ..Default::default()
        });
        assert_eq!(
            headline(&s),
            "HardFault (escalated from BusFault, HFSR.FORCED): precise data bus error (BFSR.PRECISERR) at pc 0x0800006a, address 0x30000000 (BFAR)"
        );
        let text = render(&s).join("\n");
        assert!(text.contains("HFSR.FORCED"), "{text}");
        assert!(text.contains("BFAR  0x30000000"), "{text}");
    }

    #[test]
    fn an_armv6m_hard_fault_says_what_the_core_cannot_tell() {
        let mut s = in_handler(FaultRegisters {
            profile: Profile::V6M,
            ..Default::default()
        });
        if let Some(core) = s.core.as_mut() {
            core.xpsr = 0x0100_0003;
        }
        assert_eq!(
            headline(&s),
            "HardFault: cause not recorded (ARMv6-M has no CFSR/HFSR) at pc 0x0800006a"
        );
        let text = render(&s).join("\n");
        assert!(
            text.contains("CFSR, HFSR, MMFAR and BFAR do not exist"),
            "{text}"
        );
        assert!(!text.contains("  CFSR  "), "{text}");
        assert!(text.contains("the HardFault handler (IPSR 3)"), "{text}");
        assert!(text.contains("pc  0x0800006a"), "{text}");
        if let Some(core) = s.core.as_mut() {
            core.xpsr = 0x0100_0000;
        }
        assert!(
            headline(&s).starts_with("no fault active"),
            "{}",
            headline(&s)
        );
    }

    #[test]
    fn a_running_core_has_no_frame_and_a_clean_chip_no_fault() {
        let s = FaultSnapshot {
            lockup: None,
            regs: FaultRegisters::default(),
            core: None,
            frame: Err(FrameMissing::Running),
        };
        assert_eq!(headline(&s), "no fault recorded (CFSR and HFSR are 0)");
        assert!(render(&s).join("\n").contains("the core is running"));
    }
}
