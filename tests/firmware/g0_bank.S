/* Reports which image the STM32G0B1 runs: built twice, with -DIMAGE=1 and -DIMAGE=2, and loaded
 * at 0x0800_0000 in different bank/swap modes, so that the image that answers after a reset
 * tells which physical bank is mapped at 0x0800_0000. Cortex-M0+ (ARMv6-M) Thumb only.
 *
 * report_image  the IMAGE this build carries (read from flash, not from an immediate)
 * report_optr   FLASH_OPTR as the running image sees it (nSWAP_BANK is bit 20)
 * report_pc     an address of the running code (the bank window it runs from)
 * counter       counts up in `spin`, a target for watchpoints
 * `fault_now`   reads 0x3000_0000, where nothing answers: a HardFault, the only fault an
 *               ARMv6-M core takes. */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .section .vectors, "a"
    .word _stack_top
    .word reset
    .word hang          /* NMI */
    .word hard_fault    /* HardFault */

    .text
image_id:
    .word 0xB0B00000 + IMAGE

    .thumb_func
    .global reset
reset:
    ldr r1, =report_image
    ldr r0, image_id_address
    ldr r0, [r0]
    str r0, [r1]
    ldr r2, =0x40022020     /* FLASH_OPTR */
    ldr r2, [r2]
    str r2, [r1, #4]
    adr r3, image_id_address
    str r3, [r1, #8]
    movs r4, #0
    .thumb_func
    .global spin
spin:
    adds r4, #1
    str r4, [r1, #12]
    b spin

    .thumb_func
    .global fault_now
fault_now:
    ldr r0, =0x30000000
    ldr r0, [r0]
    b hang

    .thumb_func
hard_fault:
    .thumb_func
hang:
    b hang

    .align 2
image_id_address:
    .word image_id
    .ltorg

    .bss
    .align 2
    .global report_image, report_optr, report_pc, counter
report_image: .space 4
report_optr:  .space 4
report_pc:    .space 4
counter:      .space 4
