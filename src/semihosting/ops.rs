//! The facts of ARM's semihosting interface ("Semihosting for AArch32 and AArch64", ARM IHI 0071):
//! operation numbers, the `ADP_Stopped_*` exit reasons, and the host errno values the server
//! reports through SYS_ERRNO. Pure data and functions, no I/O.

/// Operation numbers (the value in R0 at the `BKPT 0xAB`), named as in the specification.
pub mod op {
    /// Open a file; `:tt` is the console.
    pub const SYS_OPEN: u32 = 0x01;
    /// Close a handle.
    pub const SYS_CLOSE: u32 = 0x02;
    /// Write the byte R1 points at to the debug console.
    pub const SYS_WRITEC: u32 = 0x03;
    /// Write the NUL-terminated string R1 points at to the debug console.
    pub const SYS_WRITE0: u32 = 0x04;
    /// Write a buffer to a handle.
    pub const SYS_WRITE: u32 = 0x05;
    /// Read from a handle into a buffer.
    pub const SYS_READ: u32 = 0x06;
    /// Read one byte from the debug console.
    pub const SYS_READC: u32 = 0x07;
    /// Whether a status value is an error.
    pub const SYS_ISERROR: u32 = 0x08;
    /// Whether a handle is an interactive device.
    pub const SYS_ISTTY: u32 = 0x09;
    /// Seek to an absolute position.
    pub const SYS_SEEK: u32 = 0x0A;
    /// The length of a file.
    pub const SYS_FLEN: u32 = 0x0C;
    /// A temporary file name.
    pub const SYS_TMPNAM: u32 = 0x0D;
    /// Remove a host file.
    pub const SYS_REMOVE: u32 = 0x0E;
    /// Rename a host file.
    pub const SYS_RENAME: u32 = 0x0F;
    /// Centiseconds since the program started.
    pub const SYS_CLOCK: u32 = 0x10;
    /// Seconds since 1970-01-01 00:00 UTC.
    pub const SYS_TIME: u32 = 0x11;
    /// Run a host command line.
    pub const SYS_SYSTEM: u32 = 0x12;
    /// The errno of the last failed call.
    pub const SYS_ERRNO: u32 = 0x13;
    /// The program's command line.
    pub const SYS_GET_CMDLINE: u32 = 0x15;
    /// Heap and stack bounds.
    pub const SYS_HEAPINFO: u32 = 0x16;
    /// The program ends (AArch32: the reason in R1).
    pub const SYS_EXIT: u32 = 0x18;
    /// The program ends (the reason and its subcode in a block).
    pub const SYS_EXIT_EXTENDED: u32 = 0x20;
    /// Elapsed ticks, 64 bits.
    pub const SYS_ELAPSED: u32 = 0x30;
    /// Ticks per second.
    pub const SYS_TICKFREQ: u32 = 0x31;
}

/// The name of an operation number, for log lines.
pub fn op_name(number: u32) -> Option<&'static str> {
    use op::*;
    Some(match number {
        SYS_OPEN => "SYS_OPEN",
        SYS_CLOSE => "SYS_CLOSE",
        SYS_WRITEC => "SYS_WRITEC",
        SYS_WRITE0 => "SYS_WRITE0",
        SYS_WRITE => "SYS_WRITE",
        SYS_READ => "SYS_READ",
        SYS_READC => "SYS_READC",
        SYS_ISERROR => "SYS_ISERROR",
        SYS_ISTTY => "SYS_ISTTY",
        SYS_SEEK => "SYS_SEEK",
        SYS_FLEN => "SYS_FLEN",
        SYS_TMPNAM => "SYS_TMPNAM",
        SYS_REMOVE => "SYS_REMOVE",
        SYS_RENAME => "SYS_RENAME",
        SYS_CLOCK => "SYS_CLOCK",
        SYS_TIME => "SYS_TIME",
        SYS_SYSTEM => "SYS_SYSTEM",
        SYS_ERRNO => "SYS_ERRNO",
        SYS_GET_CMDLINE => "SYS_GET_CMDLINE",
        SYS_HEAPINFO => "SYS_HEAPINFO",
        SYS_EXIT => "SYS_EXIT",
        SYS_EXIT_EXTENDED => "SYS_EXIT_EXTENDED",
        SYS_ELAPSED => "SYS_ELAPSED",
        SYS_TICKFREQ => "SYS_TICKFREQ",
        _ => return None,
    })
}

/// The `ADP_Stopped_*` reason codes of SYS_EXIT / SYS_EXIT_EXTENDED.
pub mod reason {
    /// The program called `exit()`: a normal end with an exit status.
    pub const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;
    /// A run-time error; C libraries report `abort()` with it.
    pub const ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN: u32 = 0x2_0023;
}

/// The name of an `ADP_Stopped_*` reason, for the console line.
pub fn reason_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0x2_0000 => "ADP_Stopped_BranchThroughZero",
        0x2_0001 => "ADP_Stopped_UndefinedInstr",
        0x2_0002 => "ADP_Stopped_SoftwareInterrupt",
        0x2_0003 => "ADP_Stopped_PrefetchAbort",
        0x2_0004 => "ADP_Stopped_DataAbort",
        0x2_0005 => "ADP_Stopped_AddressException",
        0x2_0006 => "ADP_Stopped_IRQ",
        0x2_0007 => "ADP_Stopped_FIQ",
        0x2_0020 => "ADP_Stopped_BreakPoint",
        0x2_0021 => "ADP_Stopped_WatchPoint",
        0x2_0022 => "ADP_Stopped_StepComplete",
        0x2_0023 => "ADP_Stopped_RunTimeErrorUnknown",
        0x2_0024 => "ADP_Stopped_InternalError",
        0x2_0025 => "ADP_Stopped_UserInterruption",
        0x2_0026 => "ADP_Stopped_ApplicationExit",
        0x2_0027 => "ADP_Stopped_StackOverflow",
        0x2_0028 => "ADP_Stopped_DivisionByZero",
        0x2_0029 => "ADP_Stopped_OSSpecific",
        _ => return None,
    })
}

/// Host errno values (Linux numbering, what newlib and picolibc expect) set by failed calls.
pub mod errno {
    /// No such file (without a base directory only `:tt` and `:semihosting-features` exist).
    pub const ENOENT: i32 = 2;
    /// A host file could not be read or written.
    pub const EIO: i32 = 5;
    /// A handle that is not open.
    pub const EBADF: i32 = 9;
    /// A name outside the base directory (absolute, `..`, a symbolic link leading out).
    pub const EACCES: i32 = 13;
    /// A parameter block or buffer the server could not read or write.
    pub const EFAULT: i32 = 14;
    /// A bad argument (an open mode, a seek position, a buffer too small).
    pub const EINVAL: i32 = 22;
    /// Too many open handles.
    pub const EMFILE: i32 = 24;
    /// Seek on the console.
    pub const ESPIPE: i32 = 29;
    /// An operation the server does not provide.
    pub const ENOSYS: i32 = 38;
}

/// How the program said it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `ADP_Stopped_ApplicationExit` with this exit status (0 for AArch32 SYS_EXIT, which
    /// cannot carry one).
    Application(u32),
    /// `ADP_Stopped_RunTimeErrorUnknown`: C libraries report `abort()` so.
    RunTimeError,
    /// Any other `ADP_Stopped_*` reason.
    Other {
        /// The reason code.
        reason: u32,
        /// The subcode, when SYS_EXIT_EXTENDED gave one.
        subcode: Option<u32>,
    },
}

impl Exit {
    /// From a reason code and, for SYS_EXIT_EXTENDED, its subcode (the exit status of an
    /// application exit).
    pub fn from_reason(reason: u32, subcode: Option<u32>) -> Exit {
        match reason {
            reason::ADP_STOPPED_APPLICATION_EXIT => Exit::Application(subcode.unwrap_or(0)),
            reason::ADP_STOPPED_RUN_TIME_ERROR_UNKNOWN => Exit::RunTimeError,
            reason => Exit::Other { reason, subcode },
        }
    }

    /// The exit status a debugger reports: the status of an application exit, truncated to the
    /// 8 bits GDB's remote protocol carries; 1 for any other reason but a run-time error.
    pub fn status(&self) -> Option<u8> {
        match self {
            Exit::Application(code) => Some(*code as u8),
            Exit::RunTimeError => None,
            Exit::Other { .. } => Some(1),
        }
    }

    /// One line for the console.
    pub fn describe(&self) -> String {
        match self {
            Exit::Application(code) => format!("the program exited with status {code}"),
            Exit::RunTimeError => {
                "the program stopped with a run-time error (ADP_Stopped_RunTimeErrorUnknown, abort())"
                    .to_string()
            }
            Exit::Other { reason, subcode } => {
                let name = reason_name(*reason).unwrap_or("an unknown reason");
                match subcode {
                    Some(sub) => format!(
                        "the program stopped: {name} ({reason:#x}), subcode {sub:#x}; reported as exit status 1"
                    ),
                    None => format!(
                        "the program stopped: {name} ({reason:#x}); reported as exit status 1"
                    ),
                }
            }
        }
    }
}

/// A 32-bit return value as the program reads it in R0.
pub fn r0(value: i32) -> u32 {
    value as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_exit_carries_its_status() {
        assert_eq!(Exit::from_reason(0x20026, Some(7)), Exit::Application(7));
        assert_eq!(Exit::from_reason(0x20026, None), Exit::Application(0));
        assert_eq!(Exit::Application(7).status(), Some(7));
        // GDB's W packet carries 8 bits.
        assert_eq!(Exit::Application(0x107).status(), Some(7));
    }

    #[test]
    fn other_reasons_are_not_a_clean_exit() {
        assert_eq!(Exit::from_reason(0x20023, None), Exit::RunTimeError);
        assert_eq!(Exit::RunTimeError.status(), None);
        let other = Exit::from_reason(0x20000, Some(3));
        assert_eq!(
            other,
            Exit::Other {
                reason: 0x20000,
                subcode: Some(3)
            }
        );
        assert_eq!(other.status(), Some(1));
        assert!(other.describe().contains("ADP_Stopped_BranchThroughZero"));
        assert!(Exit::Other {
            reason: 0x1234,
            subcode: None
        }
        .describe()
        .contains("0x1234"));
    }

    #[test]
    fn operations_have_their_spec_numbers() {
        assert_eq!(op_name(0x01), Some("SYS_OPEN"));
        assert_eq!(op_name(0x05), Some("SYS_WRITE"));
        assert_eq!(op_name(0x10), Some("SYS_CLOCK"));
        assert_eq!(op_name(0x16), Some("SYS_HEAPINFO"));
        assert_eq!(op_name(0x18), Some("SYS_EXIT"));
        assert_eq!(op_name(0x20), Some("SYS_EXIT_EXTENDED"));
        assert_eq!(op_name(0x99), None);
        assert_eq!(r0(-1), 0xFFFF_FFFF);
    }
}
