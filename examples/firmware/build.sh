#!/usr/bin/env bash
# Rebuilds firmware.elf from firmware.s. Needs Debian's binutils-arm-none-eabi.
set -euo pipefail
cd "$(dirname "$0")"
arm-none-eabi-as -g -mcpu=cortex-m7 -mthumb -o firmware.o firmware.s
arm-none-eabi-ld -T firmware.ld -o firmware.elf firmware.o
rm -f firmware.o
