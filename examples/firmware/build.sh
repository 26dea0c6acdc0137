#!/usr/bin/env bash
# Rebuilds firmware.elf, faults.elf, semihosting.elf and rtt.elf from their sources. Needs Debian's binutils-arm-none-eabi.
set -euo pipefail
cd "$(dirname "$0")"
for name in firmware faults semihosting rtt; do
    arm-none-eabi-as -g -mcpu=cortex-m7 -mthumb -o "$name.o" "$name.s"
    arm-none-eabi-ld -T firmware.ld -o "$name.elf" "$name.o"
    rm -f "$name.o"
done
