@ A firmware for the simulated STM32H743 that reports which physical flash bank it runs from.
@ It boots from 0x0800_0000 (BOOT_ADD0) and reads FLASH_OPTCR.SWAP_BANK (bit 31: the mapping
@ in force): with the swap on, 0x0800_0000 is physical bank 2. It writes
@ (IMAGE << 8) | physical bank to REPORT in DTCM, then stops at `reported`.
@ Built at test time with -DIMAGE=n (tests/integration/h7/firmware.rs).

    .syntax unified
    .cpu cortex-m7
    .thumb

    .equ REPORT, 0x20000000
    .equ FLASH_OPTCR, 0x52002018

    .section .vectors, "a"
    .word 0x20020000            @ initial SP: top of DTCM
    .word reset + 1             @ reset handler (Thumb)

    .text
    .global reset
    .thumb_func
reset:
    ldr r0, =FLASH_OPTCR
    ldr r1, [r0]
    movs r2, #1                 @ physical bank 1 at 0x0800_0000 …
    lsrs r1, r1, #31
    adds r2, r2, r1             @ … or 2 with SWAP_BANK set
    ldr r3, =(IMAGE << 8)
    orrs r2, r2, r3
    ldr r0, =REPORT
    str r2, [r0]
    .global reported
    .thumb_func
reported:
    b reported
    .ltorg
