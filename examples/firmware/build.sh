#!/usr/bin/env bash
# Rebuilds firmware.elf, faults.elf, semihosting.elf, semihosting-loop.elf, semihosting-files.elf
# and rtt.elf from their sources (linked for an STM32F767 by firmware.ld), and the same names with
# -g4 (firmware-g4.elf, …) from the same sources linked for an STM32G474 by g4.ld; rtt-boot.elf
# and defmt.elf (initialised data, a defmt table) by data.ld, rtt-boot-g4.elf and defmt-g4.elf
# by data-g4.ld. Needs Debian's
# binutils-arm-none-eabi.
set -euo pipefail
cd "$(dirname "$0")"
for name in firmware faults semihosting semihosting-loop semihosting-files rtt; do
    arm-none-eabi-as -g -mcpu=cortex-m7 -mthumb -o "$name.o" "$name.s"
    arm-none-eabi-ld -T firmware.ld -o "$name.elf" "$name.o"
    rm -f "$name.o"
done
for name in firmware faults semihosting semihosting-loop semihosting-files rtt; do
    arm-none-eabi-as -g -mcpu=cortex-m4 -mthumb -o "$name.o" "$name.s"
    arm-none-eabi-ld -T g4.ld -o "$name-g4.elf" "$name.o"
    rm -f "$name.o"
done
for name in rtt-boot defmt; do
    arm-none-eabi-as -g -mcpu=cortex-m7 -mthumb -o "$name.o" "$name.s"
    arm-none-eabi-ld -T data.ld -o "$name.elf" "$name.o"
    arm-none-eabi-as -g -mcpu=cortex-m4 -mthumb -o "$name.o" "$name.s"
    arm-none-eabi-ld -T data-g4.ld -o "$name-g4.elf" "$name.o"
    rm -f "$name.o"
done
