//! Builds the project's C test firmware (tests/firmware) with the stock `arm-none-eabi-gcc` and
//! newlib at test time, as a user's project would be built: a build per chip, float ABI and
//! set of defines, once per test run (cached by its inputs under the test target's temporary
//! directory, so parallel tests and later runs share it).
//!
//! `.ci/run` installs gcc-arm-none-eabi and libnewlib-arm-none-eabi; without them the tests that
//! need firmware fail and say what to install.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The simulated chip a firmware is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chip {
    /// STM32F767ZI: Cortex-M7 with FPv5-D16 (double precision).
    F767,
    /// STM32G474RE: Cortex-M4 with FPv4-SP-D16.
    G474,
}

impl Chip {
    /// The name `--chip` and the simulator know it by.
    pub fn name(self) -> &'static str {
        match self {
            Chip::F767 => "STM32F767ZI",
            Chip::G474 => "STM32G474RE",
        }
    }

    fn cpu(self) -> &'static str {
        match self {
            Chip::F767 => "cortex-m7",
            Chip::G474 => "cortex-m4",
        }
    }

    fn fpu(self) -> &'static str {
        match self {
            Chip::F767 => "fpv5-d16",
            Chip::G474 => "fpv4-sp-d16",
        }
    }

    fn define(self) -> &'static str {
        match self {
            Chip::F767 => "-DCHIP_F767",
            Chip::G474 => "-DCHIP_G474",
        }
    }

    fn linker_script(self) -> &'static str {
        match self {
            Chip::F767 => "f767.ld",
            Chip::G474 => "g474.ld",
        }
    }
}

/// The float ABI: which of newlib's multilibs the build links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Float {
    /// `-mfloat-abi=soft`: no FP instructions (`thumb/v7e-m/nofp`).
    Soft,
    /// `-mfloat-abi=hard` with the chip's FPU (`thumb/v7e-m+dp/hard`, `thumb/v7e-m+fp/hard`).
    Hard,
}

/// Which C library start and system calls a firmware links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// newlib with rdimon semihosting (`--specs=rdimon.specs`): stdio, argv and exit through
    /// the debugger.
    Rdimon,
    /// newlib-nano without system calls (`--specs=nano.specs --specs=nosys.specs`).
    Bare,
}

/// One firmware build.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Firmware {
    /// The program's source in tests/firmware (`hello.c`, `undefined.S`…), linked with
    /// `startup.c`.
    pub source: &'static str,
    pub chip: Chip,
    pub float: Float,
    pub runtime: Runtime,
    /// Extra `-D` defines.
    pub defines: &'static [&'static str],
}

impl Firmware {
    /// A bare-runtime, hard-float build of `source` for `chip`.
    pub fn new(source: &'static str, chip: Chip) -> Firmware {
        Firmware {
            source,
            chip,
            float: Float::Hard,
            runtime: Runtime::Bare,
            defines: &[],
        }
    }

    /// The ELF, built now unless an identical build exists.
    pub fn elf(&self) -> PathBuf {
        build(self)
    }
}

fn sources_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/firmware")
}

fn gcc() -> &'static str {
    let ok = Command::new("arm-none-eabi-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "arm-none-eabi-gcc is not installed: apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi (as .ci/run does)"
    );
    "arm-none-eabi-gcc"
}

/// Serialises builds in this process; the cache's atomic rename covers other processes.
static BUILDING: Mutex<()> = Mutex::new(());

fn build(firmware: &Firmware) -> PathBuf {
    let dir = sources_dir();
    let mut hasher = DefaultHasher::new();
    firmware.hash(&mut hasher);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/firmware")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    inputs.sort();
    for input in &inputs {
        input.file_name().hash(&mut hasher);
        std::fs::read(input).unwrap_or_default().hash(&mut hasher);
    }
    let stem = firmware.source.split('.').next().unwrap_or(firmware.source);
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("firmware");
    std::fs::create_dir_all(&out_dir).expect("firmware output directory");
    let elf = out_dir.join(format!(
        "{stem}-{:?}-{:?}-{:016x}.elf",
        firmware.chip,
        firmware.float,
        hasher.finish()
    ));
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if elf.exists() {
        return elf;
    }
    let partial = elf.with_extension(format!("{}.tmp", std::process::id()));
    let mut cmd = Command::new(gcc());
    cmd.current_dir(&dir)
        .arg("-mthumb")
        .arg(format!("-mcpu={}", firmware.chip.cpu()));
    match firmware.float {
        Float::Soft => {
            cmd.arg("-mfloat-abi=soft");
        }
        Float::Hard => {
            cmd.arg(format!("-mfpu={}", firmware.chip.fpu()))
                .arg("-mfloat-abi=hard");
        }
    }
    cmd.args([
        "-O2",
        "-g",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-ffunction-sections",
    ])
    .arg(firmware.chip.define());
    match firmware.runtime {
        Runtime::Rdimon => {
            cmd.args(["-DUSE_RDIMON", "--specs=rdimon.specs"]);
        }
        Runtime::Bare => {
            cmd.args(["--specs=nano.specs", "--specs=nosys.specs"]);
        }
    }
    for define in firmware.defines {
        cmd.arg(format!("-D{define}"));
    }
    cmd.arg("-L")
        .arg(&dir)
        .arg("-T")
        .arg(firmware.chip.linker_script())
        .arg("-Wl,--gc-sections")
        .arg("-o")
        .arg(&partial)
        .arg("startup.c")
        .arg(firmware.source);
    let out = cmd.output().expect("running arm-none-eabi-gcc");
    assert!(
        out.status.success(),
        "building {firmware:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&partial, &elf).expect("caching the firmware");
    elf
}

/// The address of `symbol` in `elf` (`arm-none-eabi-nm`, installed with the compiler).
pub fn symbol(elf: &Path, name: &str) -> u32 {
    let out = Command::new("arm-none-eabi-nm")
        .arg(elf)
        .output()
        .expect("running arm-none-eabi-nm");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let mut parts = line.split_whitespace();
            let value = parts.next()?;
            let _kind = parts.next()?;
            (parts.next()? == name).then(|| u32::from_str_radix(value, 16).ok())?
        })
        .unwrap_or_else(|| panic!("no symbol {name} in {}", elf.display()))
}

#[test]
fn every_firmware_builds_for_both_chips_and_both_float_abis() {
    for chip in [Chip::F767, Chip::G474] {
        for source in [
            "clock.c",
            "scheduler.c",
            "timing.c",
            "uart.c",
            "undefined.S",
        ] {
            let elf = Firmware::new(source, chip).elf();
            assert!(symbol(&elf, "Reset_Handler") >= 0x0800_0000, "{source}");
        }
        for float in [Float::Soft, Float::Hard] {
            let elf = Firmware {
                source: "hello.c",
                chip,
                float,
                runtime: Runtime::Rdimon,
                defines: &[],
            }
            .elf();
            assert_eq!(symbol(&elf, "vector_table"), 0x0800_0000);
        }
    }
}
