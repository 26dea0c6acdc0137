# Switch an STM32F76x/F77x to dual-bank mode, then flash and verify a firmware built for it.
#
#   stm32-opts --chip STM32F767ZI gdb          # or: stm32-opts --sim gdb
#   gdb-multiarch -q -x examples/gdb/dual-bank-and-flash.gdb examples/firmware/firmware.elf
#
# The firmware must be linked for the dual-bank layout (see docs/option-bytes.md). GDB's
# `load` is programmed with probe-rs's dual-bank flash algorithm whatever the memory map GDB
# cached; `starti` below makes GDB read the new map anyway.

set confirm off
set pagination off
target extended-remote localhost:3333

# Current mode, then dual bank (nDBANK = 0). Nothing is written if it is already set;
# otherwise the engine programs, verifies, resets and halts the chip.
monitor ndbank
monitor ndbank false

# Reset and halt at the reset vector. GDB fetches the memory map again, so
# `info mem` now lists the dual-bank sectors (16/64/128 KB, bank 2 at 0x0810_0000).
starti
info mem

# Program and verify.
load
compare-sections

# Start the new firmware from reset and stop in main.
monitor reset halt
maintenance flush register-cache
break main
continue
